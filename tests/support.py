"""Test helpers shared by integration and e2e tests (no fixtures here; see conftest.py)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import psycopg
from flask.testing import FlaskClient
from sqlalchemy import Engine, text
from werkzeug.test import TestResponse

from services import registry
from shared.migrate import (
    app_database_url,
    drop_database,
    ensure_app_role,
    ensure_database,
    grant_app_role,
    upgrade,
)
from shared.personas import persona_token
from shared.runtime import database_url
from shared.settings import DEV_JWT_SECRET, load_settings

T = TypeVar("T")

# What every problem+json body carries (shared/web.py; RFC 9457 plus our request_id/errors).
PROBLEM_KEYS = frozenset({"type", "title", "status", "detail"})


# The app role's password in the tests: an external server may ask for one over TCP. The role
# is the server's (shared by every database on it), so every session sets the same one.
APP_PASSWORD = "slagkracht-app-test"


@contextmanager
def migrated_databases(admin_url: str, prefix: str) -> Iterator[dict[str, str]]:
    """One fresh database per service (named ``{prefix}_{run}_{service}``) on the server of
    ``admin_url``, migrated as its owner and granted to the app role as ``slagkracht migrate``
    leaves it; yields the owner's URLs (the services' are ``app_urls`` of them). Dropped
    afterwards."""
    run_id = uuid.uuid4().hex[:8]
    urls = {s: database_url(admin_url, f"{prefix}_{run_id}_{s}") for s in registry.SERVICES}
    ensure_test_app_role(admin_url)
    for service, url in urls.items():
        ensure_database(url)
        upgrade(service, load_settings(service, {"DATABASE_URL": url}).database_url)
        grant_app_role(url)
    try:
        yield urls
    finally:
        for url in urls.values():
            drop_database(url)


def ensure_test_app_role(admin_url: str) -> None:
    """The app role, with the tests' password. Another test session on the same server may be
    creating or altering it at this moment (PostgreSQL then answers a duplicate or "tuple
    concurrently updated"): try again."""
    for attempt in range(5):
        try:
            ensure_app_role(admin_url, password=APP_PASSWORD)
            return
        except psycopg.Error:
            if attempt == 4:
                raise
            time.sleep(0.2 * (attempt + 1))


def app_urls(owner_urls: dict[str, str]) -> dict[str, str]:
    """The same databases as the services connect to them: as the app role, which reads and
    writes rows and nothing more (shared.migrate.APP_ROLE), as in production."""
    return {s: app_database_url(url, password=APP_PASSWORD) for s, url in owner_urls.items()}


def auth(persona: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {persona_token(persona, DEV_JWT_SECRET)}"}


def eventually(
    probe: Callable[[], T | None],
    *,
    timeout_s: float = 20.0,
    every_s: float = 0.05,
    what: str = "condition",
) -> T:
    """Poll until ``probe`` returns something truthy; fail with ``what`` after the deadline."""
    deadline = time.monotonic() + timeout_s
    while True:
        result = probe()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s}s waiting for {what}")
        time.sleep(every_s)


# -- what an owner registers in catalog -----------------------------------------------------
def tariff_body(**overrides: Any) -> dict[str, Any]:
    """A catalog tariff as an owner registers it (illustrative NH90 rates)."""
    body: dict[str, Any] = {
        "unit": "flight_hour",
        "full_cost_rate": "9800.00",
        "marginal_cost_rate": "3900.00",
        "mobilisation_fee": "1500.00",
        "market_reference_price": "11000.00",
        "valid_from": "2026-01-01",
    }
    body.update(overrides)
    return body


def asset_body(**overrides: Any) -> dict[str, Any]:
    """An NH90 as an owner registers it in catalog (POST /api/v1/assets), under a registration
    no other test uses; ``overrides`` replace whole fields."""
    body: dict[str, Any] = {
        "registration": unique("N"),
        "name": "NH90 test",
        "category": "helicopter",
        "home_base": "Marinevliegkamp De Kooy",
        "regions": ["VR10", "VR17"],
        "readiness_notice": "PT2H",
        "tariff": tariff_body(),
    }
    body.update(overrides)
    return body


# -- what catalog's events carry (the input of booking's and cost-sharing's read models) -------
def one_off(start: datetime, end: datetime) -> dict[str, Any]:
    """A one-off availability window as catalog's asset events carry it."""
    return {
        "window_id": str(uuid.uuid4()),
        "kind": "one_off",
        "start_at": start.isoformat(),
        "end_at": end.isoformat(),
        "weekdays": None,
        "start_time": None,
        "end_time": None,
        "valid_from": None,
        "valid_to": None,
        "timezone": "Europe/Amsterdam",
    }


def blackout(start: datetime, end: datetime) -> dict[str, Any]:
    """A blackout as catalog's asset events carry it."""
    return {
        "blackout_id": str(uuid.uuid4()),
        "start_at": start.isoformat(),
        "end_at": end.isoformat(),
        "reason": "Eigen oefening Defensie",
    }


# Published availability that covers every window a test asks for.
ALWAYS_AVAILABLE = one_off(datetime(2020, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))


def register_bookable_helicopter(
    catalog: FlaskClient, registration: str | None = None
) -> dict[str, Any]:
    """Register an NH90 as owner-dhc and publish it as available for the next 30 days."""
    registration = registration or f"NH-{uuid.uuid4().hex[:10]}"
    response = catalog.post(
        "/api/v1/assets",
        headers=auth("owner-dhc"),
        json=asset_body(registration=registration, name=f"NH90 {registration}"),
    )
    assert response.status_code == 201, response.get_json()
    asset: dict[str, Any] = response.get_json()
    now = datetime.now(UTC)
    window = catalog.post(
        f"/api/v1/assets/{asset['id']}/availability",
        headers=auth("owner-dhc"),
        json={
            "kind": "one_off",
            "start_at": now.isoformat(),
            "end_at": (now + timedelta(days=30)).isoformat(),
        },
    )
    assert window.status_code == 201, window.get_json()
    return asset


@dataclass
class PolledRecord:
    """What a consumer reads from a polled Kafka record (for ``EventConsumer.apply_batch``)."""

    topic: str
    partition: int
    offset: int
    key: bytes
    value: bytes


def unique(prefix: str = "T") -> str:
    """A name no other test in the session uses (the databases are shared by the session)."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


# -- problem+json ----------------------------------------------------------------------------------
def field_messages(body: dict[str, Any], field: str) -> Any:
    """The messages a problem's ``errors`` holds for ``field``: a key of its own (a batch's
    "items.1.quantity") or a dotted path through marshmallow's nesting ("tariff.unit")."""
    node: Any = body.get("errors") or {}
    if field in node:
        return node[field]
    for part in field.split("."):
        assert isinstance(node, dict) and part in node, f"{field!r} not named in {body}"
        node = node[part]
    return node


