"""Booking correctness under concurrency, on the real PostgreSQL.

Each test fires its requests from many threads at once (a barrier releases them together); every
thread has its own Flask test client of the booking app, so each request runs its own unit of
work on its own database connection, exactly as under gunicorn.
"""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import psycopg
import pytest
from flask.testing import FlaskClient
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from shared.personas import PERSONAS
from tests.integration.booking_support import (
    BOOKINGS,
    CONTRACTS,
    ORDERS,
    all_items,
    booking_body,
    booking_engine,
    headers_for,
    in_hours,
    order_body,
    put_asset,
    put_contract,
)
from tests.support import auth

pytestmark = pytest.mark.db

PLANNERS = ("planner-rotterdam", "planner-amsterdam")


def in_parallel(
    client: FlaskClient, calls: list[tuple[str, dict[str, str], dict[str, Any]]]
) -> list[tuple[int, dict[str, Any]]]:
    """POST every (path, headers, body) at once, each from its own thread and test client."""
    app = client.application
    barrier = threading.Barrier(len(calls))

    def post(call: tuple[str, dict[str, str], dict[str, Any]]) -> tuple[int, dict[str, Any]]:
        path, headers, body = call
        own = app.test_client()
        barrier.wait(timeout=30)
        response = own.post(path, headers=headers, json=body)
        return response.status_code, response.get_json()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(post, calls))


def statuses(results: list[tuple[int, dict[str, Any]]]) -> list[int]:
    return sorted(status for status, _ in results)


ACTIVE_ROWS = text(
    "SELECT id, planned_start, planned_end, quantity FROM bookings WHERE asset_id = :a "
    "AND state IN ('requested', 'counter_offered', 'approved', 'in_use')"
)


def active_rows(db_urls: dict[str, str], asset_id: str) -> list[Any]:
    with booking_engine(db_urls).connect() as conn:
        return list(conn.execute(ACTIVE_ROWS, {"a": asset_id}))


def peak(rows: list[Any]) -> int:
    """Most units in use at any instant by the given bookings."""
    instants = {r.planned_start for r in rows}
    return max(
        (sum(r.quantity for r in rows if r.planned_start <= t < r.planned_end) for t in instants),
        default=0,
    )


def test_50_parallel_requests_for_one_slot_exactly_one_succeeds(
    clients: dict[str, FlaskClient], db_urls: dict[str, str]
) -> None:
    asset = put_asset(db_urls)
    start = in_hours(24)
    calls = [
        (
            BOOKINGS,
            auth(PLANNERS[n % 2]),
            booking_body(asset, start + timedelta(minutes=n % 7), hours=2),
        )
        for n in range(50)
    ]
    results = in_parallel(clients["booking"], calls)
    assert statuses(results) == [201] + [409] * 49, [b.get("detail") for _, b in results]
    (winner,) = [body for status, body in results if status == 201]
    for n, (status, body) in enumerate(results):
        if status != 409:
            continue
        assert "already booked" in body["detail"], body
        # The winner is named to its own unit only (test_conflict_visibility.py).
        if PERSONAS[PLANNERS[n % 2]].org == winner["requester_org"]:
            assert body["conflicting_booking"] == winner["id"], body
            assert winner["id"] in body["detail"]
        else:
            assert "conflicting_booking" not in body and winner["id"] not in body["detail"]
    assert [str(r.id) for r in active_rows(db_urls, asset["asset_id"])] == [winner["id"]]


def test_parallel_requests_for_a_capacity_asset_never_exceed_its_units(
    clients: dict[str, FlaskClient], db_urls: dict[str, str]
) -> None:
    asset = put_asset(
        db_urls,
        category="dive_team",
        booking_mode="capacity",
        capacity=3,
        owner_org="defensie-duikgroep",
    )
    start = in_hours(24)
    calls = [
        (BOOKINGS, auth(PLANNERS[n % 2]), booking_body(asset, start, hours=4, quantity=1))
        for n in range(20)
    ]
    results = in_parallel(clients["booking"], calls)
    assert statuses(results) == [201] * 3 + [409] * 17
    for status, body in results:
        if status == 409:
            assert "0 of 3 units free" in body["detail"], body
    rows = active_rows(db_urls, asset["asset_id"])
    assert len(rows) == 3 and peak(rows) == 3


