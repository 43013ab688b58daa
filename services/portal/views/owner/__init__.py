"""The Defence owner's pages (defensie-beheerder): the approval queue, a booking's decision and
its use (start, completion), and the organisation's assets (details, tariffs, availability,
blackouts, retirement). The APIs enforce ownership again on every change."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("owner", __name__, url_prefix="/owner")

from services.portal.views.owner import (  # noqa: E402,F401 - routes register on bp
    assets,
    availability,
    bookings,
    queue,
)
