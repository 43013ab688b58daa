"""Endpoints for the benchmark only (bench/catalog.py), never in production nor in OpenAPI."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify
from sqlalchemy import text

from shared.web import service_context


def bench_blueprint() -> Blueprint:
    """``/bench/select1``: the benchmark's reference (SELECT 1 through the app's own pool).

    A plain Flask blueprint, registered only when SLAGKRACHT_BENCH_ENDPOINTS=1 (bench/catalog.py
    sets the variable).
    """
    bench = Blueprint("bench", __name__, url_prefix="/bench")

    @bench.get("/select1")
    def select1() -> Response:
        with service_context().session_factory() as session:
            value = session.execute(text("SELECT 1")).scalar_one()
        return jsonify(value=value)

    return bench
