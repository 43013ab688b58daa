"""Agreements' request and response schemas; the requests load as typed commands."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from services.costsharing.commands import PreviewAgreement, RecordAgreement, ReviseAgreement
from services.costsharing.domain import PriceBasis
from services.costsharing.schemas import CATEGORIES, LEGAL_BASES, percent
from shared.paging import page_schema


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
    requester_share_pct = percent(required=True)
    charge_mobilisation = fields.Boolean(load_default=True)
    cancellation_free_hours = fields.Integer(
        load_default=48, strict=True, validate=validate.Range(min=0, max=24 * 90)
    )
    cancellation_pct = percent(load_default=Decimal("0"))

    @post_load
    def _command(self, data: dict[str, Any], **kwargs: Any) -> RecordAgreement:
        return RecordAgreement(**data)


class AgreementUpdate(Schema):
    name = fields.String(validate=validate.Length(min=3, max=200))
    valid_to = fields.Date(allow_none=True)
    price_basis = fields.Enum(PriceBasis, by_value=True)
    requester_share_pct = percent()
    charge_mobilisation = fields.Boolean()
    cancellation_free_hours = fields.Integer(
        strict=True, validate=validate.Range(min=0, max=24 * 90)
    )
    cancellation_pct = percent()

    @post_load
    def _command(self, data: dict[str, Any], **kwargs: Any) -> ReviseAgreement:
        return ReviseAgreement(**data)


class AgreementPreviewIn(Schema):
    """The terms of an agreement about to be recorded, or of a new version of one."""

    agreement_id = fields.UUID(
        metadata={
            "description": "preview a new version of this agreement: its scope and start stay, "
            "the fields given here (those a new version may change) replace its terms"
        }
    )
    name = fields.String(validate=validate.Length(min=3, max=200))
    legal_basis = fields.String(validate=validate.OneOf(LEGAL_BASES))
    category = fields.String(allow_none=True, validate=validate.OneOf(CATEGORIES))
    owner_org = fields.String(allow_none=True, validate=validate.Length(min=3, max=80))
    requester_org = fields.String(allow_none=True, validate=validate.Length(min=3, max=80))
    valid_from = fields.Date()
    valid_to = fields.Date(allow_none=True)
    price_basis = fields.Enum(PriceBasis, by_value=True)
    requester_share_pct = percent()
    charge_mobilisation = fields.Boolean()
    cancellation_free_hours = fields.Integer(
        strict=True, validate=validate.Range(min=0, max=24 * 90)
    )
    cancellation_pct = percent()

    @validates_schema
    def _new_terms_complete(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("agreement_id") is not None:
            return
        needed = ("legal_basis", "valid_from", "price_basis", "requester_share_pct")
        missing = {f: ["Required for a new agreement."] for f in needed if data.get(f) is None}
        if missing:
            raise ValidationError(missing)

    @post_load
    def _command(self, data: dict[str, Any], **kwargs: Any) -> PreviewAgreement:
        return PreviewAgreement(**data)


class PreviewAgreementRef(Schema):
    id = fields.String()
    name = fields.String()
    version = fields.Integer()


class PreviewUse(Schema):
    booking_id = fields.String(metadata={"description": "the booking (or order) id"})
    kind = fields.String()
    category = fields.String()
    owner_org = fields.String()
    requester_org = fields.String()
    state = fields.String()
    date = fields.String(metadata={"description": "the Dutch date of the use"})
    covered = fields.Boolean(metadata={"description": "the previewed terms would price it"})
    won_by = fields.Nested(
        PreviewAgreementRef,
        allow_none=True,
        metadata={"description": "the more specific agreement that would price it instead"},
    )
    current = fields.Nested(
        PreviewAgreementRef,
        allow_none=True,
        metadata={"description": "the agreement that prices it without the previewed terms"},
    )


class PreviewSide(Schema):
    matched = fields.Integer(metadata={"description": "uses in scope and in the dates"})
    covered = fields.Integer(metadata={"description": "of those, priced by these terms"})
    won_elsewhere = fields.Integer(metadata={"description": "of those, by a more specific one"})
    truncated = fields.Boolean(metadata={"description": "more uses exist than were examined"})
    items = fields.List(fields.Nested(PreviewUse))


class AgreementPreviewRead(Schema):
    ties = fields.List(
        fields.Nested(PreviewAgreementRef),
        metadata={"description": "agreements that tie with these terms: saving is refused"},
    )
    past = fields.Nested(PreviewSide, metadata={"description": "uses already allocated"})
    coming = fields.Nested(PreviewSide, metadata={"description": "bookings not yet used"})


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


AgreementPage = page_schema(AgreementRead, "AgreementPage")
