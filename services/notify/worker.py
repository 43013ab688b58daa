"""Notify worker: booking and cost-sharing events become notifications; two sweeps send the
queued emails and webhook calls, each woken by PostgreSQL when there is something to send."""

from __future__ import annotations

from sqlalchemy import make_url
from sqlalchemy.orm import Session, sessionmaker

from services.notify.config import load_notify_config
from services.notify.deliveries import EMAIL, WEBHOOK, DeliverySweep
from services.notify.handlers import BOOKING_BATCH, COSTSHARING_BATCH
from services.notify.wakeup import DeliveryWakeup
from shared.consumer import EventConsumer, Subscription
from shared.settings import Settings
from shared.worker import PeriodicJob

# A sweep runs when a NOTIFY says a delivery was written (so a new notification's email goes
# out at once) and when the earliest pending one falls due (a retry); this poll is only the
# safety net for a NOTIFY missed while the listening connection was down, so it is slow.
SAFETY_POLL_S = 10.0


def delivery_jobs(
    settings: Settings,
    session_factory: sessionmaker[Session],
    *,
    safety_poll_s: float = SAFETY_POLL_S,
) -> list[PeriodicJob]:
    """One job per channel: its sweep, woken as the module docstring of wakeup says."""
    config = load_notify_config(settings)
    # The listening connection: libpq's form of the URL the engine was made from.
    conninfo = make_url(settings.database_url).set(drivername="postgresql")
    jobs = []
    for channel in (EMAIL, WEBHOOK):
        sweep = DeliverySweep(session_factory, config, channel)
        wakeup = DeliveryWakeup(sweep, conninfo.render_as_string(hide_password=False))
        jobs.append(PeriodicJob(f"notify.{channel}", safety_poll_s, sweep.run, wakeup.wait))
    return jobs


def build(
    settings: Settings, session_factory: sessionmaker[Session]
) -> tuple[list[EventConsumer], list[PeriodicJob]]:
    # One Kafka client for both topics; each keeps the name its applied events are deduped
    # under (processed_messages.consumer), as when each had a client of its own.
    consumer = EventConsumer(
        name="notify.events",
        settings=settings,
        session_factory=session_factory,
        subscriptions=[
            Subscription("booking.bookings", "notify.bookings", batch=BOOKING_BATCH),
            Subscription("costsharing.allocations", "notify.allocations", batch=COSTSHARING_BATCH),
        ],
    )
    return [consumer], delivery_jobs(settings, session_factory)
