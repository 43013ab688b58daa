"""Booking API against the real PostgreSQL: search by time first, the booking lifecycle with its
audit trail and events, lists and the owner's queue, series, orders, the calendar feed, the
expiry sweep, and every "bad input" of the issue as its own test.

Assets and contracts go straight into booking's read model (tests/integration/booking_support);
catalog and the broker are not involved. Every refusal is checked to write nothing: booking's
tables and its outbox are counted before and after (the database is shared by the session, so
counts are compared, never expected to be 0).
"""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask.testing import FlaskClient
from sqlalchemy import text

from services.booking.expiry import expire_overdue
from services.booking.readmodel import apply_asset_snapshot
from shared.auth import OWNER, PLANNER
from shared.db import UnitOfWork, make_session_factory
from shared.settings import Settings
from tests.integration.booking_support import (
    AVAILABILITY,
    BOOKINGS,
    CALENDAR,
    CONTRACTS,
    ORDERS,
    PENDING,
    SERIES,
    act,
    all_items,
    backdate,
    blackout,
    booking_body,
    booking_engine,
    booking_row,
    booking_session,
    events_of,
    headers_for,
    in_hours,
    one_off,
    order_body,
    org_token,
    put_asset,
    put_contract,
    request_booking,
    tariff,
)
from tests.support import assert_problem, auth, nothing_written

pytestmark = pytest.mark.db


def search(client: FlaskClient, start: Any, end: Any, **params: Any) -> list[dict[str, Any]]:
    query = {"start": start.isoformat(), "end": end.isoformat(), "limit": 200, **params}
    response = client.get(AVAILABILITY, headers=auth("planner-rotterdam"), query_string=query)
    assert response.status_code == 200, response.get_json()
    return list(response.get_json()["items"])


def found(results: list[dict[str, Any]], *assets: dict[str, Any]) -> list[str]:
    """The ids of ``assets`` among the results, in result order."""
    wanted = {a["asset_id"] for a in assets}
    return [r["asset_id"] for r in results if r["asset_id"] in wanted]


def region() -> str:
    """A region few other tests use, so a search over it is not crowded out by the limit."""
    return f"VR{random.randint(30, 99)}"


# -- search by time first ------------------------------------------------------------------------
def test_search_finds_a_free_asset_with_its_cost_estimate(
    clients: dict[str, FlaskClient], db_urls: dict[str, str]
) -> None:
    where = region()
    asset = put_asset(db_urls, regions=[where])
    start = in_hours(24)
    results = search(
        clients["booking"], start, start + timedelta(hours=3), region=where, category="helicopter"
    )
    (hit,) = [r for r in results if r["asset_id"] == asset["asset_id"]]
    assert hit["owner_org"] == "defensie-dhc"
    assert hit["booking_mode"] == "slot"
    assert hit["free_units"] == 1
    assert hit["serves_region"] is True
    assert hit["readiness_notice"] == "PT2H"
    estimate = hit["estimate"]
    # 3 flight hours × 9,800 + 1,500 mobilisation, full cost, marked illustrative.
    assert estimate["amount"] == "30900.00"
    assert estimate["unit"] == "flight_hour" and estimate["units"] == "3.00"
    assert estimate["basis"] == "full_cost" and estimate["illustrative"] is True
    # Another category does not list it.
    assert not found(
        search(
            clients["booking"], start, start + timedelta(hours=3), region=where, category="drone"
        ),
        asset,
    )


def test_search_only_lists_windows_inside_published_availability_outside_blackouts(
    clients: dict[str, FlaskClient], db_urls: dict[str, str]
) -> None:
    where = region()
    day = in_hours(24)
    asset = put_asset(
        db_urls,
        regions=[where],
        availability=[one_off(day, day + timedelta(days=2))],
        blackouts=[blackout(day + timedelta(hours=10), day + timedelta(hours=16))],
    )
    client = clients["booking"]

    def free(start_h: float, end_h: float) -> bool:
        start, end = day + timedelta(hours=start_h), day + timedelta(hours=end_h)
        return bool(found(search(client, start, end, region=where), asset))

    assert free(1, 4)  # inside availability, before the blackout
    assert free(16, 20)  # right after the blackout ends
    assert free(7, 10)  # right up to the blackout's start
    assert not free(9, 11)  # overlaps the blackout
    assert not free(11, 15)  # inside the blackout
    assert not free(-2, 2)  # starts before the published window
    assert not free(46, 50)  # runs past the published window
    assert not free(60, 62)  # wholly outside


def test_search_leaves_out_a_slot_taken_by_an_active_booking_until_it_is_cancelled(
    clients: dict[str, FlaskClient], db_urls: dict[str, str]
) -> None:
    where = region()
    asset = put_asset(db_urls, regions=[where])
    client = clients["booking"]
    start = in_hours(24)
    booking = request_booking(client, asset, start)  # [start, start + 3 h)

    def free(start_h: float, end_h: float) -> bool:
        s, e = start + timedelta(hours=start_h), start + timedelta(hours=end_h)
        return bool(found(search(client, s, e, region=where), asset))

    assert not free(1, 2)
    assert not free(-1, 1)
    assert free(3, 5)  # back to back after
    assert free(-2, 0)  # back to back before
    act(client, booking["id"], "cancel", persona="planner-rotterdam", reason="Niet meer nodig")
    assert free(1, 2)


def test_search_respects_capacity_and_the_quantity_asked(
    clients: dict[str, FlaskClient], db_urls: dict[str, str]
) -> None:
    where = region()
    asset = put_asset(
        db_urls,
        regions=[where],
        category="dive_team",
        booking_mode="capacity",
        capacity=3,
        name=f"Duikteam {uuid.uuid4().hex[:6]}",
        owner_org="defensie-duikgroep",
        tariffs=[tariff(unit="hour", full="450.00", fee="0.00")],
    )
    client = clients["booking"]
    start = in_hours(24)
    end = start + timedelta(hours=4)
    request_booking(client, asset, start, hours=4, quantity=2)
    assert not found(search(client, start, end, region=where, quantity=2), asset)
    (hit,) = [
        r
        for r in search(client, start, end, region=where, quantity=1)
        if r["asset_id"] == asset["asset_id"]
    ]
    assert hit["free_units"] == 1
    assert hit["estimate"]["amount"] == "1800.00"  # 4 h × 450 × 1 team
    # A later window is wholly free again.
    later = end + timedelta(hours=1)
    (hit,) = [
        r
        for r in search(client, later, later + timedelta(hours=1), region=where, quantity=3)
        if r["asset_id"] == asset["asset_id"]
    ]
    assert hit["free_units"] == 3


def test_search_counts_the_peak_load_not_the_sum_of_bookings_in_the_window(
    clients: dict[str, FlaskClient], db_urls: dict[str, str]
) -> None:
    where = region()
    asset = put_asset(
        db_urls,
        regions=[where],
        category="terrain",
        booking_mode="capacity",
        capacity=3,
        name=f"Schietbaan {uuid.uuid4().hex[:6]}",
        tariffs=[tariff(unit="day_part", full="800.00", fee="0.00")],
    )
    client = clients["booking"]
    start = in_hours(24)
    # Two units in the morning, two in the afternoon, back to back: never more than 2 at once.
    request_booking(client, asset, start, hours=4, quantity=2)
    request_booking(
        client, asset, start + timedelta(hours=4), hours=4, quantity=2, persona="planner-amsterdam"
    )
    day = start + timedelta(hours=8)
    (hit,) = [
        r
        for r in search(client, start, day, region=where, quantity=1)
        if r["asset_id"] == asset["asset_id"]
    ]
    assert hit["free_units"] == 1
    # ... which is what a request for the whole day gets.
    request_booking(client, asset, start, hours=8, quantity=1)
    assert not found(search(client, start, day, region=where, quantity=1), asset)


