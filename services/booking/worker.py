"""Booking worker: catalog read model consumer and the request-expiry sweep."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from services.booking import service
from services.booking.handlers import CATALOG_BATCH
from shared.consumer import EventConsumer
from shared.db import UnitOfWork
from shared.settings import Settings
from shared.worker import PeriodicJob


def build(
    settings: Settings, session_factory: sessionmaker[Session]
) -> tuple[list[EventConsumer], list[PeriodicJob]]:
    consumer = EventConsumer(
        name="booking.catalog-read-model",
        settings=settings,
        session_factory=session_factory,
        topics=["catalog.assets"],
        batch=CATALOG_BATCH,
    )

    def expire() -> None:
        with UnitOfWork(
            session_factory, producer=settings.service, topic_for=settings.topic
        ) as uow:
            if service.expire_overdue(uow):
                uow.commit()

    return [consumer], [PeriodicJob("expire-requests", 30.0, expire)]
