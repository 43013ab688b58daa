"""Notify worker: booking and cost-sharing events become notifications; two sweeps send the
queued emails and webhook calls."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from services.notify.config import load_notify_config
from services.notify.deliveries import EMAIL, WEBHOOK, DeliverySweep
from services.notify.handlers import BOOKING_BATCH, COSTSHARING_BATCH
from shared.consumer import EventConsumer
from shared.settings import Settings
from shared.worker import PeriodicJob

# How often a sweep looks for due deliveries (a new notification's email goes out within it).
SWEEP_EVERY_S = 0.2


def build(
    settings: Settings, session_factory: sessionmaker[Session]
) -> tuple[list[EventConsumer], list[PeriodicJob]]:
    config = load_notify_config(settings)
    sweeps = [DeliverySweep(session_factory, config, channel) for channel in (EMAIL, WEBHOOK)]
    return [
        EventConsumer(
            name="notify.bookings",
            settings=settings,
            session_factory=session_factory,
            topics=["booking.bookings"],
            batch=BOOKING_BATCH,
        ),
        EventConsumer(
            name="notify.allocations",
            settings=settings,
            session_factory=session_factory,
            topics=["costsharing.allocations"],
            batch=COSTSHARING_BATCH,
        ),
    ], [PeriodicJob(f"notify.{s.channel}", SWEEP_EVERY_S, s.run) for s in sweeps]
