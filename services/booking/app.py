"""Booking service: wiring only."""

from __future__ import annotations

from typing import Any

from flask import Flask

from services.booking.api import blp
from services.booking.bench import bench_blueprint
from services.booking.worker import catalog_read_model_group
from shared.kafka import consumer_lag
from shared.settings import Settings
from shared.web import build_service_app


class CatalogCaughtUp:
    """/readyz: booking answers requests right only once its read model holds the catalog, i.e.
    its read model consumer has committed past the end of catalog.assets. Latched per process:
    the read model lives in the database, so a later lag is ordinary propagation delay, not a
    reason to take booking out of service. (``slagkracht run`` also checks, exactly, that every
    catalog event in catalog's outbox is applied: Tansu's end offsets can read low.)"""

    def __init__(self) -> None:
        self.caught_up = False

    def __call__(self, settings: Settings) -> str:
        if not self.caught_up:
            group, topic = catalog_read_model_group(settings), settings.topic("catalog.assets")
            lag = consumer_lag(settings, group, topic)
            if lag is None:
                return "unknown: the broker does not answer for catalog.assets"
            if lag:
                return f"{lag} catalog events not applied yet"
            self.caught_up = True
        return "ok"


def create_app(config: dict[str, Any] | None = None) -> Flask:
    return build_service_app(
        "booking",
        title="Slagkracht booking",
        description="Police units request Defence capacity; owners decide; use is registered.",
        blueprints=[blp],
        config=config,
        bench_blueprint=bench_blueprint,
        readiness={"catalog_read_model": CatalogCaughtUp()},
    )
