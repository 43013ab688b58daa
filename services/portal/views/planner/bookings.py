"""The unit's bookings: the list, one booking with its timeline, and what the planner may do
with it (cancel, accept or decline a counter-offer, request a suggested alternative)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from services.portal.auth import role_required
from services.portal.clients import ApiProblem, apis
from services.portal.forms import FormReader
from services.portal.i18n import AMSTERDAM
from services.portal.views.planner import bp
from services.portal.views.planner.bookings_list import render_bookings_list
from services.portal.views.planner.common import asset_names, new_idempotency_key
from shared.auth import PLANNER

# What a counter-offer may change, as (booking field, counter field).
COUNTER_FIELDS = (
    ("asset_id", "counter_asset_id"),
    ("planned_start", "counter_start"),
    ("planned_end", "counter_end"),
)


@bp.get("/bookings")
@role_required(PLANNER)
def bookings() -> str:
    period, errors = _period(request.args.get("from", ""), request.args.get("to", ""))
    return render_bookings_list(
        "planner",
        period,
        day_from=request.args.get("from", "") if "from" in period else "",
        day_to=request.args.get("to", "") if "to" in period else "",
        errors=errors,
    )


def _period(day_from: str, day_to: str) -> tuple[dict[str, str], dict[str, list[str]]]:
    """The list's date filter: bookings overlapping [from 00:00, to 24:00) in Amsterdam."""
    period: dict[str, str] = {}
    errors: dict[str, list[str]] = {}
    for name, value, days in (("from", day_from, 0), ("to", day_to, 1)):
        if not value:
            continue
        try:
            day = date.fromisoformat(value) + timedelta(days=days)
        except ValueError:
            errors[name] = [_("Enter a date, for example 2026-12-24.")]
            continue
        period[name] = datetime.combine(day, time(0), tzinfo=AMSTERDAM).isoformat()
    return period, errors


def counter_changes(booking: dict[str, Any]) -> list[dict[str, Any]]:
    """What the owner's counter-offer changes: field, what was asked, what is offered."""
    if booking.get("state") != "counter_offered":
        return []
    changes = []
    for asked_field, offered_field in COUNTER_FIELDS:
        offered = booking.get(offered_field)
        if offered and offered != booking.get(asked_field):
            changes.append(
                {"field": asked_field, "asked": booking.get(asked_field), "offered": offered}
            )
    return changes


def hold_for(displaced: dict[str, Any]) -> dict[str, Any] | None:
    """The hold booking placed for a preempted booking on its best alternative, if any (a
    provisional booking of the unit, ``held_for`` the displaced one, until confirmed)."""
    try:
        held = apis().booking.bookings(state="held", limit=200)["items"]
    except ApiProblem as exc:
        if exc.status != 422:  # an API without holds refuses the state: there is none
            raise
        return None
    return next((b for b in held if b.get("held_for") == displaced["id"]), None)


def _booking_page(
    booking_id: str, *, errors: dict[str, list[str]] | None = None, message: str = ""
) -> str:
    booking = apis().booking.booking(booking_id)
    history = apis().booking.history(booking_id)
    hold = hold_for(booking) if booking["state"] == "preempted" else None
    # What is held for the unit is confirmed, not requested a second time.
    alternatives = [
        a
        for a in booking.get("alternatives") or []
        if hold is None or a.get("asset_id") != hold["asset_id"]
    ]
    names = asset_names(
        [
            booking["asset_id"],
            booking.get("counter_asset_id") or "",
            hold["asset_id"] if hold else "",
        ]
        + [a.get("asset_id", "") for a in alternatives]
    )
    return render_template(
        "planner/booking.html",
        booking=booking,
        history=history,
        names=names,
        changes=counter_changes(booking),
        alternatives=alternatives,
        hold=hold,
        errors=errors or {},
        message=message,
        idempotency_key=new_idempotency_key(),
    )


