"""Helpers for the booking integration tests: assets and contracts put straight into booking's
read model (no catalog, no broker), request bodies, and counts of what a request wrote.

Everything runs against the session's real PostgreSQL; nothing is mocked. The database is
shared by the whole session, so every helper makes unique data (uuid asset ids, unique
organisations where a test needs exact counts) and compares counts before and after.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from services.booking.readmodel import apply_asset_snapshot, apply_contract
from shared.auth import mint_token
from shared.db import make_engine, make_session_factory
from shared.settings import DEV_JWT_SECRET, sqlalchemy_url
from tests.support import auth
from tests.support import blackout as blackout  # re-exported: booking tests import it here
from tests.support import one_off as one_off

BOOKINGS = "/api/v1/bookings"
AVAILABILITY = "/api/v1/availability"
SERIES = "/api/v1/series"
ORDERS = "/api/v1/orders"
CONTRACTS = "/api/v1/contracts"
PENDING = "/api/v1/approvals/pending"
CALENDAR = "/api/v1/calendar"

DEFAULT_PURPOSE = "Zoekactie vermiste persoon Maasvlakte"


# -- database ----------------------------------------------------------------------------------
@lru_cache(maxsize=4)
def engine_for(url: str, pool_size: int = 5) -> Engine:
    """One engine per database URL for the session (the tests' own, not the app's)."""
    return make_engine(sqlalchemy_url(url), pool_size=pool_size)


def booking_engine(db_urls: dict[str, str]) -> Engine:
    return engine_for(db_urls["booking"])


@contextmanager
def booking_session(db_urls: dict[str, str]) -> Iterator[Session]:
    """A session on booking's database that commits when the block ends without error."""
    session = make_session_factory(booking_engine(db_urls))()
    try:
        yield session
        session.commit()
    finally:
        session.close()


def backdate(db_urls: dict[str, str], booking_id: str, hours: float) -> None:
    """Move a booking ``hours`` into the past, as if that much time had gone by since it was
    requested: requests must lie in the future, and only a use that has happened can be
    completed. The planned window, the deadline and the request time move together."""
    with booking_engine(db_urls).begin() as conn:
        conn.execute(
            text(
                "UPDATE bookings SET planned_start = planned_start - make_interval(secs => :s), "
                "planned_end = planned_end - make_interval(secs => :s), "
                "expires_at = expires_at - make_interval(secs => :s), "
                "created_at = created_at - make_interval(secs => :s) WHERE id = :id"
            ),
            {"s": hours * 3600, "id": booking_id},
        )


def booking_row(db_urls: dict[str, str], booking_id: str) -> dict[str, Any]:
    with booking_engine(db_urls).connect() as conn:
        row = (
            conn.execute(text("SELECT * FROM bookings WHERE id = :id"), {"id": booking_id})
            .mappings()
            .one()
        )
        return dict(row)


def events_of(db_urls: dict[str, str], aggregate_id: str) -> list[dict[str, Any]]:
    """The outbox events of one aggregate, oldest first (the envelopes as staged)."""
    with booking_engine(db_urls).connect() as conn:
        rows = conn.execute(
            text("SELECT payload FROM outbox WHERE aggregate_id = :id ORDER BY id"),
            {"id": aggregate_id},
        ).scalars()
        return list(rows)


# -- time --------------------------------------------------------------------------------------
def in_hours(hours: float) -> datetime:
    """A moment ``hours`` from now, on a whole minute (UTC)."""
    return (datetime.now(UTC) + timedelta(hours=hours)).replace(second=0, microsecond=0)


def iso(moment: datetime) -> str:
    return moment.isoformat()


# -- read model --------------------------------------------------------------------------------
def tariff(
    *,
    unit: str = "flight_hour",
    full: str = "9800.00",
    marginal: str = "3900.00",
    fee: str = "1500.00",
    market: str = "11000.00",
) -> dict[str, Any]:
    return {
        "tariff_id": str(uuid.uuid4()),
        "unit": unit,
        "full_cost_rate": full,
        "marginal_cost_rate": marginal,
        "mobilisation_fee": fee,
        "market_reference_price": market,
        "currency": "EUR",
        "valid_from": "2026-01-01",
        "valid_to": None,
    }


