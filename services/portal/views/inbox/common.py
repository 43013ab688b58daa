"""Pieces the notification pages share: the kinds' names, where a notification leads, and
keeping notify's language (it writes each text in the reader's stored preference) the same
as the portal's."""

from __future__ import annotations

from typing import Any

from flask import current_app, url_for
from flask_babel import lazy_gettext as _l

from services.portal.auth import current_user
from services.portal.clients import ApiProblem, ApiUnavailable, apis
from services.portal.views.inbox import bp
from shared.auth import FINANCE, OWNER, PLANNER

# notify's kinds (services/notify/domain.py KINDS), as the preferences and the inbox name them.
KINDS: dict[str, Any] = {
    "booking.requested": _l("New request for your asset"),
    "booking.counter_offer_accepted": _l("Counter-offer accepted"),
    "booking.approved": _l("Request approved"),
    "booking.rejected": _l("Request rejected"),
    "booking.counter_offered": _l("Counter-offer made"),
    "booking.preempted": _l("Booking preempted"),
    "booking.cancelled": _l("Booking cancelled"),
    "booking.expired": _l("Request expired undecided"),
    "booking.escalated": _l("Escalated: not decided in time"),
    "booking.held": _l("Alternative held for your unit"),
    "booking.hold_confirmed": _l("Hold confirmed as a request"),
    "booking.hold_expired": _l("Hold expired"),
    "costsharing.allocation.disputed": _l("Cost allocation disputed"),
    "costsharing.allocation.resolved": _l("Cost dispute resolved"),
    "costsharing.statement.closed": _l("Statement closed"),
}

# Which page shows what a notification is about, for the role it was sent to.
SUBJECT_PAGES = {
    ("booking.", OWNER): ("owner.booking", "booking_id"),
    ("booking.", PLANNER): ("planner.booking", "booking_id"),
    ("costsharing.allocation.", FINANCE): ("finance.allocation", "allocation_id"),
}


def kind_options() -> list[tuple[str, str]]:
    return [(code, str(label)) for code, label in KINDS.items()]


@bp.app_template_filter("notification_kind_label")
def notification_kind_label(code: str | None) -> str:
    return str(KINDS.get(code or "", code or ""))


@bp.app_template_filter("notification_link")
def notification_link(item: dict[str, Any]) -> str:
    """The page of the booking or allocation a notification is about, when the reader has
    that page ("" when it concerns nothing the portal shows them)."""
    user = current_user()
    kind, role, subject = item.get("kind") or "", item.get("role") or "", item.get("subject_id")
    for (prefix, page_role), (endpoint, argument) in SUBJECT_PAGES.items():
        if (
            subject
            and kind.startswith(prefix)
            and role == page_role
            and user is not None
            and user.has_role(page_role)
            and endpoint in current_app.view_functions
        ):
            return url_for(endpoint, **{argument: subject})
    return ""


def sync_notify_language(language: str) -> bool:
    """Store ``language`` as the user's notify language, keeping their email choices; False
    when notify cannot be reached or refuses (the inbox page tries again)."""
    if current_user() is None:
        return False
    notify = apis().notify
    try:
        chosen = notify.preferences()
        if chosen.get("language") != language:
            notify.put_preferences(
                {
                    "language": language,
                    "email": chosen.get("email"),
                    "email_kinds": list(chosen.get("email_kinds") or []),
                }
            )
    except (ApiUnavailable, ApiProblem):
        current_app.logger.warning("notify's language could not be set to %s", language)
        return False
    return True
