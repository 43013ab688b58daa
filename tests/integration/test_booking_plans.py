"""A booking request's checks read one asset's rows, not everyone's in the same hours.

The request's read (request_sql.REQUEST_FACTS: is a published window covering it, which active
bookings overlap it) is a prepared statement, and after five runs PostgreSQL may keep a generic
plan that cannot see the parameters. With a time-only index beside the asset-first ones, that
generic plan probed by time and filtered on the asset: every active booking and every window of
every asset in that hour was read, 0.3 ms each at 2,000 assets (migration 0007,
docs/benchmarks.md). Here many assets are booked in the same hour and have windows covering it;
the generic plan, executed, must remove (almost) nothing by filter.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, insert, text
from sqlalchemy.orm import Session

from services.booking import request_sql
from services.booking.models import Booking
from services.booking.readmodel import apply_asset_snapshots
from shared.db import make_engine
from shared.migrate import drop_database, ensure_database, upgrade
from shared.runtime import database_url
from shared.settings import sqlalchemy_url
from tests.integration.booking_support import asset_snapshot, one_off

pytestmark = pytest.mark.db

ASSETS = 300
HOUR = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
# Types of the request read's parameters, for PREPARE (psycopg binds them by name).
PARAMETER_TYPES = {"asset_id": "uuid", "start": "timestamptz", "end": "timestamptz",
                   "actor": "text", "key": "text"}  # fmt: skip


@pytest.fixture(scope="module")
def busy_hour(pg_admin_url: str) -> Iterator[tuple[Engine, list[str]]]:
    """ASSETS slot assets, each published for months and each booked from HOUR to HOUR + 1 h."""
    url = database_url(pg_admin_url, f"sk_plans_{uuid.uuid4().hex[:8]}")
    ensure_database(url)
    engine = make_engine(sqlalchemy_url(url))
    try:
        upgrade("booking", sqlalchemy_url(url))
        snapshots = [
            asset_snapshot(
                availability=[one_off(HOUR - timedelta(days=30), HOUR + timedelta(days=90))]
            )
            for _ in range(ASSETS)
        ]
        with Session(engine) as session:
            apply_asset_snapshots(session, snapshots, now=HOUR - timedelta(days=1))
            session.execute(
                insert(Booking.__table__),
                [_booking(s) for s in snapshots],
            )
            session.commit()
        with engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))
        yield engine, [s["asset_id"] for s in snapshots]
    finally:
        engine.dispose()
        drop_database(url)


def _booking(asset: dict[str, Any]) -> dict[str, Any]:
    return {
        "asset_id": uuid.UUID(asset["asset_id"]),
        "owner_org": asset["owner_org"],
        "requester_org": "politie-rotterdam",
        "requested_by": "test",
        "category": asset["category"],
        "holds_slot": True,
        "needs_preemption": False,
        "planned_start": HOUR,
        "planned_end": HOUR + timedelta(hours=1),
        "quantity": 1,
        "priority": 2,
        "legal_basis": "bijstand_politiewet",
        "purpose": "Zoekactie",
        "contact": "test",
        "state": "approved",
        "expires_at": HOUR,
        "version": 1,
    }


def _prepared(sql: str) -> tuple[str, list[str]]:
    """``sql`` with psycopg's %(name)s placeholders as $n, and the names in $n order."""
    names: list[str] = []

    def number(match: re.Match[str]) -> str:
        if match.group(1) not in names:
            names.append(match.group(1))
        return f"${names.index(match.group(1)) + 1}"

    return re.sub(r"%\((\w+)\)s", number, sql), names


def _literal(value: Any) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)


def _filtered_rows(plan: dict[str, Any]) -> int:
    """The most rows any node of an executed plan read and then threw away by filter."""
    own = int(plan.get("Rows Removed by Filter", 0))
    return max([own, *(_filtered_rows(child) for child in plan.get("Plans", []))])


def test_the_generic_plan_of_a_request_reads_one_asset(busy_hour: tuple[Engine, list[str]]) -> None:
    engine, asset_ids = busy_hour
    body, names = _prepared(request_sql.REQUEST_FACTS)
    types = ", ".join(PARAMETER_TYPES[n] for n in names)
    values = {"asset_id": asset_ids[7], "start": HOUR + timedelta(minutes=30),
              "end": HOUR + timedelta(minutes=90), "actor": "planner", "key": "k-1"}  # fmt: skip
    # EXECUTE takes literals (a utility statement has no bind parameters); these are our own.
    literals = ", ".join(f"CAST('{_literal(values[n])}' AS {PARAMETER_TYPES[n]})" for n in names)
    with engine.connect() as connection:
        connection.execute(text("SET plan_cache_mode = force_generic_plan"))
        connection.exec_driver_sql(f"PREPARE request_facts ({types}) AS {body}")
        plan = connection.exec_driver_sql(
            f"EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE request_facts ({literals})"
        ).scalar_one()
        facts = connection.exec_driver_sql(f"EXECUTE request_facts ({literals})").one()
        connection.rollback()
    plan = plan if isinstance(plan, list) else json.loads(plan)
    # The check itself still sees what it must: the window is published, one booking clashes.
    assert facts.published is True
    assert len(facts.clashes) == 1
    # Another asset's rows are never read: at most a row or two of this asset's are filtered.
    assert _filtered_rows(plan[0]["Plan"]) <= 2, json.dumps(plan, indent=1)
