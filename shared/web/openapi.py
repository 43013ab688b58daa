"""The OpenAPI documents say what the APIs really send: problem+json errors for every status
an operation can answer with, decimal bounds as numbers, whole-value patterns; and the docs
are served from the vendored Swagger UI, with an index at /api/v1."""

from __future__ import annotations

import http
import re
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

import marshmallow as ma
from apispec import APISpec
from flask import Flask, Response, jsonify, send_from_directory
from flask_smorest import Api
from marshmallow import ValidationError

from shared.settings import Settings
from shared.web.problems import PROBLEM_JSON, problem_title

# vendored, see MANIFEST.json
SWAGGER_UI_ASSETS = Path(__file__).parent.parent / "static" / "swagger-ui"


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


def install_docs(app: Flask, settings: Settings) -> None:
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
