"""The crisis fast path's pure rules (services/booking/domain.py): decision clocks, the hold's
moves, straight-line travel and the ranking of alternatives. No database, no fakes needed:
the rules take plain values."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.booking.domain import (
    ACTIVE_STATES,
    DEFAULT_DECISION_MINUTES,
    Action,
    Candidate,
    Location,
    Priority,
    State,
    check_decision_minutes,
    cruise_kmh,
    decision_deadline,
    decision_seconds,
    expiry_event,
    haversine_km,
    next_state,
    rank_alternatives,
)
from shared.errors import Conflict, Invalid

NOW = datetime(2026, 12, 5, 20, 0, tzinfo=UTC)
ROTTERDAM = Location(51.9244, 4.4777)
AMSTERDAM = Location(52.3676, 4.9041)


def candidate(name: str, home: Location | None, notice_minutes: int, **kw: object) -> Candidate:
    values: dict[str, object] = {
        "asset_id": f"id-{name}",
        "name": name,
        "owner_org": "defensie-dhc",
        "category": "helicopter",
        "home_base": name,
        "home": home,
        "regions": ("VR20",),
        "readiness_notice": f"PT{notice_minutes}M",
        "notice_seconds": notice_minutes * 60,
    }
    values.update(kw)
    return Candidate(**values)  # type: ignore[arg-type]


# -- clocks ------------------------------------------------------------------------------------
def test_only_an_acute_request_has_a_decision_clock() -> None:
    assert decision_deadline(
        requested_at=NOW, priority=Priority.ACUTE, decision_minutes=15
    ) == NOW + timedelta(minutes=15)
    assert decision_deadline(
        requested_at=NOW, priority=Priority.ACUTE, decision_minutes=None
    ) == NOW + timedelta(minutes=DEFAULT_DECISION_MINUTES)
    for priority in (Priority.PLANNED_OPERATION, Priority.EXERCISE):
        assert decision_deadline(requested_at=NOW, priority=priority, decision_minutes=15) is None


@pytest.mark.parametrize("minutes", [0, -5, 1441])
def test_a_decision_time_lies_between_a_minute_and_a_day(minutes: int) -> None:
    with pytest.raises(Invalid) as refused:
        check_decision_minutes(minutes)
    assert "decision_minutes" in refused.value.errors
    check_decision_minutes(1)
    check_decision_minutes(1440)


def test_decision_seconds_run_from_request_to_decision() -> None:
    assert decision_seconds(NOW, None) is None
    assert decision_seconds(NOW, NOW + timedelta(minutes=7, seconds=30)) == 450
    assert decision_seconds(NOW, NOW - timedelta(seconds=3)) == 0  # clock skew is no credit


# -- holds -------------------------------------------------------------------------------------
def test_a_hold_holds_capacity_and_is_confirmed_released_or_lapses() -> None:
    assert State.HELD in ACTIVE_STATES
    assert next_state(State.HELD, Action.CONFIRM_HOLD) is State.REQUESTED
    assert next_state(State.HELD, Action.RELEASE_HOLD) is State.CANCELLED
    assert next_state(State.HELD, Action.EXPIRE) is State.EXPIRED
    # The owner decides only once it is a request; a request is no hold.
    for action in (Action.APPROVE, Action.REJECT, Action.COUNTER_OFFER, Action.CANCEL):
        with pytest.raises(Conflict):
            next_state(State.HELD, action)
    with pytest.raises(Conflict):
        next_state(State.REQUESTED, Action.CONFIRM_HOLD)


def test_a_lapsed_hold_has_its_own_event() -> None:
    assert expiry_event(State.HELD) == "booking.hold_expired"
    assert expiry_event(State.REQUESTED) == "booking.expired"
    assert expiry_event(State.COUNTER_OFFERED) == "booking.expired"


# -- travel and ranking ------------------------------------------------------------------------
def test_straight_line_distance_between_seats() -> None:
    assert haversine_km(AMSTERDAM, ROTTERDAM) == pytest.approx(57.2, abs=0.1)
    assert haversine_km(ROTTERDAM, AMSTERDAM) == pytest.approx(haversine_km(AMSTERDAM, ROTTERDAM))
    assert haversine_km(ROTTERDAM, ROTTERDAM) == 0.0


def test_cruise_speeds_are_stated_per_category() -> None:
    assert cruise_kmh("helicopter") == 250.0
    for category in ("drone", "dive_team", "search_team", "terrain", "something_new"):
        assert cruise_kmh(category) == 80.0


def test_alternatives_rank_by_notice_plus_travel() -> None:
    near_but_slow = candidate("near", AMSTERDAM, notice_minutes=60)  # 57 km: 14 min + 60
    far_but_ready = candidate("far", Location(53.2286, 5.7606), notice_minutes=10)  # 41 + 10
    ranked = rank_alternatives(
        [near_but_slow, far_but_ready], region="VR17", seat=ROTTERDAM, limit=5
    )
    assert [a["name"] for a in ranked] == ["far", "near"]
    assert [(a["rank"], a["travel_minutes"], a["ready_in_minutes"]) for a in ranked] == [
        (1, 41, 51),
        (2, 14, 74),
    ]
    assert ranked[1]["distance_km"] == 57.2 and ranked[1]["home_location"] == {
        "lat": 52.3676,
        "lon": 4.9041,
    }


def test_road_teams_travel_at_road_speed() -> None:
    (team,) = rank_alternatives(
        [candidate("team", AMSTERDAM, 0, category="search_team")],
        region="VR17",
        seat=ROTTERDAM,
        limit=5,
    )
    assert team["cruise_kmh"] == 80.0 and team["travel_minutes"] == 43  # 57.2 km / 80 km/h


def test_unknown_travel_ranks_after_every_estimate_and_ties_go_to_the_region() -> None:
    no_base = candidate("a-no-base", None, notice_minutes=0)
    serving = candidate("z-serving", AMSTERDAM, 30, regions=("VR17",))
    other = candidate("b-other", AMSTERDAM, 30)
    ranked = rank_alternatives([no_base, other, serving], region="VR17", seat=ROTTERDAM, limit=5)
    assert [a["name"] for a in ranked] == ["z-serving", "b-other", "a-no-base"]
    assert ranked[2]["travel_minutes"] is None and ranked[2]["ready_in_minutes"] is None
    assert [a["serves_region"] for a in ranked] == [True, False, False]
    # Without the region's seat nothing can be estimated: notice decides.
    ranked = rank_alternatives([serving, no_base], region="VR99", seat=None, limit=5)
    assert [a["name"] for a in ranked] == ["a-no-base", "z-serving"]


def test_the_ranking_keeps_the_best_few() -> None:
    many = [candidate(f"h{i:02d}", AMSTERDAM, notice_minutes=i) for i in range(12)]
    ranked = rank_alternatives(reversed(many), region=None, seat=ROTTERDAM, limit=3)
    assert [a["name"] for a in ranked] == ["h00", "h01", "h02"]
    assert [a["rank"] for a in ranked] == [1, 2, 3]


def test_a_location_reads_the_shape_events_carry() -> None:
    assert Location.of({"lat": 52.0, "lon": 4.5}) == Location(52.0, 4.5)
    assert Location.of(None) is None
