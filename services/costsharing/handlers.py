"""Which incoming event calls which cost-sharing use case."""

from __future__ import annotations

from typing import Any

from services.costsharing import allocations, readmodel
from shared.consumer import BatchHandler, EventBatch, EventHandler
from shared.db import UnitOfWork
from shared.topics import event_types_except

# The facts of a booking: every state it passes through, and for the crisis fast path when an
# acute request escalated. A confirmed hold is a request; one that was placed, lapsed or was
# released never was, so those are not kept; an order is priced, not a booking's state.
BOOKING_STATE_EVENTS = event_types_except(
    "booking.bookings",
    "booking.held",
    "booking.hold_expired",
    "booking.hold_released",
    "booking.order.placed",
)
# Asset snapshots feed estimates and utilisation; framework contracts play no part.
ASSET_EVENTS = event_types_except("catalog.assets", "catalog.contract.published")


def apply_booking_events(batch: EventBatch) -> None:
    """Booking events of one polled batch, set-based: the newest facts of each booking in one
    upsert, then every allocation they cause priced in Python and written with one statement
    per table (allocations, ledger lines, outbox)."""
    readmodel.apply_bookings(
        batch.session, [e["data"] for e in batch.events if e["type"] in BOOKING_STATE_EVENTS]
    )
    priced: list[allocations.PricedAllocation] = []
    for event in batch.events:
        uow = batch.unit_of_work(event)
        if event["type"] == "booking.completed":
            priced.append(allocations.price_completed_use(uow, event=event))
        elif event["type"] == "booking.cancelled":
            late = allocations.price_late_cancellation(uow, event=event)
            if late is not None:
                priced.append(late)
        elif event["type"] == "booking.order.placed":
            priced.append(allocations.price_order(uow, event=event))
        # booking.preempted: the displaced unit pays nothing, so no allocation is written.
    allocations.record_allocations(batch.session, priced, batch.unit_of_work)


def on_booking_event(uow: UnitOfWork, event: dict[str, Any]) -> None:
    """One booking event inside a caller's unit of work (same code as the batch)."""
    apply_booking_events(EventBatch.of_one(uow, event))


def apply_asset_events(batch: EventBatch) -> None:
    """Catalog asset snapshots of one polled batch: the newest of each asset in one upsert."""
    readmodel.apply_assets(batch.session, [e["data"] for e in batch.events])


BOOKING_BATCH = BatchHandler(
    event_types=(*BOOKING_STATE_EVENTS, "booking.order.placed"), apply=apply_booking_events
)
BOOKING_HANDLERS: dict[str, EventHandler] = {t: on_booking_event for t in BOOKING_BATCH.event_types}
CATALOG_BATCH = BatchHandler(event_types=ASSET_EVENTS, apply=apply_asset_events)
