"""What every API tells about itself: a request id on each request and its answer, one JSON
access line per request, Prometheus counters, and the health, readiness and metrics routes."""

from __future__ import annotations

import os
import time
import uuid

from flask import Flask, Response, g, jsonify, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from sqlalchemy import Engine, text

from shared.kafka import broker_reachable
from shared.logs import access_log
from shared.settings import Settings

REQUESTS = Counter("http_requests_total", "HTTP requests", ["service", "method", "status"])
LATENCY = Histogram("http_request_seconds", "HTTP request latency", ["service"])


def _install_request_tracking(app: Flask, service: str) -> None:
    @app.before_request
    def _start() -> None:
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if 8 <= len(incoming) <= 64 else uuid.uuid4().hex
        g.started = time.perf_counter()

    @app.after_request
    def _finish(response: Response) -> Response:
        response.headers["X-Request-ID"] = g.get("request_id", "")
        REQUESTS.labels(service, request.method, str(response.status_code)).inc()
        elapsed = time.perf_counter() - g.started if "started" in g else 0.0
        LATENCY.labels(service).observe(elapsed)
        principal = g.get("principal")  # set once the caller's token was verified
        access_log(
            method=request.method,
            path=request.path,
            status=response.status_code,
            duration_ms=elapsed * 1000,
            subject=principal.sub if principal else None,
            organisation=principal.org if principal else None,
        )
        return response


def _install_health(app: Flask, settings: Settings, engine: Engine) -> None:
    @app.get("/healthz")
    def healthz() -> Response:
        return jsonify(status="ok", service=settings.service)

    @app.get("/readyz")
    def readyz() -> Response:
        checks: dict[str, str] = {}
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            checks["database"] = "ok"
        except Exception as exc:  # noqa: BLE001 - readiness reports, never raises
            checks["database"] = f"unreachable: {type(exc).__name__}"
        checks["broker"] = "ok" if broker_reachable(settings) else "unreachable"
        # A service's own conditions (booking: its read model has caught up with the catalog).
        for name, check in app.config.get("SLAGKRACHT_READINESS", {}).items():
            checks[name] = check(settings)
        ready = all(v == "ok" for v in checks.values())
        response = jsonify(status="ready" if ready else "not ready", checks=checks)
        response.status_code = 200 if ready else 503
        return response

    @app.get("/metrics")
    def metrics() -> Response:
        return Response(generate_latest(metrics_registry()), mimetype=CONTENT_TYPE_LATEST)


def install_observability(app: Flask, settings: Settings, engine: Engine) -> None:
    """Request ids, the access log and counters; /healthz, /readyz (``engine``'s database,
    the broker, the service's own checks) and /metrics."""
    _install_request_tracking(app, settings.service)
    _install_health(app, settings, engine)


def metrics_registry() -> CollectorRegistry:
    """This process's metrics, or under gunicorn with ``PROMETHEUS_MULTIPROC_DIR`` (see
    shared/gunicorn_conf.py) the sum over every worker of the API."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return registry
