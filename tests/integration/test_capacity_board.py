"""The national capacity board (GET /api/v1/board): its counts on assets and bookings made for
the test, read as differences from the board before them (the database is shared)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from flask.testing import FlaskClient

from shared.auth import PLANNER
from shared.units import HOME_REGIONS
from tests.integration.booking_support import (
    BOOKINGS,
    act,
    booking_body,
    in_hours,
    one_off,
    org_token,
    put_asset,
    request_booking,
)
from tests.support import auth

pytestmark = pytest.mark.db

BOARD = "/api/v1/board"
ROTTERDAM = HOME_REGIONS["politie-rotterdam"]  # VR17
COUNTS = ("free_now", "free_next_24h", "requested", "in_use")


Board = dict[tuple[str, str], dict[str, int]]


def board(client: FlaskClient, at: datetime, persona: str = "finance-politie") -> Board:
    response = client.get(BOARD, query_string={"at": at.isoformat()}, headers=auth(persona))
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    return {(r["region"], r["category"]): {k: r[k] for k in COUNTS} for r in body["rows"]}


def delta(before: Board, after: Board, region: str) -> dict[str, int]:
    key = (region, "drone")
    return {k: after[key][k] - before[key][k] for k in COUNTS}


def test_the_board_counts_free_assets_and_bookings_per_region_and_category(
    clients: dict[str, FlaskClient], db_urls: dict[str, str]
) -> None:
    client = clients["booking"]
    now, later = in_hours(0), in_hours(4)  # later: inside the booking made below
    before_now, before_later = board(client, now), board(client, later)
    assert len(before_now) == 25 * 5  # every region and category, zeros included

    drone: dict[str, Any] = {"category": "drone", "readiness_notice": "PT1H"}
    always = put_asset(db_urls, regions=["VR03", "VR04"], **drone)  # published for 40 days
    put_asset(
        db_urls, regions=["VR03"], availability=[one_off(in_hours(30), in_hours(40))], **drone
    )
    evening = put_asset(
        db_urls, regions=["VR03"], availability=[one_off(in_hours(10), in_hours(12))], **drone
    )

    after = board(client, now)
    # Free now: only the one published now; in 24 h also the one published this evening; the
    # one published from tomorrow on in neither. A two-region asset counts in both.
    assert delta(before_now, after, "VR03") == {
        "free_now": 1,
        "free_next_24h": 2,
        "requested": 0,
        "in_use": 0,
    }
    assert delta(before_now, after, "VR04")["free_now"] == 1

    # A request for the whole evening window takes that asset out of the next 24 h. A request
    # counts in its region of use (shared/units.py): the region it names; else the requesting
    # unit's home region (planner-rotterdam's: VR17), not its asset's first region; else (an
    # organisation without one) its asset's first region.
    request_booking(client, evening, in_hours(10), hours=2, region="VR03")
    used = request_booking(client, always, in_hours(3), hours=2)
    request_booking(client, always, in_hours(20), hours=1, region="VR04")
    homeless = client.post(  # an organisation an administrator added: no home region
        BOOKINGS,
        headers=org_token("politie-nieuw", PLANNER),
        json=booking_body(always, in_hours(26), hours=1),
    )
    assert homeless.status_code == 201, homeless.get_json()
    after = board(client, now)
    assert delta(before_now, after, "VR03") == {
        "free_now": 1,
        "free_next_24h": 1,
        "requested": 2,
        "in_use": 0,
    }
    assert delta(before_now, after, "VR04")["requested"] == 1
    assert delta(before_now, after, ROTTERDAM)["requested"] == 1

    act(client, used["id"], "approve")
    act(client, used["id"], "start")
    after = board(client, now)
    assert delta(before_now, after, ROTTERDAM) == {
        "free_now": 0,
        "free_next_24h": 0,
        "requested": 0,
        "in_use": 1,
    }
    assert delta(before_now, after, "VR03")["in_use"] == 0
    # At a moment inside its booking the asset is not free (its only unit is booked).
    assert delta(before_later, board(client, later), "VR03")["free_now"] == 0


def test_any_signed_in_role_reads_the_board_and_nobody_else(
    clients: dict[str, FlaskClient],
) -> None:
    client = clients["booking"]
    for persona in ("planner-rotterdam", "owner-dhc", "finance-politie", "admin"):
        assert client.get(BOARD, headers=auth(persona)).status_code == 200
    assert client.get(BOARD).status_code == 401
    for at in ("tomorrow", "9999-12-31T23:00:00+00:00"):  # the 24 h after it cannot be stored
        bad = client.get(BOARD, query_string={"at": at}, headers=auth("admin"))
        assert bad.status_code == 422 and "at" in bad.get_json()["errors"]
    row = client.get(BOARD, headers=auth("admin")).get_json()["rows"][0]
    assert set(row) == {"region", "category", *COUNTS}  # counts only: no names, no purposes