def test_staggered_parallel_requests_for_a_capacity_asset_never_overlap_more_than_n(
    clients: dict[str, FlaskClient], db_urls: dict[str, str]
) -> None:
    asset = put_asset(
        db_urls,
        category="search_team",
        booking_mode="capacity",
        capacity=3,
        owner_org="defensie-dhc",
    )
    start = in_hours(24)
    # Windows shifted by an hour each, of mixed sizes: the load peaks differently per instant.
    calls = [
        (
            BOOKINGS,
            auth(PLANNERS[n % 2]),
            booking_body(asset, start + timedelta(hours=n % 5), hours=3, quantity=1 + n % 2),
        )
        for n in range(24)
    ]
    results = in_parallel(clients["booking"], calls)
    assert set(statuses(results)) <= {201, 409}
    assert 201 in statuses(results)
    rows = active_rows(db_urls, asset["asset_id"])
    assert len(rows) == statuses(results).count(201)
    assert peak(rows) <= 3


def test_parallel_call_offs_never_exceed_the_contract_volume(
    clients: dict[str, FlaskClient], db_urls: dict[str, str]
) -> None:
    contract = put_contract(db_urls, total_volume=10)
    calls = [(ORDERS, auth(PLANNERS[n % 2]), order_body(contract, quantity=1)) for n in range(25)]
    results = in_parallel(clients["booking"], calls)
    assert statuses(results) == [201] * 10 + [409] * 15
    listed = all_items(clients["booking"], CONTRACTS, "planner-rotterdam")
    (mine,) = [c for c in listed if c["contract_id"] == contract["contract_id"]]
    assert mine["remaining_volume"] == 0
    with booking_engine(db_urls).connect() as conn:
        ordered = conn.execute(
            text("SELECT coalesce(sum(quantity), 0) FROM orders WHERE contract_id = :c"),
            {"c": contract["contract_id"]},
        ).scalar_one()
    assert ordered == 10


def test_back_to_back_windows_do_not_conflict(
    clients: dict[str, FlaskClient], db_urls: dict[str, str]
) -> None:
    asset = put_asset(db_urls)
    start = in_hours(24)
    calls = [
        (BOOKINGS, auth("planner-rotterdam"), booking_body(asset, start, hours=2)),
        (
            BOOKINGS,
            auth("planner-amsterdam"),
            booking_body(asset, start + timedelta(hours=2), hours=2),
        ),
        (
            BOOKINGS,
            auth("planner-rotterdam"),
            booking_body(asset, start - timedelta(hours=1), hours=1),
        ),
    ]
    results = in_parallel(clients["booking"], calls)
    assert statuses(results) == [201, 201, 201], results
    assert len(active_rows(db_urls, asset["asset_id"])) == 3


def test_parallel_retries_with_one_idempotency_key_make_one_booking(
    clients: dict[str, FlaskClient], db_urls: dict[str, str]
) -> None:
    asset = put_asset(db_urls)
    body = booking_body(asset, in_hours(24))
    headers = headers_for("planner-rotterdam", f"par-{uuid.uuid4()}")
    results = in_parallel(clients["booking"], [(BOOKINGS, headers, body)] * 10)
    assert statuses(results) == [201] * 10, [b.get("detail") for _, b in results]
    assert len({b["id"] for _, b in results}) == 1
    assert len(active_rows(db_urls, asset["asset_id"])) == 1


def test_parallel_retries_with_one_key_on_a_full_capacity_asset_all_get_the_first_answer(
    clients: dict[str, FlaskClient], db_urls: dict[str, str]
) -> None:
    """The capacity path waits on the asset's lock; a copy of the request that waited there
    must replay the first answer, not be refused for the room the first one took."""
    asset = put_asset(
        db_urls,
        category="dive_team",
        booking_mode="capacity",
        capacity=1,
        owner_org="defensie-duikgroep",
    )
    body = booking_body(asset, in_hours(24), hours=4, quantity=1)
    headers = headers_for("planner-rotterdam", f"cap-{uuid.uuid4()}")
    results = in_parallel(clients["booking"], [(BOOKINGS, headers, body)] * 8)
    assert statuses(results) == [201] * 8, [b.get("detail") for _, b in results]
    assert len({b["id"] for _, b in results}) == 1
    assert len(active_rows(db_urls, asset["asset_id"])) == 1


