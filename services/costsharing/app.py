"""Cost-sharing service: wiring only."""

from __future__ import annotations

from typing import Any

from flask import Flask

from services.costsharing.api import blp
from shared.settings import load_settings
from shared.web import create_service_app


def create_app(config: dict[str, Any] | None = None) -> Flask:
    settings = (config or {}).get("SLAGKRACHT_SETTINGS") or load_settings("costsharing")
    app, api = create_service_app(
        settings=settings,
        title="Slagkracht cost-sharing",
        description="Agreements, allocations and the ledger of every joint use.",
        config=config,
    )
    api.register_blueprint(blp)
    return app
