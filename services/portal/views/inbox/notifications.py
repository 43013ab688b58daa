"""The inbox: the user's notifications newest first, all or unread only, a page at a time;
mark one read or all of them (htmx updates the list and the header badge in place and
announces it; without JavaScript the form posts and the inbox comes back)."""

from __future__ import annotations

from typing import Any

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from services.portal.auth import login_required
from services.portal.clients import apis
from services.portal.views.inbox import bp
from services.portal.views.inbox.common import sync_notify_language
from services.portal.views.planner.common import is_htmx


def _filters(source: Any) -> tuple[bool, str | None]:
    """The list's state from the query (or a form posted from it): unread only, and where."""
    return source.get("unread") == "1", source.get("cursor") or None


def _inbox(unread_only: bool, cursor: str | None) -> dict[str, Any]:
    """One page of the inbox, its text in the portal's language."""
    notify = apis().notify
    page = notify.notifications(unread=unread_only, cursor=cursor)
    language = str(get_locale())
    # Notify renders in the stored preference: a user who chose the portal's language before
    # signing in (or on another device) gets it stored now, and the page read again.
    stale = any(item.get("language") != language for item in page.get("items", []))
    if stale and sync_notify_language(language):
        page = notify.notifications(unread=unread_only, cursor=cursor)
    g.unread_count = int(page.get("unread_count", 0))  # the header badge: no second call
    return page


def _here(unread_only: bool, cursor: str | None) -> str:
    """The inbox as it was shown: where a form posted from it without JavaScript returns."""
    return url_for("inbox.index", unread="1" if unread_only else None, cursor=cursor)


@bp.get("")
@login_required
def index() -> str:
    unread_only, cursor = _filters(request.args)
    return render_template(
        "inbox/inbox.html",
        page=_inbox(unread_only, cursor),
        unread_only=unread_only,
        cursor=cursor,
    )


def _answer(outcome: str, unread_only: bool, cursor: str | None) -> Response | str:
    """The list again with the badge and the outcome (htmx), or back to the inbox."""
    if is_htmx():
        return render_template(
            "inbox/_updated.html",
            page=_inbox(unread_only, cursor),
            unread_only=unread_only,
            cursor=cursor,
            outcome=outcome,
        )
    flash(outcome, "ok")
    return redirect(_here(unread_only, cursor))


@bp.post("/<uuid:notification_id>/read")
@login_required
def mark_read(notification_id: Any) -> Response | str:
    item = apis().notify.mark_read(str(notification_id))
    unread_only, cursor = _filters(request.form)
    return _answer(_("Marked as read: %(title)s", title=item.get("title", "")), unread_only, cursor)


@bp.post("/read-all")
@login_required
def mark_all_read() -> Response | str:
    marked = apis().notify.mark_all_read()
    unread_only, cursor = _filters(request.form)
    outcome = ngettext(
        "%(num)d notification marked as read.", "%(num)d notifications marked as read.", marked
    )
    # A page further on may have emptied: start at the top again.
    return _answer(outcome, unread_only, None if unread_only else cursor)
