"""Search by time first, then request: the planner's main flow."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from services.portal.auth import role_required
from services.portal.clients import ApiProblem, apis
from services.portal.forms import FormReader
from services.portal.i18n import AMSTERDAM, local_input_value
from services.portal.labels import LEGAL_BASES, PRIORITIES, PURPOSE_CLASSES
from services.portal.views.planner import bp
from services.portal.views.planner.common import (
    bookable_categories,
    estimates_for,
    is_htmx,
    new_idempotency_key,
    regions,
)
from shared.auth import PLANNER

RESULTS_SHOWN = 25


def _default_window() -> tuple[str, str]:
    """Tomorrow 08:00-16:00 in Amsterdam, as datetime-local values."""
    tomorrow = datetime.now(AMSTERDAM).date() + timedelta(days=1)
    start = datetime.combine(tomorrow, time(8, 0), tzinfo=AMSTERDAM)
    return local_input_value(start), local_input_value(start + timedelta(hours=8))


def _find(reader: FormReader) -> list[dict[str, Any]] | None:
    start, end = reader.window()
    quantity = reader.integer("quantity", minimum=1, maximum=100)
    category = reader.choice(
        "category", [code for code, _label in bookable_categories()], required=False
    )
    region = reader.choice("region", [code for code, _label in regions()], required=False)
    legal_basis = reader.choice("legal_basis", LEGAL_BASES)
    if reader.errors:
        return None
    try:
        found = apis().booking.availability(
            start=start.isoformat(),
            end=end.isoformat(),
            category=category,
            region=region,
            quantity=quantity,
            limit=RESULTS_SHOWN,
        )["items"]
    except ApiProblem as exc:
        if exc.status != 422:
            raise
        reader.merge(exc.errors or {"_body": [exc.message]})
        return None
    # The search region's own assets first (booking orders them so; kept explicit here).
    found = sorted(found, key=lambda row: not row.get("serves_region", True))
    estimates, _priced = estimates_for(
        [
            {
                "asset_id": row["asset_id"],
                "start": start.isoformat(),
                "end": end.isoformat(),
                "quantity": quantity,
                "legal_basis": legal_basis,
            }
            for row in found
        ]
    )
    return [{**row, "cost": cost} for row, cost in zip(found, estimates, strict=True)]


@bp.get("/search")
@role_required(PLANNER)
def search() -> str:
    start, end = _default_window()
    values = {"start": start, "end": end, "quantity": "1", "legal_basis": "steunverlening"}
    values.update({k: v for k, v in request.args.items() if v})
    reader = FormReader(values)
    results = _find(reader) if "start" in request.args else None
    context = {
        "values": values,
        "errors": reader.errors,
        "results": results,
        "categories": bookable_categories(),
        "regions": regions(),
        "legal_bases": list(LEGAL_BASES.items()),
    }
    if is_htmx():
        return render_template("planner/_results.html", **context)
    return render_template("planner/search.html", **context)


def _estimate_for_form(values: dict[str, Any]) -> tuple[dict[str, Any] | None, bool]:
    """The estimate for the window and basis the form holds; (None, False) while they are
    incomplete or invalid (the form says why when it is sent)."""
    reader = FormReader(values)
    start, end = reader.window()
    quantity = reader.integer("quantity", minimum=1, maximum=100)
    legal_basis = reader.choice("legal_basis", LEGAL_BASES)
    if reader.errors:
        return None, False
    assert start is not None and end is not None
    item = {
        "asset_id": str(values["asset_id"]),
        "start": start.isoformat(),
        "end": end.isoformat(),
        "quantity": quantity,
        "legal_basis": legal_basis,
    }
    (estimate,), _priced = estimates_for([item])
    return estimate, True


def _request_form(values: dict[str, Any], errors: dict[str, list[str]], message: str = "") -> str:
    asset_id = str(values.get("asset_id", ""))
    try:
        asset = apis().catalog.asset(asset_id)
    except ApiProblem as exc:
        if exc.status in (404, 422):
            abort(404)
        raise
    estimate, priced = _estimate_for_form(values)
    return render_template(
        "planner/request.html",
        asset=asset,
        estimate=estimate,
        priced=priced,
        values=values,
        errors=errors,
        message=message,
        legal_bases=list(LEGAL_BASES.items()),
        priorities=list(PRIORITIES.items()),
        purpose_classes=list(PURPOSE_CLASSES.items()),
    )


@bp.get("/request")
@role_required(PLANNER)
def request_form() -> str:
    values: dict[str, Any] = {
        "quantity": "1",
        "priority": "2",
        "legal_basis": "steunverlening",
        "purpose_class": "other",
    }
    values.update({k: v for k, v in request.args.items() if v})
    values["idempotency_key"] = new_idempotency_key()
    return _request_form(values, {})


@bp.post("/request")
@role_required(PLANNER)
def submit_request() -> Response | tuple[str, int]:
    values = dict(request.form.items())
    reader = FormReader(values)
    start, end = reader.window()
    body = {
        "asset_id": reader.text("asset_id"),
        "legal_basis": reader.choice("legal_basis", LEGAL_BASES),
        "priority": reader.integer("priority", minimum=1, maximum=3),
        "purpose": reader.text("purpose", min_length=3),
        # What the public drone register may say the use was for (booking's default: other).
        "purpose_class": reader.choice("purpose_class", PURPOSE_CLASSES, required=False) or "other",
        "contact": reader.text("contact", min_length=3),
        "quantity": reader.integer("quantity", minimum=1, maximum=100),
    }
    key = reader.raw("idempotency_key") or new_idempotency_key()
    values["idempotency_key"] = key
    if reader.errors:
        return _request_form(values, reader.errors), 422
    assert start is not None and end is not None  # reader.window checked them
    body.update(start=start.isoformat(), end=end.isoformat())
    try:
        created = apis().booking.request_booking(body, key)
    except ApiProblem as exc:
        if exc.status not in (400, 409, 422):
            raise
        # Refused: nothing was created, so the corrected form is a new request.
        values["idempotency_key"] = new_idempotency_key()
        return _request_form(values, exc.errors, exc.message), exc.status
    flash(_("Your request has been sent to the owner."), "ok")
    return redirect(url_for("planner.booking", booking_id=created["id"]))
