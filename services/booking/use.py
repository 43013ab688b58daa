"""The use of an approved booking: the asset owner registers its start and its completion with
the actual times and hours, which cost-sharing bills (booking.completed carries them). One
function per action, each one unit of work that it commits."""

from __future__ import annotations

import uuid
from datetime import datetime

from services.booking.commands import Act, Complete
from services.booking.domain import Action, reported_usage
from services.booking.models import Booking
from services.booking.steps import begin, check_not_retired, finish
from shared.auth import Principal
from shared.db import UnitOfWork


def start(
    uow: UnitOfWork,
    *,
    principal: Principal,
    booking_id: uuid.UUID,
    command: Act,
    now: datetime | None = None,
) -> Booking:
    """The asset owner registers the start of use, now."""
    step = begin(uow, principal, booking_id, Action.START, command.reason, now)
    check_not_retired(uow, step)
    step.booking.actual_start = step.now
    finish(uow, step)
    uow.commit()
    return step.booking


def complete(
    uow: UnitOfWork,
    *,
    principal: Principal,
    booking_id: uuid.UUID,
    command: Complete,
    now: datetime | None = None,
) -> Booking:
    """The asset owner completes the use with its actual start and end (which have passed)
    and, optionally, the hours used (e.g. flight hours logged)."""
    step = begin(uow, principal, booking_id, Action.COMPLETE, command.reason, now)
    booking = step.booking
    booking.usage_quantity = reported_usage(
        command.actual_start,
        command.actual_end,
        command.usage_quantity,
        planned_start=booking.planned_start,
        now=step.now,
    )
    booking.actual_start, booking.actual_end = command.actual_start, command.actual_end
    finish(uow, step)
    uow.commit()
    return booking
