"""Which incoming event calls which catalog use case."""

from __future__ import annotations

from services.catalog import commitments
from shared.consumer import BatchHandler, EventBatch
from shared.topics import event_types_except


def apply_booking_events(batch: EventBatch) -> None:
    """Booking events of one polled batch: the newest state of each booking in one upsert."""
    commitments.apply_booking_events(batch.session, [e["data"] for e in batch.events])


# Every event that moves a booking's state, holds too (a hold occupies the alternative it was
# placed on until confirmed, released or lapsed). Not an escalation (the state is unchanged)
# nor an order on a framework contract (no asset is committed).
BOOKING_EVENTS = event_types_except("booking.bookings", "booking.escalated", "booking.order.placed")
BOOKING_BATCH = BatchHandler(event_types=BOOKING_EVENTS, apply=apply_booking_events)