def test_an_asset_with_4h_notice_cannot_start_in_1h_unless_acute(
    clients: dict[str, FlaskClient], db_urls: dict[str, str]
) -> None:
    where = region()
    asset = put_asset(db_urls, regions=[where], readiness_notice="PT4H")
    client = clients["booking"]
    soon, later = in_hours(1), in_hours(5)
    assert not found(search(client, soon, soon + timedelta(hours=2), region=where), asset)
    assert found(search(client, later, later + timedelta(hours=2), region=where), asset)
    with nothing_written(booking_engine(db_urls)):
        response = client.post(
            BOOKINGS, headers=auth("planner-rotterdam"), json=booking_body(asset, soon, hours=2)
        )
    body = assert_problem(response, 422)
    assert "notice" in body["detail"] and "start" in body["errors"]
    # An acute request is not held to the notice (the owner decides whether it can be met).
    acute = request_booking(client, asset, soon, hours=2, priority=1)
    assert acute["state"] == "requested"


def test_search_ranks_assets_serving_the_region_first_then_by_cost(
    clients: dict[str, FlaskClient], db_urls: dict[str, str]
) -> None:
    where, elsewhere = "VR88", "VR89"
    rate = {"unit": "day"}
    cheap_elsewhere = put_asset(
        db_urls,
        category="drone",
        regions=[elsewhere],
        tariffs=[tariff(full="1000.00", fee="0.00", **rate)],
    )
    dear_here = put_asset(
        db_urls,
        category="drone",
        regions=[where, elsewhere],
        tariffs=[tariff(full="3000.00", fee="0.00", **rate)],
    )
    cheap_here = put_asset(
        db_urls,
        category="drone",
        regions=[where],
        tariffs=[tariff(full="2000.00", fee="0.00", **rate)],
    )
    client = clients["booking"]
    start = in_hours(48)
    end = start + timedelta(hours=6)
    mine = (cheap_elsewhere, dear_here, cheap_here)

    ranked = search(client, start, end, category="drone", region=where)
    order = found(ranked, *mine)
    assert order[:2] == [cheap_here["asset_id"], dear_here["asset_id"]]
    # An asset that does not serve the region is still offered, after all that do.
    assert order[2:] == [cheap_elsewhere["asset_id"]]
    serving = [r["serves_region"] for r in ranked]
    assert serving == sorted(serving, reverse=True)
    # Without a region, cost alone ranks them.
    order = found(search(client, start, end, category="drone"), *mine)
    assert order == [cheap_elsewhere["asset_id"], cheap_here["asset_id"], dear_here["asset_id"]]


def test_search_with_the_end_before_the_start_is_422(clients: dict[str, FlaskClient]) -> None:
    start = in_hours(24)
    response = clients["booking"].get(
        AVAILABILITY,
        headers=auth("planner-rotterdam"),
        query_string={"start": start.isoformat(), "end": start.isoformat()},
    )
    assert response.status_code == 422, response.get_json()
    # A window past the year 9999 in UTC is a clear 422 too, not a 500.
    response = clients["booking"].get(
        AVAILABILITY,
        headers=auth("planner-rotterdam"),
        query_string={"start": "9999-12-31T20:00:00-12:00", "end": "9999-12-31T23:00:00-12:00"},
    )
    assert response.status_code == 422, response.get_json()
    assert "year 10000" in response.get_json()["detail"]


# -- requesting ----------------------------------------------------------------------------------
def test_a_request_holds_the_asset_and_stages_a_requested_event(
    clients: dict[str, FlaskClient], db_urls: dict[str, str]
) -> None:
    asset = put_asset(db_urls)
    start = in_hours(24)
    booking = request_booking(clients["booking"], asset, start)
    assert booking["state"] == "requested"
    assert booking["requester_org"] == "politie-rotterdam"
    assert booking["owner_org"] == "defensie-dhc"
    assert booking["category"] == "helicopter"
    assert booking["needs_preemption"] is False
    assert booking["tariff"]["full_cost_rate"] == "9800.00"
    assert booking["purpose"] == "Zoekactie vermiste persoon Maasvlakte"
    assert booking["expires_at"] is not None
    (event,) = events_of(db_urls, booking["id"])
    assert event["type"] == "booking.requested"
    data = event["data"]
    assert data["asset_id"] == asset["asset_id"] and data["owner_org"] == "defensie-dhc"
    assert data["requester_org"] == "politie-rotterdam" and data["category"] == "helicopter"
    assert data["legal_basis"] == "bijstand_politiewet" and data["priority"] == 2
    assert data["tariff"]["full_cost_rate"] == "9800.00"
    # The same slot cannot be requested again while this request holds it (another unit is
    # not told which booking holds it: tests/integration/test_conflict_visibility.py).
    response = clients["booking"].post(
        BOOKINGS,
        headers=auth("planner-amsterdam"),
        json=booking_body(asset, start + timedelta(hours=1)),
    )
    assert response.status_code == 409, response.get_json()
    assert "conflicting_booking" not in response.get_json()


def test_a_retry_with_the_same_idempotency_key_returns_the_first_booking(
    clients: dict[str, FlaskClient], db_urls: dict[str, str]
) -> None:
    asset = put_asset(db_urls)
    body = booking_body(asset, in_hours(24))
    key = f"retry-{uuid.uuid4()}"
    client = clients["booking"]
    first = client.post(BOOKINGS, headers=headers_for("planner-rotterdam", key), json=body)
    assert first.status_code == 201, first.get_json()
    with nothing_written(booking_engine(db_urls)):
        second = client.post(BOOKINGS, headers=headers_for("planner-rotterdam", key), json=body)
        assert second.status_code == 201, second.get_json()
        assert second.get_json()["id"] == first.get_json()["id"]
    with booking_engine(db_urls).connect() as conn:
        rows = conn.execute(
            text("SELECT count(*) FROM bookings WHERE asset_id = :a"), {"a": asset["asset_id"]}
        ).scalar_one()
    assert rows == 1


def test_the_created_booking_is_what_get_history_and_the_event_say(
    clients: dict[str, FlaskClient], db_urls: dict[str, str]
) -> None:
    """Creation builds its answer, audit row and event without ORM objects: each must match
    what the stored booking reads back as (times compared as instants, offsets may differ)."""
    client = clients["booking"]
    asset = put_asset(db_urls)
    start = in_hours(30).astimezone(timezone(timedelta(hours=2)))  # a non-UTC offset
    key = f"same-{uuid.uuid4()}"
    body = booking_body(asset, start, hours=2)
    created = client.post(BOOKINGS, headers=headers_for("planner-rotterdam", key), json=body)
    assert created.status_code == 201, created.get_json()
    booking = created.get_json()
    read = client.get(f"{BOOKINGS}/{booking['id']}", headers=auth("planner-rotterdam"))
    assert read.status_code == 200

    def instants(value: dict[str, Any]) -> dict[str, Any]:
        return {
            k: datetime.fromisoformat(v) if k in TIME_FIELDS and v is not None else v
            for k, v in value.items()
        }

    assert instants(booking) == instants(read.get_json())
    assert booking["planned_start"] == start.isoformat()  # the caller's offset is kept
    replay = client.post(BOOKINGS, headers=headers_for("planner-rotterdam", key), json=body)
    assert replay.status_code == 201 and replay.get_json() == booking
    history = client.get(f"{BOOKINGS}/{booking['id']}/history", headers=auth("planner-rotterdam"))
    ((step,),) = [history.get_json()["items"]]
    assert (step["action"], step["from_state"], step["to_state"]) == ("request", None, "requested")
    assert (step["actor"], step["actor_org"], step["reason"]) == (
        "planner-rotterdam",
        "politie-rotterdam",
        None,
    )
    (event,) = events_of(db_urls, booking["id"])
    data = event["data"]
    for field in ("asset_id", "owner_org", "requester_org", "category", "state", "priority"):
        assert data[field] == booking[field], field
    assert data["booking_id"] == booking["id"] and data["requested_at"] == booking["created_at"]
    assert (data["planned_start"], data["tariff"]) == (booking["planned_start"], booking["tariff"])
    assert event["actor"] == "planner-rotterdam" and event["aggregate_id"] == booking["id"]


