"""The crisis fast path against the real PostgreSQL: an acute request's decision clock, the
owner's queue, escalation (once, ranked alternatives, racing an approval), and the hold a
preemption places for the displaced unit (confirm, release, lapse, capacity, permissions).

The sweeps run as the worker runs them (one unit of work each), with the clock they are given:
"a shortened clock" is a sweep that runs after ``decide_by``. Windows lie far ahead, each test
on days of its own, so the assets a test publishes there are the only ones free in them.
"""

from __future__ import annotations

import itertools
import threading
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import text

from services.booking.commands import Act
from services.booking.crisis import escalate_overdue
from services.booking.decisions import approve
from services.booking.expiry import expire_overdue
from shared.auth import OWNER, Principal
from shared.db import UnitOfWork, make_session_factory
from shared.events import validate_event
from shared.settings import Settings
from tests.integration.booking_support import (
    BOOKINGS,
    CALENDAR,
    PENDING,
    SERIES,
    act,
    all_items,
    booking_body,
    booking_engine,
    booking_row,
    events_of,
    in_hours,
    one_off,
    org_token,
    put_asset,
    request_booking,
)
from tests.support import auth, eventually

pytestmark = pytest.mark.db

DECISION_TIMES = "/api/v1/decision-times"
GILZE_RIJEN = {"lat": 51.5674, "lon": 4.9318}
DE_KOOY = {"lat": 52.9234, "lon": 4.7806}
LEEUWARDEN = {"lat": 53.2286, "lon": 5.7606}
ROTTERDAM = {"lat": 51.9244, "lon": 4.4777}  # the seat of VR17 Rotterdam-Rijnmond

# Days ahead no other test publishes availability on (their assets are free for 40 days).
_DAYS = itertools.count(150, 3)

MakeUow = Callable[[], UnitOfWork]


@pytest.fixture
def make_uow(db_urls: dict[str, str], settings: dict[str, Settings]) -> MakeUow:
    factory = make_session_factory(booking_engine(db_urls))
    return lambda: UnitOfWork(factory, producer="booking", topic_for=settings["booking"].topic)


def far_window(hours: float = 3) -> tuple[datetime, datetime, list[dict[str, Any]]]:
    """A window on a day of this test's own, and availability covering just it."""
    start = in_hours(24 * next(_DAYS))
    end = start + timedelta(hours=hours)
    return start, end, [one_off(start - timedelta(hours=1), end + timedelta(hours=1))]


def moment(value: str) -> datetime:
    return datetime.fromisoformat(value)


def escalate(make_uow: MakeUow, now: datetime) -> None:
    """The escalation sweep until nothing is left overdue at ``now`` (other tests' acute
    requests fall due too; each run takes a bounded batch)."""
    for _ in range(50):
        with make_uow() as uow:
            count = escalate_overdue(uow, now=now)
            uow.commit()
        if count == 0:
            return
    raise AssertionError("the escalation sweep did not run dry")


def expire(make_uow: MakeUow, now: datetime) -> None:
    for _ in range(50):
        with make_uow() as uow:
            count = expire_overdue(uow, now=now)
            uow.commit()
        if count == 0:
            return
    raise AssertionError("the expiry sweep did not run dry")


def events_typed(db_urls: dict[str, str], booking_id: str, event_type: str) -> list[Any]:
    return [e for e in events_of(db_urls, booking_id) if e["type"] == event_type]


def owner_dhc() -> Principal:
    return Principal(sub="owner-dhc", name="Owner", org="defensie-dhc", roles=frozenset({OWNER}))


