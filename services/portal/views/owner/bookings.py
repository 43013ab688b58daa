"""A booking of the organisation's assets, seen by its owner: the same page as the planner's
(planner/booking.html, extended by owner/booking.html) with the owner's actions by state:
decide a request (approve, reject, counter-offer, preempt for an acute one), register the
start and the completion of the use. And the list of bookings of the organisation's assets."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from services.portal.auth import role_required
from services.portal.clients import apis
from services.portal.forms import FormReader
from services.portal.i18n import local_input_value
from services.portal.views.owner import bp
from services.portal.views.owner.common import attempt, own_assets, renamed
from services.portal.views.planner.bookings import counter_changes
from services.portal.views.planner.bookings_list import render_bookings_list
from services.portal.views.planner.common import asset_names
from shared.auth import OWNER

# The API's field names as the owner's forms name them (several forms share one page).
COUNTER_FIELDS = {
    "asset_id": "counter_asset_id",
    "start": "counter_start",
    "end": "counter_end",
    "reason": "counter_reason",
}
PREEMPT_FIELDS = {"by_booking_id": "displaced_id", "reason": "preempt_reason"}
REJECT_FIELDS = {"reason": "reject_reason"}


@bp.get("/bookings")
@role_required(OWNER)
def bookings() -> str:
    return render_bookings_list("owner", {})


def displaceable(booking: dict[str, Any]) -> list[dict[str, Any]]:
    """The approved, lower-priority bookings of the same asset an acute request overlaps:
    the ones a preemption would displace."""
    if not booking.get("needs_preemption") or booking.get("state") != "requested":
        return []
    overlapping = apis().booking.bookings(
        asset_id=booking["asset_id"],
        state="approved",
        **{"from": booking["planned_start"], "to": booking["planned_end"]},
        limit=50,
    )["items"]
    return [
        b for b in overlapping if b["id"] != booking["id"] and b["priority"] > booking["priority"]
    ]


def _form_values(booking: dict[str, Any], submitted: Mapping[str, str]) -> dict[str, Any]:
    """What the owner's forms show: what was just submitted, else sensible defaults."""
    values: dict[str, Any] = {
        "counter_asset_id": booking["asset_id"],
        "counter_start": local_input_value(booking["planned_start"]),
        "counter_end": local_input_value(booking["planned_end"]),
        "actual_start": local_input_value(booking.get("actual_start") or booking["planned_start"]),
        "actual_end": local_input_value(booking.get("actual_end") or booking["planned_end"]),
    }
    values.update({k: v for k, v in submitted.items() if k != "csrf_token"})
    return values


def _booking_page(
    booking_id: str, *, errors: dict[str, list[str]] | None = None, message: str = ""
) -> str:
    booking = apis().booking.booking(booking_id)
    history = apis().booking.history(booking_id)
    alternatives = booking.get("alternatives") or []
    deciding = booking["state"] == "requested"
    offerable = own_assets(category=booking["category"], status="active") if deciding else []
    displaced = displaceable(booking)
    names = asset_names(
        [booking["asset_id"], booking.get("counter_asset_id") or ""]
        + [a.get("asset_id", "") for a in alternatives]
    )
    return render_template(
        "owner/booking.html",
        booking=booking,
        history=history,
        names=names,
        changes=counter_changes(booking),
        alternatives=alternatives,
        offerable=[(a["id"], a["name"]) for a in offerable],
        displaced=displaced,
        values=_form_values(booking, request.form if request.method == "POST" else {}),
        errors=errors or {},
        message=message,
    )


@bp.get("/bookings/<uuid:booking_id>")
@role_required(OWNER)
def booking(booking_id: Any) -> str:
    return _booking_page(str(booking_id))


def _act(
    booking_id: str,
    action: str,
    body: dict[str, Any],
    done: str,
    field_names: Mapping[str, str] | None = None,
    then: str = "",
) -> Response | tuple[str, int]:
    """Take one action; a refusal is shown on the booking page, next to the form it came from."""
    _result, problem = attempt(lambda: apis().booking.act(booking_id, action, body))
    if problem is not None:
        errors = renamed(problem.errors, field_names or {})
        return _booking_page(booking_id, errors=errors, message=problem.message), problem.status
    flash(done, "ok")
    return redirect(url_for("owner.booking", booking_id=then or booking_id))


