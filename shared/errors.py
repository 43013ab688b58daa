"""Errors the kit and the services raise; each maps to one problem+json status."""

from __future__ import annotations

from typing import Any


class ProblemError(Exception):
    """Base: an outcome that is the caller's to fix, with an HTTP status and a clear detail."""

    status = 400
    title = "Bad request"

    def __init__(self, detail: str, *, errors: dict[str, Any] | None = None, **extra: Any):
        super().__init__(detail)
        self.detail = detail
        self.errors = errors
        self.extra = extra


class Invalid(ProblemError):
    status, title = 422, "Unprocessable content"


class Unauthorized(ProblemError):
    status, title = 401, "Unauthorized"


class Forbidden(ProblemError):
    status, title = 403, "Forbidden"


class NotFound(ProblemError):
    status, title = 404, "Not found"


class Conflict(ProblemError):
    status, title = 409, "Conflict"


class PreconditionFailed(ProblemError):
    status, title = 412, "Precondition failed"


class PreconditionRequired(ProblemError):
    status, title = 428, "Precondition required"


class Unavailable(ProblemError):
    """A part we depend on (e.g. the identity provider) cannot answer now; retry later."""

    status, title = 503, "Service unavailable"