# -- the decision clock ------------------------------------------------------------------------
def test_an_acute_request_gets_its_categorys_decision_clock(
    clients: dict[str, FlaskClient], db_urls: dict[str, str]
) -> None:
    client = clients["booking"]
    helicopter = put_asset(db_urls)
    dive_team = put_asset(
        db_urls, category="dive_team", booking_mode="capacity", capacity=3, readiness_notice="PT6H"
    )
    start = in_hours(24)
    acute = request_booking(client, helicopter, start, priority=1, region="VR13")
    assert moment(acute["decide_by"]) == moment(acute["created_at"]) + timedelta(minutes=15)
    assert acute["region"] == "VR13" and acute["escalated_at"] is None
    dive = request_booking(client, dive_team, start, priority=1)
    assert moment(dive["decide_by"]) == moment(dive["created_at"]) + timedelta(minutes=30)
    assert dive["region"] is None  # an escalation then looks from the asset's first region
    planned = request_booking(client, helicopter, start + timedelta(hours=5), priority=2)
    assert planned["decide_by"] is None

    # The booking as read, and its event, carry the clock.
    read = client.get(f"{BOOKINGS}/{acute['id']}", headers=auth("planner-rotterdam")).get_json()
    assert read["decide_by"] == acute["decide_by"] and read["decision_seconds"] is None
    requested = events_of(db_urls, acute["id"])[-1]
    validate_event(requested)
    assert requested["data"]["decide_by"] == acute["decide_by"]
    assert requested["data"]["region"] == "VR13"

    # Deciding records the time it took, in the booking and in the approval's event.
    approved = act(client, acute["id"], "approve")
    assert approved["decision_seconds"] == int(
        (moment(approved["decided_at"]) - moment(approved["created_at"])).total_seconds()
    )
    event = events_of(db_urls, acute["id"])[-1]
    validate_event(event)
    assert event["type"] == "booking.approved"
    assert event["data"]["decision_seconds"] == approved["decision_seconds"]


def test_each_acute_occurrence_of_a_series_gets_the_clock(
    clients: dict[str, FlaskClient], db_urls: dict[str, str]
) -> None:
    asset = put_asset(db_urls)
    body = {
        **booking_body(asset, in_hours(24), priority=1, region="VR17"),
        "frequency": "daily",
        "count": 2,
    }
    response = clients["booking"].post(SERIES, headers=auth("planner-rotterdam"), json=body)
    assert response.status_code == 201, response.get_json()
    created = response.get_json()["created"]
    assert len(created) == 2
    for occurrence in created:
        assert occurrence["region"] == "VR17"
        clock = moment(occurrence["created_at"]) + timedelta(minutes=15)
        assert moment(occurrence["decide_by"]) == clock
        validate_event(events_of(db_urls, occurrence["id"])[-1])


def test_an_administrator_sets_a_categorys_decision_time(
    clients: dict[str, FlaskClient], db_urls: dict[str, str]
) -> None:
    client = clients["booking"]
    listed = all_items(client, DECISION_TIMES, "planner-rotterdam")
    minutes = {row["category"]: row["decision_minutes"] for row in listed}
    seeded = {"helicopter": 15, "drone": 15, "dive_team": 30, "search_team": 30, "terrain": 60}
    assert seeded.items() <= minutes.items()

    category = f"crisis_{uuid.uuid4().hex[:8]}"
    url = f"{DECISION_TIMES}/{category}"
    refused = client.put(url, headers=auth("owner-dhc"), json={"decision_minutes": 5})
    assert refused.status_code == 403 and refused.mimetype == "application/problem+json"
    for body, field in [
        ({"decision_minutes": 0}, "decision_minutes"),
        ({"decision_minutes": 1441}, "decision_minutes"),
        ({"decision_minutes": "5"}, "decision_minutes"),
        ({}, "decision_minutes"),
    ]:
        response = client.put(url, headers=auth("admin"), json=body)
        assert response.status_code == 422, body
        assert field in response.get_json()["errors"], response.get_json()
    bad = client.put(
        f"{DECISION_TIMES}/Heli-1", headers=auth("admin"), json={"decision_minutes": 5}
    )
    assert bad.status_code == 422 and "category" in bad.get_json()["errors"]

    # A category without a time of its own gets the default of 30 minutes.
    asset = put_asset(db_urls, category=category)
    before = request_booking(client, asset, in_hours(24), priority=1)
    assert moment(before["decide_by"]) == moment(before["created_at"]) + timedelta(minutes=30)
    response = client.put(url, headers=auth("admin"), json={"decision_minutes": 5})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["decision_minutes"] == 5
    assert response.get_json()["updated_by"] == "admin"
    after = request_booking(client, asset, in_hours(30), priority=1)
    assert moment(after["decide_by"]) == moment(after["created_at"]) + timedelta(minutes=5)
    # A running clock keeps the decide_by it was given.
    assert booking_row(db_urls, before["id"])["decide_by"] == moment(before["decide_by"])