@pytest.mark.parametrize("how", ["catalog_event", "direct_update"])
def test_a_request_after_the_asset_changed_is_judged_on_the_new_asset(
    clients: dict[str, FlaskClient], db_urls: dict[str, str], how: str
) -> None:
    """A change to the asset row (by a newer catalog event, or any UPDATE at all) is seen by
    the next request for it, never a copy kept from the previous one (guards any cache of
    asset facts a faster creation path may add)."""
    client = clients["booking"]
    asset = put_asset(db_urls)
    request_booking(client, asset, in_hours(24))
    if how == "catalog_event":
        put_asset(db_urls, asset_id=asset["asset_id"], status="maintenance", version=2)
    else:
        with booking_engine(db_urls).begin() as conn:
            conn.execute(
                text("UPDATE asset_view SET status = 'maintenance' WHERE asset_id = :a"),
                {"a": asset["asset_id"]},
            )
    with nothing_written(booking_engine(db_urls)):
        response = client.post(
            BOOKINGS, headers=auth("planner-rotterdam"), json=booking_body(asset, in_hours(48))
        )
    problem = assert_problem(response, 422)
    assert "maintenance" in problem["detail"]


TIME_FIELDS = {
    "planned_start",
    "planned_end",
    "expires_at",
    "created_at",
    "actual_start",
    "actual_end",
    "decided_at",
    "counter_start",
    "counter_end",
}


# -- transitions ---------------------------------------------------------------------------------
def test_approve_is_recorded_in_the_history_with_actor_time_and_reason(
    clients: dict[str, FlaskClient], db_urls: dict[str, str]
) -> None:
    client = clients["booking"]
    booking = request_booking(client, put_asset(db_urls), in_hours(24))
    approved = act(client, booking["id"], "approve", reason="Bemanning beschikbaar")
    assert approved["state"] == "approved" and approved["decided_at"]
    assert approved["version"] == booking["version"] + 1
    response = client.get(f"{BOOKINGS}/{booking['id']}/history", headers=auth("planner-rotterdam"))
    assert response.status_code == 200, response.get_json()
    history = response.get_json()["items"]
    assert [(h["action"], h["from_state"], h["to_state"]) for h in history] == [
        ("request", None, "requested"),
        ("approve", "requested", "approved"),
    ]
    assert history[0]["actor"] == "planner-rotterdam"
    assert history[0]["actor_org"] == "politie-rotterdam"
    assert history[1]["actor"] == "owner-dhc" and history[1]["actor_org"] == "defensie-dhc"
    assert history[1]["reason"] == "Bemanning beschikbaar"
    assert all(h["at"] for h in history)
    assert [e["type"] for e in events_of(db_urls, booking["id"])] == [
        "booking.requested",
        "booking.approved",
    ]


def test_reject_needs_a_reason_and_frees_the_slot(
    clients: dict[str, FlaskClient], db_urls: dict[str, str]
) -> None:
    client = clients["booking"]
    asset = put_asset(db_urls)
    start = in_hours(24)
    booking = request_booking(client, asset, start)
    with nothing_written(booking_engine(db_urls)):
        response = client.post(
            f"{BOOKINGS}/{booking['id']}/reject", headers=auth("owner-dhc"), json={}
        )
    body = assert_problem(response, 422)
    assert "reason" in body["errors"]
    rejected = act(client, booking["id"], "reject", reason="Toestel in onderhoud")
    assert rejected["state"] == "rejected"
    history = client.get(
        f"{BOOKINGS}/{booking['id']}/history", headers=auth("owner-dhc")
    ).get_json()["items"]
    assert history[-1]["reason"] == "Toestel in onderhoud"
    assert events_of(db_urls, booking["id"])[-1]["data"]["reason"] == "Toestel in onderhoud"
    request_booking(client, asset, start, persona="planner-amsterdam")


def test_a_counter_offer_moves_the_booking_when_the_requester_accepts(
    clients: dict[str, FlaskClient], db_urls: dict[str, str]
) -> None:
    client = clients["booking"]
    asset = put_asset(db_urls)
    start = in_hours(24)
    booking = request_booking(client, asset, start)
    later = start + timedelta(hours=6)
    offered = act(
        client,
        booking["id"],
        "counter-offer",
        reason="Ochtend bezet; middag kan",
        start=later.isoformat(),
        end=(later + timedelta(hours=3)).isoformat(),
    )
    assert offered["state"] == "counter_offered"
    assert offered["counter_start"].startswith(later.strftime("%Y-%m-%dT%H:%M"))
    event = events_of(db_urls, booking["id"])[-1]
    assert event["type"] == "booking.counter_offered"
    assert event["data"]["counter_offer"]["asset_id"] == asset["asset_id"]
    # Only the requester accepts.
    act(client, booking["id"], "accept-counter-offer", persona="owner-dhc", expect=403)
    accepted = act(client, booking["id"], "accept-counter-offer", persona="planner-rotterdam")
    assert accepted["state"] == "approved"
    row = booking_row(db_urls, booking["id"])
    assert row["planned_start"] == later and row["planned_end"] == later + timedelta(hours=3)
    # The original window is free again; the offered one is taken.
    request_booking(client, asset, start, persona="planner-amsterdam")
    request_booking(client, asset, later, persona="planner-amsterdam", expect=409)


def test_a_counter_offer_of_another_own_asset(
    clients: dict[str, FlaskClient], db_urls: dict[str, str]
) -> None:
    client = clients["booking"]
    asked, offered_asset = put_asset(db_urls), put_asset(db_urls)
    foreign = put_asset(db_urls, owner_org="defensie-duikgroep")
    start = in_hours(24)
    booking = request_booking(client, asked, start)
    with nothing_written(booking_engine(db_urls)):
        response = client.post(
            f"{BOOKINGS}/{booking['id']}/counter-offer",
            headers=auth("owner-dhc"),
            json={"reason": "Ander toestel", "asset_id": foreign["asset_id"]},
        )
    assert_problem(response, 422)
    act(
        client,
        booking["id"],
        "counter-offer",
        reason="Ander toestel beschikbaar",
        asset_id=offered_asset["asset_id"],
    )
    accepted = act(client, booking["id"], "accept-counter-offer", persona="planner-rotterdam")
    assert accepted["asset_id"] == offered_asset["asset_id"] and accepted["state"] == "approved"


def test_cancel_needs_a_reason_and_the_event_says_how_long_before_start(
    clients: dict[str, FlaskClient], db_urls: dict[str, str]
) -> None:
    client = clients["booking"]
    booking = request_booking(client, put_asset(db_urls), in_hours(30))
    act(client, booking["id"], "approve")
    with nothing_written(booking_engine(db_urls)):
        response = client.post(
            f"{BOOKINGS}/{booking['id']}/cancel", headers=auth("planner-rotterdam"), json={}
        )
    assert_problem(response, 422)
    cancelled = act(
        client, booking["id"], "cancel", persona="planner-rotterdam", reason="Operatie afgeblazen"
    )
    assert cancelled["state"] == "cancelled"
    event = events_of(db_urls, booking["id"])[-1]
    assert event["type"] == "booking.cancelled"
    assert event["data"]["reason"] == "Operatie afgeblazen"
    assert 29.9 <= event["data"]["hours_before_start"] <= 30.0
    assert event["data"]["cancelled_from"] == "approved"
    # Withdrawing a request never approved: the event says so (cost-sharing charges nothing).
    withdrawn = request_booking(client, put_asset(db_urls), in_hours(30))
    act(client, withdrawn["id"], "cancel", persona="planner-rotterdam", reason="Niet meer nodig")
    assert events_of(db_urls, withdrawn["id"])[-1]["data"]["cancelled_from"] == "requested"


def test_start_and_complete_register_actual_use(
    clients: dict[str, FlaskClient], db_urls: dict[str, str]
) -> None:
    client = clients["booking"]
    start = in_hours(24)
    booking = request_booking(client, put_asset(db_urls), start)
    act(client, booking["id"], "approve")
    started = act(client, booking["id"], "start")
    assert started["state"] == "in_use" and started["actual_start"]
    backdate(db_urls, booking["id"], hours=30)  # the use is over now
    used = start - timedelta(hours=30)
    done = act(
        client,
        booking["id"],
        "complete",
        actual_start=used.isoformat(),
        actual_end=(used + timedelta(hours=2, minutes=30)).isoformat(),
    )
    assert done["state"] == "completed"
    assert done["usage_quantity"] == "2.50"
    event = events_of(db_urls, booking["id"])[-1]
    assert event["type"] == "booking.completed"
    data = event["data"]
    assert data["usage_quantity"] == "2.50"
    assert data["actual_start"] and data["actual_end"]
    assert data["tariff"]["unit"] == "flight_hour"
    assert data["planned_start"] and data["planned_end"]


