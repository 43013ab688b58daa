"""Booking worker: catalog read model consumer and the request-expiry sweep."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from services.booking import service
from services.booking.handlers import CATALOG_BATCH
from shared.consumer import EventConsumer
from shared.db import UnitOfWork
from shared.settings import Settings
from shared.worker import PeriodicJob

CATALOG_READ_MODEL = "booking.catalog-read-model"


def catalog_read_model_group(settings: Settings) -> str:
    """The read model consumer's group, named here so /readyz can ask for its lag."""
    return f"{settings.group_id}.{CATALOG_READ_MODEL}"


def build(
    settings: Settings, session_factory: sessionmaker[Session]
) -> tuple[list[EventConsumer], list[PeriodicJob]]:
    consumer = EventConsumer(
        name=CATALOG_READ_MODEL,
        settings=settings,
        session_factory=session_factory,
        topics=["catalog.assets"],
        batch=CATALOG_BATCH,
        consumer_overrides={"group_id": catalog_read_model_group(settings)},
    )

    def expire() -> None:
        with UnitOfWork(
            session_factory, producer=settings.service, topic_for=settings.topic
        ) as uow:
            if service.expire_overdue(uow):
                uow.commit()

    return [consumer], [PeriodicJob("expire-requests", 30.0, expire)]
