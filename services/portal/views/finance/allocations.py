"""The review queue and one allocation: what it came from (the booking, the agreement and
version applied, the price basis and split), every ledger line and review step, and the
review itself: approve, dispute with a reason, resolve with new amounts."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from services.portal.auth import role_required, safe_next
from services.portal.clients import ApiProblem, apis
from services.portal.forms import FormReader
from services.portal.labels import CATEGORIES
from services.portal.views.finance import bp
from services.portal.views.finance.common import (
    ALLOCATION_STATES,
    AWAITING_REVIEW,
    OTHER_SIDE_RESOLVES,
    dispute_of,
    finance_orgs,
    may_resolve,
    refusal,
    side_of,
    signed_in_user,
)
from services.portal.views.owner.common import renamed
from services.portal.views.planner.common import asset_names, is_htmx
from shared.auth import FINANCE

PAGE_SIZE = 25
# Pages a queue link can lead through (each adds the API's cursor of the next page to the URL).
MAX_TRAIL = 50
PERIOD = re.compile(r"^[0-9]{4}(-Q[1-4]|-(0[1-9]|1[0-2]))?$")
# The API's field names as the page's forms name them (three forms share one page).
FIELD_NAMES = {"dispute": {"reason": "dispute_reason"}, "resolve": {"reason": "resolve_reason"}}


def _filters() -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The queue's filters from the query string; a malformed period is said next to it."""
    args = request.args
    state = args.get("state", "review")
    if state not in ALLOCATION_STATES and state != "all":
        state = "review"
    errors: dict[str, list[str]] = {}
    period = args.get("period", "").strip()
    if period and not PERIOD.match(period):
        errors["period"] = [_("Enter a year, a quarter or a month, for example 2026-Q4.")]
    org = args.get("org", "")
    category = args.get("category", "")
    chosen = {
        "state": state,
        "period": period,
        "org": org[:80],
        "category": category if category in CATEGORIES else "",
    }
    return chosen, errors


def _query(chosen: dict[str, Any]) -> dict[str, Any]:
    states = {"review": list(AWAITING_REVIEW), "all": None}.get(chosen["state"], chosen["state"])
    return {
        "state": states,
        "period": chosen["period"] or None,
        "org": chosen["org"] or None,
        "category": chosen["category"] or None,
    }


@bp.get("/allocations")
@role_required(FINANCE)
def queue() -> str:
    """The review queue, a page at a time. The URL carries the trail of API cursors that led
    to the page (`cursor`, repeated), so "previous" drops the last one; a trail the API
    refuses (edited by hand) starts over at the first page."""
    chosen, errors = _filters()
    trail = [c for c in request.args.getlist("cursor") if c][:MAX_TRAIL]
    page: dict[str, Any] = {"items": [], "next_cursor": None}
    if not errors:
        try:
            page = _page(chosen, trail)
        except ApiProblem as exc:
            if exc.status != 422:
                raise
            if trail and "cursor" in (exc.errors or {}):
                trail, page = [], _page(chosen, [])
            else:
                errors = exc.errors or {"period": [exc.message]}
    context = {
        "rows": page["items"],
        "trail": trail,
        "next_cursor": page.get("next_cursor"),
        "chosen": chosen,
        "errors": errors,
        "states": [("review", _("Awaiting review")), *ALLOCATION_STATES.items(), ("all", _("All"))],
        "orgs": finance_orgs(signed_in_user(), chosen["org"]),
        "categories": list(CATEGORIES.items()),
        "page_args": {k: v for k, v in chosen.items() if v},
    }
    template = "finance/_allocations_table.html" if is_htmx() else "finance/queue.html"
    return render_template(template, **context)


def _page(chosen: dict[str, Any], trail: list[str]) -> dict[str, Any]:
    return apis().costsharing.allocations(
        **_query(chosen), limit=PAGE_SIZE, cursor=trail[-1] if trail else None
    )


def _booking_of(allocation: dict[str, Any]) -> dict[str, Any] | None:
    """The booking an allocation came from (an order has none in booking's list)."""
    if allocation["kind"] == "procurement":
        return None
    try:
        return apis().booking.booking(allocation["booking_id"])
    except ApiProblem as exc:
        if exc.status != 404:
            raise
        return None


def _agreement_of(allocation: dict[str, Any]) -> dict[str, Any] | None:
    if not allocation.get("agreement_id"):
        return None
    try:
        return apis().costsharing.agreement_with_etag(allocation["agreement_id"])[0]
    except ApiProblem as exc:
        if exc.status not in (403, 404):
            raise
        return None


