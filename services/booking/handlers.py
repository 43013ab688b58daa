"""Which incoming event calls which use case."""

from __future__ import annotations

from typing import Any

from services.booking import readmodel
from shared.consumer import BatchHandler, EventBatch, EventHandler
from shared.db import UnitOfWork
from shared.topics import event_types, event_types_except


def apply_catalog_events(batch: EventBatch) -> None:
    """Catalog events of one polled batch: asset snapshots set-based, contracts one by one
    (rare), each in log order within its kind (they touch different tables)."""
    readmodel.apply_asset_snapshots(
        batch.session, [e["data"] for e in batch.events if e["type"] in ASSET_EVENTS]
    )
    for event in batch.events:
        if event["type"] == "catalog.contract.published":
            readmodel.apply_contract(batch.session, event["data"])


def on_catalog_event(uow: UnitOfWork, event: dict[str, Any]) -> None:
    """One catalog event inside a caller's unit of work (same code as the batch)."""
    apply_catalog_events(EventBatch.of_one(uow, event))


# Every catalog event: an asset's snapshot, or a framework contract (kept apart).
ASSET_EVENTS = event_types_except("catalog.assets", "catalog.contract.published")
CATALOG_BATCH = BatchHandler(event_types=event_types("catalog.assets"), apply=apply_catalog_events)
HANDLERS: dict[str, EventHandler] = {t: on_catalog_event for t in CATALOG_BATCH.event_types}
