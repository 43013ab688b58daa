"""Cost-sharing worker: turns booking events into allocations."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from services.costsharing.handlers import HANDLERS
from shared.consumer import EventConsumer
from shared.settings import Settings
from shared.worker import PeriodicJob


def build(
    settings: Settings, session_factory: sessionmaker[Session]
) -> tuple[list[EventConsumer], list[PeriodicJob]]:
    consumer = EventConsumer(
        name="costsharing.bookings",
        settings=settings,
        session_factory=session_factory,
        topics=["booking.bookings"],
        handlers=HANDLERS,
    )
    return [consumer], []
