"""Booking rules without a database: the state machine, windows, expiry and usage."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from services.booking.domain import (
    ACTIVE_STATES,
    ACTOR_OF,
    TRANSITIONS,
    Action,
    Party,
    Priority,
    State,
    check_window,
    expiry_deadline,
    next_state,
    usage_hours,
)
from shared.errors import Conflict, Invalid

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
CET = timezone(timedelta(hours=1))

# The lifecycle every booking has; other moves (counter-offers, pre-emption) may be added to the
# table, but these stay exactly as they are.
CORE = [
    (State.REQUESTED, Action.APPROVE, State.APPROVED),
    (State.REQUESTED, Action.REJECT, State.REJECTED),
    (State.REQUESTED, Action.CANCEL, State.CANCELLED),
    (State.REQUESTED, Action.EXPIRE, State.EXPIRED),
    (State.APPROVED, Action.CANCEL, State.CANCELLED),
    (State.APPROVED, Action.START, State.IN_USE),
    (State.APPROVED, Action.COMPLETE, State.COMPLETED),
    (State.IN_USE, Action.COMPLETE, State.COMPLETED),
]
END_STATES = [State.REJECTED, State.CANCELLED, State.EXPIRED, State.COMPLETED, State.PREEMPTED]
# Moves that make no sense whatever else the table learns.
NONSENSE = [
    (State.REQUESTED, Action.START),  # not decided yet
    (State.REQUESTED, Action.COMPLETE),
    (State.APPROVED, Action.APPROVE),  # decided already
    (State.APPROVED, Action.REJECT),
    (State.APPROVED, Action.EXPIRE),  # only undecided requests lapse
    (State.IN_USE, Action.APPROVE),
    (State.IN_USE, Action.START),
    (State.IN_USE, Action.EXPIRE),
]
ILLEGAL = [pair for pair in itertools.product(State, Action) if pair not in TRANSITIONS]


# -- state machine ------------------------------------------------------------------------------
@pytest.mark.parametrize(("current", "action", "target"), CORE)
def test_every_lifecycle_transition_is_legal(current: State, action: Action, target: State) -> None:
    assert TRANSITIONS[(current, action)] is target
    assert next_state(current, action) is target


@pytest.mark.parametrize(
    ("current", "action", "target"),
    [(s, a, t) for (s, a), t in TRANSITIONS.items()],
    ids=lambda x: str(x),
)
def test_every_move_in_the_table_is_taken_and_leads_elsewhere(
    current: State, action: Action, target: State
) -> None:
    assert next_state(current, action) is target
    assert target is not current
    assert current not in END_STATES


@pytest.mark.parametrize(("current", "action"), ILLEGAL, ids=lambda x: str(x))
def test_every_illegal_transition_is_a_conflict_naming_the_current_state(
    current: State, action: Action
) -> None:
    with pytest.raises(Conflict) as raised:
        next_state(current, action)
    assert raised.value.status == 409
    assert raised.value.extra["current_state"] == current.value
    assert current.value in raised.value.detail
    assert action.value in raised.value.detail


@pytest.mark.parametrize(("current", "action"), NONSENSE, ids=lambda x: str(x))
def test_moves_that_make_no_sense_stay_illegal(current: State, action: Action) -> None:
    with pytest.raises(Conflict):
        next_state(current, action)


@pytest.mark.parametrize("state", END_STATES)
def test_end_states_allow_nothing(state: State) -> None:
    for action in Action:
        with pytest.raises(Conflict):
            next_state(state, action)


def test_undecided_approved_and_running_bookings_hold_capacity_and_ended_ones_do_not() -> None:
    assert {State.REQUESTED, State.APPROVED, State.IN_USE} <= set(ACTIVE_STATES)
    assert not set(ACTIVE_STATES) & set(END_STATES)


def test_every_action_has_one_party_and_owners_decide() -> None:
    assert set(ACTOR_OF) == set(Action)
    assert ACTOR_OF[Action.APPROVE] is Party.OWNER
    assert ACTOR_OF[Action.REJECT] is Party.OWNER
    assert ACTOR_OF[Action.START] is Party.OWNER
    assert ACTOR_OF[Action.COMPLETE] is Party.OWNER
    assert ACTOR_OF[Action.CANCEL] is Party.REQUESTER
    assert ACTOR_OF[Action.EXPIRE] is Party.SYSTEM


# -- check_window -------------------------------------------------------------------------------
def test_a_future_forward_window_passes() -> None:
    check_window(NOW + timedelta(days=1), NOW + timedelta(days=1, hours=3), now=NOW)


def test_a_window_in_another_offset_is_compared_as_an_instant() -> None:
    # 10:30+01:00 is 09:30Z, after NOW (09:00Z); end 11:00+01:00 is after the start.
    check_window(
        datetime(2026, 3, 2, 10, 30, tzinfo=CET), datetime(2026, 3, 2, 11, 0, tzinfo=CET), now=NOW
    )


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (datetime(2026, 3, 3, 10, 0), datetime(2026, 3, 3, 12, 0, tzinfo=UTC)),
        (datetime(2026, 3, 3, 10, 0, tzinfo=UTC), datetime(2026, 3, 3, 12, 0)),
    ],
)
def test_a_time_without_offset_is_invalid(start: datetime, end: datetime) -> None:
    with pytest.raises(Invalid) as raised:
        check_window(start, end, now=NOW)
    assert "timezone" in raised.value.detail


@pytest.mark.parametrize("length", [timedelta(0), timedelta(seconds=-1), timedelta(hours=-5)])
def test_an_end_not_after_the_start_is_invalid(length: timedelta) -> None:
    start = NOW + timedelta(days=1)
    with pytest.raises(Invalid) as raised:
        check_window(start, start + length, now=NOW)
    assert raised.value.errors is not None and "end" in raised.value.errors


def test_an_end_equal_in_another_offset_is_not_after_the_start() -> None:
    start = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)
    with pytest.raises(Invalid):
        check_window(start, datetime(2026, 3, 3, 11, 0, tzinfo=CET), now=NOW)


@pytest.mark.parametrize("ago", [timedelta(minutes=2), timedelta(hours=1), timedelta(days=400)])
def test_a_window_in_the_past_is_invalid(ago: timedelta) -> None:
    with pytest.raises(Invalid) as raised:
        check_window(NOW - ago, NOW + timedelta(hours=1), now=NOW)
    assert raised.value.errors is not None and "start" in raised.value.errors


def test_a_start_a_few_seconds_ago_is_tolerated_for_clock_skew() -> None:
    check_window(NOW - timedelta(seconds=30), NOW + timedelta(hours=1), now=NOW)


def test_a_time_beyond_the_year_9999_in_utc_is_invalid() -> None:
    far = datetime(9999, 12, 31, 23, 0, tzinfo=timezone(timedelta(hours=-12)))
    with pytest.raises(Invalid) as raised:
        check_window(NOW + timedelta(days=1), far, now=NOW)
    assert raised.value.errors == {"end": ["Out of range."]}


# -- expiry_deadline ------------------------------------------------------------------------------
def test_an_acute_request_lapses_after_one_hour() -> None:
    start = NOW + timedelta(days=1)
    assert expiry_deadline(requested_at=NOW, start=start, priority=Priority.ACUTE) == (
        NOW + timedelta(hours=1)
    )


@pytest.mark.parametrize("priority", [Priority.PLANNED_OPERATION, Priority.EXERCISE])
def test_other_requests_lapse_after_72_hours(priority: Priority) -> None:
    start = NOW + timedelta(days=10)
    assert expiry_deadline(requested_at=NOW, start=start, priority=priority) == (
        NOW + timedelta(hours=72)
    )


@pytest.mark.parametrize(
    ("priority", "lead"),
    [
        (Priority.ACUTE, timedelta(minutes=20)),
        (Priority.PLANNED_OPERATION, timedelta(hours=30)),
        (Priority.EXERCISE, timedelta(hours=71, minutes=59)),
    ],
)
def test_a_request_never_outlives_its_start(priority: Priority, lead: timedelta) -> None:
    start = NOW + lead
    assert expiry_deadline(requested_at=NOW, start=start, priority=priority) == start


# -- usage_hours ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("length", "hours"),
    [
        (timedelta(hours=2, minutes=30), Decimal("2.50")),
        (timedelta(hours=3), Decimal("3.00")),
        (timedelta(minutes=1), Decimal("0.02")),  # 0.01666… rounds up
        (timedelta(seconds=18), Decimal("0.01")),  # exactly 0.005: half up
        (timedelta(seconds=17), Decimal("0.00")),  # 0.00472…: down
        (timedelta(days=2, minutes=20), Decimal("48.33")),
    ],
)
def test_usage_is_hours_to_the_cent_rounded_half_up(length: timedelta, hours: Decimal) -> None:
    start = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)
    used = usage_hours(start, start + length)
    assert used == hours
    assert used.as_tuple().exponent == -2


def test_usage_across_offsets_counts_real_elapsed_time() -> None:
    start = datetime(2026, 3, 3, 10, 0, tzinfo=CET)  # 09:00Z
    assert usage_hours(start, datetime(2026, 3, 3, 10, 0, tzinfo=UTC)) == Decimal("1.00")


@pytest.mark.parametrize("length", [timedelta(0), timedelta(minutes=-1)])
def test_usage_that_does_not_run_forward_is_invalid(length: timedelta) -> None:
    start = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)
    with pytest.raises(Invalid) as raised:
        usage_hours(start, start + length)
    assert raised.value.errors is not None and "actual_end" in raised.value.errors


def test_usage_ending_beyond_the_year_9999_in_utc_is_invalid() -> None:
    far = datetime(9999, 12, 31, 23, 0, tzinfo=timezone(timedelta(hours=-12)))
    with pytest.raises(Invalid) as raised:
        usage_hours(datetime(2026, 3, 3, 10, 0, tzinfo=UTC), far)
    assert raised.value.errors == {"actual_end": ["Out of range."]}


def test_a_weekly_series_keeps_its_wall_clock_time_across_summer_time() -> None:
    """Tuesdays 09:00 in Amsterdam from 16 March 2027: summer time starts on 28 March, and the
    occurrences after it are still at 09:00 there (08:00 UTC, not 09:00 +01:00)."""
    from zoneinfo import ZoneInfo

    from services.booking.series import occurrences

    amsterdam = ZoneInfo("Europe/Amsterdam")
    first = datetime(2027, 3, 16, 9, 0, tzinfo=timezone(timedelta(hours=1)))
    windows = occurrences(
        first, first + timedelta(hours=2), frequency="weekly", interval=1, count=4, until=None
    )
    assert [(s.astimezone(amsterdam).hour, e.astimezone(amsterdam).hour) for s, e in windows] == [
        (9, 11)
    ] * 4
    assert [s.astimezone(UTC).hour for s, _ in windows] == [8, 8, 7, 7]


def test_a_series_past_the_year_9999_is_refused() -> None:
    from services.booking.series import occurrences

    first = datetime(9999, 11, 30, 9, 0, tzinfo=UTC)
    with pytest.raises(Invalid):
        occurrences(
            first, first + timedelta(hours=1), frequency="monthly", interval=1, count=3, until=None
        )
