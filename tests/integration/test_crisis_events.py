"""The crisis fast path over the real broker (Tansu) with the real workers.

- A home base's coordinates go from the catalog (API, migration 0007) through catalog.assets
  into booking's read model; an acute request whose clock has run out is escalated by the
  booking worker's sweep, and booking.escalated, with the alternatives ranked by travel from
  those coordinates, is published through the outbox to booking.bookings.
- A hold placed by a preemption reaches the catalog (booking.held) and keeps its asset from
  being retired until the unit releases it (booking.hold_released).
"""

from __future__ import annotations

import itertools
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine, text

from shared.events import validate_event
from shared.runtime import Broker
from shared.settings import Settings
from tests.integration.booking_support import BOOKINGS, booking_engine, events_of
from tests.integration.reliability_support import read_topic
from tests.support import asset_body, auth, eventually

pytestmark = [pytest.mark.db, pytest.mark.broker]

ASSETS = "/api/v1/assets"
# Each wait is bounded; generous because the machine's 2 cores are shared.
WAIT_S = 60.0
GILZE_RIJEN = {"lat": 51.5674, "lon": 4.9318}
DE_KOOY = {"lat": 52.9234, "lon": 4.7806}
# Days ahead no other test publishes availability on.
_DAYS = itertools.count(300, 3)


def far_window() -> tuple[datetime, datetime]:
    day = (datetime.now(UTC) + timedelta(days=next(_DAYS))).replace(
        minute=0, second=0, microsecond=0
    )
    return day, day + timedelta(hours=3)


def register(
    catalog: FlaskClient, *, home_location: dict[str, float], regions: list[str], start: datetime
) -> dict[str, Any]:
    """A helicopter of owner-dhc in the catalog, published for the window around ``start``."""
    registration = f"CR-{uuid.uuid4().hex[:10]}"
    response = catalog.post(
        ASSETS,
        headers=auth("owner-dhc"),
        json=asset_body(
            registration=registration,
            name=f"NH90 {registration}",
            home_location=home_location,
            regions=regions,
            readiness_notice="PT30M",
        ),
    )
    assert response.status_code == 201, response.get_json()
    asset: dict[str, Any] = response.get_json()
    assert asset["home_location"] == home_location
    window = catalog.post(
        f"{ASSETS}/{asset['id']}/availability",
        headers=auth("owner-dhc"),
        json={
            "kind": "one_off",
            "start_at": (start - timedelta(hours=2)).isoformat(),
            "end_at": (start + timedelta(hours=6)).isoformat(),
        },
    )
    assert window.status_code == 201, window.get_json()
    return asset


def request_when_known(
    booking: FlaskClient, asset_id: str, start: datetime, persona: str, **fields: Any
) -> dict[str, Any]:
    """Request the asset once it has reached booking's read model over the broker."""
    body = {
        "asset_id": asset_id,
        "start": start.isoformat(),
        "end": (start + timedelta(hours=3)).isoformat(),
        "priority": 2,
        "legal_basis": "bijstand_politiewet",
        "purpose": "Zoekactie vermiste persoon Maasvlakte",
        "contact": "OvD 010-0000000",
        **fields,
    }

    def requested() -> Any:
        response = booking.post(BOOKINGS, headers=auth(persona), json=body)
        return response if response.status_code == 201 else None

    response = eventually(requested, timeout_s=WAIT_S, every_s=0.2, what="asset in read model")
    created: dict[str, Any] = response.get_json()
    return created


def in_read_model(db_urls: dict[str, str], asset_id: str) -> Any:
    """The asset's home location once booking's read model has it with its published window."""
    with booking_engine(db_urls).connect() as conn:
        return conn.execute(
            text(
                "SELECT a.home_location FROM asset_view a WHERE a.asset_id = :a "
                "AND EXISTS (SELECT 1 FROM asset_windows w WHERE w.asset_id = a.asset_id)"
            ),
            {"a": asset_id},
        ).scalar_one_or_none()


def wait_for_read_model(db_urls: dict[str, str], asset: dict[str, Any]) -> None:
    eventually(
        lambda: in_read_model(db_urls, asset["id"]) == asset["home_location"],
        timeout_s=WAIT_S,
        every_s=0.2,
        what="the asset, its coordinates and its window in booking's read model",
    )


