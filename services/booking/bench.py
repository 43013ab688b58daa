"""The benchmark's reference endpoint for booking creation (bench/booking.py), next to nothing
else: registered only when SLAGKRACHT_BENCH_ENDPOINTS=1, never in production nor in the
exported OpenAPI."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from shared.web import service_context

_RESERVE = text(
    "INSERT INTO bench_reservations (asset_id, during) VALUES "
    "(CAST(:asset_id AS uuid), tstzrange(CAST(:start AS timestamptz), CAST(:end AS timestamptz), "
    "'[)')) RETURNING id"
)


def bench_blueprint() -> Blueprint:
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
