"""A 409 for a taken slot names the booking that holds it only to a caller who may see that
booking (its own unit's, the asset owner, finance and joint roles: booking's visibility rule);
anyone else learns only that the slot is taken, in the body and in ``detail``."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.integration.booking_support import (
    BOOKINGS,
    SERIES,
    act,
    booking_body,
    headers_for,
    in_hours,
    put_asset,
    request_booking,
)
from tests.support import auth

pytestmark = pytest.mark.db


def assert_names(refusal: dict[str, Any], booking_id: str) -> None:
    assert refusal["status"] == 409, refusal
    assert refusal["conflicting_booking"] == booking_id, refusal
    assert booking_id in refusal["detail"] and "already booked" in refusal["detail"]


def assert_hides(refusal: dict[str, Any], booking_id: str) -> None:
    assert refusal["status"] == 409, refusal
    assert "conflicting_booking" not in refusal, refusal
    assert booking_id not in str(refusal), refusal
    assert "already booked" in refusal["detail"]


def test_a_taken_slot_is_named_to_the_unit_that_holds_it_not_to_another(
    clients: dict[str, FlaskClient], db_urls: dict[str, str]
) -> None:
    client = clients["booking"]
    asset = put_asset(db_urls)
    start = in_hours(24)
    held = request_booking(client, asset, start, persona="planner-rotterdam")
    overlapping = start + timedelta(hours=1)
    other_unit = request_booking(
        client, asset, overlapping, persona="planner-amsterdam", expect=409
    )
    assert_hides(other_unit, held["id"])
    same_unit = request_booking(client, asset, overlapping, persona="planner-rotterdam", expect=409)
    assert_names(same_unit, held["id"])


def test_the_owner_s_counter_offer_into_a_taken_window_names_the_booking(
    clients: dict[str, FlaskClient], db_urls: dict[str, str]
) -> None:
    client = clients["booking"]
    asset = put_asset(db_urls)
    start = in_hours(24)
    mine = request_booking(client, asset, start, persona="planner-rotterdam")
    later = start + timedelta(hours=6)
    theirs = request_booking(client, asset, later, persona="planner-amsterdam")
    refusal = act(
        client,
        mine["id"],
        "counter-offer",
        persona="owner-dhc",
        expect=409,
        reason="Eerder bezet",
        start=later.isoformat(),
        end=(later + timedelta(hours=3)).isoformat(),
    )
    assert_names(refusal, theirs["id"])


def test_accepting_a_counter_offer_whose_window_another_unit_took_hides_that_booking(
    clients: dict[str, FlaskClient], db_urls: dict[str, str]
) -> None:
    client = clients["booking"]
    asset = put_asset(db_urls)
    start = in_hours(24)
    mine = request_booking(client, asset, start, persona="planner-rotterdam")
    later = start + timedelta(hours=6)
    act(client, mine["id"], "counter-offer", reason="Later op de dag",
        start=later.isoformat(), end=(later + timedelta(hours=3)).isoformat())  # fmt: skip
    # An offer holds nothing: another unit may take the window before the requester accepts.
    theirs = request_booking(client, asset, later, persona="planner-amsterdam")
    refusal = act(
        client, mine["id"], "accept-counter-offer", persona="planner-rotterdam", expect=409
    )
    assert_hides(refusal, theirs["id"])


def test_a_series_names_only_the_bookings_its_unit_may_see(
    clients: dict[str, FlaskClient], db_urls: dict[str, str]
) -> None:
    client = clients["booking"]
    asset = put_asset(db_urls)
    start = in_hours(48)
    theirs = request_booking(client, asset, start + timedelta(weeks=1), persona="planner-amsterdam")
    mine = request_booking(client, asset, start + timedelta(weeks=2), persona="planner-rotterdam")
    response = client.post(
        SERIES,
        headers=headers_for("planner-rotterdam"),
        json={**booking_body(asset, start), "frequency": "weekly", "count": 4},
    )
    assert response.status_code == 201, response.get_json()
    result = response.get_json()
    assert len(result["created"]) == 2
    # Week 1 clashes with Amsterdam's booking, week 2 with Rotterdam's own.
    by_week = {
        round((datetime.fromisoformat(c["start"]) - start).days / 7): c for c in result["conflicts"]
    }
    assert sorted(by_week) == [1, 2]
    hidden, named = by_week[1], by_week[2]
    assert hidden["status"] == named["status"] == 409
    assert "conflicting_booking" not in hidden and theirs["id"] not in hidden["reason"]
    assert "already booked" in hidden["reason"]
    assert named["conflicting_booking"] == mine["id"] and mine["id"] in named["reason"]


def _preempt(client: FlaskClient, db_urls: dict[str, str], acute_unit: str) -> tuple[str, str]:
    """Amsterdam's approved exercise, preempted for an acute request of ``acute_unit``:
    (the exercise's id, the acute request's id)."""
    asset = put_asset(db_urls)
    put_asset(db_urls)  # an alternative, so the displaced unit is offered (and held) one
    start = in_hours(24)
    exercise = request_booking(
        client, asset, start, persona="planner-amsterdam", priority=3, legal_basis="joint_exercise"
    )
    act(client, exercise["id"], "approve")
    acute = request_booking(
        client, asset, start + timedelta(hours=1), persona=acute_unit, priority=1
    )
    act(client, exercise["id"], "preempt", by_booking_id=acute["id"], reason="Acute zoekactie")
    return exercise["id"], acute["id"]


def _read(client: FlaskClient, path: str, persona: str) -> Any:
    response = client.get(f"{BOOKINGS}{path}", headers=auth(persona))
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_a_preemption_names_the_other_unit_s_booking_to_neither_unit(
    clients: dict[str, FlaskClient], db_urls: dict[str, str]
) -> None:
    """The displaced unit reads that its booking was preempted, not which booking of another
    unit took the slot (preempted_by is null); the acute unit's history says it was approved
    by preempting a booking, not which. The owner, who sees both, reads both ids."""
    client = clients["booking"]
    exercise, acute = _preempt(client, db_urls, "planner-rotterdam")
    displaced = _read(client, f"/{exercise}", "planner-amsterdam")
    assert displaced["state"] == "preempted" and displaced["preempted_by"] is None
    assert acute not in str(displaced)
    listed = _read(client, "?state=preempted&limit=200", "planner-amsterdam")
    mine = [b for b in listed["items"] if b["id"] == exercise]
    assert mine and mine[0]["preempted_by"] is None
    assert acute not in str(_read(client, f"/{exercise}/history", "planner-amsterdam"))
    history = _read(client, f"/{acute}/history", "planner-rotterdam")
    assert history["items"][-1]["action"] == "approve"
    assert exercise not in str(history) and "preempting" in history["items"][-1]["reason"]
    assert _read(client, f"/{exercise}", "owner-dhc")["preempted_by"] == acute
    assert exercise in _read(client, f"/{acute}/history", "owner-dhc")["items"][-1]["reason"]
    assert _read(client, f"/{exercise}", "controller")["preempted_by"] == acute


def test_a_preemption_within_one_unit_names_its_booking(
    clients: dict[str, FlaskClient], db_urls: dict[str, str]
) -> None:
    client = clients["booking"]
    exercise, acute = _preempt(client, db_urls, "planner-amsterdam")
    assert _read(client, f"/{exercise}", "planner-amsterdam")["preempted_by"] == acute
    history = _read(client, f"/{acute}/history", "planner-amsterdam")
    assert exercise in history["items"][-1]["reason"]
