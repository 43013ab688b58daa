"""The list of bookings the planner and the owner page through (the owner's pages use the
planner's pieces): the same status filter, the same paging and the same partial for an htmx
swap; each role adds its own filters and columns."""

from __future__ import annotations

from typing import Any

from flask import render_template, request

from services.portal.clients import apis
from services.portal.labels import STATES
from services.portal.views.planner.common import asset_names, is_htmx

PAGE_SIZE = 20


def render_bookings_list(role: str, filters: dict[str, str], **context: Any) -> str:
    """One page of the bookings the API shows this user, by the `state` and `page` query
    parameters and the role's own `filters`: the table alone for htmx, else the whole page
    (`<role>/_bookings_table.html` or `<role>/bookings.html`, given `context` too)."""
    state = request.args.get("state", "")
    state = state if state in STATES else ""
    try:
        page = max(1, int(request.args.get("page", "1")))
    except ValueError:
        page = 1
    # One more than a page tells whether there is a next page.
    rows = apis().booking.bookings(
        state=state or None,
        limit=PAGE_SIZE + 1,
        offset=(page - 1) * PAGE_SIZE,
        **filters,
    )
    shown = rows[:PAGE_SIZE]
    template = f"{role}/_bookings_table.html" if is_htmx() else f"{role}/bookings.html"
    return render_template(
        template,
        rows=shown,
        names=asset_names([r["asset_id"] for r in shown]),
        state=state,
        states=list(STATES.items()),
        page=page,
        has_next=len(rows) > PAGE_SIZE,
        **context,
    )
