"""Booking rules: the lifecycle state machine, priorities, legal bases, and the crisis fast
path's clocks and ranking. Standard library only."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import IntEnum, StrEnum

from shared.errors import Conflict, Invalid


class State(StrEnum):
    REQUESTED = "requested"
    APPROVED = "approved"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    COUNTER_OFFERED = "counter_offered"
    IN_USE = "in_use"
    COMPLETED = "completed"
    PREEMPTED = "preempted"
    # A provisional booking placed for a preempted unit on the best alternative: it holds the
    # capacity until the unit confirms it (it becomes a request) or releases it, or it lapses.
    HELD = "held"


# States that hold the asset's capacity (a request holds it at once; so does a request the
# owner answered with a counter-offer, until the requester accepts or cancels, and a hold).
ACTIVE_STATES = (State.REQUESTED, State.COUNTER_OFFERED, State.APPROVED, State.IN_USE, State.HELD)


class Action(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    CANCEL = "cancel"
    EXPIRE = "expire"
    START = "start"
    COMPLETE = "complete"
    COUNTER_OFFER = "counter-offer"
    ACCEPT_COUNTER_OFFER = "accept-counter-offer"
    PREEMPT = "preempt"
    CONFIRM_HOLD = "confirm-hold"
    RELEASE_HOLD = "release-hold"


TRANSITIONS: dict[tuple[State, Action], State] = {
    (State.REQUESTED, Action.APPROVE): State.APPROVED,
    (State.REQUESTED, Action.REJECT): State.REJECTED,
    (State.REQUESTED, Action.CANCEL): State.CANCELLED,
    (State.REQUESTED, Action.EXPIRE): State.EXPIRED,
    (State.REQUESTED, Action.COUNTER_OFFER): State.COUNTER_OFFERED,
    (State.COUNTER_OFFERED, Action.ACCEPT_COUNTER_OFFER): State.APPROVED,
    (State.COUNTER_OFFERED, Action.CANCEL): State.CANCELLED,
    (State.COUNTER_OFFERED, Action.EXPIRE): State.EXPIRED,
    (State.APPROVED, Action.PREEMPT): State.PREEMPTED,
    (State.APPROVED, Action.CANCEL): State.CANCELLED,
    (State.APPROVED, Action.START): State.IN_USE,
    (State.APPROVED, Action.COMPLETE): State.COMPLETED,  # start implied by actual times
    (State.IN_USE, Action.COMPLETE): State.COMPLETED,
    # A confirmed hold is a request like any other: the alternative's owner still decides.
    (State.HELD, Action.CONFIRM_HOLD): State.REQUESTED,
    (State.HELD, Action.RELEASE_HOLD): State.CANCELLED,
    (State.HELD, Action.EXPIRE): State.EXPIRED,
}


class Party(StrEnum):
    REQUESTER = "requester"
    OWNER = "owner"
    SYSTEM = "system"


# Who may take each action.
ACTOR_OF: dict[Action, Party] = {
    Action.APPROVE: Party.OWNER,
    Action.REJECT: Party.OWNER,
    Action.CANCEL: Party.REQUESTER,
    Action.EXPIRE: Party.SYSTEM,
    Action.START: Party.OWNER,
    Action.COMPLETE: Party.OWNER,
    Action.COUNTER_OFFER: Party.OWNER,
    Action.ACCEPT_COUNTER_OFFER: Party.REQUESTER,
    Action.PREEMPT: Party.OWNER,
    Action.CONFIRM_HOLD: Party.REQUESTER,
    Action.RELEASE_HOLD: Party.REQUESTER,
}

# The event each transition emits.
EVENT_OF: dict[Action, str] = {
    Action.APPROVE: "booking.approved",
    Action.REJECT: "booking.rejected",
    Action.CANCEL: "booking.cancelled",
    Action.EXPIRE: "booking.expired",
    Action.START: "booking.started",
    Action.COMPLETE: "booking.completed",
    Action.COUNTER_OFFER: "booking.counter_offered",
    Action.ACCEPT_COUNTER_OFFER: "booking.approved",
    Action.PREEMPT: "booking.preempted",
    Action.CONFIRM_HOLD: "booking.hold_confirmed",
    Action.RELEASE_HOLD: "booking.hold_released",
}


def expiry_event(current: State) -> str:
    """A lapsed hold is not a lapsed request: consumers tell the two apart by the event."""
    return "booking.hold_expired" if current is State.HELD else EVENT_OF[Action.EXPIRE]


REASON_REQUIRED = (Action.REJECT, Action.CANCEL, Action.COUNTER_OFFER, Action.PREEMPT)


class Priority(IntEnum):
    ACUTE = 1  # life/safety, crisis
    PLANNED_OPERATION = 2
    EXERCISE = 3


class LegalBasis(StrEnum):
    BIJSTAND_POLITIEWET = "bijstand_politiewet"
    STEUNVERLENING = "steunverlening"
    ICMS_GUARANTEED = "icms_guaranteed"
    JOINT_EXERCISE = "joint_exercise"
    JOINT_PROCUREMENT = "joint_procurement"


class PurposeClass(StrEnum):
    """What a use was for, in a class the public may read (the public drone register); the
    free-text purpose stays between the unit and the owner. Older bookings are ``other``."""

    SEARCH = "search"
    EVENT_SURVEILLANCE = "event_surveillance"
    INVESTIGATION = "investigation"
    OTHER = "other"


def next_state(current: State, action: Action) -> State:
    """The state after ``action``; an illegal move is a conflict naming the current state."""
    try:
        return TRANSITIONS[(current, action)]
    except KeyError:
        raise Conflict(
            f"Cannot {action.value} a booking that is {current.value}.",
            current_state=current.value,
        ) from None


def check_in_range(**moments: datetime) -> None:
    """Each time has a UTC equivalent before the year 10000, so it can be stored and read back."""
    for name, moment in moments.items():
        try:
            moment.astimezone(UTC)
        except OverflowError:
            raise Invalid(
                "Times must lie before the year 10000 (UTC).", errors={name: ["Out of range."]}
            ) from None


def check_search_window(start: datetime, end: datetime) -> None:
    """A searched window runs forward and can be stored (unlike a request, it may lie in the
    past: a planner may look at what was free)."""
    check_in_range(start=start, end=end)
    if end <= start:
        raise Invalid("The end must be after the start.", errors={"end": ["After start."]})


def check_window(start: datetime, end: datetime, *, now: datetime) -> None:
    """A requested window is timezone-aware, runs forward and lies in the future."""
    if start.tzinfo is None or end.tzinfo is None:
        raise Invalid("Times need a timezone offset (ISO 8601).", errors={"start": ["No offset."]})
    check_in_range(start=start, end=end)
    if end <= start:
        raise Invalid("The end must be after the start.", errors={"end": ["Must be after start."]})
    if start < now - timedelta(minutes=1):
        raise Invalid(
            "The window lies in the past.", errors={"start": ["Must not be in the past."]}
        )


def expiry_deadline(*, requested_at: datetime, start: datetime, priority: Priority) -> datetime:
    """A request lapses if undecided: acute within 1 h, others within 72 h, never after start."""
    window = timedelta(hours=1) if priority is Priority.ACUTE else timedelta(hours=72)
    return min(requested_at + window, start)


def usage_hours(actual_start: datetime, actual_end: datetime) -> Decimal:
    """Actual use in hours, to two decimals (quarter-minute precision is not billed)."""
    check_in_range(actual_start=actual_start, actual_end=actual_end)
    if actual_end <= actual_start:
        raise Invalid(
            "Actual end must be after actual start.",
            errors={"actual_end": ["Must be after start."]},
        )
    seconds = Decimal((actual_end - actual_start).total_seconds())
    return (seconds / Decimal(3600)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


# How far the use may start before its planned start (an early take-off), and how far a
# completion's end may lie ahead of the server's clock (clock skew): what is billed happened.
EARLY_START = timedelta(hours=24)
CLOCK_SKEW = timedelta(minutes=5)


def reported_usage(
    actual_start: datetime,
    actual_end: datetime,
    usage_quantity: Decimal | None,
    *,
    planned_start: datetime,
    now: datetime,
) -> Decimal:
    """Hours of use the owner reports on completion (e.g. flight hours logged), or the actual
    window's length. The window must have happened (not end in the future) and belong to this
    booking (not start more than a day before its planned start); more hours than the window,
    or none at all, cannot have been used."""
    window = usage_hours(actual_start, actual_end)
    if actual_end > now + CLOCK_SKEW:
        raise Invalid(
            "A use is completed after it ended: the actual end lies in the future.",
            errors={"actual_end": ["In the future."]},
        )
    if actual_start < planned_start - EARLY_START:
        raise Invalid(
            f"The actual start lies more than {EARLY_START.total_seconds() / 3600:.0f} hours "
            f"before the planned start ({planned_start.isoformat()}).",
            errors={"actual_start": ["Long before the planned start."]},
        )
    if usage_quantity is None:
        return window
    if not Decimal(0) < usage_quantity <= window:
        raise Invalid(
            f"Usage must be more than 0 and at most the actual window's {window} hours.",
            errors={"usage_quantity": [f"Between 0.01 and {window} hours."]},
        )
    return usage_quantity


def check_preemption(
    *, displaced_priority: int, displacing_priority: int, displaced_state: State
) -> None:
    """Only an acute (priority 1) request displaces, and only a lower-priority approved one."""
    if displacing_priority != Priority.ACUTE:
        raise Conflict("Only an acute (priority 1) request may preempt a booking.")
    if displaced_priority <= displacing_priority:
        raise Conflict("A booking of equal or higher priority cannot be preempted.")
    if displaced_state is not State.APPROVED:
        raise Conflict(
            f"Only an approved booking can be preempted; this one is {displaced_state.value}.",
            current_state=displaced_state.value,
        )


# -- the crisis fast path -------------------------------------------------------------------
# How long an owner has to decide an acute request before it escalates, by category, when
# booking's table category_decision_times (set by an administrator) names none.
DEFAULT_DECISION_MINUTES = 30

# Stated cruise speeds for the straight-line travel estimate: a helicopter flies; drones,
# teams and everything else go by road (a road is not straight: this is a ranking aid, not a
# promise of arrival).
CRUISE_KMH: dict[str, float] = {"helicopter": 250.0}
ROAD_KMH = 80.0

# How long a hold placed for a preempted unit lasts unless configured (BOOKING_HOLD_MINUTES).
DEFAULT_HOLD_MINUTES = 30

EARTH_RADIUS_KM = 6371.0


def decision_deadline(
    *, requested_at: datetime, priority: Priority, decision_minutes: int | None
) -> datetime | None:
    """``decide_by`` of a request: only an acute one has a decision clock."""
    if priority is not Priority.ACUTE:
        return None
    minutes = DEFAULT_DECISION_MINUTES if decision_minutes is None else decision_minutes
    return requested_at + timedelta(minutes=minutes)


def check_decision_minutes(minutes: int) -> None:
    if not 1 <= minutes <= 24 * 60:
        raise Invalid(
            "A decision time lies between 1 minute and 24 hours.",
            errors={"decision_minutes": ["Between 1 and 1440."]},
        )


def decision_seconds(requested_at: datetime, decided_at: datetime | None) -> int | None:
    """Time from request to decision, in whole seconds (None while undecided)."""
    if decided_at is None:
        return None
    return max(0, int((decided_at - requested_at).total_seconds()))


@dataclass(frozen=True)
class Location:
    lat: float
    lon: float

    @classmethod
    def of(cls, value: dict[str, float] | None) -> Location | None:
        """A location as events and the read model carry it ({lat, lon}), or None."""
        return cls(float(value["lat"]), float(value["lon"])) if value else None


def haversine_km(a: Location, b: Location) -> float:
    """Great-circle (straight-line) distance between two points, in kilometres."""
    lat1, lat2 = math.radians(a.lat), math.radians(b.lat)
    dlat, dlon = lat2 - lat1, math.radians(b.lon - a.lon)
    h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def cruise_kmh(category: str) -> float:
    return CRUISE_KMH.get(category, ROAD_KMH)


@dataclass(frozen=True)
class Candidate:
    """An asset that could serve an escalated request's window instead."""

    asset_id: str
    name: str
    owner_org: str
    category: str
    home_base: str
    home: Location | None
    regions: tuple[str, ...]
    readiness_notice: str
    notice_seconds: int