def test_coordinates_reach_booking_and_an_escalation_is_published(
    clients: dict[str, FlaskClient],
    start_worker: Any,
    settings: dict[str, Settings],
    broker: Broker,
    db_urls: dict[str, str],
) -> None:
    start_worker("catalog")
    start_worker("booking")
    catalog, booking = clients["catalog"], clients["booking"]
    start, _ = far_window()
    requested = register(catalog, home_location=DE_KOOY, regions=["VR10", "VR17"], start=start)
    alternative = register(catalog, home_location=GILZE_RIJEN, regions=["VR20"], start=start)
    wait_for_read_model(db_urls, alternative)

    acute = request_when_known(
        booking, requested["id"], start, "planner-rotterdam", priority=1, region="VR17"
    )
    # A shortened clock: the owner's time to decide has already run out.
    with booking_engine(db_urls).begin() as conn:
        conn.execute(
            text("UPDATE bookings SET decide_by = now() - interval '1 second' WHERE id = :i"),
            {"i": acute["id"]},
        )
    topic = settings["booking"].topic("booking.bookings")

    def escalation_on_the_topic() -> list[dict[str, Any]]:
        found = [json.loads(r.value) for r in read_topic(broker.bootstrap, topic)]
        return [
            e
            for e in found
            if e["type"] == "booking.escalated" and e["aggregate_id"] == acute["id"]
        ]

    (published,) = eventually(
        escalation_on_the_topic,
        timeout_s=WAIT_S,
        every_s=1.0,
        what="booking.escalated on booking.bookings (sweep, outbox, relay)",
    )
    validate_event(published)
    assert published["producer"] == "booking" and published["actor"] == "system"
    (best, *_) = published["data"]["alternatives"]
    assert best["asset_id"] == alternative["id"]
    assert best["home_location"] == GILZE_RIJEN
    # Gilze-Rijen to Rotterdam's seat: 50.5 km, 13 minutes at 250 km/h, after 30 minutes notice.
    assert (best["distance_km"], best["travel_minutes"], best["ready_in_minutes"]) == (
        50.5,
        13,
        43,
    )
    assert [e["type"] for e in events_of(db_urls, acute["id"])].count("booking.escalated") == 1


def commitment_state(engine: Engine, booking_id: str) -> str | None:
    with engine.connect() as conn:
        return conn.execute(
            text("SELECT state FROM asset_commitments WHERE booking_id = :b"), {"b": booking_id}
        ).scalar_one_or_none()


def test_a_hold_keeps_its_asset_from_being_retired_until_released(
    clients: dict[str, FlaskClient], start_worker: Any, catalog_db: Engine, db_urls: dict[str, str]
) -> None:
    start_worker("catalog")
    start_worker("booking")
    catalog, booking = clients["catalog"], clients["booking"]
    start, _ = far_window()
    taken = register(catalog, home_location=DE_KOOY, regions=["VR13"], start=start)
    alternative = register(catalog, home_location=GILZE_RIJEN, regions=["VR13"], start=start)
    wait_for_read_model(db_urls, alternative)
    exercise = request_when_known(
        booking,
        taken["id"],
        start,
        "planner-amsterdam",
        priority=3,
        legal_basis="joint_exercise",
    )
    owner = auth("owner-dhc")
    approved = booking.post(f"{BOOKINGS}/{exercise['id']}/approve", headers=owner, json={})
    assert approved.status_code == 200, approved.get_json()
    acute = request_when_known(booking, taken["id"], start, "planner-rotterdam", priority=1)
    preempted = booking.post(
        f"{BOOKINGS}/{exercise['id']}/preempt",
        headers=owner,
        json={"by_booking_id": acute["id"], "reason": "Acute zoekactie"},
    )
    assert preempted.status_code == 200, preempted.get_json()
    hold_id = events_of(db_urls, exercise["id"])[-1]["data"]["hold_booking_id"]
    hold = booking.get(f"{BOOKINGS}/{hold_id}", headers=auth("planner-amsterdam")).get_json()
    assert hold["asset_id"] == alternative["id"] and hold["state"] == "held"

    eventually(
        lambda: commitment_state(catalog_db, hold_id) == "held",
        timeout_s=WAIT_S,
        every_s=0.2,
        what="booking.held in catalog's asset_commitments",
    )
    reason = {"reason": "Uitgefaseerd na laatste inspectie"}
    refused = catalog.post(f"{ASSETS}/{alternative['id']}/retire", headers=owner, json=reason)
    assert refused.status_code == 409, refused.get_json()
    assert hold_id in refused.get_json()["bookings"]

    released = booking.post(
        f"{BOOKINGS}/{hold_id}/release-hold", headers=auth("planner-amsterdam"), json={}
    )
    assert released.status_code == 200, released.get_json()
    eventually(
        lambda: commitment_state(catalog_db, hold_id) == "cancelled",
        timeout_s=WAIT_S,
        every_s=0.2,
        what="booking.hold_released in catalog's asset_commitments",
    )
    retired = catalog.post(f"{ASSETS}/{alternative['id']}/retire", headers=owner, json=reason)
    assert retired.status_code == 200, retired.get_json()
