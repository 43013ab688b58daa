"""Catalog service: wiring only; nothing connects at import time."""

from __future__ import annotations

from typing import Any

from flask import Flask

from services.catalog.api import blp
from shared.settings import load_settings
from shared.web import create_service_app


def create_app(config: dict[str, Any] | None = None) -> Flask:
    settings = (config or {}).get("SLAGKRACHT_SETTINGS") or load_settings("catalog")
    app, api = create_service_app(
        settings=settings,
        title="Slagkracht catalog",
        description="Assets, tariffs and availability that Defensie lends to the police.",
        config=config,
    )
    api.register_blueprint(blp)
    return app
