"""Which incoming event calls which use case."""

from __future__ import annotations

from typing import Any

from services.booking import service
from shared.consumer import EventHandler
from shared.db import UnitOfWork


def on_asset_snapshot(uow: UnitOfWork, event: dict[str, Any]) -> None:
    service.apply_asset_snapshot(uow.session, event["data"])


HANDLERS: dict[str, EventHandler] = {
    "catalog.asset.registered": on_asset_snapshot,
}
