"""Which incoming event calls which use case."""

from __future__ import annotations

from typing import Any

from services.booking import readmodel
from shared.consumer import EventHandler
from shared.db import UnitOfWork


def on_asset_snapshot(uow: UnitOfWork, event: dict[str, Any]) -> None:
    readmodel.apply_asset_snapshot(uow.session, event["data"])


def on_contract_published(uow: UnitOfWork, event: dict[str, Any]) -> None:
    readmodel.apply_contract(uow.session, event["data"])


ASSET_EVENTS = (
    "catalog.asset.registered",
    "catalog.asset.updated",
    "catalog.asset.retired",
    "catalog.tariff.set",
    "catalog.availability.published",
    "catalog.availability.withdrawn",
    "catalog.blackout.added",
    "catalog.blackout.removed",
)
HANDLERS: dict[str, EventHandler] = {
    **{t: on_asset_snapshot for t in ASSET_EVENTS},
    "catalog.contract.published": on_contract_published,
}
