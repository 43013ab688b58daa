"""Expiry: undecided requests and unconfirmed holds lapse at their deadline and free their
capacity. A sweep the booking worker runs; the worker commits each batch."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from services.booking.domain import Action, State, expiry_event, next_state
from services.booking.models import Booking
from services.booking.recording import record
from shared.db import UnitOfWork


def expire_overdue(uow: UnitOfWork, *, now: datetime | None = None, limit: int = 500) -> int:
    """Worker sweep: undecided requests and unconfirmed holds past their deadline lapse (and
    free their capacity)."""
    now = now or datetime.now(UTC)
    lapsing = (State.REQUESTED, State.COUNTER_OFFERED, State.HELD)
    overdue = uow.session.scalars(
        select(Booking)
        .where(
            Booking.state.in_([s.value for s in lapsing]),
            Booking.expires_at <= now,
        )
        .order_by(Booking.expires_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    for booking in overdue:
        current = State(booking.state)
        booking.state = next_state(current, Action.EXPIRE).value
        booking.version += 1
        record(
            uow,
            booking,
            Action.EXPIRE.value,
            current,
            None,
            "not confirmed in time" if current is State.HELD else "not decided in time",
            event=expiry_event(current),
        )
    return len(overdue)
