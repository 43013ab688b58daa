"""Booking worker: catalog read model consumer, the acute-escalation sweep and the expiry
sweep (requests and holds)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session, sessionmaker

from services.booking import crisis, expiry
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

    def sweep(use_case: Callable[[UnitOfWork], int]) -> None:
        with UnitOfWork(
            session_factory, producer=settings.service, topic_for=settings.topic
        ) as uow:
            if use_case(uow):
                uow.commit()

    def escalate_then_expire() -> None:
        # Escalation first: an acute request whose clock and expiry fall due together is
        # escalated (someone is alerted) before it lapses.
        sweep(crisis.escalate_overdue)
        sweep(expiry.expire_overdue)

    return [consumer], [PeriodicJob("escalate-expire", 15.0, escalate_then_expire)]