def test_the_owners_queue_puts_acute_requests_first_by_their_clock(
    clients: dict[str, FlaskClient], db_urls: dict[str, str]
) -> None:
    client = clients["booking"]
    org = f"defensie-crisis-{uuid.uuid4().hex[:8]}"
    first, second, third = (put_asset(db_urls, owner_org=org) for _ in range(3))
    dive_team = put_asset(
        db_urls, owner_org=org, category="dive_team", booking_mode="capacity", capacity=2
    )
    start = in_hours(24)
    planned = request_booking(client, third, start, priority=2)
    # The dive team was asked first, but its 30 minutes end after the helicopters' 15.
    dive = request_booking(client, dive_team, start, priority=1)
    heli_a = request_booking(client, first, start, priority=1)
    heli_b = request_booking(client, second, start, priority=1)
    queue = client.get(PENDING, headers=org_token(org, OWNER)).get_json()
    assert [item["id"] for item in queue["items"]] == [
        heli_a["id"],
        heli_b["id"],
        dive["id"],
        planned["id"],
    ]
    assert queue["items"][0]["decide_by"] == heli_a["decide_by"]
    assert queue["counts"]["priority_1"] == 3 and queue["counts"]["total"] == 4


# -- escalation --------------------------------------------------------------------------------
def test_an_undecided_acute_request_escalates_once_with_ranked_alternatives(
    clients: dict[str, FlaskClient], db_urls: dict[str, str], make_uow: MakeUow
) -> None:
    client = clients["booking"]
    start, end, window = far_window()

    def helicopter(**overrides: Any) -> dict[str, Any]:
        return put_asset(db_urls, availability=window, **overrides)

    requested = helicopter(regions=["VR17"], home_location=ROTTERDAM)
    # notice + straight-line flight to Rotterdam's seat at 250 km/h:
    gilze = helicopter(regions=["VR20"], home_location=GILZE_RIJEN, readiness_notice="PT30M")
    kooy = helicopter(regions=["VR10", "VR17"], home_location=DE_KOOY, readiness_notice="PT20M")
    leeuwarden = helicopter(regions=["VR02"], home_location=LEEUWARDEN, readiness_notice="PT1H")
    unknown_base = helicopter(regions=["VR17"], readiness_notice="PT10M")  # travel unknown: last
    # Not alternatives: taken in the window, retired, another category.
    taken = helicopter(home_location=ROTTERDAM, readiness_notice="PT5M")
    request_booking(client, taken, start, persona="planner-amsterdam")
    helicopter(home_location=ROTTERDAM, readiness_notice="PT5M", status="retired")
    helicopter(home_location=ROTTERDAM, category="drone", readiness_notice="PT5M")

    acute = request_booking(client, requested, start, priority=1, region="VR17")
    decide_by = moment(acute["decide_by"])
    escalate(make_uow, decide_by - timedelta(seconds=1))
    assert booking_row(db_urls, acute["id"])["escalated_at"] is None

    escalate(make_uow, decide_by + timedelta(seconds=1))
    escalate(make_uow, decide_by + timedelta(minutes=5))  # a second sweep changes nothing
    escalated = events_typed(db_urls, acute["id"], "booking.escalated")
    assert len(escalated) == 1
    validate_event(escalated[0])
    data = escalated[0]["data"]
    assert data["state"] == "requested" and data["region"] == "VR17"
    assert data["decide_by"] == acute["decide_by"]
    assert moment(data["escalated_at"]) == decide_by + timedelta(seconds=1)
    assert escalated[0]["actor"] == "system"
    mine = [gilze, kooy, leeuwarden, unknown_base]
    # Other tests' helicopters with always-open default availability may be offered too: judge
    # this test's own, whose order and travel figures are known.
    ranked = [a for a in data["alternatives"] if a["asset_id"] in {m["asset_id"] for m in mine}]
    assert [a["asset_id"] for a in ranked] == [m["asset_id"] for m in mine]
    assert [a["rank"] for a in ranked] == sorted({a["rank"] for a in ranked})
    assert [(a["notice_minutes"], a["travel_minutes"], a["ready_in_minutes"]) for a in ranked] == [
        (30, 13, 43),  # 50.5 km
        (20, 28, 48),  # 113.0 km
        (60, 41, 101),  # 168.9 km
        (10, None, None),
    ]
    assert [a["distance_km"] for a in ranked] == [50.5, 113.0, 168.9, None]
    assert {a["cruise_kmh"] for a in ranked} == {250.0}
    assert [a["serves_region"] for a in ranked] == [False, True, False, True]
    assert ranked[0]["home_location"] == GILZE_RIJEN

    # The booking shows it; the owner can still decide, and the decision is the last word.
    read = client.get(f"{BOOKINGS}/{acute['id']}", headers=auth("owner-dhc")).get_json()
    assert moment(read["escalated_at"]) == decide_by + timedelta(seconds=1)
    history = client.get(f"{BOOKINGS}/{acute['id']}/history", headers=auth("owner-dhc"))
    assert [h["action"] for h in history.get_json()["items"]] == ["request", "escalate"]
    assert act(client, acute["id"], "approve")["state"] == "approved"
    escalate(make_uow, decide_by + timedelta(minutes=10))
    assert len(events_typed(db_urls, acute["id"], "booking.escalated")) == 1