def test_the_owner_reports_the_hours_used_on_completion(
    clients: dict[str, FlaskClient], db_urls: dict[str, str]
) -> None:
    """Flight hours logged may be fewer than the window on site; never more, never none; and
    the window must have happened, around the planned one. A refusal leaves the booking as it
    was."""
    client = clients["booking"]
    start = in_hours(24)
    booking = request_booking(client, put_asset(db_urls), start)
    act(client, booking["id"], "approve")
    backdate(db_urls, booking["id"], hours=30)
    used = start - timedelta(hours=30)
    window = {
        "actual_start": used.isoformat(),
        "actual_end": (used + timedelta(hours=3)).isoformat(),
    }
    not_yet = {"actual_start": used.isoformat(), "actual_end": in_hours(1).isoformat()}
    long_before = {
        "actual_start": (used - timedelta(hours=25)).isoformat(),
        "actual_end": (used - timedelta(hours=24)).isoformat(),
    }
    for body, message in (
        ({**window, "usage_quantity": "0"}, "at most the actual window's 3.00 hours"),
        ({**window, "usage_quantity": "3.25"}, "at most the actual window's 3.00 hours"),
        ({**window, "usage_quantity": "-1"}, "at most the actual window's 3.00 hours"),
        ({**window, "usage_quantity": "veel"}, "Not a valid number."),
        (not_yet, "the actual end lies in the future"),  # only a use that happened is billed
        (long_before, "more than 24 hours before the planned start"),
    ):
        with nothing_written(booking_engine(db_urls)):
            response = client.post(
                f"{BOOKINGS}/{booking['id']}/complete", headers=auth("owner-dhc"), json=body
            )
        assert_problem(response, 422)
        assert message in str(response.get_json()), response.get_json()
        assert booking_row(db_urls, booking["id"])["state"] == "approved"
    done = act(client, booking["id"], "complete", usage_quantity="2.4", **window)
    assert done["state"] == "completed" and done["usage_quantity"] == "2.40"
    event = events_of(db_urls, booking["id"])[-1]
    assert (event["type"], event["data"]["usage_quantity"]) == ("booking.completed", "2.40")


def test_complete_straight_from_approved_and_actual_end_must_follow_start(
    clients: dict[str, FlaskClient], db_urls: dict[str, str]
) -> None:
    client = clients["booking"]
    start = in_hours(24)
    booking = request_booking(client, put_asset(db_urls), start)
    act(client, booking["id"], "approve")
    backdate(db_urls, booking["id"], hours=30)
    used = start - timedelta(hours=30)
    with nothing_written(booking_engine(db_urls)):
        response = client.post(
            f"{BOOKINGS}/{booking['id']}/complete",
            headers=auth("owner-dhc"),
            json={"actual_start": used.isoformat(), "actual_end": used.isoformat()},
        )
    assert_problem(response, 422)
    done = act(
        client,
        booking["id"],
        "complete",
        actual_start=used.isoformat(),
        actual_end=(used + timedelta(hours=1)).isoformat(),
    )
    assert done["state"] == "completed" and done["usage_quantity"] == "1.00"


def test_a_request_for_an_asset_retired_since_is_not_approved(
    clients: dict[str, FlaskClient], db_urls: dict[str, str]
) -> None:
    """Catalog's retirement check reads booking's events, which may lag: when the retirement
    reaches booking first, the waiting request is not approved (nor an approval started)."""
    client = clients["booking"]
    asset = put_asset(db_urls)
    start = in_hours(24)
    waiting = request_booking(client, asset, start)
    approved = request_booking(client, asset, start + timedelta(hours=5))
    act(client, approved["id"], "approve")
    with booking_session(db_urls) as session:  # catalog.asset.retired reaches the read model
        apply_asset_snapshot(session, {**asset, "status": "retired", "version": 2})
    for booking, action in ((waiting, "approve"), (approved, "start")):
        with nothing_written(booking_engine(db_urls)):
            response = client.post(
                f"{BOOKINGS}/{booking['id']}/{action}", headers=auth("owner-dhc"), json={}
            )
        body = assert_problem(response, 409)
        assert body["asset_status"] == "retired" and "retired" in body["detail"]
    assert booking_row(db_urls, waiting["id"])["state"] == "requested"
    # Rejecting it (or a counter-offer of another asset) still works.
    act(client, waiting["id"], "reject", reason="Toestel afgestoten")


def test_a_lapsed_acute_request_cannot_preempt_and_a_countered_one_preempts_nothing(
    clients: dict[str, FlaskClient], db_urls: dict[str, str]
) -> None:
    """Preempting approves the acute request, so it refuses a lapsed one as approve does (the
    sweep may not have expired it yet); accepting a counter-offer of an acute request moves it
    to a free window: approved, with nothing left to preempt."""
    client = clients["booking"]
    asset = put_asset(db_urls)
    start = in_hours(24)
    exercise = request_booking(
        client, asset, start, persona="planner-amsterdam", priority=3, legal_basis="joint_exercise"
    )
    act(client, exercise["id"], "approve")
    acute = request_booking(client, asset, start + timedelta(hours=1), priority=1)
    with booking_engine(db_urls).begin() as conn:  # its deadline passes, unswept
        conn.execute(
            text("UPDATE bookings SET expires_at = now() - interval '1 minute' WHERE id = :id"),
            {"id": acute["id"]},
        )
    with nothing_written(booking_engine(db_urls)):
        response = client.post(
            f"{BOOKINGS}/{exercise['id']}/preempt",
            headers=auth("owner-dhc"),
            json={"by_booking_id": acute["id"], "reason": "Acute inzet"},
        )
    body = assert_problem(response, 409)
    assert body["current_state"] == "expired" and "lapsed" in body["detail"]
    assert booking_row(db_urls, exercise["id"])["state"] == "approved"

    second = request_booking(client, asset, start + timedelta(hours=1, minutes=30), priority=1)
    assert second["needs_preemption"] is True
    later = start + timedelta(hours=6)
    act(client, second["id"], "counter-offer", reason="Na de oefening",
        start=later.isoformat(), end=(later + timedelta(hours=2)).isoformat())  # fmt: skip
    accepted = act(client, second["id"], "accept-counter-offer", persona="planner-rotterdam")
    assert accepted["state"] == "approved" and accepted["needs_preemption"] is False


