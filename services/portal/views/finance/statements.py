"""Statements per organisation and period (a quarter or a month): the figures and lines as
the API states them, what reached the period after closing, the API's CSV passed on as it
came, and closing (refused by the API while allocations still await review)."""

from __future__ import annotations

from flask import Response as FlaskResponse
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from services.portal.auth import role_required
from services.portal.clients import ApiProblem, apis
from services.portal.forms import FormReader
from services.portal.views.finance import bp
from services.portal.views.finance.common import (
    current_quarter,
    finance_orgs,
    refusal,
    signed_in_user,
)
from shared.auth import FINANCE


def _statement_page(
    org: str, period: str, *, errors: dict[str, list[str]] | None = None, message: str = ""
) -> str:
    """The chosen statement, or just the choice when none is chosen (or it was refused)."""
    errors = dict(errors or {})
    statement = None
    if org and period and not errors:
        try:
            statement = apis().costsharing.statement(org, period)
        except ApiProblem as exc:
            if exc.status != 422:
                raise
            errors = exc.errors or {"period": [exc.message]}
    return render_template(
        "finance/statements.html",
        orgs=finance_orgs(signed_in_user(), org),
        org=org,
        period=period or current_quarter(),
        statement=statement,
        errors=errors,
        message=message,
    )


@bp.get("/statements")
@role_required(FINANCE)
def statements() -> str:
    """The statement chosen by organisation and period (the API refuses another side's)."""
    org = request.args.get("org", "").strip()[:80]
    return _statement_page(org, request.args.get("period", "").strip()[:10])


@bp.get("/statements/csv")
@role_required(FINANCE)
def statement_csv() -> FlaskResponse:
    """The API's CSV with the user's token, as an attachment under the API's file name."""
    answer = apis().costsharing.statement_csv(
        request.args.get("org", ""), request.args.get("period", "")
    )
    disposition = answer.headers.get("Content-Disposition") or "attachment"
    return FlaskResponse(
        answer.content,
        mimetype="text/csv",
        headers={"Content-Disposition": disposition, "Cache-Control": "no-store"},
    )


@bp.post("/statements/close")
@role_required(FINANCE)
def close() -> Response | tuple[str, int]:
    reader = FormReader(request.form)
    org = reader.text("org")
    period = reader.text("period")
    if reader.errors:
        return _statement_page(org, period, errors=reader.errors), 422
    _closed, problem = refusal(lambda: apis().costsharing.close_statement(org, period))
    if problem is not None:
        return _statement_page(org, period, message=problem.message), problem.status
    flash(
        _("The statement of %(org)s for %(period)s has been closed.", org=org, period=period), "ok"
    )
    return redirect(url_for("finance.statements", org=org, period=period))
