"""Everyone's notifications (the notify API): the inbox with its header badge, the user's
preferences (language, which kinds by email) and, for administrators, webhooks with their
delivery log. Notify enforces who sees what again on every call."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("inbox", __name__, url_prefix="/notifications")

from services.portal.views.inbox import (  # noqa: E402,F401 - routes register on bp
    notifications,
    preferences,
    webhooks,
)
