"""Flask app construction shared by every service: errors, ids, health, metrics, OpenAPI."""

from __future__ import annotations

import logging
import os
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, cast, overload

import flask_smorest
from flask import Flask, Response, current_app, g, jsonify, request
from flask_smorest import Api
from marshmallow import ValidationError
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
from sqlalchemy.exc import DataError, DBAPIError, InterfaceError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from webargs.flaskparser import FlaskParser
from werkzeug.exceptions import HTTPException

from shared.auth import current_principal
from shared.db import UnitOfWork, make_engine, make_session_factory
from shared.errors import PreconditionFailed, PreconditionRequired, ProblemError, problem_members
from shared.kafka import broker_reachable
from shared.language import localize_problem, negotiate
from shared.logs import configure_logging
from shared.settings import Settings, load_settings

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
MAX_BODY_BYTES = 1024 * 1024

REQUESTS = Counter("http_requests_total", "HTTP requests", ["service", "method", "status"])
LATENCY = Histogram("http_request_seconds", "HTTP request latency", ["service"])


@dataclass
class ServiceContext:
    """What a service's handlers need; built in create_app, never at import time."""

    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]

    def uow(self, actor: str | None = None, trace_id: str | None = None) -> UnitOfWork:
        return UnitOfWork(
            self.session_factory,
            producer=self.settings.service,
            topic_for=self.settings.topic,
            actor=actor,
            trace_id=trace_id,
        )


def service_context() -> ServiceContext:
    return cast(ServiceContext, current_app.extensions["slagkracht"])


def request_uow() -> UnitOfWork:
    """A unit of work stamped with the caller and the request id (trace id of its events)."""
    principal = current_principal()
    return service_context().uow(actor=principal.sub, trace_id=g.get("request_id"))


def json_response(body: Any, status: int = 200) -> Response:
    """A body already dumped by its schema (e.g. redacted or replayed), returned as is."""
    response = jsonify(body)
    response.status_code = status
    return response


def with_etag(response: Response, version: int) -> Response:
    """Strong ETag from the resource's version column (cheap, and exact for If-Match)."""
    response.headers["ETag"] = f'"v{version}"'
    return response


@overload
def if_match_version() -> int: ...
@overload
def if_match_version(*, allow_any: Literal[True]) -> int | None: ...
def if_match_version(*, allow_any: bool = False) -> int | None:
    """The version the caller last read, from ``If-Match``; required on updates.

    The comparison is strong (RFC 9110 13.1.1): our ETags are strong, and a weak tag
    (``W/"v3"``) never matches, so it is a 412. ``If-Match: *`` matches any current
    representation: a caller that passes ``allow_any=True`` gets None for it ("whatever
    version is current"; a resource that does not exist is still its 404). Without
    ``allow_any`` the answer is always a version, and ``*`` is a 412 as before.
    """
    header = request.headers.get("If-Match")
    if not header:
        raise PreconditionRequired(
            "Send If-Match with the ETag you last read, so you never overwrite a newer change."
        )
    value = header.strip()
    if value == "*" and allow_any:
        return None
    if value.startswith("W/"):
        raise PreconditionFailed(
            f"If-Match {header[:80]!r} is a weak tag; If-Match compares strongly and a weak tag "
            'never matches: send the ETag as you read it (e.g. "v3").'
        )
    tag = value.strip('"')  # the quotes are optional, as they always were
    digits = tag[1:]
    # ASCII digits, and not too many: int() of "²" or of 5,000 digits raises (a 500).
    if not (tag.startswith("v") and digits.isascii() and digits.isdigit() and len(digits) < 19):
        raise PreconditionFailed(f"If-Match {header[:80]!r} is not an ETag this API gave out.")
    return int(digits)


def problem_language() -> str:
    """The language this request's problem details are written in (``Accept-Language``)."""
    language = g.get("problem_language")
    if language is None:
        language = g.problem_language = negotiate(request.headers.get("Accept-Language"))
    return str(language)


def localized_problem(body: dict[str, Any]) -> dict[str, Any]:
    """A problem body (e.g. one item's of a batch) in this request's language; the response
    that carries it says which with ``with_content_language``."""
    return localize_problem(body, problem_language())


def with_content_language(response: Response) -> Response:
    response.headers["Content-Language"] = problem_language()
    response.vary.add("Accept-Language")
    return response


def problem(status: int, title: str, detail: str, **extra: Any) -> Response:
    """A problem+json response, its title, detail and field messages in the caller's language."""
    body = problem_members(status, title, detail, instance=request.path, **extra)
    if g.get("request_id"):
        body["request_id"] = g.request_id
    response = jsonify(localized_problem(body))
    response.status_code = status
    response.mimetype = PROBLEM_JSON
    return with_content_language(response)