def _invalid(booking_id: str, reader: FormReader) -> tuple[str, int]:
    return _booking_page(booking_id, errors=reader.errors), 422


@bp.post("/bookings/<uuid:booking_id>/approve")
@role_required(OWNER)
def booking_approve(booking_id: Any) -> Response | tuple[str, int]:
    return _act(str(booking_id), "approve", {}, _("The request has been approved."))


@bp.post("/bookings/<uuid:booking_id>/reject")
@role_required(OWNER)
def booking_reject(booking_id: Any) -> Response | tuple[str, int]:
    reader = FormReader(request.form)
    reason = reader.text("reject_reason", min_length=3)
    if reader.errors:
        return _invalid(str(booking_id), reader)
    return _act(
        str(booking_id),
        "reject",
        {"reason": reason},
        _("The request has been rejected."),
        REJECT_FIELDS,
    )


@bp.post("/bookings/<uuid:booking_id>/counter-offer")
@role_required(OWNER)
def counter_offer(booking_id: Any) -> Response | tuple[str, int]:
    """Offer another window and/or another asset of the organisation (booking checks it is
    free and the owner's)."""
    reader = FormReader(request.form)
    asset_id = reader.text("counter_asset_id")
    start, end = reader.window("counter_start", "counter_end")
    reason = reader.text("counter_reason", min_length=3)
    if reader.errors:
        return _invalid(str(booking_id), reader)
    assert start is not None and end is not None  # reader.window checked them
    body = {"asset_id": asset_id, "start": start.isoformat(), "end": end.isoformat()}
    return _act(
        str(booking_id),
        "counter-offer",
        {**body, "reason": reason},
        _("Your counter-offer has been sent to the requesting unit."),
        COUNTER_FIELDS,
    )


@bp.post("/bookings/<uuid:booking_id>/preempt")
@role_required(OWNER)
def preempt(booking_id: Any) -> Response | tuple[str, int]:
    """Displace the chosen approved booking for this acute request (booking approves the acute
    one in the same step); the page of the displaced booking then shows the alternatives
    offered to its unit."""
    acute = str(booking_id)
    reader = FormReader(request.form)
    chosen = reader.choice(
        "displaced_id", [b["id"] for b in displaceable(apis().booking.booking(acute))]
    )
    reason = reader.text("preempt_reason", min_length=3)
    if reader.errors:
        return _invalid(acute, reader)
    _result, problem = attempt(
        lambda: apis().booking.act(chosen, "preempt", {"by_booking_id": acute, "reason": reason})
    )
    if problem is not None:
        errors = renamed(problem.errors, PREEMPT_FIELDS)
        return _booking_page(acute, errors=errors, message=problem.message), problem.status
    flash(_("The booking has been preempted and the acute request approved."), "ok")
    return redirect(url_for("owner.booking", booking_id=chosen))


@bp.post("/bookings/<uuid:booking_id>/start")
@role_required(OWNER)
def start(booking_id: Any) -> Response | tuple[str, int]:
    return _act(str(booking_id), "start", {}, _("The start of the use has been registered."))


@bp.post("/bookings/<uuid:booking_id>/complete")
@role_required(OWNER)
def complete(booking_id: Any) -> Response | tuple[str, int]:
    """The actual window (it must have passed) and, optionally, the hours actually used."""
    reader = FormReader(request.form)
    actual_start, actual_end = reader.window("actual_start", "actual_end")
    used = reader.raw("usage_quantity").replace(",", ".")
    usage: Decimal | None = None
    if used:
        try:
            usage = Decimal(used)
        except InvalidOperation:
            reader.fail("usage_quantity", _("Enter a number of hours, for example 2.5."))
    if reader.errors:
        return _invalid(str(booking_id), reader)
    assert actual_start is not None and actual_end is not None  # reader.window checked them
    body: dict[str, Any] = {
        "actual_start": actual_start.isoformat(),
        "actual_end": actual_end.isoformat(),
    }
    if usage is not None:
        body["usage_quantity"] = str(usage)
    return _act(str(booking_id), "complete", body, _("The use has been registered as completed."))