def test_escalation_and_approval_race_without_a_double_alarm(
    clients: dict[str, FlaskClient], db_urls: dict[str, str], make_uow: MakeUow
) -> None:
    client = clients["booking"]
    start, _, window = far_window()

    # 1. The owner is approving (row locked) when the sweep runs: the sweep passes it by, and
    # once approved it never escalates.
    first = request_booking(
        client, put_asset(db_urls, availability=window), start, priority=1, region="VR17"
    )
    decide_by = moment(first["decide_by"])
    with make_uow() as deciding:  # the approval's transaction: the test commits it
        approving = UnitOfWork.within(
            deciding.session, producer="booking", topic_for=deciding.topic_for
        )
        approve(approving, principal=owner_dhc(), booking_id=uuid.UUID(first["id"]), command=Act())
        escalate(make_uow, decide_by + timedelta(seconds=1))
        assert booking_row(db_urls, first["id"])["escalated_at"] is None
        deciding.commit()
    escalate(make_uow, decide_by + timedelta(seconds=1))
    assert booking_row(db_urls, first["id"])["state"] == "approved"
    assert events_typed(db_urls, first["id"], "booking.escalated") == []

    # 2. The sweep is escalating (row locked) when the owner approves: the approval waits for
    # it, then applies to the escalated booking. One alarm, then the decision.
    second = request_booking(
        client, put_asset(db_urls, availability=window), start, priority=1, region="VR17"
    )
    decide_by = moment(second["decide_by"])
    outcome: dict[str, Any] = {}

    def approve_second() -> None:
        try:
            with make_uow() as uow:  # approve commits its own unit of work
                booking = approve(
                    uow, principal=owner_dhc(), booking_id=uuid.UUID(second["id"]), command=Act()
                )
                outcome["version"] = booking.version
        except Exception as exc:  # noqa: BLE001 - reported to the test below
            outcome["error"] = exc

    with make_uow() as sweeping:
        escalate_overdue(sweeping, now=decide_by + timedelta(seconds=1), limit=10_000)
        approver = threading.Thread(target=approve_second, daemon=True)
        approver.start()
        eventually(lambda: waiting_on_a_lock(db_urls), timeout_s=30, what="the approval waiting")
        sweeping.commit()
    approver.join(timeout=60)
    assert not approver.is_alive() and "error" not in outcome, outcome
    types = [e["type"] for e in events_of(db_urls, second["id"])]
    assert types == ["booking.requested", "booking.escalated", "booking.approved"]
    assert outcome["version"] == 3  # requested 1, escalated 2, approved 3
    escalate(make_uow, decide_by + timedelta(minutes=5))
    assert len(events_typed(db_urls, second["id"], "booking.escalated")) == 1


def waiting_on_a_lock(db_urls: dict[str, str]) -> bool:
    """Is a session of booking's database waiting for a row lock (the approval's FOR UPDATE)?"""
    with booking_engine(db_urls).connect() as conn:
        return bool(
            conn.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock' AND query ILIKE '%FOR UPDATE%'"
                )
            ).scalar_one()
        )


