"""Every failure becomes a page a person can read, in their language, never a stack trace.

An API that cannot be reached: "service temporarily unavailable" (503). An API's 404 or
403: the portal's own 404 or 403 page. An expired token: sign in again. Any other API
error that a view did not show in place: its message on an error page with its status."""

from __future__ import annotations

import logging

from flask import Flask, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from services.portal.clients import ApiProblem, ApiUnavailable

log = logging.getLogger(__name__)


def error_page(status: int, *, message: str = "", service: str = "") -> tuple[str, int]:
    return render_template("error.html", status=status, message=message, service=service), status


def init_errors(app: Flask) -> None:
    @app.errorhandler(ApiUnavailable)
    def _unavailable(exc: ApiUnavailable) -> tuple[str, int]:
        log.warning("API unavailable: %s", exc)
        return error_page(503, service=exc.service)

    @app.errorhandler(ApiProblem)
    def _problem(exc: ApiProblem) -> Response | tuple[str, int]:
        if exc.status == 401:
            session.clear()
            flash(_("Your session has expired. Please sign in again."), "error")
            return redirect(url_for("auth.sign_in_page", next=request.full_path.rstrip("?")))
        if exc.status in (403, 404):
            return error_page(exc.status)
        if exc.status >= 500:
            log.error("API error: %s", exc)
            return error_page(502, service=exc.service)
        return error_page(exc.status, message=exc.message)

    @app.errorhandler(CSRFError)
    def _csrf(exc: CSRFError) -> tuple[str, int]:
        return error_page(
            400,
            message=_(
                "The form had expired or was not sent by this site. "
                "Please go back, reload the page and try again."
            ),
        )

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> tuple[str, int] | HTTPException:
        if exc.code is None or exc.code < 400:
            return exc
        return error_page(exc.code)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> tuple[str, int]:
        log.exception("unexpected error in the portal")
        return error_page(500)
