"""Errors the kit and the services raise; each maps to one problem+json status."""

from __future__ import annotations

from typing import Any


class ProblemError(Exception):
    """Base: an outcome that is the caller's to fix, with an HTTP status and a clear detail."""

    status = 400
    title = "Bad Request"

    def __init__(self, detail: str, *, errors: dict[str, Any] | None = None, **extra: Any):
        super().__init__(detail)
        self.detail = detail
        self.errors = errors
        self.extra = extra


class Invalid(ProblemError):
    status, title = 422, "Unprocessable Content"


class Unauthorized(ProblemError):
    status, title = 401, "Unauthorized"


class Forbidden(ProblemError):
    status, title = 403, "Forbidden"


class NotFound(ProblemError):
    status, title = 404, "Not Found"


class Conflict(ProblemError):
    status, title = 409, "Conflict"


class PreconditionFailed(ProblemError):
    status, title = 412, "Precondition Failed"


class PreconditionRequired(ProblemError):
    status, title = 428, "Precondition Required"


class Unavailable(ProblemError):
    """A part we depend on (e.g. the identity provider) cannot answer now; retry later."""

    status, title = 503, "Service Unavailable"


def dotted_field_errors(messages: Any, prefix: str = "") -> dict[str, Any]:
    """Nested field messages ({"items": {3: {"end": [...]}}}) keyed by dotted path
    ({"items.3.end": [...]}), so a client finds the input a message belongs to in one lookup."""
    if not isinstance(messages, dict):
        return {prefix or "_body": messages}
    flat: dict[str, Any] = {}
    for key, inner in messages.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(inner, dict):
            flat.update(dotted_field_errors(inner, path))
        else:
            flat[path] = inner
    return flat


def problem_members(status: int, title: str, detail: str, **extra: Any) -> dict[str, Any]:
    """An RFC 9457 problem's members (a response adds ``instance`` and the request id);
    extension members that are None are left out."""
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status}
    body["detail"] = detail
    body.update({k: v for k, v in extra.items() if v is not None})
    return body


def problem_body(exc: ProblemError) -> dict[str, Any]:
    """The problem ``exc`` stands for, e.g. one item's of a batch."""
    return problem_members(exc.status, exc.title, exc.detail, errors=exc.errors, **exc.extra)
