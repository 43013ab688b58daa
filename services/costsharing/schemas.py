"""Cost-sharing request/response schemas."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from services.costsharing.domain import PriceBasis

LEGAL_BASES = [
    "bijstand_politiewet",
    "steunverlening",
    "icms_guaranteed",
    "joint_exercise",
    "joint_procurement",
]
CATEGORIES = ["helicopter", "drone", "dive_team", "search_team", "terrain", "procurement_item"]


class AgreementCreate(Schema):
    name = fields.String(required=True, validate=validate.Length(min=3, max=200))
    legal_basis = fields.String(required=True, validate=validate.OneOf(LEGAL_BASES))
    category = fields.String(
        load_default=None, allow_none=True, validate=validate.OneOf(CATEGORIES)
    )
    owner_org = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(min=3, max=80)
    )
    requester_org = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(min=3, max=80)
    )
    valid_from = fields.Date(required=True)
    valid_to = fields.Date(load_default=None, allow_none=True)
    price_basis = fields.Enum(PriceBasis, by_value=True, required=True)
    requester_share_pct = fields.Decimal(
        required=True, places=2, as_string=True, validate=validate.Range(min=0, max=100)
    )
    charge_mobilisation = fields.Boolean(load_default=True)
    cancellation_free_hours = fields.Integer(
        load_default=48, strict=True, validate=validate.Range(min=0, max=24 * 90)
    )
    cancellation_pct = fields.Decimal(
        load_default="0", places=2, as_string=True, validate=validate.Range(min=0, max=100)
    )


class AgreementRead(Schema):
    id = fields.UUID()
    name = fields.String()
    legal_basis = fields.String()
    category = fields.String(allow_none=True)
    owner_org = fields.String(allow_none=True)
    requester_org = fields.String(allow_none=True)
    valid_from = fields.Date()
    valid_to = fields.Date(allow_none=True)
    price_basis = fields.String()
    requester_share_pct = fields.Decimal(places=2, as_string=True)
    charge_mobilisation = fields.Boolean()
    cancellation_free_hours = fields.Integer()
    cancellation_pct = fields.Decimal(places=2, as_string=True)
    version = fields.Integer()


class LedgerEntryRead(Schema):
    org = fields.String()
    side = fields.String()
    amount = fields.Decimal(places=2, as_string=True)
    memo = fields.String()
    created_at = fields.AwareDateTime()


class AllocationRead(Schema):
    id = fields.UUID()
    booking_id = fields.UUID()
    kind = fields.String()
    state = fields.String()
    source_event_id = fields.String()
    agreement_id = fields.UUID(allow_none=True)
    requester_org = fields.String()
    owner_org = fields.String()
    category = fields.String()
    legal_basis = fields.String()
    usage_quantity = fields.Decimal(places=2, as_string=True)
    total = fields.Decimal(places=2, as_string=True, allow_none=True)
    requester_amount = fields.Decimal(places=2, as_string=True, allow_none=True)
    owner_amount = fields.Decimal(places=2, as_string=True, allow_none=True)
    basis = fields.Dict()
    occurred_at = fields.AwareDateTime()


class AllocationQuery(Schema):
    booking_id = fields.UUID()
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0))
