"""Flask app construction shared by every service: errors, ids, health, metrics, OpenAPI."""

from __future__ import annotations

import http
import json
import logging
import os
import re
import sys
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal, cast, overload

import flask_smorest
import marshmallow as ma
from apispec import APISpec
from flask import Flask, Response, current_app, g, jsonify, request, send_from_directory
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
from webargs import core as webargs_core
from webargs.flaskparser import FlaskParser, is_json_request
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES

from shared.auth import current_principal
from shared.db import UnitOfWork, make_engine, make_session_factory
from shared.errors import (
    Invalid,
    PreconditionFailed,
    PreconditionRequired,
    ProblemError,
    problem_members,
)
from shared.kafka import broker_reachable
from shared.language import localize_problem, negotiate
from shared.logs import access_log, configure_logging
from shared.settings import Settings, load_settings

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
# The stated limits of every API (README, "Limits"); past each, a problem+json, never a 500.
MAX_BODY_BYTES = 1024 * 1024  # 413
MAX_JSON_DEPTH = 32  # arrays and objects inside each other, the body itself level 1: 422
MAX_INTEGER_DIGITS = sys.get_int_max_str_digits() or 4300  # Python's own int() limit: 422
SWAGGER_UI_ASSETS = Path(__file__).parent / "static" / "swagger-ui"  # vendored, see MANIFEST.json

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


def _our_titles() -> dict[int, str]:
    found: dict[int, str] = {}
    pending: list[type[ProblemError]] = [ProblemError]
    while pending:
        cls = pending.pop()
        found.setdefault(cls.status, cls.title)
        pending.extend(cls.__subclasses__())
    return found


# One title per status wherever a problem is made (ours, werkzeug's, the OpenAPI documents):
# our error classes' titles (RFC 9110's reason phrases, e.g. "Unprocessable Content"), else
# werkzeug's name of the status.
TITLES = {**HTTP_STATUS_CODES, **_our_titles()}


def problem_title(status: int) -> str:
    return TITLES.get(status, f"HTTP {status}")


def problem(status: int, title: str, detail: str, **extra: Any) -> Response:
    """A problem+json response, its title, detail and field messages in the caller's language.
    A status with a standard title (TITLES) gets that title, whatever the caller named it."""
    title = TITLES.get(status, title)
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


class _TooLongInteger:
    """Stands in for an integer literal past MAX_INTEGER_DIGITS while a body is parsed (int()
    would raise a ValueError json does not expect: a 500), so its field can be named."""


def _bounded_int(digits: str) -> int | _TooLongInteger:
    if len(digits.lstrip("-")) > MAX_INTEGER_DIGITS:
        return _TooLongInteger()
    return int(digits)


def _outsized(value: Any, depth: int) -> tuple[bool, bool]:
    """Whether a parsed JSON value at nesting level ``depth`` nests past MAX_JSON_DEPTH, and
    whether it holds a too-long integer; iterative, so a deep value cannot exhaust the stack."""
    too_deep = too_long = False
    stack: list[tuple[Any, int]] = [(value, depth)]
    while stack and not (too_deep and too_long):
        item, level = stack.pop()
        if isinstance(item, _TooLongInteger):
            too_long = True
        elif isinstance(item, dict | list):
            if level > MAX_JSON_DEPTH:
                too_deep = True
                continue
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, level + 1) for child in children)
    return too_deep, too_long


