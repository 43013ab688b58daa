"""Cost-sharing worker: booking events become allocations; catalog events feed estimates."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from services.costsharing.handlers import BOOKING_BATCH, CATALOG_BATCH
from shared.consumer import EventConsumer
from shared.settings import Settings
from shared.worker import PeriodicJob


def build(
    settings: Settings, session_factory: sessionmaker[Session]
) -> tuple[list[EventConsumer], list[PeriodicJob]]:
    return [
        EventConsumer(
            name="costsharing.bookings",
            settings=settings,
            session_factory=session_factory,
            topics=["booking.bookings"],
            batch=BOOKING_BATCH,
        ),
        EventConsumer(
            name="costsharing.assets",
            settings=settings,
            session_factory=session_factory,
            topics=["catalog.assets"],
            batch=CATALOG_BATCH,
        ),
    ], []
