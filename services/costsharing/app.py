"""Cost-sharing service: wiring only."""

from __future__ import annotations

from typing import Any

from flask import Flask

from services.costsharing.api import blp
from shared.web import build_service_app


def create_app(config: dict[str, Any] | None = None) -> Flask:
    return build_service_app(
        "costsharing",
        title="Slagkracht cost-sharing",
        description="Agreements, allocations and the ledger of every joint use.",
        blueprints=[blp],
        config=config,
    )
