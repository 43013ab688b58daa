"""Which incoming events become notifications."""

from __future__ import annotations

from services.notify import domain, notifications
from shared.consumer import BatchHandler, EventBatch


def apply_events(batch: EventBatch) -> None:
    """Each event in log order (a booking's earlier state decides what its approval means)."""
    for event in batch.events:
        notifications.record_event(batch.session, event)


BOOKING_BATCH = BatchHandler(event_types=domain.BOOKING_EVENTS, apply=apply_events)
COSTSHARING_BATCH = BatchHandler(event_types=domain.COSTSHARING_EVENTS, apply=apply_events)