def _field_errors(messages: Any) -> dict[str, Any]:
    """webargs nests messages by location ({"json": {...}}); callers want the fields."""
    if isinstance(messages, dict) and len(messages) == 1:
        ((location, inner),) = messages.items()
        if location in {"json", "query", "headers", "path", "form"} and isinstance(inner, dict):
            return inner
        if location in {"json", "query"} and isinstance(inner, list):
            return {"_body": inner}
    return messages if isinstance(messages, dict) else {"_body": messages}


def _any_text(value: Any, test: Callable[[str], bool]) -> bool:
    """Whether any string in a parsed JSON value (object keys included) passes ``test``."""
    if isinstance(value, str):
        return test(value)
    if isinstance(value, dict):
        return any(_any_text(k, test) or _any_text(v, test) for k, v in value.items())
    return isinstance(value, list) and any(_any_text(v, test) for v in value)


def _has_nul(value: Any) -> bool:
    return _any_text(value, lambda text: "\x00" in text)


def _unencodable(text: str) -> bool:
    # JSON lets a body escape half a UTF-16 pair ("\ud800"); no UTF-8 text can hold it, so
    # neither PostgreSQL nor an event can (psycopg fails to encode it: it used to be a 500).
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _has_lone_surrogate(value: Any) -> bool:
    return _any_text(value, _unencodable)


class TextSafeParser(FlaskParser):
    """webargs' parser, refusing a JSON body with text no UTF-8 store can keep, as a 422 that
    names each top-level field holding it (``_body`` when the body is not an object)."""

    def load_json(self, req: Any, schema: Any) -> Any:
        data = super().load_json(req, schema)
        if isinstance(data, dict):
            bad = [
                str(k).encode("utf-8", "replace").decode()
                for k, v in data.items()
                if _has_lone_surrogate(k) or _has_lone_surrogate(v)
            ]
        else:
            bad = ["_body"] if _has_lone_surrogate(data) else []
        if bad:
            message = "Text cannot contain a lone surrogate (\\ud800-\\udfff)."
            raise ValidationError({name: [message] for name in bad})
        return data


class Blueprint(flask_smorest.Blueprint):
    """Every service's API blueprint: flask-smorest's, with the text-safe body parser."""

    ARGUMENTS_PARSER = TextSafeParser()


def _install_error_handlers(app: Flask) -> None:
    @app.errorhandler(ProblemError)
    def _problem(exc: ProblemError) -> Response:
        response = problem(exc.status, exc.title, exc.detail, errors=exc.errors, **exc.extra)
        if exc.status == 401:  # RFC 9110: a 401 names the scheme that would be accepted
            response.headers["WWW-Authenticate"] = 'Bearer realm="slagkracht"'
        return response

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Response:
        status = exc.code or 500
        data = getattr(exc, "data", None) or {}
        errors = _field_errors(data["messages"]) if "messages" in data else None
        detail = exc.description or exc.name
        if status == 422:
            detail = "The request has invalid fields; see 'errors'."
        elif status == 400 and errors:
            detail = "The request body is not valid JSON."
        elif status == 413:
            detail = f"The request body is larger than {MAX_BODY_BYTES} bytes."
        response = problem(status, exc.name, detail, errors=errors)
        for name, value in getattr(exc, "get_headers", lambda: [])() or []:
            if name.lower() == "allow":
                response.headers[name] = value
        return response

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        log.exception("unhandled error")
        return problem(500, "Internal server error", "Something went wrong on our side.")

    @app.errorhandler(RecursionError)
    def _too_deep(exc: RecursionError) -> Response:
        # json.loads recurses once per nesting level: a body nested that deep is the caller's.
        if "JSON" not in str(exc):
            return _unexpected(exc)
        return problem(
            400,
            "Bad Request",
            "The request body is nested too deeply.",
            errors={"_body": ["Nested too deeply."]},
        )

    @app.errorhandler(DataError)
    def _unstorable(exc: DataError) -> Response:
        # PostgreSQL refused a value the schemas let through (a NUL character, a number out of
        # range): the caller's input, so a 422; the unit of work rolled back, nothing written.
        # A value that cannot be read back (no SQLSTATE) is ours: that stays a 500.
        sqlstate = str(getattr(exc.orig, "sqlstate", None) or "")
        if not (sqlstate.startswith("22") or "NUL (0x00)" in str(exc.orig)):
            return _unexpected(exc)
        log.warning("database refused a value: %s", exc.orig)
        body = request.get_json(silent=True)
        fields = [k for k, v in body.items() if _has_nul(v)] if isinstance(body, dict) else []
        errors = {k: ["Text cannot contain NUL (\\u0000) characters."] for k in fields}
        return problem(
            422,
            "Unprocessable content",
            "A value cannot be stored; see 'errors'.",
            errors=errors or {"_body": ["A value is out of range or cannot be stored."]},
        )

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    def _database_unreachable(exc: DBAPIError) -> Response:
        # The connection failed or broke (no SQLSTATE, class 08, or 57P: the server is shutting
        # down or starting, e.g. while `slagkracht run` restarts it): the unit of work rolled
        # back, nothing was written, and the same request will succeed in a moment.
        sqlstate = str(getattr(exc.orig, "sqlstate", None) or "")
        if sqlstate and not sqlstate.startswith(("08", "57P")):
            return _unexpected(exc)
        log.warning("database unreachable: %s", exc.orig)
        response = problem(
            503,
            "Service unavailable",
            "The database cannot be reached just now; retry in a moment.",
        )
        response.headers["Retry-After"] = "1"
        return response


