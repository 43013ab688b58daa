"""The administrators' pages (beheerder-functioneel): cost-sharing agreements (list, create,
new version, each after a preview of what it would cover) and the reference data
(organisations and safety regions: add, rename, with the history of every change)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from services.portal.views.admin import (  # noqa: E402,F401 - routes register on bp
    agreements,
    reference,
)
