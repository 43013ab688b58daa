"""Retiring an asset while a future approved booking holds it: refused with the bookings named.

The catalog learns bookings from booking.* events (services/catalog/handlers.py →
service.apply_booking_event into ``asset_commitments``), so this runs the real flow over the
broker: catalog and booking workers, a request approved in booking, the commitment arriving in
catalog, the refusal, a cancellation arriving, and then the retirement and its event.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine, text

from tests.support import auth, eventually, register_bookable_helicopter

pytestmark = [pytest.mark.db, pytest.mark.broker]

ASSETS = "/api/v1/assets"
BOOKINGS = "/api/v1/bookings"
# Each wait is bounded; generous because other engineers load the same 2 cores.
WAIT_S = 45.0


def commitment_state(engine: Engine, booking_id: str) -> str | None:
    with engine.connect() as conn:
        return conn.execute(
            text("SELECT state FROM asset_commitments WHERE booking_id = :b"), {"b": booking_id}
        ).scalar_one_or_none()


def outbox_events(engine: Engine, asset_id: str) -> list[tuple[str, dict[str, Any]]]:
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT event_type, payload FROM outbox WHERE aggregate_id = :a ORDER BY id"),
            {"a": asset_id},
        ).all()
    return [(r.event_type, r.payload) for r in rows]


def asset_row(engine: Engine, asset_id: str) -> tuple[str, int]:
    with engine.connect() as conn:
        row = conn.execute(
            text("SELECT status, version FROM assets WHERE id = :a"), {"a": asset_id}
        ).one()
    return row.status, row.version


def retire(catalog: FlaskClient, asset_id: str) -> Any:
    return catalog.post(
        f"{ASSETS}/{asset_id}/retire",
        headers=auth("owner-dhc"),
        json={"reason": "Uitgefaseerd na laatste inspectie"},
    )


def test_retiring_is_refused_while_an_approved_future_booking_holds_the_asset(
    clients: dict[str, FlaskClient], start_worker: Any, catalog_db: Engine
) -> None:
    start_worker("catalog")
    start_worker("booking")
    catalog, booking = clients["catalog"], clients["booking"]
    asset = register_bookable_helicopter(catalog)
    aid = asset["id"]

    # The asset reaches booking's read model over the broker: a request then succeeds.
    start = (datetime.now(UTC) + timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
    request_body = {
        "asset_id": aid,
        "start": start.isoformat(),
        "end": (start + timedelta(hours=4)).isoformat(),
        "priority": 2,
        "legal_basis": "bijstand_politiewet",
        "purpose": "Zoekactie vermiste persoon Maasvlakte",
        "contact": "OvD Rotterdam 010-0000000",
    }

    def requested() -> Any:
        r = booking.post(BOOKINGS, headers=auth("planner-rotterdam"), json=request_body)
        return r if r.status_code == 201 else None

    created = eventually(
        requested, timeout_s=WAIT_S, every_s=0.2, what="the asset in booking's read model"
    ).get_json()
    bid = created["id"]
    response = booking.post(f"{BOOKINGS}/{bid}/approve", headers=auth("owner-dhc"), json={})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["state"] == "approved"

    # booking.requested and booking.approved reach the catalog's commitments.
    eventually(
        lambda: commitment_state(catalog_db, bid) == "approved",
        timeout_s=WAIT_S,
        every_s=0.1,
        what="the approval in catalog's asset_commitments",
    )

    status_before, version_before = asset_row(catalog_db, aid)
    events_before = outbox_events(catalog_db, aid)
    response = retire(catalog, aid)
    assert response.status_code == 409, response.get_json()
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["bookings"] == [bid]
    assert "1 future booking" in body["detail"]
    # Nothing written: the asset is unchanged and no event was staged.
    assert asset_row(catalog_db, aid) == (status_before, version_before) == ("active", 2)
    assert outbox_events(catalog_db, aid) == events_before
    assert catalog.get(f"{ASSETS}/{aid}", headers=auth("owner-dhc")).get_json()["status"] == (
        "active"
    )

    # The requesting unit cancels with a reason; the cancellation reaches the catalog.
    response = booking.post(
        f"{BOOKINGS}/{bid}/cancel",
        headers=auth("planner-rotterdam"),
        json={"reason": "Persoon teruggevonden, inzet niet meer nodig"},
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["state"] == "cancelled"
    eventually(
        lambda: commitment_state(catalog_db, bid) == "cancelled",
        timeout_s=WAIT_S,
        every_s=0.1,
        what="the cancellation in catalog's asset_commitments",
    )

    response = retire(catalog, aid)
    assert response.status_code == 200, response.get_json()
    retired = response.get_json()
    assert retired["status"] == "retired"
    assert retired["version"] == version_before + 1
    types = [t for t, _ in outbox_events(catalog_db, aid)]
    assert types[-1] == "catalog.asset.retired"
    assert types.count("catalog.asset.retired") == 1
    _, payload = outbox_events(catalog_db, aid)[-1]
    assert payload["data"]["status"] == "retired"
    assert payload["data"]["change"] == {"reason": "Uitgefaseerd na laatste inspectie"}

    # A second retirement is a conflict; booking learns the status and refuses new requests.
    assert retire(catalog, aid).status_code == 409
    later = {
        **request_body,
        "start": (start + timedelta(days=1)).isoformat(),
        "end": (start + timedelta(days=1, hours=2)).isoformat(),
    }

    def refused_as_retired() -> Any:
        r = booking.post(BOOKINGS, headers=auth("planner-rotterdam"), json=later)
        return r if r.status_code == 422 and "retired" in r.get_data(as_text=True) else None

    eventually(
        refused_as_retired, timeout_s=WAIT_S, every_s=0.2, what="booking to learn the retirement"
    )


def commitment(
    asset_id: str, booking_id: str, state: str, start: datetime, *, version: int
) -> dict[str, Any]:
    """A booking event's data as the catalog's consumer hands it to apply_booking_event."""
    return {
        "booking_id": booking_id,
        "asset_id": asset_id,
        "state": state,
        "planned_start": start.isoformat(),
        "planned_end": (start + timedelta(hours=2)).isoformat(),
        "requester_org": "politie-amsterdam",
        "version": version,
    }


def test_only_bookings_still_to_come_that_hold_the_asset_block_retirement(
    clients: dict[str, FlaskClient], catalog_db: Engine
) -> None:
    """Past, rejected, expired or completed bookings do not block; requested, counter-offered
    (and approved, above) do. The commitments are written as the catalog's consumer writes them
    (apply_booking_events, a polled batch at once), so no worker is needed here.
    """
    from services.catalog.commitments import apply_booking_event, apply_booking_events
    from shared.db import UnitOfWork, make_session_factory

    catalog = clients["catalog"]
    aid = register_bookable_helicopter(catalog)["id"]
    now = datetime.now(UTC)
    factory = make_session_factory(catalog_db)

    def apply(*events: dict[str, Any]) -> None:
        with UnitOfWork(factory, producer="catalog") as uow:
            apply_booking_events(uow.session, list(events))
            uow.commit()

    def apply_one_by_one(*events: dict[str, Any]) -> None:
        with UnitOfWork(factory, producer="catalog") as uow:
            for data in events:
                apply_booking_event(uow, data=data)
            uow.commit()

    apply(
        commitment(aid, str(uuid.uuid4()), "approved", now - timedelta(days=2), version=2),
        commitment(aid, str(uuid.uuid4()), "rejected", now + timedelta(days=2), version=2),
        commitment(aid, str(uuid.uuid4()), "expired", now + timedelta(days=3), version=2),
        commitment(aid, str(uuid.uuid4()), "cancelled", now + timedelta(days=4), version=2),
        commitment(aid, str(uuid.uuid4()), "completed", now - timedelta(hours=5), version=4),
    )
    # Still to come and holding the asset: named, earliest first.
    counter_offered, requested = str(uuid.uuid4()), str(uuid.uuid4())
    apply_one_by_one(
        commitment(aid, requested, "requested", now + timedelta(days=6), version=1),
        commitment(aid, counter_offered, "counter_offered", now + timedelta(days=5), version=2),
    )
    response = retire(catalog, aid)
    assert response.status_code == 409, response.get_json()
    assert response.get_json()["bookings"] == [counter_offered, requested]
    # Both cancelled (newer versions); stale events in the same batch, before and after the
    # newer ones, and again in a later batch, are ignored.
    apply(
        commitment(aid, requested, "requested", now + timedelta(days=6), version=1),
        commitment(aid, counter_offered, "cancelled", now + timedelta(days=5), version=3),
        commitment(aid, requested, "cancelled", now + timedelta(days=6), version=2),
        commitment(aid, counter_offered, "counter_offered", now + timedelta(days=5), version=2),
        commitment(aid, requested, "requested", now + timedelta(days=6), version=1),
    )
    apply_one_by_one(
        commitment(aid, counter_offered, "counter_offered", now + timedelta(days=5), version=2),
    )
    apply(commitment(aid, requested, "requested", now + timedelta(days=6), version=1))
    response = retire(catalog, aid)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["status"] == "retired"
