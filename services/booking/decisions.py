"""Deciding a request: the owner approves, rejects or counter-offers; the requesting unit
accepts a counter-offer or cancels. One function per action, each one unit of work that it
commits, recorded with actor, time and reason (services/booking/steps.py)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from services.booking.capacity import bookable_asset, check_fits, overlapping
from services.booking.commands import Act, CounterOffer
from services.booking.domain import Action, Priority, check_window
from services.booking.models import Booking
from services.booking.search import tariff_at
from services.booking.steps import Step, begin, check_not_lapsed, check_not_retired, finish
from shared.auth import Principal
from shared.db import UnitOfWork
from shared.errors import Conflict, Invalid


def approve(
    uow: UnitOfWork,
    *,
    principal: Principal,
    booking_id: uuid.UUID,
    command: Act,
    now: datetime | None = None,
) -> Booking:
    """The asset owner approves a request (an acute one that overlaps others only once they
    are preempted)."""
    step = begin(uow, principal, booking_id, Action.APPROVE, command.reason, now)
    check_not_lapsed(step)
    check_not_retired(uow, step)
    booking = step.booking
    if booking.needs_preemption:
        clashes = overlapping(
            uow.session,
            booking.asset_id,
            booking.planned_start,
            booking.planned_end,
            exclude=booking.id,
        )
        if clashes:  # named: only the asset's owner approves, and it sees every booking of it
            raise Conflict(
                "This acute request overlaps other bookings: preempt them "
                "(POST /bookings/{id}/preempt with by_booking_id) to approve it.",
                current_state=step.current.value,
                conflicting_bookings=[str(c.id) for c in clashes],
            )
        booking.holds_slot, booking.needs_preemption = True, False
    booking.decided_at = step.now
    finish(uow, step)
    uow.commit()
    return booking


def reject(
    uow: UnitOfWork,
    *,
    principal: Principal,
    booking_id: uuid.UUID,
    command: Act,
    now: datetime | None = None,
) -> Booking:
    """The asset owner rejects a request, with a reason; its capacity is free again."""
    step = begin(uow, principal, booking_id, Action.REJECT, command.reason, now)
    step.booking.decided_at = step.now
    finish(uow, step)
    uow.commit()
    return step.booking


def cancel(
    uow: UnitOfWork,
    *,
    principal: Principal,
    booking_id: uuid.UUID,
    command: Act,
    now: datetime | None = None,
) -> Booking:
    """The requesting unit cancels, with a reason (a request, a counter-offered request or an
    approved booking)."""
    step = begin(uow, principal, booking_id, Action.CANCEL, command.reason, now)
    hours_before_start = (step.booking.planned_start - step.now).total_seconds() / 3600
    finish(
        uow,
        step,
        hours_before_start=round(hours_before_start, 2),
        # Cost-sharing charges a late cancellation only of what was promised (approved).
        cancelled_from=step.current.value,
    )
    uow.commit()
    return step.booking


def counter_offer(
    uow: UnitOfWork,
    *,
    principal: Principal,
    booking_id: uuid.UUID,
    command: CounterOffer,
    now: datetime | None = None,
) -> Booking:
    """The asset owner offers another window and/or asset of its own; it must itself be
    free. The request keeps holding what it asked for until the unit answers."""
    step = begin(uow, principal, booking_id, Action.COUNTER_OFFER, command.reason, now)
    offer = _offer(uow, principal, step, command)
    step.booking.decided_at = step.now
    finish(uow, step, counter_offer=offer)
    uow.commit()
    return step.booking


def _offer(
    uow: UnitOfWork, principal: Principal, step: Step, command: CounterOffer
) -> dict[str, Any]:
    """Check the offered window and asset and put them on the booking; the event's offer."""
    booking = step.booking
    new_asset_id = command.asset_id or booking.asset_id
    new_start = command.start or booking.planned_start
    new_end = command.end or booking.planned_end
    if (new_asset_id, new_start, new_end) == (
        booking.asset_id,
        booking.planned_start,
        booking.planned_end,
    ):
        raise Invalid(
            "A counter-offer proposes another window or asset.",
            errors={"start": ["Same as the request."]},
        )
    check_window(new_start, new_end, now=step.now)
    asset = bookable_asset(uow.session, new_asset_id)
    if asset.owner_org != booking.owner_org:
        raise Invalid(
            "You can only offer your own assets.", errors={"asset_id": ["Not your asset."]}
        )
    check_fits(
        uow.session,
        asset,
        new_start,
        new_end,
        booking.quantity,
        priority=Priority.PLANNED_OPERATION,
        now=step.now,
        viewer=principal,
        exclude=booking.id,
    )
    booking.counter_asset_id, booking.counter_start, booking.counter_end = (
        new_asset_id,
        new_start,
        new_end,
    )
    return {
        "asset_id": str(new_asset_id),
        "start": new_start.isoformat(),
        "end": new_end.isoformat(),
    }


def accept_counter_offer(
    uow: UnitOfWork,
    *,
    principal: Principal,
    booking_id: uuid.UUID,
    command: Act,
    now: datetime | None = None,
) -> Booking:
    """The requesting unit accepts: the booking moves to the offered window/asset, approved."""
    step = begin(uow, principal, booking_id, Action.ACCEPT_COUNTER_OFFER, command.reason, now)
    check_not_lapsed(step)
    booking = step.booking
    assert booking.counter_start and booking.counter_end and booking.counter_asset_id
    asset = bookable_asset(uow.session, booking.counter_asset_id)
    check_fits(
        uow.session,
        asset,
        booking.counter_start,
        booking.counter_end,
        booking.quantity,
        priority=Priority.PLANNED_OPERATION,
        now=step.now,
        viewer=principal,
        exclude=booking.id,
    )
    booking.asset_id, booking.category = asset.asset_id, asset.category
    booking.planned_start, booking.planned_end = booking.counter_start, booking.counter_end
    booking.holds_slot = asset.booking_mode == "slot"
    # The offered window was judged free for it: nothing is left to preempt.
    booking.needs_preemption = False
    booking.tariff = tariff_at(asset.tariffs, booking.planned_start)
    finish(uow, step)
    uow.commit()
    return booking
