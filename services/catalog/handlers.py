"""Which incoming event calls which catalog use case."""

from __future__ import annotations

from services.catalog import service
from shared.consumer import BatchHandler, EventBatch


def apply_booking_events(batch: EventBatch) -> None:
    """Booking events of one polled batch: the newest state of each booking in one upsert."""
    service.apply_booking_events(batch.session, [e["data"] for e in batch.events])


BOOKING_EVENTS = (
    "booking.requested",
    "booking.approved",
    "booking.rejected",
    "booking.cancelled",
    "booking.expired",
    "booking.started",
    "booking.completed",
    "booking.counter_offered",
    "booking.preempted",
    # A hold occupies the alternative it was placed on until confirmed, released or lapsed.
    "booking.held",
    "booking.hold_confirmed",
    "booking.hold_released",
    "booking.hold_expired",
)
BOOKING_BATCH = BatchHandler(event_types=BOOKING_EVENTS, apply=apply_booking_events)
