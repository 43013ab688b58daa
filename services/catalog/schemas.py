"""Catalog request/response schemas (marshmallow 4)."""

from __future__ import annotations

from decimal import Decimal

from marshmallow import Schema, fields, validate

from services.catalog.domain import Category, TariffUnit

Money = fields.Decimal(places=2, as_string=True, required=True, validate=validate.Range(min=0))


class OrganisationRead(Schema):
    id = fields.String()
    name = fields.String()
    kind = fields.String()


class RegionRead(Schema):
    code = fields.String()
    name = fields.String()


class CategoryRead(Schema):
    code = fields.String()
    label = fields.String()
    booking_mode = fields.String()


class TariffIn(Schema):
    unit = fields.Enum(TariffUnit, by_value=True, required=True)
    full_cost_rate = fields.Decimal(places=2, as_string=True, required=True)
    marginal_cost_rate = fields.Decimal(places=2, as_string=True, required=True)
    mobilisation_fee = fields.Decimal(places=2, as_string=True, load_default=Decimal("0.00"))
    market_reference_price = fields.Decimal(places=2, as_string=True, required=True)
    valid_from = fields.Date(required=True)
    valid_to = fields.Date(load_default=None, allow_none=True)


class TariffRead(Schema):
    id = fields.UUID()
    unit = fields.String()
    full_cost_rate = fields.Decimal(places=2, as_string=True)
    marginal_cost_rate = fields.Decimal(places=2, as_string=True)
    mobilisation_fee = fields.Decimal(places=2, as_string=True)
    market_reference_price = fields.Decimal(places=2, as_string=True)
    currency = fields.String()
    valid_from = fields.Date()
    valid_to = fields.Date(allow_none=True)


class AssetCreate(Schema):
    registration = fields.String(required=True, validate=validate.Length(min=1, max=40))
    name = fields.String(required=True, validate=validate.Length(min=1, max=120))
    category = fields.Enum(Category, by_value=True, required=True)
    home_base = fields.String(required=True, validate=validate.Length(min=1, max=120))
    regions = fields.List(
        fields.String(validate=validate.Length(equal=4)),
        required=True,
        validate=validate.Length(min=1, max=25),
    )
    capacity = fields.Integer(load_default=1, strict=True)
    readiness_notice = fields.String(load_default="PT4H", validate=validate.Length(max=20))
    attributes = fields.Dict(keys=fields.String(), load_default=dict)
    tariff = fields.Nested(TariffIn, required=True)


class AssetRead(Schema):
    id = fields.UUID()
    owner_org = fields.String()
    registration = fields.String()
    name = fields.String()
    category = fields.String()
    booking_mode = fields.String()
    home_base = fields.String()
    regions = fields.List(fields.String())
    capacity = fields.Integer()
    readiness_notice = fields.String()
    attributes = fields.Dict()
    status = fields.String()
    version = fields.Integer()
    tariffs = fields.List(fields.Nested(TariffRead))


class AssetQuery(Schema):
    category = fields.Enum(Category, by_value=True)
    owner = fields.String()
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0))