@bp.get("/bookings/<uuid:booking_id>")
@role_required(PLANNER)
def booking(booking_id: Any) -> str:
    return _booking_page(str(booking_id))


def _act(
    booking_id: str, action: str, body: dict[str, Any], done: str
) -> Response | tuple[str, int]:
    """Take one lifecycle action; a refusal is shown on the booking page, next to the form."""
    try:
        apis().booking.act(booking_id, action, body)
    except ApiProblem as exc:
        if exc.status not in (400, 409, 422):
            raise
        return _booking_page(booking_id, errors=exc.errors, message=exc.message), exc.status
    flash(done, "ok")
    return redirect(url_for("planner.booking", booking_id=booking_id))


@bp.post("/bookings/<uuid:booking_id>/cancel")
@role_required(PLANNER)
def cancel(booking_id: Any) -> Response | tuple[str, int]:
    reader = FormReader(request.form)
    reason = reader.text("reason", min_length=3)
    if reader.errors:
        return _booking_page(str(booking_id), errors=reader.errors), 422
    return _act(str(booking_id), "cancel", {"reason": reason}, _("The booking has been cancelled."))


@bp.post("/bookings/<uuid:booking_id>/accept-counter-offer")
@role_required(PLANNER)
def accept_counter_offer(booking_id: Any) -> Response | tuple[str, int]:
    return _act(str(booking_id), "accept-counter-offer", {}, _("You accepted the counter-offer."))


@bp.post("/bookings/<uuid:booking_id>/decline-counter-offer")
@role_required(PLANNER)
def decline_counter_offer(booking_id: Any) -> Response | tuple[str, int]:
    """Declining a counter-offer withdraws the request (booking cancels it, with the reason)."""
    reader = FormReader(request.form)
    reason = reader.text("decline_reason", min_length=3)
    if reader.errors:
        return _booking_page(str(booking_id), errors=reader.errors), 422
    return _act(str(booking_id), "cancel", {"reason": reason}, _("You declined the counter-offer."))


@bp.post("/bookings/<uuid:booking_id>/confirm-hold")
@role_required(PLANNER)
def confirm_hold(booking_id: Any) -> Response | tuple[str, int]:
    """The alternative held for the unit becomes its request (the owner still decides)."""
    return _act(str(booking_id), "confirm-hold", {}, _("Your request has been sent to the owner."))


@bp.post("/bookings/<uuid:booking_id>/release-hold")
@role_required(PLANNER)
def release_hold(booking_id: Any) -> Response | tuple[str, int]:
    return _act(str(booking_id), "release-hold", {}, _("The hold has been released."))


@bp.post("/bookings/<uuid:booking_id>/alternatives")
@role_required(PLANNER)
def request_alternative(booking_id: Any) -> Response | tuple[str, int]:
    """One click: the same request (basis, priority, purpose, contact, window) for a suggested
    alternative asset of a preempted booking."""
    displaced = apis().booking.booking(str(booking_id))
    chosen = request.form.get("asset_id", "")
    offered = {a.get("asset_id") for a in displaced.get("alternatives") or []}
    if chosen not in offered:
        return _booking_page(
            str(booking_id), message=_("That alternative is no longer offered.")
        ), 422
    body = {
        "asset_id": chosen,
        "start": displaced["planned_start"],
        "end": displaced["planned_end"],
        "quantity": displaced["quantity"],
        "priority": displaced["priority"],
        "legal_basis": displaced["legal_basis"],
        "purpose": displaced.get("purpose") or _("Alternative for a preempted booking"),
        "contact": displaced.get("contact") or "-",
    }
    key = request.form.get("idempotency_key") or new_idempotency_key()
    try:
        created = apis().booking.request_booking(body, key)
    except ApiProblem as exc:
        if exc.status not in (400, 409, 422):
            raise
        return _booking_page(str(booking_id), message=exc.message), exc.status
    flash(_("Your request for the alternative has been sent to the owner."), "ok")
    return redirect(url_for("planner.booking", booking_id=created["id"]))
