"""The navigation per role, the owner's pending-approvals badge and everyone's unread
notifications badge, for the base layout.

Each role's pages add their entries here (endpoint, label). An entry whose endpoint is not
registered (yet) is left out, so a half-built role never breaks a page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app, g, request
from flask_babel import lazy_gettext as _l

from services.portal.auth import User, current_user
from services.portal.clients import ApiProblem, ApiUnavailable, apis
from shared.auth import ADMIN, FINANCE, OWNER, PLANNER


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: Any  # a lazy translation
    badge: str = ""  # name of a count shown next to the label ("pending")


# The national picture: finance and the administrators both read it.
NATIONAL = (
    NavItem("national.efficiency", _l("Efficiency")),
    NavItem("national.evaluation", _l("Evaluation and map")),
)

# The live national capacity board: every role reads it (counts only).
BOARD = NavItem("board.page", _l("Capacity board"))

NAV_ITEMS: dict[str, tuple[NavItem, ...]] = {
    PLANNER: (
        NavItem("planner.search", _l("Search")),
        NavItem("planner.bookings", _l("My unit's bookings")),
        NavItem("planner.series", _l("Recurring requests")),
        NavItem("planner.contracts", _l("Orders")),
        NavItem("planner.calendar", _l("Calendar")),
        BOARD,
    ),
    OWNER: (
        NavItem("owner.queue", _l("Approvals"), badge="pending"),
        NavItem("owner.assets", _l("My assets")),
        NavItem("owner.bookings", _l("Bookings of my assets")),
        BOARD,
    ),
    FINANCE: (
        NavItem("finance.queue", _l("Review allocations")),
        NavItem("finance.statements", _l("Statements")),
        *NATIONAL,
        BOARD,
    ),
    ADMIN: (
        NavItem("admin.agreements", _l("Agreements")),
        NavItem("admin.organisations", _l("Organisations")),
        NavItem("admin.regions", _l("Safety regions")),
        NavItem("inbox.webhooks", _l("Webhooks")),  # notify offers webhooks to them only
        *NATIONAL,
        BOARD,
    ),
}


def nav_for(user: User | None) -> list[NavItem]:
    if user is None:
        return []
    items: list[NavItem] = []
    for role, entries in NAV_ITEMS.items():
        if role in user.roles:
            items.extend(
                e
                for e in entries
                if e.endpoint in current_app.view_functions and e not in items  # two roles
            )
    return items


def pending_approvals_count() -> int | None:
    """How many requests wait for the owner's decision; None when booking cannot tell now
    (the badge is left out rather than the page failing)."""
    user = current_user()
    if user is None or not user.is_owner:
        return None
    if "pending_count" not in g:
        try:
            counts = apis().booking.pending_approvals().get("counts", {})
            g.pending_count = int(counts.get("total", 0))
        except (ApiUnavailable, ApiProblem):
            g.pending_count = None
    count: int | None = g.pending_count
    return count


def unread_notifications_count() -> int | None:
    """How many of the user's notifications are unread (one notify call per page); None when
    notify cannot tell now (the badge is left out rather than the page failing)."""
    if current_user() is None:
        return None
    if "unread_count" not in g:
        try:
            g.unread_count = apis().notify.unread_count()
        except (ApiUnavailable, ApiProblem):
            g.unread_count = None
    count: int | None = g.unread_count
    return count


def init_navigation(app: Flask) -> None:
    @app.context_processor
    def _navigation() -> dict[str, Any]:
        user = current_user()
        return {
            "nav_items": nav_for(user),
            "nav_active": request.endpoint or "",
            "pending_approvals_count": pending_approvals_count,
            "unread_notifications_count": unread_notifications_count,
        }
