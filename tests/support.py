"""Test helpers shared by integration and e2e tests (no fixtures here; see conftest.py)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from flask.testing import FlaskClient

from services import registry
from shared.migrate import drop_database, ensure_database, upgrade
from shared.personas import persona_token
from shared.runtime import database_url
from shared.settings import DEV_JWT_SECRET, load_settings

T = TypeVar("T")


@contextmanager
def migrated_databases(admin_url: str, prefix: str) -> Iterator[dict[str, str]]:
    """One fresh, migrated database per service (named ``{prefix}_{run}_{service}``) on the
    server of ``admin_url``; dropped afterwards."""
    run_id = uuid.uuid4().hex[:8]
    urls = {s: database_url(admin_url, f"{prefix}_{run_id}_{s}") for s in registry.SERVICES}
    for service, url in urls.items():
        ensure_database(url)
        upgrade(service, load_settings(service, {"DATABASE_URL": url}).database_url)
    try:
        yield urls
    finally:
        for url in urls.values():
            drop_database(url)


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


def register_bookable_helicopter(
    catalog: FlaskClient, registration: str | None = None
) -> dict[str, Any]:
    """Register an NH90 as owner-dhc and publish it as available for the next 30 days."""
    registration = registration or f"NH-{uuid.uuid4().hex[:10]}"
    response = catalog.post(
        "/api/v1/assets",
        headers=auth("owner-dhc"),
        json={
            "registration": registration,
            "name": f"NH90 {registration}",
            "category": "helicopter",
            "home_base": "Marinevliegkamp De Kooy",
            "regions": ["VR10", "VR17"],
            "readiness_notice": "PT2H",
            "tariff": {
                "unit": "flight_hour",
                "full_cost_rate": "9800.00",
                "marginal_cost_rate": "3900.00",
                "mobilisation_fee": "1500.00",
                "market_reference_price": "11000.00",
                "valid_from": "2026-01-01",
            },
        },
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
