"""Recurring requests (series), orders on framework contracts, the calendar feed."""

from __future__ import annotations

from functools import partial
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from services.portal.auth import role_required
from services.portal.cache import shared_cache
from services.portal.clients import ApiProblem, apis
from services.portal.forms import FormReader
from services.portal.labels import LEGAL_BASES, PRIORITIES
from services.portal.views.planner import bp
from services.portal.views.planner.common import asset_names, new_idempotency_key
from shared.auth import PLANNER

FREQUENCIES = ("daily", "weekly", "monthly")


def _bookable_assets() -> list[tuple[str, str]]:
    """Active assets booked by time, by name, to choose one for a series (catalog's first
    200 are every asset of the demo; a search by time finds the rest)."""
    page = shared_cache().get_or_load(
        "bookable-assets", partial(apis().catalog.assets, status="active", limit=200)
    )
    return [
        (a["id"], f"{a['name']} ({a['owner_org']})")
        for a in page.get("items", [])
        if a.get("category") != "procurement_item"
    ]


def _series_page(
    values: dict[str, Any],
    errors: dict[str, list[str]],
    message: str = "",
    result: dict[str, Any] | None = None,
) -> str:
    asset_id = str(values.get("asset_id", ""))
    asset = None
    if asset_id:
        try:
            asset = apis().catalog.asset(asset_id)
        except ApiProblem as exc:
            if exc.status not in (404, 422):
                raise
            errors = {**errors, "asset_id": [_("This asset does not exist.")]}
    return render_template(
        "planner/series.html",
        asset=asset,
        choices=[] if asset_id else _bookable_assets(),
        values=values,
        errors=errors,
        message=message,
        result=result,
        legal_bases=list(LEGAL_BASES.items()),
        priorities=list(PRIORITIES.items()),
        frequencies=FREQUENCIES,
    )


@bp.get("/series")
@role_required(PLANNER)
def series() -> str:
    values: dict[str, Any] = {
        "quantity": "1",
        "priority": "3",
        "legal_basis": "joint_exercise",
        "frequency": "weekly",
        "interval": "1",
        "count": "4",
    }
    values.update({k: v for k, v in request.args.items() if v})
    values["idempotency_key"] = new_idempotency_key()
    return _series_page(values, {})


@bp.post("/series")
@role_required(PLANNER)
def create_series() -> str | tuple[str, int]:
    values = dict(request.form.items())
    reader = FormReader(values)
    start, end = reader.window()
    body: dict[str, Any] = {
        "asset_id": reader.text("asset_id"),
        "legal_basis": reader.choice("legal_basis", LEGAL_BASES),
        "priority": reader.integer("priority", minimum=1, maximum=3),
        "purpose": reader.text("purpose", min_length=3),
        "contact": reader.text("contact", min_length=3),
        "quantity": reader.integer("quantity", minimum=1, maximum=100),
        "frequency": reader.choice("frequency", FREQUENCIES),
        "interval": reader.integer("interval", minimum=1, maximum=12),
        "count": reader.integer("count", minimum=1, maximum=60),
    }
    key = reader.raw("idempotency_key") or new_idempotency_key()
    values["idempotency_key"] = key
    if reader.errors:
        return _series_page(values, reader.errors), 422
    assert start is not None and end is not None
    body.update(start=start.isoformat(), end=end.isoformat())
    try:
        result = apis().booking.create_series(body, key)
    except ApiProblem as exc:
        if exc.status not in (400, 409, 422):
            raise
        values["idempotency_key"] = new_idempotency_key()
        return _series_page(values, exc.errors, exc.message), exc.status
    values["idempotency_key"] = new_idempotency_key()
    return _series_page(values, {}, result=result)


def _contracts_page(
    errors: dict[str, list[str]] | None = None,
    message: str = "",
    values: dict[str, Any] | None = None,
) -> str:
    contracts = apis().booking.contracts(limit=200)["items"]
    orders = apis().booking.orders()["items"]
    names = asset_names(
        [i for c in contracts for i in c.get("item_ids", [])] + [o["item_id"] for o in orders]
    )
    references = {c["contract_id"]: c["reference"] for c in contracts}
    return render_template(
        "planner/contracts.html",
        contracts=contracts,
        orders=orders,
        names=names,
        references=references,
        errors=errors or {},
        message=message,
        values=values or {},
        idempotency_key=new_idempotency_key(),
    )


@bp.get("/contracts")
@role_required(PLANNER)
def contracts() -> str:
    return _contracts_page()


@bp.post("/orders")
@role_required(PLANNER)
def place_order() -> Response | tuple[str, int]:
    values = dict(request.form.items())
    reader = FormReader(values)
    body = {
        "contract_id": reader.text("contract_id"),
        "item_id": reader.text("item_id"),
        "quantity": reader.integer("quantity", minimum=1, maximum=1_000_000),
        "delivery_date": reader.text("delivery_date"),
        "purpose": reader.text("purpose", min_length=3),
    }
    if reader.errors:
        return _contracts_page(reader.errors, values=values), 422
    key = reader.raw("idempotency_key") or new_idempotency_key()
    try:
        apis().booking.place_order(body, key)
    except ApiProblem as exc:
        if exc.status not in (400, 409, 422):
            raise
        return _contracts_page(exc.errors, exc.message, values), exc.status
    flash(_("Your order has been placed."), "ok")
    return redirect(url_for("planner.contracts") + "#orders")


@bp.get("/calendar")
@role_required(PLANNER)
def calendar() -> str:
    feed = apis().booking.calendar()
    return render_template("planner/calendar.html", feed_url=feed["url"])
