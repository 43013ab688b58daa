"""Availability search against a plain reference: find_free's SQL (region's assets ranked
first, the rest only when the page is not full; the peak-load sweep only for assets with
several bookings in the window) must give exactly what the rules say, on many random searches.

The reference below reads asset_view, asset_windows and bookings into Python and applies the
rules one asset at a time: inside a published window, peak load of the active bookings that
overlap the window (a sweep, ends before starts at one instant) leaves the quantity free,
readiness notice, status, mode, category, the excluded asset; ranked by serves the region,
then estimate (tariff_at + estimate; none last), then name (code points, as COLLATE "C"), then
asset id. The data lives in a database of its own, so other tests' assets do not change the
ranking and the data cannot disturb them.
"""

from __future__ import annotations

import random
import uuid
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import accumulate
from typing import Any

import pytest
from sqlalchemy import Engine, insert, text
from sqlalchemy.orm import Session

from services.booking.domain import ACTIVE_STATES
from services.booking.models import Booking
from services.booking.readmodel import apply_asset_snapshots
from services.booking.search import estimate, find_free, tariff_at
from shared.db import make_engine
from shared.migrate import drop_database, ensure_database, upgrade
from shared.runtime import database_url
from shared.settings import sqlalchemy_url
from tests.integration.booking_support import blackout, one_off

pytestmark = pytest.mark.db

NOW = datetime(2027, 3, 1, 6, 0, tzinfo=UTC)
REGIONS = [f"VR{n:02d}" for n in range(1, 7)]
CATEGORIES = ["helicopter", "dive_team", "terrain"]
# Few distinct names and prices, so ties in estimate and in name are common.
NAMES = ["Alpha", "alpha", "Bravo", "Ærø", "bravo", "Zulu"]
ACTIVE = {s.value for s in ACTIVE_STATES}
ALL_STATES = [*sorted(ACTIVE), "completed", "cancelled", "rejected", "expired", "preempted"]


