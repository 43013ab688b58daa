"""Catalog service: wiring only; nothing connects at import time."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, Response, jsonify
from sqlalchemy import text

from services.catalog.api import blp
from shared.web import build_service_app, service_context


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
    return build_service_app(
        "catalog",
        title="Slagkracht catalog",
        description="Assets, tariffs and availability that Defensie lends to the police.",
        blueprints=[blp],
        config=config,
        bench_blueprint=_bench_blueprint,
    )
