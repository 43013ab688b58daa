"""Which incoming event calls which cost-sharing use case."""

from __future__ import annotations

from typing import Any

from services.costsharing import allocations, readmodel
from shared.consumer import EventHandler
from shared.db import UnitOfWork

BOOKING_STATE_EVENTS = (
    "booking.requested",
    "booking.approved",
    "booking.rejected",
    "booking.cancelled",
    "booking.expired",
    "booking.started",
    "booking.completed",
    "booking.counter_offered",
    "booking.preempted",
)
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


def on_booking_event(uow: UnitOfWork, event: dict[str, Any]) -> None:
    readmodel.apply_booking(uow.session, event["data"])
    if event["type"] == "booking.completed":
        allocations.allocate_completed_use(uow, event=event)
    elif event["type"] == "booking.cancelled":
        allocations.allocate_late_cancellation(uow, event=event)
    # booking.preempted: the displaced unit pays nothing, so no allocation is written.


def on_order_placed(uow: UnitOfWork, event: dict[str, Any]) -> None:
    allocations.allocate_order(uow, event=event)


def on_asset_event(uow: UnitOfWork, event: dict[str, Any]) -> None:
    readmodel.apply_asset(uow.session, event["data"])


BOOKING_HANDLERS: dict[str, EventHandler] = {
    **{t: on_booking_event for t in BOOKING_STATE_EVENTS},
    "booking.order.placed": on_order_placed,
}
CATALOG_HANDLERS: dict[str, EventHandler] = {t: on_asset_event for t in ASSET_EVENTS}