def test_an_acute_request_preempts_an_approved_exercise(
    clients: dict[str, FlaskClient], db_urls: dict[str, str]
) -> None:
    client = clients["booking"]
    asset = put_asset(db_urls)
    alternative = put_asset(db_urls)  # another free helicopter, offered to the displaced unit
    start = in_hours(24)
    exercise = request_booking(
        client, asset, start, persona="planner-amsterdam", priority=3, legal_basis="joint_exercise"
    )
    act(client, exercise["id"], "approve")
    # A planned (priority 2) request for the taken slot is refused; an acute one waits.
    request_booking(client, asset, start + timedelta(hours=1), expect=409)
    acute = request_booking(client, asset, start + timedelta(hours=1), priority=1)
    assert acute["needs_preemption"] is True and acute["state"] == "requested"
    # Approving it outright would double-book the slot.
    refused = act(client, acute["id"], "approve", expect=409)
    assert exercise["id"] in refused["conflicting_bookings"]
    # Only the owner preempts, and it needs the acute request and a reason.
    act(
        client,
        exercise["id"],
        "preempt",
        persona="planner-rotterdam",
        expect=404,
        by_booking_id=acute["id"],
        reason="Acute inzet",
    )
    act(client, exercise["id"], "preempt", expect=422, by_booking_id=acute["id"])
    displaced = act(
        client,
        exercise["id"],
        "preempt",
        by_booking_id=acute["id"],
        reason="Acute zoekactie, levensgevaar",
    )
    assert displaced["state"] == "preempted"
    assert displaced["preempted_by"] == acute["id"]
    alternatives = displaced["alternatives"]
    assert alternatives and all(a["asset_id"] != asset["asset_id"] for a in alternatives)
    assert all(a["category"] == "helicopter" for a in alternatives)
    now_acute = client.get(f"{BOOKINGS}/{acute['id']}", headers=auth("planner-rotterdam"))
    assert now_acute.get_json()["state"] == "approved"
    assert now_acute.get_json()["needs_preemption"] is False
    event = events_of(db_urls, exercise["id"])[-1]
    assert event["type"] == "booking.preempted"
    # The best alternative is held for the displaced unit; one not held stays free to book.
    hold = client.get(
        f"{BOOKINGS}/{event['data']['hold_booking_id']}", headers=auth("planner-amsterdam")
    ).get_json()
    assert hold["state"] == "held" and hold["held_for"] == exercise["id"]
    assert hold["asset_id"] in {a["asset_id"] for a in alternatives}
    free = found(search(client, start, start + timedelta(hours=3)), alternative)
    assert free == (
        [] if hold["asset_id"] == alternative["asset_id"] else [alternative["asset_id"]]
    )
    assert event["data"]["preempted_by"] == acute["id"]
    assert event["data"]["charge_displaced"] is False
    assert event["data"]["reason"] == "Acute zoekactie, levensgevaar"
    assert events_of(db_urls, acute["id"])[-1]["type"] == "booking.approved"
    history = client.get(
        f"{BOOKINGS}/{exercise['id']}/history", headers=auth("planner-amsterdam")
    ).get_json()["items"]
    assert history[-1]["action"] == "preempt" and history[-1]["actor"] == "owner-dhc"


def test_a_priority_2_request_cannot_preempt(
    clients: dict[str, FlaskClient], db_urls: dict[str, str]
) -> None:
    client = clients["booking"]
    asset = put_asset(db_urls)
    start = in_hours(24)
    exercise = request_booking(client, asset, start, priority=3)
    act(client, exercise["id"], "approve")
    other = request_booking(client, asset, start + timedelta(hours=5), priority=2)
    with nothing_written(booking_engine(db_urls)):
        response = client.post(
            f"{BOOKINGS}/{exercise['id']}/preempt",
            headers=auth("owner-dhc"),
            json={"by_booking_id": other["id"], "reason": "Wil ik hebben"},
        )
    assert_problem(response, 409)


@pytest.mark.parametrize(
    ("setup", "action", "body", "current"),
    [
        (["reject"], "approve", {}, "rejected"),
        ([], "start", {}, "requested"),
        ([], "accept-counter-offer", {}, "requested"),
        (["approve"], "reject", {"reason": "Toch niet"}, "approved"),
        (["approve"], "counter-offer", {"reason": "Ander moment", "start": None}, "approved"),
    ],
)
def test_an_illegal_transition_is_409_naming_the_current_state(
    clients: dict[str, FlaskClient],
    db_urls: dict[str, str],
    setup: list[str],
    action: str,
    body: dict[str, Any],
    current: str,
) -> None:
    client = clients["booking"]
    start = in_hours(24)
    booking = request_booking(client, put_asset(db_urls), start)
    for step in setup:
        act(client, booking["id"], step, reason="Eerste besluit")
    persona = "planner-rotterdam" if action == "accept-counter-offer" else "owner-dhc"
    if "start" in body:
        body = {**body, "start": (start + timedelta(hours=8)).isoformat()}
    with nothing_written(booking_engine(db_urls)):
        response = client.post(
            f"{BOOKINGS}/{booking['id']}/{action}", headers=auth(persona), json=body
        )
    problem = assert_problem(response, 409)
    assert problem["current_state"] == current
    assert current in problem["detail"]


# -- lists, queue, history -------------------------------------------------------------------
def test_the_list_filters_by_state_asset_organisation_and_period(
    clients: dict[str, FlaskClient], db_urls: dict[str, str]
) -> None:
    client = clients["booking"]
    asset, other = put_asset(db_urls), put_asset(db_urls)
    start = in_hours(24)
    first = request_booking(client, asset, start)
    second = request_booking(client, asset, start + timedelta(days=2), persona="planner-amsterdam")
    third = request_booking(client, other, start + timedelta(days=4))
    act(client, second["id"], "approve")

    def listed(persona: str = "owner-dhc", **query: Any) -> list[str]:
        response = client.get(BOOKINGS, headers=auth(persona), query_string=query)
        assert response.status_code == 200, response.get_json()
        return [b["id"] for b in response.get_json()["items"]]

    a = asset["asset_id"]
    assert listed(asset_id=a) == [first["id"], second["id"]]  # ordered by start
    assert listed(asset_id=a, state="approved") == [second["id"]]
    assert listed(asset_id=a, state="requested") == [first["id"]]
    assert listed(asset_id=a, organisation="politie-amsterdam") == [second["id"]]
    assert listed(asset_id=other["asset_id"]) == [third["id"]]
    assert listed(asset_id=a, **{"from": (start + timedelta(days=1)).isoformat()}) == [second["id"]]
    assert listed(asset_id=a, to=(start + timedelta(days=1)).isoformat()) == [first["id"]]
    assert listed(
        asset_id=a, **{"from": start.isoformat(), "to": (start + timedelta(days=5)).isoformat()}
    ) == [first["id"], second["id"]]
    # A planner lists only the own unit's bookings.
    assert listed("planner-amsterdam", asset_id=a) == [second["id"]]
    assert listed("planner-rotterdam", asset_id=a) == [first["id"]]
    response = client.get(BOOKINGS, headers=auth("owner-dhc"), query_string={"state": "lost"})
    assert response.status_code == 422


def test_the_owners_queue_counts_pending_requests_by_priority_most_urgent_first(
    clients: dict[str, FlaskClient], db_urls: dict[str, str]
) -> None:
    client = clients["booking"]
    owner_org = f"defensie-test-{uuid.uuid4().hex[:8]}"
    owner = org_token(owner_org, OWNER)
    asset = put_asset(db_urls, owner_org=owner_org)
    start = in_hours(24)
    response = client.get(PENDING, headers=owner)
    assert response.get_json() == {
        "counts": {
            "total": 0,
            "priority_1": 0,
            "priority_2": 0,
            "priority_3": 0,
            "needs_preemption": 0,
        },
        "items": [],
        "next_cursor": None,
    }
    exercise = request_booking(client, asset, start, priority=3)
    response = client.post(f"{BOOKINGS}/{exercise['id']}/approve", headers=owner, json={})
    assert response.status_code == 200, response.get_json()
    planned = request_booking(client, asset, start + timedelta(days=1), priority=2)
    other_exercise = request_booking(client, asset, start + timedelta(days=2), priority=3)
    acute = request_booking(client, asset, start, priority=1)
    response = client.get(PENDING, headers=owner)
    assert response.status_code == 200, response.get_json()
    queue = response.get_json()
    assert queue["counts"] == {
        "total": 3,
        "priority_1": 1,
        "priority_2": 1,
        "priority_3": 1,
        "needs_preemption": 1,
    }
    assert [b["id"] for b in queue["items"]] == [acute["id"], planned["id"], other_exercise["id"]]
    assert queue["items"][0]["needs_preemption"] is True
    # The owner sees the requesting unit's purpose, to decide on it.
    assert {b["purpose"] for b in queue["items"]} == {"Zoekactie vermiste persoon Maasvlakte"}
    # Another owner's queue does not show them; a planner has no queue.
    dhc = client.get(PENDING, headers=auth("owner-dhc")).get_json()
    assert not {b["id"] for b in dhc["items"]} & {acute["id"], planned["id"]}
    assert client.get(PENDING, headers=auth("planner-rotterdam")).status_code == 403


