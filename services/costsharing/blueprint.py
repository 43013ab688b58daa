"""The cost-sharing API's one blueprint: every route module registers its views on it."""

from __future__ import annotations

from shared.web import Blueprint

blp = Blueprint("costsharing", __name__, url_prefix="/api/v1", description="Who pays what")
