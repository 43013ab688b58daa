"""Booking rules: the lifecycle state machine, priorities, legal bases. Standard library only."""

from __future__ import annotations

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


# States that hold the asset's capacity (a request holds it at once; so does a request the
# owner answered with a counter-offer, until the requester accepts or cancels).
ACTIVE_STATES = (State.REQUESTED, State.COUNTER_OFFERED, State.APPROVED, State.IN_USE)


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
}

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