def _allocation_page(
    allocation_id: str,
    *,
    errors: dict[str, list[str]] | None = None,
    message: str = "",
) -> str:
    costsharing = apis().costsharing
    allocation = costsharing.allocation(allocation_id)
    reviews = costsharing.reviews(allocation_id)
    booking = _booking_of(allocation)
    dispute = dispute_of(reviews)
    user = signed_in_user()
    submitted = request.form if request.method == "POST" else {}
    return render_template(
        "finance/allocation.html",
        allocation=allocation,
        ledger=costsharing.ledger(allocation_id),
        reviews=reviews,
        booking=booking,
        names=asset_names([booking["asset_id"]] if booking else []),
        agreement=_agreement_of(allocation),
        dispute=dispute,
        may_resolve=may_resolve(user, dispute),
        resolver=OTHER_SIDE_RESOLVES.get(side_of(dispute["actor_org"]), "") if dispute else "",
        values={k: v for k, v in submitted.items() if k != "csrf_token"},
        errors=errors or {},
        message=message,
    )


@bp.get("/allocations/<uuid:allocation_id>")
@role_required(FINANCE)
def allocation(allocation_id: Any) -> str:
    return _allocation_page(str(allocation_id))


def _review(
    allocation_id: str, action: str, body: dict[str, Any], done: str
) -> Response | tuple[str, int]:
    """One review step; the API's refusal (a 409 state change, the four-eyes 403, a field
    error) is shown on the allocation page."""
    _result, problem = refusal(lambda: apis().costsharing.review(allocation_id, action, body))
    if problem is not None:
        errors = renamed(problem.errors, FIELD_NAMES.get(action, {}))
        return _allocation_page(
            allocation_id, errors=errors, message=problem.message
        ), problem.status
    flash(done, "ok")
    back = url_for("finance.allocation", allocation_id=allocation_id)
    return redirect(safe_next(request.form.get("next"), back))


@bp.post("/allocations/<uuid:allocation_id>/approve")
@role_required(FINANCE)
def approve(allocation_id: Any) -> Response | str | tuple[str, int]:
    """Approve; from the queue with htmx, the answer is the row as it is now and the outcome
    for the status region (a refusal too: htmx swaps only a 2xx answer)."""
    done = _("The allocation has been approved.")
    if not is_htmx():
        return _review(str(allocation_id), "approve", {}, done)
    costsharing = apis().costsharing
    approved, problem = refusal(lambda: costsharing.review(str(allocation_id), "approve", {}))
    return render_template(
        "finance/_allocation_reviewed.html",
        row=approved or costsharing.allocation(str(allocation_id)),
        outcome=problem.message if problem is not None else done,
    )


@bp.post("/allocations/<uuid:allocation_id>/dispute")
@role_required(FINANCE)
def dispute(allocation_id: Any) -> Response | tuple[str, int]:
    reader = FormReader(request.form)
    reason = reader.text("dispute_reason", min_length=3)
    if reader.errors:
        return _allocation_page(str(allocation_id), errors=reader.errors), 422
    return _review(
        str(allocation_id),
        "dispute",
        {"reason": reason},
        _("The allocation has been disputed. Someone else resolves it (four eyes)."),
    )


def _amount(reader: FormReader, name: str, *, required: bool) -> str | None:
    """A euro amount as typed (a comma or a point for the cents), two decimals at most."""
    raw = reader.raw(name).replace(" ", "").replace("€", "")
    if not raw:
        if required:
            reader.fail(name, _("Fill this in."))
        return None
    normalised = raw.replace(".", "").replace(",", ".") if "," in raw else raw
    try:
        amount = Decimal(normalised)
    except InvalidOperation:
        reader.fail(name, _("Enter an amount in euros, for example 1250,00."))
        return None
    if amount < 0 or amount.as_tuple().exponent < -2:  # type: ignore[operator]
        reader.fail(name, _("Enter an amount in euros, for example 1250,00."))
        return None
    return f"{amount:.2f}"


@bp.post("/allocations/<uuid:allocation_id>/resolve")
@role_required(FINANCE)
def resolve(allocation_id: Any) -> Response | tuple[str, int]:
    """Resolve with new amounts: the requester's share of a total (the total as it stands
    unless finance sets one, as where no tariff priced the use)."""
    reader = FormReader(request.form)
    requester_amount = _amount(reader, "requester_amount", required=True)
    total = _amount(reader, "total", required=False)
    reason = reader.text("resolve_reason", min_length=3)
    if reader.errors:
        return _allocation_page(str(allocation_id), errors=reader.errors), 422
    body: dict[str, Any] = {"reason": reason, "requester_amount": requester_amount}
    if total is not None:
        body["total"] = total
    return _review(
        str(allocation_id),
        "resolve",
        body,
        _("The allocation has been resolved with the new amounts."),
    )
