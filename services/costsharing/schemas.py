"""Cost-sharing request/response schemas."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from services.costsharing.domain import PriceBasis
from shared.errors import dotted_field_errors

LEGAL_BASES = [
    "bijstand_politiewet",
    "steunverlening",
    "icms_guaranteed",
    "joint_exercise",
    "joint_procurement",
]
CATEGORIES = ["helicopter", "drone", "dive_team", "search_team", "terrain", "procurement_item"]


def percent(**kwargs: Any) -> fields.Decimal:
    """A percentage 0–100 with two decimals."""
    return fields.Decimal(
        places=2, as_string=True, validate=validate.Range(min=0, max=100), **kwargs
    )


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


class LedgerEntryRead(Schema):
    org = fields.String()
    side = fields.String()
    kind = fields.String()
    entry = fields.String()
    amount = fields.Decimal(places=2, as_string=True)
    source_event_id = fields.String()
    created_at = fields.AwareDateTime()


class ReviewRead(Schema):
    action = fields.String()
    from_state = fields.String()
    to_state = fields.String()
    actor = fields.String()
    actor_org = fields.String()
    reason = fields.String(allow_none=True)
    at = fields.AwareDateTime()


class AllocationRead(Schema):
    id = fields.UUID()
    booking_id = fields.UUID()
    kind = fields.String()
    state = fields.String()
    source_event_id = fields.String()
    agreement_id = fields.UUID(allow_none=True)
    agreement_version = fields.Integer(allow_none=True)
    requester_org = fields.String()
    owner_org = fields.String()
    category = fields.String()
    legal_basis = fields.String()
    usage_quantity = fields.Decimal(places=2, as_string=True)
    total = fields.Decimal(places=2, as_string=True, allow_none=True)
    requester_amount = fields.Decimal(places=2, as_string=True, allow_none=True)
    owner_amount = fields.Decimal(places=2, as_string=True, allow_none=True)
    basis = fields.Dict()
    used_on = fields.Date()
    statement_id = fields.UUID(allow_none=True)
    version = fields.Integer()
    occurred_at = fields.AwareDateTime()


ALLOCATION_STATES = ["proposed", "needs_agreement", "approved", "disputed", "resolved", "settled"]


class AllocationQuery(Schema):
    booking_id = fields.UUID()
    state = fields.List(
        fields.String(validate=validate.OneOf(ALLOCATION_STATES)),
        load_default=(),
        metadata={"description": "one or more states (repeat the parameter): any of them"},
    )
    org = fields.String(
        validate=validate.Length(min=3, max=80),
        metadata={"description": "the requesting unit or the owner"},
    )
    category = fields.String(validate=validate.OneOf(CATEGORIES))
    period = fields.String(
        validate=validate.Length(max=10),
        metadata={"description": "the Dutch date of the use in 2026, 2026-Q4 or 2026-11"},
    )
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0))


class ReviewIn(Schema):
    reason = fields.String(load_default=None, validate=validate.Length(min=3, max=2000))


class ResolveIn(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=3, max=2000))
    agreement_id = fields.UUID(load_default=None)
    requester_amount = fields.Decimal(
        load_default=None, places=2, as_string=True, validate=validate.Range(min=0)
    )
    total = fields.Decimal(
        load_default=None,
        places=2,
        as_string=True,
        validate=validate.Range(min=0, max=Decimal("999999999999.99")),
    )


class StatementQuery(Schema):
    org = fields.String(required=True, validate=validate.Length(min=3, max=80))
    period = fields.String(required=True, validate=validate.Length(max=10))


class LedgerExportQuery(Schema):
    period = fields.String(load_default=None, validate=validate.Length(max=10))


class StatementClose(Schema):
    org = fields.String(required=True, validate=validate.Length(min=3, max=80))
    period = fields.String(required=True, validate=validate.Length(max=10))


class StatementLine(Schema):
    date = fields.String()
    allocation_id = fields.String()
    booking_id = fields.String()
    kind = fields.String()
    category = fields.String()
    legal_basis = fields.String()
    state = fields.String()
    counterparty = fields.String()
    entry = fields.String()
    line = fields.String()
    debit = fields.String()
    credit = fields.String()


class StatementTotals(Schema):
    debit = fields.String()
    credit = fields.String()
    net = fields.String()


class AfterClosing(Schema):
    lines = fields.List(fields.Nested(StatementLine))
    totals = fields.Nested(StatementTotals)


class StatementRead(Schema):
    org = fields.String()
    period = fields.String()
    currency = fields.String()
    closed = fields.Boolean()
    statement_id = fields.String(allow_none=True, metadata={"description": "once closed"})
    closed_at = fields.String(allow_none=True)
    closed_by = fields.String(allow_none=True)
    lines = fields.List(
        fields.Nested(StatementLine),
        metadata={"description": "once closed: the lines it was closed with"},
    )
    totals = fields.Nested(
        StatementTotals, metadata={"description": "once closed: the totals stored at closing"}
    )
    closed_in = fields.List(
        fields.Dict(keys=fields.String(), values=fields.String()),
        metadata={
            "description": "while not closed itself: the closed statements ({id, period}) that "
            "hold some of its days, e.g. the quarter a month belongs to"
        },
    )
    after_closing = fields.Nested(
        AfterClosing,
        allow_none=True,
        metadata={
            "description": "null while open; once closed, the lines that reached the period "
            "afterwards, with their totals (not part of the closed figures)"
        },
    )


class EfficiencyQuery(Schema):
    period = fields.String(required=True, validate=validate.Length(max=10))
    group_by = fields.String(
        load_default="category",
        validate=validate.OneOf(["category", "region", "requester", "owner"]),
    )


class EvaluationQuery(Schema):
    baseline = fields.String(
        required=True,
        validate=validate.Length(max=10),
        metadata={"description": "the baseline period: a quarter (2026-Q1) or a month (2026-01)"},
    )
    period = fields.String(
        required=True,
        validate=validate.Length(max=10),
        metadata={"description": "the later period, of the same kind: 2026-Q4 or 2026-12"},
    )


class EstimateIn(Schema):
    asset_id = fields.UUID(required=True)
    start = fields.AwareDateTime(required=True)
    end = fields.AwareDateTime(required=True)
    quantity = fields.Integer(load_default=1, strict=True, validate=validate.Range(min=1, max=100))
    legal_basis = fields.String(required=True, validate=validate.OneOf(LEGAL_BASES))
    requester_org = fields.String(load_default=None, validate=validate.Length(min=3, max=80))


# A search-results page prices every asset it shows in one call; 100 is more than a page holds.
MAX_ESTIMATES_PER_BATCH = 100


class EstimateBatchIn(Schema):
    items = fields.List(
        fields.Nested(EstimateIn),
        required=True,
        validate=validate.Length(min=1, max=MAX_ESTIMATES_PER_BATCH),
        metadata={
            "description": f"1 to {MAX_ESTIMATES_PER_BATCH} estimates, each as for /estimates"
        },
    )

    def handle_error(self, error: ValidationError, data: Any, **kwargs: Any) -> None:
        # A bad field of the fourth item is "items.3.end", not {"items": {3: {"end": …}}}.
        raise ValidationError(dotted_field_errors(error.messages)) from error


class EstimateAgreementRead(Schema):
    id = fields.UUID()
    name = fields.String()
    version = fields.Integer()
    price_basis = fields.String()
    requester_share_pct = fields.String()


class EstimateRead(Schema):
    asset_id = fields.UUID()
    asset_name = fields.String()
    requester_org = fields.String()
    owner_org = fields.String()
    tariff = fields.Dict(allow_none=True, metadata={"description": "the tariff of the day of use"})
    illustrative = fields.Boolean(metadata={"description": "demo tariffs are not real rates"})
    currency = fields.String()
    covered = fields.Boolean(metadata={"description": "an agreement and a tariff price the use"})
    agreement = fields.Nested(EstimateAgreementRead, allow_none=True)
    total = fields.String(allow_none=True)
    requester_amount = fields.String(allow_none=True)
    owner_amount = fields.String(allow_none=True)
    reason = fields.String(allow_none=True, metadata={"description": "why not covered"})


class ItemProblemRead(Schema):
    type = fields.String()
    title = fields.String()
    status = fields.Integer()
    detail = fields.String()
    errors = fields.Dict(allow_none=True)


class EstimateBatchItemRead(Schema):
    index = fields.Integer(metadata={"description": "position of the item in the request"})
    estimate = fields.Nested(EstimateRead, allow_none=True)
    problem = fields.Nested(
        ItemProblemRead,
        allow_none=True,
        metadata={"description": "why this item has no estimate (e.g. an unknown asset)"},
    )


class EstimateBatchRead(Schema):
    items = fields.List(fields.Nested(EstimateBatchItemRead))
