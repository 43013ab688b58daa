"""Booking request/response schemas."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, post_load, validate

from services.booking.commands import (
    Act,
    Complete,
    CounterOffer,
    ListBookings,
    PageRequest,
    PlaceOrder,
    Preempt,
    ReadCalendarFeed,
    RequestBooking,
    RequestSeries,
    SearchAvailability,
    SetDecisionTime,
)
from services.booking.domain import LegalBasis, PurposeClass, State, decision_seconds
from shared.paging import cursor_field, limit_field, page_schema
from shared.units import region_of_use
from shared.web import WholeMatch


class BookingCreate(Schema):
    asset_id = fields.UUID(required=True)
    start = fields.AwareDateTime(required=True)
    end = fields.AwareDateTime(required=True)
    quantity = fields.Integer(load_default=1, strict=True, validate=validate.Range(min=1))
    priority = fields.Integer(required=True, strict=True, validate=validate.OneOf([1, 2, 3]))
    legal_basis = fields.Enum(LegalBasis, by_value=True, required=True)
    purpose = fields.String(required=True, validate=validate.Length(min=3, max=2000))
    purpose_class = fields.Enum(
        PurposeClass,
        by_value=True,
        load_default=PurposeClass.OTHER,
        metadata={
            "description": "What the use is for, as the public may read it (the public drone "
            "register publishes it, never the purpose text). Default: other."
        },
    )
    contact = fields.String(required=True, validate=validate.Length(min=3, max=200))
    region = fields.String(
        load_default=None,
        validate=WholeMatch(r"^VR[0-9]{2}$", error="A region code is VR and two digits."),
        metadata={
            "description": "Safety region (veiligheidsregio) where the asset is needed; an "
            "escalation ranks alternatives by travel to its seat (default: the asset's first). "
            "The use counts there; without one, in the requesting unit's home region "
            "(region_of_use)."
        },
    )

    @post_load
    def command(self, data: dict[str, Any], **_: Any) -> RequestBooking:
        return RequestBooking(**data)


class LocationRead(Schema):
    lat = fields.Float()
    lon = fields.Float()


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
    purpose_class = fields.String()
    contact = fields.String(allow_none=True)
    expires_at = fields.AwareDateTime()
    actual_start = fields.AwareDateTime(allow_none=True)
    actual_end = fields.AwareDateTime(allow_none=True)
    usage_quantity = fields.Decimal(places=2, as_string=True, allow_none=True)
    tariff = fields.Dict(allow_none=True)
    version = fields.Integer()
    created_at = fields.AwareDateTime()
    decided_at = fields.AwareDateTime(allow_none=True)
    needs_preemption = fields.Boolean()
    series_id = fields.UUID(allow_none=True)
    counter_asset_id = fields.UUID(allow_none=True)
    counter_start = fields.AwareDateTime(allow_none=True)
    counter_end = fields.AwareDateTime(allow_none=True)
    preempted_by = fields.UUID(allow_none=True)
    alternatives = fields.List(fields.Dict(), allow_none=True)
    region = fields.String(
        allow_none=True, metadata={"description": "The region the request named (VRnn)"}
    )
    region_of_use = fields.Function(
        lambda b: region_of_use(b.region, b.requester_org),
        allow_none=True,
        metadata={
            "type": "string",
            "nullable": True,
            "description": "Where the use counts (efficiency, evaluation): the region the "
            "request named, else the requesting unit's home region; null when neither is "
            "known (then the asset's first region)",
        },
    )
    decide_by = fields.AwareDateTime(
        allow_none=True,
        metadata={"description": "Acute requests: decided by then, or the request escalates"},
    )
    escalated_at = fields.AwareDateTime(allow_none=True)
    decision_seconds = fields.Function(
        lambda b: decision_seconds(b.created_at, b.decided_at),
        allow_none=True,
        metadata={"type": "integer", "description": "Seconds from request to decision"},
    )
    held_for = fields.UUID(
        allow_none=True, metadata={"description": "A hold: the preempted booking it replaces"}
    )
    hold_expires_at = fields.AwareDateTime(allow_none=True)


class TransitionIn(Schema):
    reason = fields.String(load_default=None, validate=validate.Length(min=3, max=2000))

    @post_load
    def command(self, data: dict[str, Any], **_: Any) -> Act:
        return Act(**data)


class CompleteIn(Schema):
    actual_start = fields.AwareDateTime(required=True)
    actual_end = fields.AwareDateTime(required=True)
    usage_quantity = fields.Decimal(
        places=2,
        load_default=None,
        metadata={
            "description": "Hours actually used (e.g. flight hours logged), at most the actual "
            "window; defaults to the window's length. Cost-sharing bills it in the tariff's unit."
        },
    )
    reason = fields.String(load_default=None, validate=validate.Length(max=2000))

    @post_load
    def command(self, data: dict[str, Any], **_: Any) -> Complete:
        return Complete(**data)


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
    organisation = fields.String(validate=validate.Length(max=80))
    period_start = fields.AwareDateTime(data_key="from")
    period_end = fields.AwareDateTime(data_key="to")
    cursor = cursor_field()
    limit = limit_field(50, 200)

    @post_load
    def command(self, data: dict[str, Any], **_: Any) -> ListBookings:
        return ListBookings(**data)


class _PageQuery(Schema):
    @post_load
    def command(self, data: dict[str, Any], **_: Any) -> PageRequest:
        return PageRequest(**data)


def page_query(name: str, default: int, maximum: int) -> type[Schema]:
    """The query of a list with nothing to filter: ``cursor`` and ``limit``."""
    fields_of = {"cursor": cursor_field(), "limit": limit_field(default, maximum)}
    return type(name, (_PageQuery,), fields_of)


HistoryQuery = page_query("HistoryQuery", 100, 200)
PendingQuery = page_query("PendingQuery", 200, 200)
OrderQuery = page_query("OrderQuery", 50, 200)
ContractQuery = page_query("ContractQuery", 100, 200)
DecisionTimeQuery = page_query("DecisionTimeQuery", 100, 200)


class CounterOfferIn(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=3, max=2000))
    asset_id = fields.UUID(load_default=None)
    start = fields.AwareDateTime(load_default=None)
    end = fields.AwareDateTime(load_default=None)

    @post_load
    def command(self, data: dict[str, Any], **_: Any) -> CounterOffer:
        return CounterOffer(**data)


class PreemptIn(Schema):
    by_booking_id = fields.UUID(required=True)
    reason = fields.String(required=True, validate=validate.Length(min=3, max=2000))

    @post_load
    def command(self, data: dict[str, Any], **_: Any) -> Preempt:
        return Preempt(**data)


class AvailabilitySearch(Schema):
    start = fields.AwareDateTime(required=True)
    end = fields.AwareDateTime(required=True)
    category = fields.String(
        validate=validate.OneOf(["helicopter", "drone", "dive_team", "search_team", "terrain"])
    )
    region = fields.String(validate=validate.Regexp(r"^VR\d{2}$"))
    quantity = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100))
    cursor = cursor_field()
    limit = limit_field(50, 200)

    @post_load
    def command(self, data: dict[str, Any], **_: Any) -> SearchAvailability:
        return SearchAvailability(**data)


class EstimateRead(Schema):
    basis = fields.String()
    unit = fields.String()
    units = fields.String()
    rate = fields.String()
    mobilisation_fee = fields.String()
    amount = fields.String()
    currency = fields.String()
    illustrative = fields.Boolean()


class FreeAssetRead(Schema):
    asset_id = fields.UUID()
    name = fields.String()
    owner_org = fields.String()
    category = fields.String()
    booking_mode = fields.String()
    home_base = fields.String()
    home_location = fields.Nested(LocationRead, allow_none=True)
    regions = fields.List(fields.String())
    readiness_notice = fields.String()
    free_units = fields.Integer()
    serves_region = fields.Boolean()
    estimate = fields.Nested(EstimateRead, allow_none=True)


class SeriesCreate(BookingCreate):
    frequency = fields.String(
        required=True, validate=validate.OneOf(["daily", "weekly", "monthly"])
    )
    interval = fields.Integer(load_default=1, strict=True, validate=validate.Range(min=1, max=12))
    count = fields.Integer(load_default=None, strict=True, validate=validate.Range(min=1, max=60))
    until = fields.AwareDateTime(load_default=None)

    @post_load
    def command(self, data: dict[str, Any], **_: Any) -> RequestSeries:
        return RequestSeries(**data)


class SeriesConflict(Schema):
    start = fields.AwareDateTime()
    end = fields.AwareDateTime()
    status = fields.Integer()
    reason = fields.String()
    conflicting_booking = fields.UUID(
        metadata={"description": "the booking holding the slot, only if the caller may see it"}
    )


class SeriesRead(Schema):
    series_id = fields.UUID()
    created = fields.List(fields.Nested(BookingRead))
    conflicts = fields.List(fields.Nested(SeriesConflict))


class OrderCreate(Schema):
    contract_id = fields.UUID(required=True)
    item_id = fields.UUID(required=True)
    quantity = fields.Integer(
        required=True, strict=True, validate=validate.Range(min=1, max=1_000_000)
    )
    delivery_date = fields.Date(required=True)
    purpose = fields.String(required=True, validate=validate.Length(min=3, max=2000))
    legal_basis = fields.Enum(LegalBasis, by_value=True, load_default=LegalBasis.JOINT_PROCUREMENT)

    @post_load
    def command(self, data: dict[str, Any], **_: Any) -> PlaceOrder:
        return PlaceOrder(**data)


class OrderRead(Schema):
    id = fields.UUID()
    contract_id = fields.UUID()
    item_id = fields.UUID()
    requester_org = fields.String()
    owner_org = fields.String()
    quantity = fields.Integer()
    delivery_date = fields.Date()
    unit_price = fields.Decimal(places=2, as_string=True)
    solo_unit_price = fields.Decimal(places=2, as_string=True)
    legal_basis = fields.String()
    purpose = fields.String()
    created_at = fields.AwareDateTime()


class ContractViewRead(Schema):
    contract_id = fields.UUID()
    owner_org = fields.String()
    reference = fields.String()
    supplier = fields.String()
    valid_from = fields.Date()
    valid_to = fields.Date()
    total_volume = fields.Integer()
    remaining_volume = fields.Integer()
    item_ids = fields.List(fields.String())
    tiers = fields.List(fields.Dict())


class PendingCounts(Schema):
    total = fields.Integer()
    priority_1 = fields.Integer()
    priority_2 = fields.Integer()
    priority_3 = fields.Integer()
    needs_preemption = fields.Integer()


class PendingRead(Schema):
    counts = fields.Nested(PendingCounts, metadata={"description": "over the whole queue"})
    items = fields.List(fields.Nested(BookingRead))
    next_cursor = fields.String(
        allow_none=True,
        metadata={"description": "pass as cursor for the next page; null on the last"},
    )


class FeedRead(Schema):
    url = fields.String()


class FeedQuery(Schema):
    key = fields.String(required=True, validate=validate.Length(max=64))

    @post_load
    def command(self, data: dict[str, Any], **_: Any) -> ReadCalendarFeed:
        return ReadCalendarFeed(**data)


class DecisionTimeRead(Schema):
    category = fields.String()
    decision_minutes = fields.Integer()
    updated_by = fields.String()
    updated_at = fields.AwareDateTime()


class DecisionTimeIn(Schema):
    decision_minutes = fields.Integer(
        required=True, strict=True, validate=validate.Range(min=1, max=1440)
    )

    @post_load
    def command(self, data: dict[str, Any], **_: Any) -> SetDecisionTime:
        return SetDecisionTime(**data)


BookingPage = page_schema(BookingRead, "BookingPage")
FreeAssetPage = page_schema(FreeAssetRead, "FreeAssetPage")
TransitionPage = page_schema(TransitionRead, "TransitionPage")
OrderPage = page_schema(OrderRead, "OrderPage")
ContractViewPage = page_schema(ContractViewRead, "ContractViewPage")
DecisionTimePage = page_schema(DecisionTimeRead, "DecisionTimePage")
