"""The list of bookings the planner and the owner page through (the owner's pages use the
planner's pieces): the same status filter, the same paging and the same partial for an htmx
swap; each role adds its own filters and columns."""

from __future__ import annotations

from typing import Any

from flask import render_template, request

from services.portal.clients import ApiProblem, apis
from services.portal.labels import STATES
from services.portal.views.planner.common import asset_names, is_htmx

PAGE_SIZE = 20
# Pages a list link can lead through (each adds the API's cursor of the next page to the URL).
MAX_TRAIL = 50


def render_bookings_list(role: str, filters: dict[str, str], **context: Any) -> str:
    """One page of the bookings the API shows this user, by the `state` and `cursor` query
    parameters and the role's own `filters`: the table alone for htmx, else the whole page
    (`<role>/_bookings_table.html` or `<role>/bookings.html`, given `context` too).

    The URL carries the trail of API cursors that led to the page (`cursor`, repeated), so
    "previous" drops the last one; a trail the API refuses (edited by hand) starts over."""
    state = request.args.get("state", "")
    state = state if state in STATES else ""
    trail = [c for c in request.args.getlist("cursor") if c][:MAX_TRAIL]
    try:
        page = _page(state, trail[-1] if trail else None, filters)
    except ApiProblem as exc:
        if exc.status != 422 or not trail:
            raise
        trail, page = [], _page(state, None, filters)
    shown = page["items"]
    template = f"{role}/_bookings_table.html" if is_htmx() else f"{role}/bookings.html"
    return render_template(
        template,
        rows=shown,
        names=asset_names([r["asset_id"] for r in shown]),
        state=state,
        states=list(STATES.items()),
        trail=trail,
        next_cursor=page.get("next_cursor"),
        **context,
    )


def _page(state: str, cursor: str | None, filters: dict[str, str]) -> dict[str, Any]:
    return dict(
        apis().booking.bookings(state=state or None, limit=PAGE_SIZE, cursor=cursor, **filters)
    )
