"""Which incoming events become notifications."""

from __future__ import annotations

from services.notify import domain, notifications
from shared.consumer import BatchHandler, EventBatch
from shared.topics import event_types_except


def apply_events(batch: EventBatch) -> None:
    """Each event in log order (a booking's earlier state decides what its approval means)."""
    for event in batch.events:
        notifications.record_event(batch.session, event)


# Every booking event but an order: the ones not notified (started, completed, a released
# hold) still move a booking's state, which tells an acceptance from an approval.
BOOKING_EVENTS = event_types_except("booking.bookings", "booking.order.placed")
BOOKING_BATCH = BatchHandler(event_types=BOOKING_EVENTS, apply=apply_events)
COSTSHARING_BATCH = BatchHandler(event_types=domain.COSTSHARING_EVENTS, apply=apply_events)
