"""Every error answer is problem+json (RFC 9457), with one title per status and its title,
detail and field messages in the caller's language (``Accept-Language``)."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, g, jsonify, request
from sqlalchemy.exc import DataError, DBAPIError, InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES

from shared.errors import ProblemError, problem_members
from shared.language import localize_problem, negotiate
from shared.web.bodies import MAX_BODY_BYTES, has_nul

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"


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


# -- the error handlers every service installs -------------------------------------------------
def _ours(exc: ProblemError) -> Response:
    response = problem(exc.status, exc.title, exc.detail, errors=exc.errors, **exc.extra)
    if exc.status == 401:  # RFC 9110: a 401 names the scheme that would be accepted
        response.headers["WWW-Authenticate"] = 'Bearer realm="slagkracht"'
    return response


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


def _unexpected(exc: Exception) -> Response:
    log.exception("unhandled error")
    return problem(500, "Internal Server Error", "Something went wrong on our side.")


def _unstorable(exc: DataError) -> Response:
    # PostgreSQL refused a value the schemas let through (a NUL character, a number out of
    # range): the caller's input, so a 422; the unit of work rolled back, nothing written.
    # A value that cannot be read back (no SQLSTATE) is ours: that stays a 500.
    sqlstate = str(getattr(exc.orig, "sqlstate", None) or "")
    if not (sqlstate.startswith("22") or "NUL (0x00)" in str(exc.orig)):
        return _unexpected(exc)
    log.warning("database refused a value: %s", exc.orig)
    body = request.get_json(silent=True)
    fields = [k for k, v in body.items() if has_nul(v)] if isinstance(body, dict) else []
    errors = {k: ["Text cannot contain NUL (\\u0000) characters."] for k in fields}
    return problem(
        422,
        "Unprocessable Content",
        "A value cannot be stored; see 'errors'.",
        errors=errors or {"_body": ["A value is out of range or cannot be stored."]},
    )


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


def install_error_handlers(app: Flask) -> None:
    """Every error a problem+json: ours, werkzeug's, the database's, and anything else."""
    app.register_error_handler(ProblemError, _ours)
    app.register_error_handler(HTTPException, _http)
    app.register_error_handler(Exception, _unexpected)
    app.register_error_handler(DataError, _unstorable)
    app.register_error_handler(OperationalError, _database_unreachable)
    app.register_error_handler(InterfaceError, _database_unreachable)