def test_the_exclusion_constraint_itself_refuses_overlapping_active_slot_bookings(
    db_urls: dict[str, str],
) -> None:
    """Below the use case's row lock, the database refuses a double booking on its own."""
    asset = put_asset(db_urls)
    start = in_hours(24)
    insert = text(
        "INSERT INTO bookings (id, asset_id, owner_org, requester_org, requested_by, category, "
        "holds_slot, needs_preemption, planned_start, planned_end, quantity, priority, "
        "legal_basis, purpose, contact, state, expires_at, version) VALUES (:id, :asset, "
        "'defensie-dhc', 'politie-rotterdam', 'test', 'helicopter', :holds, false, :start, "
        ":end, 1, 2, 'bijstand_politiewet', 'p', 'c', :state, :start, 1)"
    )
    engine = booking_engine(db_urls)

    def add(start_h: float, end_h: float, *, state: str = "requested", holds: bool = True) -> None:
        with engine.begin() as conn:
            conn.execute(
                insert,
                {
                    "id": uuid.uuid4(),
                    "asset": asset["asset_id"],
                    "holds": holds,
                    "state": state,
                    "start": start + timedelta(hours=start_h),
                    "end": start + timedelta(hours=end_h),
                },
            )

    add(0, 2)
    add(2, 4, state="approved")  # back to back
    add(1, 3, state="cancelled")  # inactive rows do not count
    add(1, 3, holds=False)  # an acute request waiting to preempt does not hold the slot yet
    refused = 0
    for start_h, end_h, state in ((1, 3, "requested"), (3, 5, "in_use"), (-1, 1, "approved")):
        with pytest.raises(IntegrityError) as caught:
            add(start_h, end_h, state=state)
        assert isinstance(caught.value.orig, psycopg.errors.ExclusionViolation)
        refused += 1
    assert refused == 3


def test_parallel_requests_reusing_one_key_with_different_bodies_make_one_booking(
    clients: dict[str, FlaskClient], db_urls: dict[str, str]
) -> None:
    """No advisory lock guards the key: the losers' inserts hit its primary key, and their
    retry finds the winner's record, made with another body (422)."""
    assets = [put_asset(db_urls) for _ in range(8)]
    headers = headers_for("planner-rotterdam", f"par-reuse-{uuid.uuid4()}")
    calls = [(BOOKINGS, headers, booking_body(asset, in_hours(24))) for asset in assets]
    results = in_parallel(clients["booking"], calls)
    assert statuses(results) == [201] + [422] * 7, [b.get("detail") for _, b in results]
    for status, body in results:
        if status == 422:
            assert "Idempotency-Key" in body["errors"], body
    assert sum(len(active_rows(db_urls, a["asset_id"])) for a in assets) == 1


def test_an_acute_request_racing_planned_ones_for_one_slot_is_never_refused(
    clients: dict[str, FlaskClient], db_urls: dict[str, str]
) -> None:
    """An acute request that loses the race for the slot is judged again and waits to preempt
    (as if it had come second); exactly one booking holds the slot either way."""
    asset = put_asset(db_urls)
    start = in_hours(24)
    calls = [
        (BOOKINGS, auth(PLANNERS[n % 2]), booking_body(asset, start, hours=2, priority=2))
        for n in range(9)
    ]
    calls.append((BOOKINGS, auth("planner-rotterdam"), booking_body(asset, start, priority=1)))
    results = in_parallel(clients["booking"], calls)
    acute_status, acute = results[-1]
    assert acute_status == 201, acute
    planned = [status for status, _ in results[:-1]]
    if acute["needs_preemption"]:  # a planned request won the slot first
        assert sorted(planned) == [201] + [409] * 8
    else:
        assert planned == [409] * 9
    with booking_engine(db_urls).connect() as conn:
        holding = conn.execute(
            text("SELECT count(*) FROM bookings WHERE asset_id = :a AND holds_slot"),
            {"a": asset["asset_id"]},
        ).scalar_one()
    assert holding == 1
