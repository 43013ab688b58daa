"""Notify service: wiring only."""

from __future__ import annotations

from typing import Any

from flask import Flask

from services.notify.api import blp
from services.notify.config import load_notify_config
from shared.web import build_service_app


def create_app(config: dict[str, Any] | None = None) -> Flask:
    app = build_service_app(
        "notify",
        title="Slagkracht notify",
        description="Notifications: the inbox, email and signed webhooks.",
        blueprints=[blp],
        config=config,
    )
    app.extensions["notify"] = load_notify_config(app.config["SLAGKRACHT_SETTINGS"])
    return app
