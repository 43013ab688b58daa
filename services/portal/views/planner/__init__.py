"""The police planner's pages (politie-planner): search by time first, request, follow the
unit's bookings, recurring requests, orders on framework contracts, the calendar feed."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("planner", __name__, url_prefix="/planner")

from services.portal.views.planner import (  # noqa: E402,F401 - routes register on bp
    bookings,
    search,
    supply,
)