def _install_observability(app: Flask, settings: Settings) -> None:
    service = settings.service

    @app.before_request
    def _start() -> None:
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if 8 <= len(incoming) <= 64 else uuid.uuid4().hex
        g.started = time.perf_counter()

    @app.after_request
    def _finish(response: Response) -> Response:
        response.headers["X-Request-ID"] = g.get("request_id", "")
        REQUESTS.labels(service, request.method, str(response.status_code)).inc()
        if "started" in g:
            LATENCY.labels(service).observe(time.perf_counter() - g.started)
        return response

    @app.get("/healthz")
    def healthz() -> Response:
        return jsonify(status="ok", service=service)

    @app.get("/readyz")
    def readyz() -> Response:
        checks: dict[str, str] = {}
        try:
            with service_context().engine.connect() as conn:
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


def metrics_registry() -> CollectorRegistry:
    """This process's metrics, or under gunicorn with ``PROMETHEUS_MULTIPROC_DIR`` (see
    shared/gunicorn_conf.py) the sum over every worker of the API."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return registry


def create_service_app(
    *, settings: Settings, title: str, description: str, config: dict[str, Any] | None = None
) -> tuple[Flask, Api]:
    """Build the Flask app and flask-smorest Api of one service; register blueprints after."""
    configure_logging()
    app = Flask(settings.service)
    app.config.update(
        API_TITLE=title,
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="docs",
        OPENAPI_SWAGGER_UI_URL="https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/",
        API_SPEC_OPTIONS={
            "info": {"description": description},
            "security": [{"bearerAuth": []}],
            "components": {
                "securitySchemes": {
                    "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
                }
            },
        },
        MAX_CONTENT_LENGTH=MAX_BODY_BYTES,
        SLAGKRACHT_SETTINGS=settings,
        JSON_SORT_KEYS=False,
    )
    app.config.update(config or {})
    engine = make_engine(settings.database_url)
    app.extensions["slagkracht"] = ServiceContext(
        settings=settings, engine=engine, session_factory=make_session_factory(engine)
    )
    api = Api(app)
    _install_error_handlers(app)
    _install_observability(app, settings)
    return app, api


def build_service_app(
    service: str,
    *,
    title: str,
    description: str,
    blueprints: list[Any],
    config: dict[str, Any] | None = None,
    bench_blueprint: Callable[[], Any] | None = None,
    readiness: Mapping[str, Callable[[Settings], str]] | None = None,
) -> Flask:
    """Every service's ``create_app``: settings (from config or the environment), the app,
    its API blueprints, and — only when SLAGKRACHT_BENCH_ENDPOINTS=1 — the benchmark's
    reference endpoints, which are plain Flask routes and never in the OpenAPI document.
    ``readiness`` adds checks to /readyz: each answers "ok" or why the service is not ready."""
    settings = (config or {}).get("SLAGKRACHT_SETTINGS") or load_settings(service)
    app, api = create_service_app(
        settings=settings, title=title, description=description, config=config
    )
    app.config["SLAGKRACHT_READINESS"] = dict(readiness or {})
    for blueprint in blueprints:
        api.register_blueprint(blueprint)
    if bench_blueprint is not None and os.environ.get("SLAGKRACHT_BENCH_ENDPOINTS") == "1":
        app.register_blueprint(bench_blueprint())
    return app