def rank_alternatives(
    candidates: Iterable[Candidate], *, region: str | None, seat: Location | None, limit: int
) -> list[dict[str, object]]:
    """The candidates best first: readiness notice plus straight-line travel from the home
    base to the requested region's seat at the category's cruise speed. Travel that cannot
    be estimated (no coordinates for the base or the seat) ranks after every estimate, by
    notice; ties go to the asset that serves the region, then by name."""
    ranked = []
    for c in candidates:
        speed = cruise_kmh(c.category)
        notice = math.ceil(c.notice_seconds / 60)
        distance = haversine_km(c.home, seat) if c.home is not None and seat is not None else None
        travel = math.ceil(distance / speed * 60) if distance is not None else None
        ready = notice + travel if travel is not None else None
        serves = region is not None and region in c.regions
        minutes = ready if ready is not None else notice
        key = (ready is None, minutes, not serves, c.name, c.asset_id)
        ranked.append(
            (
                key,
                {
                    "asset_id": c.asset_id,
                    "name": c.name,
                    "owner_org": c.owner_org,
                    "category": c.category,
                    "home_base": c.home_base,
                    "home_location": {"lat": c.home.lat, "lon": c.home.lon} if c.home else None,
                    "regions": list(c.regions),
                    "serves_region": serves,
                    "readiness_notice": c.readiness_notice,
                    "notice_minutes": notice,
                    "distance_km": round(distance, 1) if distance is not None else None,
                    "cruise_kmh": speed,
                    "travel_minutes": travel,
                    "ready_in_minutes": ready,
                },
            )
        )
    ranked.sort(key=lambda pair: pair[0])
    return [{"rank": i, **alt} for i, (_, alt) in enumerate(ranked[:limit], start=1)]
