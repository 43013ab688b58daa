"""Cost-sharing worker: booking events become allocations; catalog events feed estimates."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from services.costsharing.handlers import BOOKING_BATCH, CATALOG_BATCH
from shared.consumer import EventConsumer, Subscription
from shared.settings import Settings
from shared.worker import PeriodicJob


def build(
    settings: Settings, session_factory: sessionmaker[Session]
) -> tuple[list[EventConsumer], list[PeriodicJob]]:
    # One Kafka client for both topics; each keeps the name its applied events are deduped
    # under (processed_messages.consumer), as when each had a client of its own.
    consumer = EventConsumer(
        name="costsharing.events",
        settings=settings,
        session_factory=session_factory,
        subscriptions=[
            Subscription("booking.bookings", "costsharing.bookings", batch=BOOKING_BATCH),
            Subscription("catalog.assets", "costsharing.assets", batch=CATALOG_BATCH),
        ],
    )
    return [consumer], []