def test_history_of_a_booking_lists_every_step_in_order(
    clients: dict[str, FlaskClient], db_urls: dict[str, str]
) -> None:
    client = clients["booking"]
    start = in_hours(24)
    booking = request_booking(client, put_asset(db_urls), start)
    act(
        client,
        booking["id"],
        "counter-offer",
        reason="Later op de dag",
        start=(start + timedelta(hours=4)).isoformat(),
        end=(start + timedelta(hours=7)).isoformat(),
    )
    act(client, booking["id"], "accept-counter-offer", persona="planner-rotterdam")
    act(client, booking["id"], "start")
    backdate(db_urls, booking["id"], hours=40)
    used = start + timedelta(hours=4) - timedelta(hours=40)
    act(
        client,
        booking["id"],
        "complete",
        actual_start=used.isoformat(),
        actual_end=(used + timedelta(hours=3)).isoformat(),
    )
    history = client.get(
        f"{BOOKINGS}/{booking['id']}/history", headers=auth("finance-politie")
    ).get_json()["items"]
    assert [h["action"] for h in history] == [
        "request",
        "counter-offer",
        "accept-counter-offer",
        "start",
        "complete",
    ]
    assert [h["to_state"] for h in history] == [
        "requested",
        "counter_offered",
        "approved",
        "in_use",
        "completed",
    ]
    assert [h["actor"] for h in history] == [
        "planner-rotterdam",
        "owner-dhc",
        "planner-rotterdam",
        "owner-dhc",
        "owner-dhc",
    ]
    assert history[1]["reason"] == "Later op de dag"
    times = [h["at"] for h in history]
    assert times == sorted(times)


# -- series ------------------------------------------------------------------------------------
def test_a_weekly_series_creates_what_fits_and_reports_the_conflict(
    clients: dict[str, FlaskClient], db_urls: dict[str, str]
) -> None:
    client = clients["booking"]
    asset = put_asset(
        db_urls,
        category="terrain",
        name=f"Marnewaard {uuid.uuid4().hex[:6]}",
        tariffs=[tariff(unit="day_part", full="800.00", fee="0.00")],
    )
    start = in_hours(48)
    taken = request_booking(
        client, asset, start + timedelta(weeks=2), persona="planner-amsterdam", hours=4
    )
    body = {
        **booking_body(
            asset,
            start,
            hours=4,
            legal_basis="joint_exercise",
            priority=3,
            purpose="Wekelijkse schietoefening ME",
        ),
        "frequency": "weekly",
        "count": 4,
    }
    key = f"series-{uuid.uuid4()}"
    response = client.post(SERIES, headers=headers_for("planner-rotterdam", key), json=body)
    assert response.status_code == 201, response.get_json()
    result = response.get_json()
    assert len(result["created"]) == 3
    starts = sorted(b["planned_start"] for b in result["created"])
    assert len({b["series_id"] for b in result["created"]}) == 1
    assert result["created"][0]["series_id"] == result["series_id"]
    (conflict,) = result["conflicts"]
    assert conflict["status"] == 409
    assert taken["id"] in conflict["reason"] or "already booked" in conflict["reason"]
    # Two weeks on in Dutch wall-clock time (the series keeps 09:00 at 09:00 across DST).
    later = start.astimezone(ZoneInfo("Europe/Amsterdam")) + timedelta(weeks=2)
    assert datetime.fromisoformat(conflict["start"]) == later
    assert conflict["start"] not in starts
    # A retry with the same key answers the same series, creating nothing more.
    with nothing_written(booking_engine(db_urls)):
        again = client.post(SERIES, headers=headers_for("planner-rotterdam", key), json=body)
        assert again.status_code == 201 and again.get_json()["series_id"] == result["series_id"]


# -- orders --------------------------------------------------------------------------------------
def test_a_call_off_lowers_the_remaining_volume_and_over_ordering_is_409(
    clients: dict[str, FlaskClient], db_urls: dict[str, str]
) -> None:
    client = clients["booking"]
    contract = put_contract(db_urls, total_volume=10)

    def remaining() -> int:
        listed = all_items(client, CONTRACTS, "planner-rotterdam")
        (mine,) = [c for c in listed if c["contract_id"] == contract["contract_id"]]
        return int(mine["remaining_volume"])

    assert remaining() == 10
    response = client.post(
        ORDERS, headers=auth("planner-rotterdam"), json=order_body(contract, quantity=4)
    )
    assert response.status_code == 201, response.get_json()
    order = response.get_json()
    assert order["quantity"] == 4 and order["unit_price"] == "120.00"
    assert order["requester_org"] == "politie-rotterdam"
    assert remaining() == 6
    (event,) = events_of(db_urls, order["id"])
    assert event["type"] == "booking.order.placed" and event["data"]["remaining_volume"] == 6
    with nothing_written(booking_engine(db_urls)):
        response = client.post(
            ORDERS, headers=auth("planner-amsterdam"), json=order_body(contract, quantity=7)
        )
    body = assert_problem(response, 409)
    assert "6" in body["detail"]
    assert remaining() == 6
    got = client.get(f"{ORDERS}/{order['id']}", headers=auth("planner-rotterdam"))
    assert got.status_code == 200 and got.get_json()["id"] == order["id"]
    assert got.get_json()["purpose"] == order["purpose"]
    # Finance and the joint controller read every order, but not a police unit's purpose.
    for persona in ("finance-politie", "finance-defensie"):
        one = client.get(f"{ORDERS}/{order['id']}", headers=auth(persona))
        assert one.status_code == 200 and one.get_json()["purpose"] is None, persona
        listed = all_items(client, ORDERS, persona)
        assert [o["purpose"] for o in listed if o["id"] == order["id"]] == [None], persona
    controller = client.get(f"{ORDERS}/{order['id']}", headers=auth("controller"))
    assert controller.get_json()["purpose"] == order["purpose"]


def test_a_call_off_for_an_item_outside_the_contract_is_422(
    clients: dict[str, FlaskClient], db_urls: dict[str, str]
) -> None:
    contract = put_contract(db_urls)
    with nothing_written(booking_engine(db_urls)):
        response = clients["booking"].post(
            ORDERS,
            headers=auth("planner-rotterdam"),
            json=order_body(contract, item_id=str(uuid.uuid4())),
        )
    assert_problem(response, 422)


# -- calendar ------------------------------------------------------------------------------------
def test_the_calendar_feed_lists_the_organisations_bookings_behind_a_secret_url(
    clients: dict[str, FlaskClient], db_urls: dict[str, str]
) -> None:
    client = clients["booking"]
    unit = f"politie-test-{uuid.uuid4().hex[:8]}"
    planner = org_token(unit, PLANNER)
    asset = put_asset(db_urls)
    start = in_hours(24)
    mine = client.post(
        BOOKINGS,
        headers=planner,
        json=booking_body(asset, start, purpose="Feed; met komma, en puntkomma"),
    )
    assert mine.status_code == 201, mine.get_json()
    theirs = request_booking(client, asset, start + timedelta(days=1))
    response = client.get(CALENDAR, headers=planner)
    assert response.status_code == 200, response.get_json()
    url = response.get_json()["url"]
    assert url.startswith("http") and f"/api/v1/calendar/{unit}.ics?key=" in url
    path = url[url.index("/api/") :]
    feed = client.get(path)  # no login: the key in the URL is the credential
    assert feed.status_code == 200
    assert feed.mimetype == "text/calendar"
    ics = feed.get_data(as_text=True)
    assert ics.startswith("BEGIN:VCALENDAR") and ics.rstrip().endswith("END:VCALENDAR")
    assert ics.count("BEGIN:VEVENT") == 1
    assert f"UID:{mine.get_json()['id']}@slagkracht" in ics
    assert theirs["id"] not in ics
    local_start = start.astimezone(ZoneInfo("Europe/Amsterdam")).strftime("%Y%m%dT%H%M%S")
    assert "DTSTART;TZID=Europe/Amsterdam:" + local_start in ics
    assert "Feed\\; met komma\\, en puntkomma" in ics
    # The owner's feed shows the request without the unit's purpose.
    owner_url = client.get(CALENDAR, headers=auth("owner-dhc")).get_json()["url"]
    owner_ics = client.get(owner_url[owner_url.index("/api/") :]).get_data(as_text=True)
    assert mine.get_json()["id"] in owner_ics
    # A wrong key, or another organisation's key, finds nothing.
    wrong = client.get(f"/api/v1/calendar/{unit}.ics?key={'0' * 40}")
    assert wrong.status_code == 404
    other_key = owner_url.split("key=")[1]
    assert client.get(f"/api/v1/calendar/{unit}.ics?key={other_key}").status_code == 404
    assert client.get(f"/api/v1/calendar/{unit}.ics").status_code == 422


