"""Booking request/response schemas."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from services.booking.domain import LegalBasis, State


class BookingCreate(Schema):
    asset_id = fields.UUID(required=True)
    start = fields.AwareDateTime(required=True)
    end = fields.AwareDateTime(required=True)
    quantity = fields.Integer(load_default=1, strict=True, validate=validate.Range(min=1))
    priority = fields.Integer(required=True, strict=True, validate=validate.OneOf([1, 2, 3]))
    legal_basis = fields.Enum(LegalBasis, by_value=True, required=True)
    purpose = fields.String(required=True, validate=validate.Length(min=3, max=2000))
    contact = fields.String(required=True, validate=validate.Length(min=3, max=200))


class BookingRead(Schema):
    id = fields.UUID()
    asset_id = fields.UUID()
    owner_org = fields.String()
    requester_org = fields.String()
    category = fields.String()
    state = fields.String()
    planned_start = fields.AwareDateTime()
    planned_end = fields.AwareDateTime()
    quantity = fields.Integer()
    priority = fields.Integer()
    legal_basis = fields.String()
    purpose = fields.String(allow_none=True)
    contact = fields.String(allow_none=True)
    expires_at = fields.AwareDateTime()
    actual_start = fields.AwareDateTime(allow_none=True)
    actual_end = fields.AwareDateTime(allow_none=True)
    usage_quantity = fields.Decimal(places=2, as_string=True, allow_none=True)
    tariff = fields.Dict(allow_none=True)
    version = fields.Integer()
    created_at = fields.AwareDateTime()
    decided_at = fields.AwareDateTime(allow_none=True)


class TransitionIn(Schema):
    reason = fields.String(load_default=None, validate=validate.Length(min=3, max=2000))


class CompleteIn(Schema):
    actual_start = fields.AwareDateTime(required=True)
    actual_end = fields.AwareDateTime(required=True)
    reason = fields.String(load_default=None, validate=validate.Length(max=2000))


class TransitionRead(Schema):
    action = fields.String()
    from_state = fields.String(allow_none=True)
    to_state = fields.String()
    actor = fields.String()
    actor_org = fields.String()
    reason = fields.String(allow_none=True)
    at = fields.AwareDateTime()


class BookingQuery(Schema):
    state = fields.Enum(State, by_value=True)
    asset_id = fields.UUID()
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0))


def redact(booking: dict[str, Any], visible: bool) -> dict[str, Any]:
    """Hide another unit's purpose and contact from those who may not see them."""
    if not visible:
        booking = {**booking, "purpose": None, "contact": None}
    return booking
