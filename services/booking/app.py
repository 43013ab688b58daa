"""Booking service: wiring only."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, Response, jsonify, request
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from services.booking.api import blp
from services.booking.worker import catalog_read_model_group
from shared.kafka import consumer_lag
from shared.settings import Settings
from shared.web import build_service_app, service_context

_RESERVE = text(
    "INSERT INTO bench_reservations (asset_id, during) VALUES "
    "(CAST(:asset_id AS uuid), tstzrange(CAST(:start AS timestamptz), CAST(:end AS timestamptz), "
    "'[)')) RETURNING id"
)


def _bench_blueprint() -> Blueprint:
    """``POST /bench/reserve``: the benchmark's reference for booking creation, one INSERT into
    ``bench_reservations`` (bookings' exclusion constraint, nothing else) through the app's own
    pool. A plain Flask blueprint, registered only when SLAGKRACHT_BENCH_ENDPOINTS=1, so it is
    never in production nor in the exported OpenAPI; bench/booking.py creates the table in its
    throwaway database and sets the variable.
    """
    bench = Blueprint("bench", __name__, url_prefix="/bench")

    @bench.post("/reserve")
    def reserve() -> Response | tuple[Response, int]:
        body = request.get_json()
        params = {k: body[k] for k in ("asset_id", "start", "end")}
        try:
            with service_context().session_factory() as session:
                row_id = session.execute(_RESERVE, params).scalar_one()
                session.commit()
        except IntegrityError:
            return jsonify(error="overlaps"), 409
        return jsonify(id=row_id), 201

    return bench


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
        bench_blueprint=_bench_blueprint,
        readiness={"catalog_read_model": CatalogCaughtUp()},
    )