@dataclass
class Data:
    """What the search reads, as the reference sees it."""

    assets: list[dict[str, Any]] = field(default_factory=list)
    windows: dict[str, list[tuple[datetime, datetime]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    bookings: dict[str, list[tuple[datetime, datetime, int, str]]] = field(
        default_factory=lambda: defaultdict(list)
    )


def _tariff(valid_from: str, valid_to: str | None, rng: random.Random) -> dict[str, Any]:
    return {
        "tariff_id": str(uuid.uuid4()),
        "unit": rng.choice(["flight_hour", "hour", "day", "day_part", "unit"]),
        "full_cost_rate": rng.choice(["100.00", "250.50", "1000.00"]),
        "marginal_cost_rate": "10.00",
        "mobilisation_fee": rng.choice(["0.00", "99.99", "500.00"]),
        "market_reference_price": "2000.00",
        "currency": "EUR",
        "valid_from": valid_from,
        "valid_to": valid_to,
    }


def _tariffs(rng: random.Random) -> list[dict[str, Any]]:
    """One open tariff; a change during the searched days; none before a day (no estimate);
    or overlapping periods (the first in the list wins, as tariff_at says)."""
    kind = rng.randrange(4)
    if kind == 0:
        return [_tariff("2026-01-01", None, rng)]
    if kind == 1:
        return [_tariff("2026-01-01", "2027-03-05", rng), _tariff("2027-03-05", None, rng)]
    if kind == 2:
        return [_tariff("2027-03-04", None, rng)]
    return [_tariff("2026-01-01", None, rng), _tariff("2027-03-03", None, rng)]


def _availability(rng: random.Random) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    if rng.random() < 0.3:  # every day 06:00-22:00 in Amsterdam: many windows per asset
        rules = [
            {
                "window_id": str(uuid.uuid4()),
                "kind": "recurring",
                "start_at": None,
                "end_at": None,
                "weekdays": [1, 2, 3, 4, 5, 6, 7],
                "start_time": "06:00",
                "end_time": "22:00",
                "valid_from": "2027-02-28",
                "valid_to": "2027-03-20",
                "timezone": "Europe/Amsterdam",
            }
        ]
    else:
        first = NOW + timedelta(hours=rng.randint(-24, 72))
        rules = [one_off(first, first + timedelta(hours=rng.randint(24, 200)))]
        if rng.random() < 0.4:
            second = first + timedelta(hours=rng.randint(210, 260))
            rules.append(one_off(second, second + timedelta(hours=rng.randint(5, 60))))
    blackouts = []
    if rng.random() < 0.3:
        at = NOW + timedelta(hours=rng.randint(0, 240))
        blackouts.append(blackout(at, at + timedelta(hours=rng.randint(1, 20))))
    return rules, blackouts


def _snapshot(rng: random.Random) -> dict[str, Any]:
    mode = rng.choices(["slot", "capacity", "quantity"], weights=[5, 4, 1])[0]
    availability, blackouts = _availability(rng)
    return {
        "asset_id": str(uuid.uuid4()),
        "owner_org": rng.choice(["defensie-dhc", "defensie-duikgroep"]),
        "registration": "T-1",
        "name": rng.choice(NAMES),
        "category": rng.choice(CATEGORIES),
        "booking_mode": mode,
        "home_base": "De Kooy",
        "regions": rng.sample(REGIONS, rng.randint(0, 3)),
        "capacity": 1 if mode == "slot" else rng.randint(2, 4),
        "readiness_notice": rng.choice(["PT2H", "PT4H", "P1D", "P2D"]),
        "attributes": {},
        "status": rng.choices(["active", "maintenance", "retired"], weights=[9, 1, 1])[0],
        "version": 1,
        "tariffs": _tariffs(rng),
        "availability": availability,
        "blackouts": blackouts,
    }


def _bookings(rng: random.Random, asset: dict[str, Any]) -> list[dict[str, Any]]:
    """0-6 bookings on whole hours in the searched days, overlapping and back to back."""
    rows = []
    start = NOW + timedelta(hours=rng.randint(0, 200))
    for _ in range(rng.randint(0, 6)):
        end = start + timedelta(hours=rng.randint(1, 30))
        rows.append(
            {
                "asset_id": uuid.UUID(asset["asset_id"]),
                "owner_org": asset["owner_org"],
                "requester_org": "politie-rotterdam",
                "requested_by": "test",
                "category": asset["category"],
                "holds_slot": False,  # the search reads state and window, not the slot flag
                "needs_preemption": False,
                "planned_start": start,
                "planned_end": end,
                "quantity": rng.randint(1, asset["capacity"]),
                "priority": 2,
                "legal_basis": "bijstand_politiewet",
                "purpose": "Zoekactie",
                "contact": "test",
                "state": rng.choice(ALL_STATES),
                "expires_at": start,
                "version": 1,
            }
        )
        # the next one: back to back, overlapping, or later
        start = rng.choice([end, start + timedelta(hours=1), end + timedelta(hours=5)])
    return rows


@pytest.fixture(scope="module")
def search_db(pg_admin_url: str) -> Iterator[tuple[Engine, Data]]:
    url = database_url(pg_admin_url, f"sk_search_{uuid.uuid4().hex[:8]}")
    ensure_database(url)
    engine = make_engine(sqlalchemy_url(url))
    try:
        upgrade("booking", sqlalchemy_url(url))
        rng = random.Random(4)
        snapshots = [_snapshot(rng) for _ in range(240)]
        with Session(engine) as session:
            apply_asset_snapshots(session, snapshots, now=NOW)
            rows = [
                b for s in snapshots if s["booking_mode"] != "quantity" for b in _bookings(rng, s)
            ]
            session.execute(insert(Booking.__table__), rows)
            session.commit()
        yield engine, _read(engine)
    finally:
        engine.dispose()
        drop_database(url)


def _read(engine: Engine) -> Data:
    data = Data()
    with engine.connect() as conn:
        data.assets = [
            dict(r._mapping)
            for r in conn.execute(
                text(
                    "SELECT asset_id, owner_org, name, category, booking_mode, home_base,"
                    " home_location, regions, capacity, readiness_notice, notice_seconds, status,"
                    " tariffs FROM asset_view"
                )
            )
        ]
        for asset_id, during in conn.execute(text("SELECT asset_id, during FROM asset_windows")):
            assert during.bounds == "[)"
            data.windows[str(asset_id)].append((during.lower, during.upper))
        for row in conn.execute(
            text("SELECT asset_id, planned_start, planned_end, quantity, state FROM bookings")
        ):
            data.bookings[str(row.asset_id)].append(tuple(row[1:]))
    return data


def peak_load(data: Data, asset_id: str, start: datetime, end: datetime) -> int:
    """Most units the asset's active bookings hold at one instant of [start, end)."""
    events = sorted(
        (moment, delta)
        for b_start, b_end, quantity, state in data.bookings[asset_id]
        if state in ACTIVE and b_start < end and start < b_end
        for moment, delta in ((b_start, quantity), (b_end, -quantity))
    )
    return max(accumulate((delta for _, delta in events), initial=0))


def reference(
    data: Data,
    *,
    start: datetime,
    end: datetime,
    quantity: int,
    category: str | None,
    region: str | None,
    exclude_asset: uuid.UUID | None,
    now: datetime,
    limit: int,
) -> list[dict[str, Any]]:
    lead = int((start - now).total_seconds())
    found = []
    for a in data.assets:
        asset_id = str(a["asset_id"])
        if (
            a["status"] != "active"
            or a["booking_mode"] == "quantity"
            or (category is not None and a["category"] != category)
            or (exclude_asset is not None and a["asset_id"] == exclude_asset)
            or a["notice_seconds"] > lead
            or not any(lo <= start and end <= hi for lo, hi in data.windows[asset_id])
        ):
            continue
        used = peak_load(data, asset_id, start, end)
        if a["capacity"] - used < quantity:
            continue
        found.append(
            {
                "asset_id": asset_id,
                "name": a["name"],
                "owner_org": a["owner_org"],
                "category": a["category"],
                "booking_mode": a["booking_mode"],
                "home_base": a["home_base"],
                "home_location": a["home_location"],
                "regions": a["regions"],
                "readiness_notice": a["readiness_notice"],
                "free_units": a["capacity"] - used,
                "serves_region": region is None or region in a["regions"],
                "estimate": estimate(tariff_at(a["tariffs"], start), start, end, quantity),
            }
        )
    found.sort(
        key=lambda r: (
            not r["serves_region"],
            Decimal(r["estimate"]["amount"]) if r["estimate"] else Decimal("Infinity"),
            r["name"],
            r["asset_id"],
        )
    )
    return found[:limit]


_REACHED = (
    "results",
    "page full of the region's assets",
    "region's assets, then others",
    "no estimate",
    "several bookings in the window",
    "peak below the sum",
)


def test_search_matches_the_rules_on_random_searches(search_db: tuple[Engine, Data]) -> None:
    engine, data = search_db
    rng = random.Random(20261)
    seen: defaultdict[str, int] = defaultdict(int)
    with Session(engine) as session:
        for _ in range(300):
            start = NOW + timedelta(hours=rng.randint(1, 230))
            kwargs: dict[str, Any] = {
                "start": start,
                "end": start + timedelta(hours=rng.randint(1, 30)),
                "quantity": rng.choice([1, 1, 2, 3]),
                "category": rng.choice([None, None, *CATEGORIES]),
                "region": rng.choice([None, "VR99", *REGIONS]),
                "exclude_asset": None,
                "now": NOW,
                "limit": rng.choice([1, 3, 10, 50, 500]),
            }
            if rng.random() < 0.2:
                kwargs["exclude_asset"] = rng.choice(data.assets)["asset_id"]
            got = find_free(session, **kwargs)
            assert got == reference(data, **kwargs), kwargs

            # What the random searches reached (so this test cannot pass by finding nothing).
            serving = [r["serves_region"] for r in got]
            seen["results"] += bool(got)
            seen["page full of the region's assets"] += len(got) == kwargs["limit"] and all(serving)
            seen["region's assets, then others"] += any(serving) and not all(serving)
            seen["no estimate"] += any(r["estimate"] is None for r in got)
            seen["several bookings in the window"] += any(
                len(active_overlapping(data, r["asset_id"], kwargs)) > 1 for r in got
            )
            seen["peak below the sum"] += any(
                peak_load(data, r["asset_id"], kwargs["start"], kwargs["end"])
                < sum(b[2] for b in active_overlapping(data, r["asset_id"], kwargs))
                for r in got
            )
    assert all(seen[k] >= 3 for k in _REACHED), dict(seen)


def active_overlapping(
    data: Data, asset_id: str, search: dict[str, Any]
) -> list[tuple[datetime, datetime, int, str]]:
    return [
        b
        for b in data.bookings[asset_id]
        if b[3] in ACTIVE and b[0] < search["end"] and search["start"] < b[1]
    ]