def asset_snapshot(**overrides: Any) -> dict[str, Any]:
    """An asset as catalog emits it: by default a slot helicopter of defensie-dhc, 2 h notice,
    available from an hour ago for 40 days, 9,800/flight hour + 1,500 mobilisation."""
    asset_id = str(uuid.uuid4())
    data: dict[str, Any] = {
        "asset_id": asset_id,
        "owner_org": "defensie-dhc",
        "registration": f"T-{asset_id[:8]}",
        "name": f"NH90 {asset_id[:8]}",
        "category": "helicopter",
        "booking_mode": "slot",
        "home_base": "De Kooy",
        "regions": ["VR10", "VR17"],
        "capacity": 1,
        "readiness_notice": "PT2H",
        "attributes": {},
        "status": "active",
        "version": 1,
        "tariffs": [tariff()],
        "availability": [one_off(in_hours(-1), in_hours(40 * 24))],
        "blackouts": [],
    }
    data.update(overrides)
    return data


def put_asset(db_urls: dict[str, str], **overrides: Any) -> dict[str, Any]:
    """Put an asset straight into booking's read model (committed); returns the snapshot."""
    data = asset_snapshot(**overrides)
    with booking_session(db_urls) as session:
        apply_asset_snapshot(session, data)
    return data


def put_contract(db_urls: dict[str, str], **overrides: Any) -> dict[str, Any]:
    """A framework contract in booking's read model (committed), valid around today."""
    today = date.today()
    data: dict[str, Any] = {
        "contract_id": str(uuid.uuid4()),
        "owner_org": "defensie-dhc",
        "reference": f"DMO-{uuid.uuid4().hex[:8]}",
        "supplier": "Leverancier BV",
        "valid_from": (today - timedelta(days=30)).isoformat(),
        "valid_to": (today + timedelta(days=365)).isoformat(),
        "total_volume": 10,
        "item_ids": [str(uuid.uuid4())],
        "tiers": [
            {"min_quantity": 1, "unit_price": "120.00"},
            {"min_quantity": 100, "unit_price": "95.00"},
        ],
    }
    data.update(overrides)
    with booking_session(db_urls) as session:
        apply_contract(session, data)
    return data


# -- requests ----------------------------------------------------------------------------------
def booking_body(
    asset: dict[str, Any] | str, start: datetime, hours: float = 3, **overrides: Any
) -> dict[str, Any]:
    asset_id = asset if isinstance(asset, str) else asset["asset_id"]
    body: dict[str, Any] = {
        "asset_id": asset_id,
        "start": start.isoformat(),
        "end": (start + timedelta(hours=hours)).isoformat(),
        "priority": 2,
        "legal_basis": "bijstand_politiewet",
        "purpose": DEFAULT_PURPOSE,
        "contact": "OvD Rotterdam 010-0000000",
    }
    body.update(overrides)
    return body


def order_body(contract: dict[str, Any], quantity: int = 1, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "contract_id": contract["contract_id"],
        "item_id": contract["item_ids"][0],
        "quantity": quantity,
        "delivery_date": (date.today() + timedelta(days=14)).isoformat(),
        "purpose": "Kistjes voor de ME",
    }
    body.update(overrides)
    return body


def headers_for(persona: str, key: str | None = None) -> dict[str, str]:
    headers = auth(persona)
    if key is not None:
        headers["Idempotency-Key"] = key
    return headers


def org_token(org: str, *roles: str, sub: str | None = None) -> dict[str, str]:
    """A bearer header for a made-up organisation (isolates counts in the shared database)."""
    token = mint_token(
        sub=sub or f"user@{org}", name=f"Test {org}", org=org, roles=roles, secret=DEV_JWT_SECRET
    )
    return {"Authorization": f"Bearer {token}"}


def request_booking(
    client: FlaskClient,
    asset: dict[str, Any] | str,
    start: datetime,
    *,
    persona: str = "planner-rotterdam",
    expect: int = 201,
    **overrides: Any,
) -> dict[str, Any]:
    response = client.post(
        BOOKINGS, headers=auth(persona), json=booking_body(asset, start, **overrides)
    )
    assert response.status_code == expect, response.get_json()
    return response.get_json()


def act(
    client: FlaskClient,
    booking_id: str,
    action: str,
    *,
    persona: str = "owner-dhc",
    expect: int = 200,
    **body: Any,
) -> dict[str, Any]:
    response = client.post(f"{BOOKINGS}/{booking_id}/{action}", headers=auth(persona), json=body)
    assert response.status_code == expect, response.get_json()
    return response.get_json()


def ids(response: TestResponse) -> list[str]:
    return [item["id"] for item in response.get_json()["items"]]


def all_items(client: FlaskClient, url: str, persona: str, **query: Any) -> list[dict[str, Any]]:
    """Every item of a list, page after page by ``next_cursor``."""
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        params = {**query, **({"cursor": cursor} if cursor else {})}
        response = client.get(url, headers=auth(persona), query_string=params)
        assert response.status_code == 200, response.get_json()
        page = response.get_json()
        items.extend(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return items
