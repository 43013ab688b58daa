"""Booking's /readyz stays 503 until its catalog read model has caught up with catalog.assets
(the real broker, on topics of this test's own): right after start a planner's first search
would find nothing and a request would say "Unknown asset"."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest

from services import registry
from shared.kafka import create_topics, make_producer
from shared.runtime import Broker
from tests.conftest import make_settings
from tests.support import eventually

pytestmark = [pytest.mark.db, pytest.mark.broker]


def test_readyz_waits_for_the_catalog_read_model_and_then_stays_ready(
    app_db_urls: dict[str, str], broker: Broker, start_worker: Callable[..., Any]
) -> None:
    settings = make_settings("booking", app_db_urls, broker, f"r{uuid.uuid4().hex[:6]}.")
    create_topics(settings)
    producer = make_producer(settings)

    def publish_to_catalog_assets() -> None:
        # Any record counts: the read model applies it or dead-letters it, and commits past it.
        producer.send(settings.topic("catalog.assets"), key=b"k", value=b"{}").get(timeout=10)

    publish_to_catalog_assets()
    client = registry.app_factory("booking")({"SLAGKRACHT_SETTINGS": settings}).test_client()
    behind = client.get("/readyz")
    assert behind.status_code == 503
    assert behind.get_json()["checks"]["catalog_read_model"] == "1 catalog events not applied yet"

    start_worker("booking", settings_override=settings)
    eventually(lambda: client.get("/readyz").status_code == 200, what="booking ready")
    # Once caught up, a later event in flight is propagation delay, not unreadiness.
    publish_to_catalog_assets()
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.get_json()["checks"]["catalog_read_model"] == "ok"
    producer.close()
