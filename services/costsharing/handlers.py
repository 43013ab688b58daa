"""Which incoming event calls which use case."""

from __future__ import annotations

from typing import Any

from services.costsharing import service
from shared.consumer import EventHandler
from shared.db import UnitOfWork


def on_booking_completed(uow: UnitOfWork, event: dict[str, Any]) -> None:
    service.allocate_completed_use(uow, event=event)


HANDLERS: dict[str, EventHandler] = {
    "booking.completed": on_booking_completed,
}
