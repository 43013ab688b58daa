"""Cost-sharing request/response schemas of allocations, their review, statements, the ledger
export and the figures; the requests load as typed commands (commands.py). Agreements' are in
agreement_schemas.py, estimates' in estimate_schemas.py."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from marshmallow import Schema, ValidationError, fields, post_load, validate

from services.costsharing.commands import (
    AllocationFilter,
    CloseStatement,
    EfficiencyBatchOf,
    EfficiencyOf,
    EvaluationOf,
    ExportLedger,
    PageRequest,
    ResolveAllocation,
    ReviewAllocation,
    StatementOf,
)
from services.costsharing.domain import State
from shared.errors import dotted_field_errors
from shared.paging import cursor_field, limit_field, page_schema

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


ALLOCATION_STATES = [s.value for s in State]


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
    limit = limit_field(50, 200)
    cursor = cursor_field()

    @post_load
    def _query(self, data: dict[str, Any], **kwargs: Any) -> AllocationFilter:
        return AllocationFilter(**{**data, "state": tuple(State(s) for s in data["state"])})


class PageQuery(Schema):
    """A list with nothing to filter: a page of ``limit`` after ``cursor``."""

    limit = limit_field(50, 200)
    cursor = cursor_field()

    @post_load
    def _query(self, data: dict[str, Any], **kwargs: Any) -> PageRequest:
        return PageRequest(**data)


class ReviewIn(Schema):
    """The body of approve or dispute: a reason (a dispute needs one)."""

    reason = fields.String(load_default=None, validate=validate.Length(min=3, max=2000))

    @post_load
    def _command(self, data: dict[str, Any], **kwargs: Any) -> ReviewAllocation:
        return ReviewAllocation(**data)


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

    @post_load
    def _command(self, data: dict[str, Any], **kwargs: Any) -> ResolveAllocation:
        return ResolveAllocation(**data)


class StatementQuery(Schema):
    org = fields.String(required=True, validate=validate.Length(min=3, max=80))
    period = fields.String(required=True, validate=validate.Length(max=10))

    @post_load
    def _query(self, data: dict[str, Any], **kwargs: Any) -> StatementOf:
        return StatementOf(**data)


class LedgerExportQuery(Schema):
    period = fields.String(load_default=None, validate=validate.Length(max=10))

    @post_load
    def _query(self, data: dict[str, Any], **kwargs: Any) -> ExportLedger:
        return ExportLedger(**data)


class StatementClose(Schema):
    org = fields.String(required=True, validate=validate.Length(min=3, max=80))
    period = fields.String(required=True, validate=validate.Length(max=10))

    @post_load
    def _command(self, data: dict[str, Any], **kwargs: Any) -> CloseStatement:
        return CloseStatement(**data)


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
    first_day = fields.String(
        attribute="from", data_key="from", metadata={"description": "the period's first day"}
    )
    day_after = fields.String(
        attribute="until", data_key="until", metadata={"description": "the day after it"}
    )
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

    @post_load
    def _query(self, data: dict[str, Any], **kwargs: Any) -> EfficiencyOf:
        return EfficiencyOf(**data)


MAX_EFFICIENCIES_PER_BATCH = 20


class BatchIn(Schema):
    """A batch of ``items``: a bad field of the fourth item is "items.3.end" in the problem, not
    {"items": {3: {"end": …}}} (as the batch endpoints document it)."""

    def handle_error(self, error: ValidationError, data: Any, **kwargs: Any) -> None:
        raise ValidationError(dotted_field_errors(error.messages)) from error


class EfficiencyBatchIn(BatchIn):
    items = fields.List(
        fields.Nested(EfficiencyQuery),
        required=True,
        validate=validate.Length(min=1, max=MAX_EFFICIENCIES_PER_BATCH),
        metadata={
            "description": f"1 to {MAX_EFFICIENCIES_PER_BATCH} pairs of period and group_by, "
            "each as the query of GET /efficiency"
        },
    )

    @post_load
    def _query(self, data: dict[str, Any], **kwargs: Any) -> EfficiencyBatchOf:
        return EfficiencyBatchOf(items=tuple(data["items"]))


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

    @post_load
    def _query(self, data: dict[str, Any], **kwargs: Any) -> EvaluationOf:
        return EvaluationOf(**data)


AllocationPage = page_schema(AllocationRead, "AllocationPage")
LedgerEntryPage = page_schema(LedgerEntryRead, "LedgerEntryPage")
ReviewPage = page_schema(ReviewRead, "ReviewPage")
