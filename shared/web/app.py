"""Each service's Flask app and what its views share: the unit of work of a request, JSON
answers, ETags and If-Match, and the Blueprint that reads bodies within the stated limits."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, cast, overload

import flask_smorest
from flask import Flask, Response, current_app, g, jsonify, request
from flask_smorest import Api
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from shared.auth import current_principal
from shared.db import UnitOfWork, make_engine, make_session_factory
from shared.errors import PreconditionFailed, PreconditionRequired
from shared.logs import configure_logging
from shared.settings import Settings, load_settings
from shared.web.bodies import MAX_BODY_BYTES, TextSafeParser
from shared.web.observability import install_observability
from shared.web.openapi import ProblemApi, document_problems, install_docs
from shared.web.problems import install_error_handlers


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


class Blueprint(flask_smorest.Blueprint):
    """Every service's API blueprint: flask-smorest's, with the text-safe body parser."""

    ARGUMENTS_PARSER = TextSafeParser()


def _api_config(settings: Settings, title: str, description: str) -> dict[str, Any]:
    return {
        "API_TITLE": title,
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/",
        "OPENAPI_JSON_PATH": "openapi.json",
        "OPENAPI_SWAGGER_UI_PATH": "docs",
        "OPENAPI_SWAGGER_UI_URL": "/docs/assets/",
        "API_SPEC_OPTIONS": {
            "info": {"description": description},
            "security": [{"bearerAuth": []}],
            "components": {
                "securitySchemes": {
                    "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
                }
            },
        },
        "MAX_CONTENT_LENGTH": MAX_BODY_BYTES,
        "SLAGKRACHT_SETTINGS": settings,
        "JSON_SORT_KEYS": False,
    }


def create_service_app(
    *, settings: Settings, title: str, description: str, config: dict[str, Any] | None = None
) -> tuple[Flask, Api]:
    """Build the Flask app and flask-smorest Api of one service; register blueprints after."""
    configure_logging()
    app = Flask(settings.service)
    app.config.update(_api_config(settings, title, description))
    app.config.update(config or {})
    engine = make_engine(settings.database_url)
    app.extensions["slagkracht"] = ServiceContext(
        settings=settings, engine=engine, session_factory=make_session_factory(engine)
    )
    api = ProblemApi(app)
    install_error_handlers(app)
    install_observability(app, settings, engine)
    install_docs(app, settings)
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
