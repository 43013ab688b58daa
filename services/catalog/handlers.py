"""Which incoming event calls which catalog use case."""

from __future__ import annotations

from typing import Any

from services.catalog import service
from shared.consumer import EventHandler
from shared.db import UnitOfWork


def on_booking_changed(uow: UnitOfWork, event: dict[str, Any]) -> None:
    service.apply_booking_event(uow, data=event["data"])


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
)
HANDLERS: dict[str, EventHandler] = {t: on_booking_changed for t in BOOKING_EVENTS}