# -- holds -------------------------------------------------------------------------------------
def preempt_with_hold(
    client: FlaskClient,
    db_urls: dict[str, str],
    *,
    alternative_owner: str = "defensie-dhc",
    booking_mode: str = "slot",
) -> dict[str, Any]:
    """planner-amsterdam's approved exercise on a helicopter is preempted by planner-rotterdam's
    acute request; one other helicopter is free in the window, to be held for Amsterdam."""
    start, _, window = far_window()
    taken = put_asset(db_urls, availability=window, regions=["VR13"])
    alternative = put_asset(
        db_urls,
        availability=window,
        regions=["VR13"],
        owner_org=alternative_owner,
        booking_mode=booking_mode,
        home_location=DE_KOOY,
    )
    exercise = request_booking(
        client, taken, start, persona="planner-amsterdam", priority=3, legal_basis="joint_exercise"
    )
    act(client, exercise["id"], "approve")
    acute = request_booking(client, taken, start, priority=1)
    displaced = act(
        client, exercise["id"], "preempt", by_booking_id=acute["id"], reason="Acute zoekactie"
    )
    preempted = events_of(db_urls, exercise["id"])[-1]
    validate_event(preempted)
    hold_id = preempted["data"]["hold_booking_id"]
    assert hold_id is not None
    return {
        "start": start,
        "exercise": exercise,
        "displaced": displaced,
        "alternative": alternative,
        "hold_id": hold_id,
    }


def test_a_preemption_holds_the_best_alternative_and_the_unit_confirms_it(
    clients: dict[str, FlaskClient], db_urls: dict[str, str]
) -> None:
    client = clients["booking"]
    owner = f"defensie-crisis-{uuid.uuid4().hex[:8]}"
    case = preempt_with_hold(client, db_urls, alternative_owner=owner)
    hold_id, exercise = case["hold_id"], case["exercise"]

    # The displaced unit sees the hold in its bookings; it stands in for the preempted one.
    held = all_items(client, BOOKINGS, "planner-amsterdam", state="held")
    assert hold_id in [b["id"] for b in held]
    hold = client.get(f"{BOOKINGS}/{hold_id}", headers=auth("planner-amsterdam")).get_json()
    assert hold["state"] == "held" and hold["held_for"] == exercise["id"]
    assert hold["asset_id"] == case["alternative"]["asset_id"]
    assert hold["requester_org"] == "politie-amsterdam" and hold["owner_org"] == owner
    assert (hold["planned_start"], hold["planned_end"]) == (
        exercise["planned_start"],
        exercise["planned_end"],
    )
    assert (hold["priority"], hold["purpose"]) == (3, exercise["purpose"])
    created = moment(hold["created_at"])
    assert moment(hold["hold_expires_at"]) == created + timedelta(minutes=30)
    (held_event,) = events_of(db_urls, hold_id)
    validate_event(held_event)
    assert held_event["type"] == "booking.held"
    assert held_event["data"]["held_for"] == exercise["id"]

    # Nobody else confirms or releases it: another unit does not see it, the owner may not.
    for action in ("confirm-hold", "release-hold"):
        act(client, hold_id, action, persona="planner-rotterdam", expect=404)
    response = client.post(
        f"{BOOKINGS}/{hold_id}/confirm-hold", headers=org_token(owner, OWNER), json={}
    )
    assert response.status_code == 403
    # A hold is not a request yet: nothing waits in the owner's queue.
    queue = client.get(PENDING, headers=org_token(owner, OWNER)).get_json()
    assert queue["items"] == []
    # The owner's calendar shows the slot as tentative.
    url = client.get(CALENDAR, headers=org_token(owner, OWNER)).get_json()["url"]
    ics = client.get(url[url.index("/api/") :]).get_data(as_text=True)
    (event_block,) = [e for e in ics.split("BEGIN:VEVENT")[1:] if f"UID:{hold_id}@" in e]
    assert "STATUS:TENTATIVE" in event_block

    confirmed = act(client, hold_id, "confirm-hold", persona="planner-amsterdam")
    assert confirmed["state"] == "requested" and confirmed["held_for"] == exercise["id"]
    assert moment(confirmed["created_at"]) > created  # the request starts when confirmed
    event = events_of(db_urls, hold_id)[-1]
    validate_event(event)
    assert event["type"] == "booking.hold_confirmed"
    act(client, hold_id, "confirm-hold", persona="planner-amsterdam", expect=409)

    # Now the alternative's owner decides it, as any request.
    queue = client.get(PENDING, headers=org_token(owner, OWNER)).get_json()
    assert [item["id"] for item in queue["items"]] == [hold_id]
    response = client.post(
        f"{BOOKINGS}/{hold_id}/approve", headers=org_token(owner, OWNER), json={}
    )
    assert response.status_code == 200, response.get_json()
    approved = events_of(db_urls, hold_id)[-1]
    validate_event(approved)
    assert approved["type"] == "booking.approved"
    assert approved["data"]["decision_seconds"] >= 0