def load_json_body(data: bytes | str) -> Any:
    """A request's JSON body within the stated limits (MAX_JSON_DEPTH, MAX_INTEGER_DIGITS), or
    Invalid (422) naming each top-level field past them (``_body`` for a body that is not an
    object, or one too deep to parse at all); text that is not JSON raises JSONDecodeError."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            # As webargs does: its parser answers a JSONDecodeError with a 400.
            raise json.JSONDecodeError(
                f"Bytes decoding error: {exc.reason}", str(exc.object), exc.start
            ) from exc
    try:
        body = json.loads(data, parse_int=_bounded_int)
    except RecursionError:  # deeper than Python's parser goes at all (about 1,000 levels)
        body, fields = None, {"_body": (True, False)}
    else:
        # The body is level 1, so each field's value starts at level 2.
        values = body.items() if isinstance(body, dict) else [("_body", body)]
        start = 2 if isinstance(body, dict) else 1
        fields = {str(name): _outsized(value, start) for name, value in values}
    too_deep = [name for name, (deep, _) in fields.items() if deep]
    if too_deep:
        message = f"Arrays and objects may be nested at most {MAX_JSON_DEPTH} levels deep."
        raise Invalid(
            "The request has invalid fields; see 'errors'.",
            errors={name: [message] for name in too_deep},
        )
    too_long = [name for name, (_, long) in fields.items() if long]
    if too_long:
        message = f"An integer may have at most {MAX_INTEGER_DIGITS} digits."
        raise Invalid(
            "The request has invalid fields; see 'errors'.",
            errors={name: [message] for name in too_long},
        )
    return body


class TextSafeParser(FlaskParser):
    """webargs' parser, reading a JSON body within the stated limits (``load_json_body``) and
    refusing one with text no UTF-8 store can keep, as a 422 that names each top-level field
    holding it (``_body`` when the body is not an object)."""

    def _raw_load_json(self, req: Any) -> Any:
        if not is_json_request(req):
            return webargs_core.missing
        return load_json_body(req.get_data(cache=True))

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
        return problem(500, "Internal Server Error", "Something went wrong on our side.")

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
            "Unprocessable Content",
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
            "Service Unavailable",
            "The database cannot be reached just now; retry in a moment.",
        )
        response.headers["Retry-After"] = "1"
        return response


# -- the OpenAPI documents: what the APIs really send -------------------------------------------
class WholeMatch(ma.validate.Regexp):
    """A pattern the whole value must match. Written with ^ and $ so the documents carry a
    pattern OpenAPI tools read (ECMA-262 knows no \\Z); checked with ``fullmatch``, so a final
    newline, which $ lets through in Python, is refused as well."""

    def __call__(self, value: Any) -> Any:
        pattern = cast("re.Pattern[str]", self.regex)  # typed for bytes by marshmallow
        if not isinstance(value, str) or pattern.fullmatch(value) is None:
            raise ValidationError(self._format_error(value))
        return value


class ProblemSchema(ma.Schema):
    """Every error answer (RFC 9457), as ``problem`` makes it; extension members (e.g. a 409's
    ``conflicting_booking``) may come on top."""

    class Meta:
        unknown = ma.INCLUDE  # documented as additionalProperties: extensions are allowed

    type = ma.fields.String(metadata={"description": "about:blank: the status says it all"})
    title = ma.fields.String(required=True, metadata={"description": "the status's title"})
    status = ma.fields.Integer(required=True, metadata={"description": "the HTTP status"})
    detail = ma.fields.String(metadata={"description": "what went wrong, for a person"})
    instance = ma.fields.String(metadata={"description": "the path that was asked for"})
    request_id = ma.fields.String(
        metadata={"description": "the request's id (X-Request-ID), on every log line of it"}
    )
    errors = ma.fields.Dict(
        keys=ma.fields.String(),
        metadata={"description": "messages per field (dotted path); _body: the whole body"},
    )


def _problem_response(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }


NUMERIC_KEYWORDS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "default")


def _as_number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


# A decimal as the answers carry it: digits, an optional sign and fraction ("12500.00").
DECIMAL_STRING = r"^-?[0-9]+(\.[0-9]+)?$"


def _decimal_bounds_as_numbers(
    self: Any, field: ma.fields.Decimal, ret: dict[str, Any], **kwargs: Any
) -> dict[str, Any]:
    """apispec writes a Decimal field's bounds and default as the field dumps them: strings
    for ``as_string`` money ("maximum": "9999999999.99"), an invalid schema for a number.
    Written as numbers instead. An ``as_string`` field is documented as the string it is
    sent as (``format: decimal``), not as a number; its bounds stay, as numbers, to read."""
    if not isinstance(field, ma.fields.Decimal):
        return {}
    documented: dict[str, Any] = {
        key: _as_number(Decimal(str(ret[key])))
        for key in NUMERIC_KEYWORDS
        if isinstance(ret.get(key), str | Decimal)
    }
    if field.as_string:
        documented |= {"type": "string", "format": "decimal", "pattern": DECIMAL_STRING}
        if "default" in documented:
            documented["default"] = str(ret["default"])
    return documented


class ProblemApi(Api):
    """flask-smorest's Api, documenting errors as the problem+json they are (not its own
    ``Error`` body, which no answer has) and numeric bounds as numbers."""

    ERROR_SCHEMA = ProblemSchema

    def _init_spec(self, **kwargs: Any) -> None:
        super()._init_spec(**kwargs)
        self.ma_plugin.converter.add_attribute_function(_decimal_bounds_as_numbers)

    def _register_responses(self) -> None:
        self.spec.components.schema("Problem", schema=ProblemSchema)
        for status in http.HTTPStatus:
            if status >= 400:
                response = _problem_response(problem_title(status))
                self.spec.components.response(status.name, response, lazy=True)
        other = _problem_response("Any other error, e.g. Internal Server Error (500)")
        self.spec.components.response(self.DEFAULT_ERROR_RESPONSE_NAME, other, lazy=True)


MUTATING = ("post", "put", "patch", "delete")


def _problem_statuses(path: str, method: str, operation: dict[str, Any]) -> set[int]:
    """The error statuses an operation can answer with, from what it takes: a body can be
    malformed (400), too large (413) or invalid (422); query parameters invalid (422); a
    secured operation refuses a missing or bad token (401) and a caller without the right
    (403); a path names something that may not exist (404); a change may conflict with the
    state (409); If-Match may be missing (428) or stale (412); and any may meet the database
    restarting (503)."""
    parameters = [p for p in operation.get("parameters", []) if isinstance(p, dict)]
    statuses = {503}
    if "requestBody" in operation:
        statuses |= {400, 413, 422}
    if any(p.get("in") == "query" for p in parameters):
        statuses.add(422)
    if operation.get("security") != []:
        statuses |= {401, 403}
    if "{" in path:
        statuses.add(404)
    if method in MUTATING:
        statuses.add(409)
    if any(p.get("in") == "header" and p.get("name") == "If-Match" for p in parameters):
        statuses |= {412, 428}
    return statuses


def document_problems(spec: APISpec) -> None:
    """Give every operation a problem+json response for each status it can answer with."""
    for path, operations in spec._paths.items():  # noqa: SLF001 - apispec keeps them only here
        for method, operation in operations.items():
            if method not in MUTATING + ("get", "head", "options"):
                continue
            responses = operation.setdefault("responses", {})
            for status in sorted(_problem_statuses(path, method, operation)):
                name = http.HTTPStatus(status).name
                responses.setdefault(str(status), spec.components.get_ref("response", name))


def _install_docs(app: Flask, settings: Settings) -> None:
    """Swagger UI from the vendored copy (no CDN: the docs work on an isolated network) and
    an index at /api/v1 that links the docs, the OpenAPI document and the health checks."""

    @app.get("/docs/assets/<path:filename>")
    def swagger_ui_asset(filename: str) -> Response:
        return send_from_directory(SWAGGER_UI_ASSETS, filename, max_age=24 * 3600)

    @app.get("/api/v1")
    def index() -> Response:
        return jsonify(
            service=settings.service,
            title=app.config["API_TITLE"],
            version=app.config["API_VERSION"],
            links={
                "docs": "/docs",
                "openapi": "/openapi.json",
                "health": "/healthz",
                "ready": "/readyz",
                "metrics": "/metrics",
            },
        )


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
        OPENAPI_SWAGGER_UI_URL="/docs/assets/",
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
    api = ProblemApi(app)
    _install_error_handlers(app)
    _install_observability(app, settings)
    _install_docs(app, settings)
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
    document_problems(api.spec)
    if bench_blueprint is not None and os.environ.get("SLAGKRACHT_BENCH_ENDPOINTS") == "1":
        app.register_blueprint(bench_blueprint())
    return app
