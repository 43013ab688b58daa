"""Catalog service: wiring only; nothing connects at import time."""

from __future__ import annotations

from typing import Any

from flask import Flask

from services.catalog import api, reference_api
from services.catalog.bench import bench_blueprint
from shared.web import build_service_app


def create_app(config: dict[str, Any] | None = None) -> Flask:
    assert reference_api.blp is api.blp  # its views are registered on the catalog blueprint
    return build_service_app(
        "catalog",
        title="Slagkracht catalog",
        description="Assets, tariffs and availability that Defensie lends to the police.",
        blueprints=[api.blp],
        config=config,
        bench_blueprint=bench_blueprint,
    )
