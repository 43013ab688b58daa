"""The approval queue: the organisation's undecided requests, acute first, each with its
decision clock; approve or reject in the row (htmx swaps just that row and announces the
outcome; without JavaScript the form posts and the queue comes back)."""

from __future__ import annotations

from typing import Any

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from services.portal.auth import role_required
from services.portal.clients import ApiProblem, apis
from services.portal.forms import FormReader
from services.portal.navigation import pending_approvals_count
from services.portal.views.owner import bp
from services.portal.views.owner.common import attempt
from services.portal.views.planner.common import asset_names, is_htmx
from shared.auth import OWNER

Answer = Response | str | tuple[str, int]


def _queue_page(
    *, failed: str = "", errors: dict[str, list[str]] | None = None, message: str = ""
) -> str:
    """The queue; ``failed`` names the request whose action was refused (shown in its row)."""
    pending = apis().booking.pending_approvals()
    items = pending.get("items", [])
    # The header badge counts the same queue: no second call for it.
    g.pending_count = int(pending.get("counts", {}).get("total", 0))
    return render_template(
        "owner/queue.html",
        items=items,
        counts=pending.get("counts", {}),
        names=asset_names([row["asset_id"] for row in items]),
        failed=failed,
        errors=errors or {},
        message=message,
    )


@bp.get("/approvals")
@role_required(OWNER)
def queue() -> str:
    return _queue_page()


def _decided(booking_id: str, action: str, body: dict[str, Any], done: str) -> Answer:
    """Take the decision; answer with the row (htmx) or the queue (a plain form post)."""
    decided, problem = attempt(lambda: apis().booking.act(booking_id, action, body))
    if problem is not None:
        errors = {"reject_reason": problem.errors.get("reason", [])} if problem.errors else {}
        return _refused(booking_id, errors, problem)
    assert decided is not None  # no refusal: booking answered with the booking
    if is_htmx():
        g.pop("pending_count", None)  # the badge counts again after the decision
        return render_template(
            "owner/_queue_decided.html",
            booking=decided,
            names=asset_names([decided["asset_id"]]),
            outcome=done,
            pending=pending_approvals_count(),
        )
    flash(done, "ok")
    return redirect(url_for("owner.queue"))


def _refused(booking_id: str, errors: dict[str, list[str]], problem: ApiProblem | None) -> Answer:
    message = problem.message if problem is not None else ""
    status = problem.status if problem is not None else 422
    if is_htmx():
        # htmx swaps only 2xx answers: the refusal is the row again, with its message.
        booking = apis().booking.booking(booking_id)
        return render_template(
            "owner/_queue_row.html",
            row=booking,
            names=asset_names([booking["asset_id"]]),
            failed=booking_id,
            errors=errors,
            message=message,
        )
    return _queue_page(failed=booking_id, errors=errors, message=message), status


@bp.post("/approvals/<uuid:booking_id>/approve")
@role_required(OWNER)
def approve(booking_id: Any) -> Answer:
    return _decided(str(booking_id), "approve", {}, _("The request has been approved."))


@bp.post("/approvals/<uuid:booking_id>/reject")
@role_required(OWNER)
def reject(booking_id: Any) -> Answer:
    reader = FormReader(request.form)
    reason = reader.text("reject_reason", min_length=3)
    if reader.errors:
        return _refused(str(booking_id), reader.errors, None)
    return _decided(
        str(booking_id), "reject", {"reason": reason}, _("The request has been rejected.")
    )
