"""The national picture for finance and administrators: the efficiency dashboard (charts
drawn from tables) and the evaluation report with its map of the 25 safety regions. The
cost-sharing API decides again who may read the figures."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("national", __name__, url_prefix="/national")

from services.portal.views.national import (  # noqa: E402,F401 - routes register on bp
    dashboard,
    evaluation,
)