def assert_problem(response: TestResponse, status: int, *fields: str) -> dict[str, Any]:
    """A problem+json answer with ``status``, a detail, and a message for each of ``fields``;
    returns the body."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert isinstance(body, dict) and body.keys() >= PROBLEM_KEYS, body
    assert body["status"] == status, body
    assert isinstance(body["detail"], str) and body["detail"], body
    for field in fields:
        assert field_messages(body, field), f"no message for {field!r} in {body}"
    return body


# -- what a request wrote ----------------------------------------------------------------------
def row_counts(engine: Engine) -> dict[str, int]:
    """Rows in every table of the engine's database (migrations' own table aside).

    The databases are shared by the whole session, so counts are compared before and after,
    never expected to be 0; every table is counted, so a write nobody thought of shows too."""
    with engine.connect() as conn:
        tables = conn.execute(
            text(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
                "AND tablename <> 'alembic_version' ORDER BY tablename"
            )
        ).scalars()
        return {
            table: conn.execute(text(f'SELECT count(*) FROM "{table}"')).scalar_one()  # noqa: S608
            for table in tables.all()
        }


@contextmanager
def writes(engine: Engine, **added: int) -> Iterator[None]:
    """Assert the block adds exactly ``added`` rows per table (0 to every table not named)."""
    before = row_counts(engine)
    yield
    after = row_counts(engine)
    unknown = set(added) - after.keys()
    assert not unknown, f"no such tables: {sorted(unknown)}"
    changed = {t: after[t] - before.get(t, 0) for t in after if after[t] != before.get(t, 0)}
    assert changed == {t: n for t, n in added.items() if n}, f"rows added per table: {changed}"


def nothing_written(engine: Engine) -> AbstractContextManager[None]:
    """Assert the block writes no row to any table of the engine's database."""
    return writes(engine)
