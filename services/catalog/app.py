"""Catalog service: wiring only; nothing connects at import time."""

from __future__ import annotations

import os
from typing import Any

from flask import Blueprint, Flask, Response, jsonify
from sqlalchemy import text

from services.catalog.api import blp
from shared.settings import load_settings
from shared.web import create_service_app, service_context


def _bench_blueprint() -> Blueprint:
    """``/bench/select1``: the benchmark's reference (SELECT 1 through the app's own pool).

    A plain Flask blueprint, registered only when SLAGKRACHT_BENCH_ENDPOINTS=1, so it is never
    in production nor in the exported OpenAPI (bench/catalog.py sets the variable).
    """
    bench = Blueprint("bench", __name__, url_prefix="/bench")

    @bench.get("/select1")
    def select1() -> Response:
        with service_context().session_factory() as session:
            value = session.execute(text("SELECT 1")).scalar_one()
        return jsonify(value=value)

    return bench


def create_app(config: dict[str, Any] | None = None) -> Flask:
    settings = (config or {}).get("SLAGKRACHT_SETTINGS") or load_settings("catalog")
    app, api = create_service_app(
        settings=settings,
        title="Slagkracht catalog",
        description="Assets, tariffs and availability that Defensie lends to the police.",
        config=config,
    )
    api.register_blueprint(blp)
    if os.environ.get("SLAGKRACHT_BENCH_ENDPOINTS") == "1":
        app.register_blueprint(_bench_blueprint())
    return app