# -- expiry ------------------------------------------------------------------------------------
def test_an_undecided_request_expires_and_frees_the_slot(
    clients: dict[str, FlaskClient], db_urls: dict[str, str], settings: dict[str, Settings]
) -> None:
    client = clients["booking"]
    asset = put_asset(db_urls)
    start = in_hours(3)
    booking = request_booking(client, asset, start)
    row = booking_row(db_urls, booking["id"])
    assert row["expires_at"] <= start  # never after the start
    request_booking(client, asset, start, persona="planner-amsterdam", expect=409)
    factory = make_session_factory(booking_engine(db_urls))

    def sweep(now: Any) -> int:
        with UnitOfWork(factory, producer="booking", topic_for=settings["booking"].topic) as uow:
            count = expire_overdue(uow, now=now)
            uow.commit()
        return count

    sweep(row["expires_at"] - timedelta(minutes=1))
    assert booking_row(db_urls, booking["id"])["state"] == "requested"
    assert sweep(row["expires_at"] + timedelta(seconds=1)) >= 1
    assert booking_row(db_urls, booking["id"])["state"] == "expired"
    event = events_of(db_urls, booking["id"])[-1]
    assert event["type"] == "booking.expired" and event["actor"] == "system"
    history = client.get(
        f"{BOOKINGS}/{booking['id']}/history", headers=auth("planner-rotterdam")
    ).get_json()["items"]
    assert history[-1]["action"] == "expire" and history[-1]["actor"] == "system"
    # An expired request cannot be approved any more, and the slot is free again.
    problem = act(client, booking["id"], "approve", expect=409)
    assert problem["current_state"] == "expired"
    request_booking(client, asset, start, persona="planner-amsterdam")


# -- bad input: each refused, nothing written ----------------------------------------------------
@pytest.mark.parametrize("hours", [0, -2])
def test_end_not_after_start_is_422_and_writes_nothing(
    clients: dict[str, FlaskClient], db_urls: dict[str, str], hours: float
) -> None:
    asset = put_asset(db_urls)
    with nothing_written(booking_engine(db_urls)):
        response = clients["booking"].post(
            BOOKINGS,
            headers=auth("planner-rotterdam"),
            json=booking_body(asset, in_hours(24), hours=hours),
        )
    body = assert_problem(response, 422)
    assert "end" in body["errors"]


def test_a_window_in_the_past_is_422_and_writes_nothing(
    clients: dict[str, FlaskClient], db_urls: dict[str, str]
) -> None:
    asset = put_asset(db_urls)
    with nothing_written(booking_engine(db_urls)):
        response = clients["booking"].post(
            BOOKINGS,
            headers=auth("planner-rotterdam"),
            json=booking_body(asset, in_hours(-5), hours=2),
        )
    body = assert_problem(response, 422)
    assert "start" in body["errors"] and "past" in body["detail"]


def test_an_unknown_asset_is_422_and_writes_nothing(
    clients: dict[str, FlaskClient], db_urls: dict[str, str]
) -> None:
    with nothing_written(booking_engine(db_urls)):
        response = clients["booking"].post(
            BOOKINGS,
            headers=auth("planner-rotterdam"),
            json=booking_body(str(uuid.uuid4()), in_hours(24)),
        )
    body = assert_problem(response, 422)
    assert "asset_id" in body["errors"]


def test_a_retired_asset_is_422_and_writes_nothing(
    clients: dict[str, FlaskClient], db_urls: dict[str, str]
) -> None:
    asset = put_asset(db_urls, status="retired")
    with nothing_written(booking_engine(db_urls)):
        response = clients["booking"].post(
            BOOKINGS, headers=auth("planner-rotterdam"), json=booking_body(asset, in_hours(24))
        )
    body = assert_problem(response, 422)
    assert "asset_id" in body["errors"] and "retired" in body["detail"]
    # It is not offered by the search either.
    start = in_hours(24)
    assert not found(search(clients["booking"], start, start + timedelta(hours=1)), asset)


def test_a_procurement_item_cannot_be_booked(
    clients: dict[str, FlaskClient], db_urls: dict[str, str]
) -> None:
    item = put_asset(db_urls, category="procurement", booking_mode="quantity", capacity=1000)
    with nothing_written(booking_engine(db_urls)):
        response = clients["booking"].post(
            BOOKINGS, headers=auth("planner-rotterdam"), json=booking_body(item, in_hours(24))
        )
    assert_problem(response, 422)


def test_a_quantity_above_capacity_is_422_and_writes_nothing(
    clients: dict[str, FlaskClient], db_urls: dict[str, str]
) -> None:
    asset = put_asset(
        db_urls,
        category="dive_team",
        booking_mode="capacity",
        capacity=2,
        owner_org="defensie-duikgroep",
    )
    with nothing_written(booking_engine(db_urls)):
        response = clients["booking"].post(
            BOOKINGS,
            headers=auth("planner-rotterdam"),
            json=booking_body(asset, in_hours(24), quantity=3),
        )
    body = assert_problem(response, 422)
    assert "quantity" in body["errors"]


@pytest.mark.parametrize("legal_basis", ["martial_law", "", None, 1])
def test_an_unknown_legal_basis_is_422_and_writes_nothing(
    clients: dict[str, FlaskClient], db_urls: dict[str, str], legal_basis: Any
) -> None:
    asset = put_asset(db_urls)
    with nothing_written(booking_engine(db_urls)):
        response = clients["booking"].post(
            BOOKINGS,
            headers=auth("planner-rotterdam"),
            json=booking_body(asset, in_hours(24), legal_basis=legal_basis),
        )
    body = assert_problem(response, 422)
    assert "legal_basis" in body["errors"]


@pytest.mark.parametrize("priority", [0, 4, "1", 1.5, None])
def test_an_unknown_priority_is_422_and_writes_nothing(
    clients: dict[str, FlaskClient], db_urls: dict[str, str], priority: Any
) -> None:
    asset = put_asset(db_urls)
    with nothing_written(booking_engine(db_urls)):
        response = clients["booking"].post(
            BOOKINGS,
            headers=auth("planner-rotterdam"),
            json=booking_body(asset, in_hours(24), priority=priority),
        )
    body = assert_problem(response, 422)
    assert "priority" in body["errors"]


def test_a_missing_purpose_is_422_and_writes_nothing(
    clients: dict[str, FlaskClient], db_urls: dict[str, str]
) -> None:
    asset = put_asset(db_urls)
    body = booking_body(asset, in_hours(24))
    del body["purpose"]
    with nothing_written(booking_engine(db_urls)):
        response = clients["booking"].post(BOOKINGS, headers=auth("planner-rotterdam"), json=body)
    problem = assert_problem(response, 422)
    assert "purpose" in problem["errors"]


def test_a_purpose_over_2000_characters_is_422_and_writes_nothing(
    clients: dict[str, FlaskClient], db_urls: dict[str, str]
) -> None:
    asset = put_asset(db_urls)
    client = clients["booking"]
    with nothing_written(booking_engine(db_urls)):
        response = client.post(
            BOOKINGS,
            headers=auth("planner-rotterdam"),
            json=booking_body(asset, in_hours(24), purpose="x" * 2001),
        )
    problem = assert_problem(response, 422)
    assert "purpose" in problem["errors"]
    # Exactly 2000 is accepted.
    request_booking(client, asset, in_hours(24), purpose="x" * 2000)