@pytest.mark.parametrize("booking_mode", ["slot", "capacity"])
def test_a_hold_counts_against_capacity_until_it_lapses(
    clients: dict[str, FlaskClient],
    db_urls: dict[str, str],
    make_uow: MakeUow,
    booking_mode: str,
) -> None:
    client = clients["booking"]
    case = preempt_with_hold(client, db_urls, booking_mode=booking_mode)
    hold_id, alternative, start = case["hold_id"], case["alternative"], case["start"]

    # Held means taken: no second unit gets the same window (no double booking).
    refused = request_booking(client, alternative, start, expect=409)
    assert refused["status"] == 409

    # The hold lapses at its end (the sweep), and the slot is free again.
    expires = booking_row(db_urls, hold_id)["hold_expires_at"]
    expire(make_uow, expires - timedelta(minutes=1))
    assert booking_row(db_urls, hold_id)["state"] == "held"
    expire(make_uow, expires + timedelta(seconds=1))
    assert booking_row(db_urls, hold_id)["state"] == "expired"
    lapsed = events_of(db_urls, hold_id)[-1]
    validate_event(lapsed)
    assert lapsed["type"] == "booking.hold_expired" and lapsed["actor"] == "system"
    act(client, hold_id, "confirm-hold", persona="planner-amsterdam", expect=409)
    assert request_booking(client, alternative, start)["state"] == "requested"


def test_a_released_hold_frees_the_slot(
    clients: dict[str, FlaskClient], db_urls: dict[str, str]
) -> None:
    client = clients["booking"]
    case = preempt_with_hold(client, db_urls)
    hold_id, alternative, start = case["hold_id"], case["alternative"], case["start"]
    released = act(client, hold_id, "release-hold", persona="planner-amsterdam")
    assert released["state"] == "cancelled"
    event = events_of(db_urls, hold_id)[-1]
    validate_event(event)
    assert event["type"] == "booking.hold_released"
    assert request_booking(client, alternative, start)["state"] == "requested"
    act(client, hold_id, "confirm-hold", persona="planner-amsterdam", expect=409)


def test_a_preemption_without_a_free_alternative_holds_nothing(
    clients: dict[str, FlaskClient], db_urls: dict[str, str]
) -> None:
    client = clients["booking"]
    start, _, window = far_window()
    # A category of its own: other tests' assets of the usual ones may be free on any day.
    only = put_asset(db_urls, availability=window, category=f"cat{uuid.uuid4().hex[:8]}")
    exercise = request_booking(
        client, only, start, persona="planner-amsterdam", priority=3, legal_basis="joint_exercise"
    )
    act(client, exercise["id"], "approve")
    acute = request_booking(client, only, start, priority=1)
    displaced = act(
        client, exercise["id"], "preempt", by_booking_id=acute["id"], reason="Acute zoekactie"
    )
    assert displaced["state"] == "preempted" and displaced["alternatives"] == []
    preempted = events_of(db_urls, exercise["id"])[-1]
    validate_event(preempted)
    assert preempted["data"]["hold_booking_id"] is None
    with booking_engine(db_urls).connect() as conn:
        holds = conn.execute(
            text("SELECT count(*) FROM bookings WHERE held_for = :b"), {"b": exercise["id"]}
        ).scalar_one()
    assert holds == 0


def test_a_confirmation_after_the_hold_lapsed_unswept_is_refused(
    clients: dict[str, FlaskClient], db_urls: dict[str, str]
) -> None:
    client = clients["booking"]
    case = preempt_with_hold(client, db_urls)
    with booking_engine(db_urls).begin() as conn:  # its time passes before the sweep runs
        conn.execute(
            text("UPDATE bookings SET hold_expires_at = now() - interval '1 minute' WHERE id = :i"),
            {"i": case["hold_id"]},
        )
    refused = act(client, case["hold_id"], "confirm-hold", persona="planner-amsterdam", expect=409)
    assert refused["current_state"] == "expired" and "lapsed" in refused["detail"]
    assert booking_row(db_urls, case["hold_id"])["state"] == "held"
