"""Catalog worker: the outbox relay and what catalog learns from booking events."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from services.catalog.handlers import BOOKING_BATCH
from shared.consumer import EventConsumer
from shared.settings import Settings
from shared.worker import PeriodicJob


def build(
    settings: Settings, session_factory: sessionmaker[Session]
) -> tuple[list[EventConsumer], list[PeriodicJob]]:
    consumer = EventConsumer(
        name="catalog.booking-commitments",
        settings=settings,
        session_factory=session_factory,
        topics=["booking.bookings"],
        batch=BOOKING_BATCH,
    )
    return [consumer], []
