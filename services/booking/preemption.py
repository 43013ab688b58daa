"""Preemption and the holds it leaves: the owner displaces an approved booking for an acute
request of the same asset (approved in the same unit of work); the displaced unit is told
why, offered free alternatives, and the best of them is held for it
(services/booking/crisis.py: place_hold) until it confirms or releases the hold. One function
per action, each one unit of work that it commits."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from services.booking import crisis
from services.booking.capacity import overlapping
from services.booking.commands import Act, Preempt
from services.booking.domain import (
    DEFAULT_HOLD_MINUTES,
    Action,
    Priority,
    State,
    check_preemption,
    expiry_deadline,
)
from services.booking.models import AssetView, Booking
from services.booking.queries import PREEMPTING_REASON, get_booking
from services.booking.recording import record
from services.booking.search import find_free
from services.booking.steps import Step, begin, check_not_retired, finish
from shared.auth import Principal
from shared.db import UnitOfWork
from shared.errors import Conflict

ALTERNATIVES_SHOWN = 3


def preempt(
    uow: UnitOfWork,
    *,
    principal: Principal,
    booking_id: uuid.UUID,
    command: Preempt,
    hold_minutes: int = DEFAULT_HOLD_MINUTES,
    now: datetime | None = None,
) -> Booking:
    """Displace this approved booking for the acute request ``command.by_booking_id``.
    ``hold_minutes``: how long the best alternative is held for the displaced unit."""
    step = begin(uow, principal, booking_id, Action.PREEMPT, command.reason, now)
    displaced = step.booking
    acute = _acute_request(uow, principal, step, command.by_booking_id)
    alternatives = _alternatives(uow, displaced, step.now)
    displaced.preempted_by = acute.id
    displaced.alternatives = alternatives
    displaced.holds_slot = False
    uow.session.flush()
    _approve_if_free(uow, principal, acute, displaced, step.now)
    hold = crisis.place_hold(uow, displaced, alternatives, now=step.now, minutes=hold_minutes)
    finish(
        uow,
        step,
        preempted_by=str(acute.id),
        alternatives=alternatives,
        charge_displaced=False,
        hold_booking_id=str(hold.id) if hold is not None else None,
    )
    uow.commit()
    return displaced


def _acute_request(
    uow: UnitOfWork, principal: Principal, step: Step, acute_id: uuid.UUID
) -> Booking:
    """The acute request that displaces the booking, locked, once it may."""
    displaced = step.booking
    acute = get_booking(uow, principal=principal, booking_id=acute_id, for_update=True)
    if acute.asset_id != displaced.asset_id:
        raise Conflict("The acute request is for another asset.")
    if not (
        acute.planned_start < displaced.planned_end and displaced.planned_start < acute.planned_end
    ):
        raise Conflict("The acute request does not overlap this booking.")
    check_preemption(
        displaced_priority=displaced.priority,
        displacing_priority=acute.priority,
        displaced_state=State(displaced.state),
    )
    if acute.state != State.REQUESTED.value:
        raise Conflict(
            f"The acute request is {acute.state}, not requested.", current_state=acute.state
        )
    if acute.expires_at <= step.now:  # as approve refuses it: the sweep has not got to it yet
        raise Conflict(
            f"The acute request lapsed at {acute.expires_at.isoformat()} without a decision.",
            current_state="expired",
        )
    return acute


def _alternatives(uow: UnitOfWork, displaced: Booking, now: datetime) -> list[dict[str, Any]]:
    """The nearest free alternatives: those serving the displaced asset's own regions first."""
    displaced_asset = uow.session.get(AssetView, displaced.asset_id)
    regions = displaced_asset.regions if displaced_asset is not None else []
    return find_free(
        uow.session,
        start=displaced.planned_start,
        end=displaced.planned_end,
        quantity=displaced.quantity,
        category=displaced.category,
        region=regions[0] if regions else None,
        exclude_asset=displaced.asset_id,
        now=now,
        limit=ALTERNATIVES_SHOWN,
    )


def _approve_if_free(
    uow: UnitOfWork, principal: Principal, acute: Booking, displaced: Booking, now: datetime
) -> None:
    """Approve the acute request now that its window is free (other clashes still refuse it)."""
    still_clashing = [
        b
        for b in overlapping(
            uow.session, acute.asset_id, acute.planned_start, acute.planned_end, exclude=acute.id
        )
        if b.id != displaced.id and b.holds_slot
    ]
    if still_clashing:
        return
    previous = State(acute.state)
    acute.holds_slot, acute.needs_preemption = True, False
    acute.state, acute.decided_at = State.APPROVED.value, now
    acute.version += 1
    uow.session.flush()
    record(
        uow,
        acute,
        Action.APPROVE.value,
        previous,
        principal,
        PREEMPTING_REASON.format(displaced.id),
        event="booking.approved",
    )


def confirm_hold(
    uow: UnitOfWork,
    *,
    principal: Principal,
    booking_id: uuid.UUID,
    command: Act,
    now: datetime | None = None,
) -> Booking:
    """The displaced unit confirms the hold: it becomes a request the owner decides, and the
    request (and the owner's clock for deciding it) starts now, not when the hold was placed."""
    step = begin(uow, principal, booking_id, Action.CONFIRM_HOLD, command.reason, now)
    booking = step.booking
    assert booking.hold_expires_at is not None
    if booking.hold_expires_at <= step.now:
        raise Conflict(
            f"The hold lapsed at {booking.hold_expires_at.isoformat()}.",
            current_state="expired",
        )
    booking.created_at = step.now
    booking.expires_at = expiry_deadline(
        requested_at=step.now, start=booking.planned_start, priority=Priority(booking.priority)
    )
    check_not_retired(uow, step)
    finish(uow, step)
    uow.commit()
    return booking


def release_hold(
    uow: UnitOfWork,
    *,
    principal: Principal,
    booking_id: uuid.UUID,
    command: Act,
    now: datetime | None = None,
) -> Booking:
    """The displaced unit releases the hold, freeing the alternative's capacity."""
    step = begin(uow, principal, booking_id, Action.RELEASE_HOLD, command.reason, now)
    finish(uow, step)
    uow.commit()
    return step.booking