@pytest.mark.parametrize(
    ("action", "persona", "status", "body"),
    [
        ("approve", "planner-rotterdam", 403, {}),  # the requester cannot approve itself
        ("reject", "finance-defensie", 403, {"reason": "Te duur"}),
        ("start", "planner-rotterdam", 403, {}),
        ("cancel", "owner-dhc", 403, {"reason": "Wij willen niet"}),  # only the requester
        ("accept-counter-offer", "owner-dhc", 403, {}),
        ("approve", "owner-duikgroep", 404, {}),  # not their asset: it does not exist for them
        ("cancel", "planner-amsterdam", 404, {"reason": "Niet van ons"}),
    ],
)
def test_a_transition_by_the_wrong_party_is_refused_and_writes_nothing(
    clients: dict[str, FlaskClient],
    db_urls: dict[str, str],
    action: str,
    persona: str,
    status: int,
    body: dict[str, Any],
) -> None:
    client = clients["booking"]
    booking = request_booking(client, put_asset(db_urls), in_hours(24))
    with nothing_written(booking_engine(db_urls)):
        response = client.post(
            f"{BOOKINGS}/{booking['id']}/{action}", headers=auth(persona), json=body
        )
    assert_problem(response, status)
    assert booking_row(db_urls, booking["id"])["state"] == "requested"


def test_an_idempotency_key_reused_with_a_different_body_is_422_and_writes_nothing(
    clients: dict[str, FlaskClient], db_urls: dict[str, str]
) -> None:
    client = clients["booking"]
    asset = put_asset(db_urls)
    key = f"reuse-{uuid.uuid4()}"
    first = client.post(
        BOOKINGS,
        headers=headers_for("planner-rotterdam", key),
        json=booking_body(asset, in_hours(24)),
    )
    assert first.status_code == 201, first.get_json()
    with nothing_written(booking_engine(db_urls)):
        response = client.post(
            BOOKINGS,
            headers=headers_for("planner-rotterdam", key),
            json=booking_body(asset, in_hours(48)),
        )
    problem = assert_problem(response, 422)
    assert "Idempotency-Key" in problem["errors"]


@pytest.mark.parametrize("key", ["short", "has spaces in it", "x" * 129, "ünïcödé-key"])
def test_a_malformed_idempotency_key_is_422_and_writes_nothing(
    clients: dict[str, FlaskClient], db_urls: dict[str, str], key: str
) -> None:
    asset = put_asset(db_urls)
    with nothing_written(booking_engine(db_urls)):
        response = clients["booking"].post(
            BOOKINGS,
            headers=headers_for("planner-rotterdam", key),
            json=booking_body(asset, in_hours(24)),
        )
    problem = assert_problem(response, 422)
    assert "Idempotency-Key" in problem["errors"]


@pytest.mark.parametrize(
    "case", ["end_before_start", "in_the_past", "unknown_asset", "retired_asset", "above_capacity"]
)
def test_a_series_wrong_for_every_occurrence_is_422_and_writes_nothing(
    clients: dict[str, FlaskClient], db_urls: dict[str, str], case: str
) -> None:
    asset = put_asset(db_urls, status="retired" if case == "retired_asset" else "active")
    start = in_hours(-30) if case == "in_the_past" else in_hours(24)
    body = booking_body(
        str(uuid.uuid4()) if case == "unknown_asset" else asset,
        start,
        hours=-1 if case == "end_before_start" else 2,
        quantity=2 if case == "above_capacity" else 1,
    )
    body.update(frequency="daily", count=3)
    with nothing_written(booking_engine(db_urls)):
        response = clients["booking"].post(
            SERIES, headers=headers_for("planner-rotterdam", f"bad-{uuid.uuid4()}"), json=body
        )
    assert_problem(response, 422)


def test_a_request_past_its_deadline_cannot_be_approved_before_the_sweep(
    clients: dict[str, FlaskClient], db_urls: dict[str, str]
) -> None:
    asset = put_asset(db_urls)
    booking_id = request_booking(clients["booking"], asset, in_hours(48))["id"]
    with booking_session(db_urls) as session:
        session.execute(
            text("UPDATE bookings SET expires_at = now() - interval '1 minute' WHERE id = :id"),
            {"id": booking_id},
        )
        session.commit()
    late = act(clients["booking"], booking_id, "approve", expect=409)
    assert late["current_state"] == "expired"
    assert booking_row(db_urls, booking_id)["state"] == "requested"


def test_bookings_page_by_cursor_and_a_forged_cursor_is_422(
    clients: dict[str, FlaskClient], db_urls: dict[str, str]
) -> None:
    """Keyset paging: pages follow ``next_cursor`` with nothing repeated or skipped, even when
    a booking is added before the page already read; any list refuses a cursor that is not one
    of its keys."""
    client = clients["booking"]
    asset = put_asset(db_urls)
    start = in_hours(24)
    made = [request_booking(client, asset, start + timedelta(days=2 * n))["id"] for n in (1, 2, 3)]

    def page(**query: Any) -> dict[str, Any]:
        query = {"asset_id": asset["asset_id"], "limit": 2, **query}
        response = client.get(BOOKINGS, headers=auth("owner-dhc"), query_string=query)
        assert response.status_code == 200, response.get_json()
        return dict(response.get_json())

    first = page()
    assert [b["id"] for b in first["items"]] == made[:2] and first["next_cursor"]
    request_booking(client, asset, start)  # before the first page: not on the next one
    second = page(cursor=first["next_cursor"])
    assert [b["id"] for b in second["items"]] == made[2:] and second["next_cursor"] is None
    booking_id = made[0]
    for url in (
        BOOKINGS,
        f"{BOOKINGS}/{booking_id}/history",
        PENDING,
        ORDERS,
        CONTRACTS,
        "/api/v1/decision-times",
    ):
        for cursor in ("nope", "W251bGxd", "x" * 501):  # not base64 JSON; [null]; too long
            response = client.get(url, headers=auth("owner-dhc"), query_string={"cursor": cursor})
            assert response.status_code == 422, (url, response.get_json())
            assert response.mimetype == "application/problem+json"
            assert "cursor" in response.get_json()["errors"], url


def test_the_search_pages_by_cursor_in_its_ranking(
    clients: dict[str, FlaskClient], db_urls: dict[str, str]
) -> None:
    """Page after page follows the ranking (the region's assets first, then the cheapest,
    by name), nothing repeated or skipped; a forged cursor is a 422 on cursor."""
    client = clients["booking"]
    category = "drone"
    made = {
        put_asset(db_urls, category=category, regions=regions)["asset_id"]
        for regions in (["VR17"], ["VR17"], ["VR01"], ["VR02"], ["VR17", "VR01"])
    }
    start = in_hours(24 * 30)
    query = {"start": start.isoformat(), "end": (start + timedelta(hours=2)).isoformat()}
    query |= {"category": category, "region": "VR17"}
    whole = search(client, start, start + timedelta(hours=2), category=category, region="VR17")
    paged: list[dict[str, Any]] = []
    cursor = None
    while True:
        page_query = {**query, "limit": 2, **({"cursor": cursor} if cursor else {})}
        response = client.get(
            AVAILABILITY, headers=auth("planner-rotterdam"), query_string=page_query
        )
        assert response.status_code == 200, response.get_json()
        page = response.get_json()
        assert len(page["items"]) <= 2
        paged.extend(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    whole_ids, paged_ids = [a["asset_id"] for a in whole], [a["asset_id"] for a in paged]
    # The search answers at most 200 at once; the pages go on past them.
    assert paged_ids[: len(whole_ids)] == whole_ids
    assert len(paged_ids) == len(set(paged_ids)) and (len(whole) == 200 or paged_ids == whole_ids)
    assert made <= {a["asset_id"] for a in paged}
    serving = [a["serves_region"] for a in paged]
    assert serving == sorted(serving, reverse=True)  # the region's own first
    for cursor in (
        "nope",
        "W251bGxd",
        "WzMsIjEiLCJ4IiwiMDAwMDAwMDAtMDAwMC0wMDAwLTAwMDAtMDAwMDAwMDAwMDAwIl0",
    ):
        response = client.get(
            AVAILABILITY,
            headers=auth("planner-rotterdam"),
            query_string={**query, "cursor": cursor},
        )
        assert response.status_code == 422, response.get_json()
        assert "cursor" in response.get_json()["errors"]
