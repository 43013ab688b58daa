"""Reading bookings: one, a list, a history, the owner's queue; each as the caller may see it
(services/booking/visibility.py) and a page at a time (shared/paging.py)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, or_, select, tuple_

from services.booking.commands import ListBookings, PageRequest
from services.booking.domain import Action, State
from services.booking.models import Booking, BookingTransition
from services.booking.visibility import Seen, seen_by, visible, visible_ids
from shared.auth import OWNER, Principal
from shared.db import UnitOfWork
from shared.errors import Forbidden, NotFound
from shared.paging import Page, decode_cursor, page_of


def get_booking(
    uow: UnitOfWork, *, principal: Principal, booking_id: uuid.UUID, for_update: bool = False
) -> Booking:
    """A booking the caller may see; another organisation's booking does not exist for them."""
    query = select(Booking).where(Booking.id == booking_id).where(visible(principal))
    if for_update:
        query = query.with_for_update()
    booking = uow.session.scalar(query)
    if booking is None:
        raise NotFound(f"Booking {booking_id} does not exist.")
    return booking


def list_bookings(uow: UnitOfWork, *, principal: Principal, query_in: ListBookings) -> Page[Any]:
    """A page of the bookings the caller may see, by planned start (then id)."""
    query = select(Booking).where(visible(principal))
    if query_in.state is not None:
        query = query.where(Booking.state == query_in.state.value)
    if query_in.asset_id is not None:
        query = query.where(Booking.asset_id == query_in.asset_id)
    if (organisation := query_in.organisation) is not None:
        query = query.where(
            or_(Booking.requester_org == organisation, Booking.owner_org == organisation)
        )
    if query_in.period_start is not None:
        query = query.where(Booking.planned_end > query_in.period_start)
    if query_in.period_end is not None:
        query = query.where(Booking.planned_start < query_in.period_end)
    if query_in.cursor:
        after = decode_cursor(query_in.cursor, datetime, uuid.UUID)
        query = query.where(tuple_(Booking.planned_start, Booking.id) > tuple_(*after))
    limit = query_in.limit
    query = query.order_by(Booking.planned_start, Booking.id).limit(limit + 1)
    page = page_of(
        uow.session.scalars(query).all(), limit=limit, key=lambda b: (b.planned_start, b.id)
    )
    return Page(seen_by(uow, principal, page.items), page.next_cursor)


# The reason recorded when a preemption approves the acute request; it names the displaced
# booking, which only those who may see it read (history).
PREEMPTING_REASON = "approved by preempting booking {}"
PREEMPTING_HIDDEN = "approved by preempting another unit's booking"


def history(
    uow: UnitOfWork,
    *,
    principal: Principal,
    booking_id: uuid.UUID,
    page_in: PageRequest,
) -> Page[Any]:
    """A page of the booking's audit trail, oldest first."""
    cursor, limit = page_in.cursor, page_in.limit
    get_booking(uow, principal=principal, booking_id=booking_id)
    query = select(BookingTransition).where(BookingTransition.booking_id == booking_id)
    if cursor:
        (after,) = decode_cursor(cursor, int)
        query = query.where(BookingTransition.id > after)
    rows = uow.session.scalars(query.order_by(BookingTransition.id).limit(limit + 1)).all()
    page = page_of(rows, limit=limit, key=lambda t: (t.id,))
    named = {t.id: displaced for t in page.items if (displaced := _displaced_named(t))}
    if not named:
        return page
    seen = visible_ids(uow, principal, named.values())
    hidden = {"reason": PREEMPTING_HIDDEN}
    items = [
        Seen(t, hidden) if t.id in named and named[t.id] not in seen else t for t in page.items
    ]
    return Page(items, page.next_cursor)


def _displaced_named(transition: BookingTransition) -> uuid.UUID | None:
    """The displaced booking a preemption's approval of the acute request names, if any."""
    prefix = PREEMPTING_REASON.format("")
    reason = transition.reason or ""
    if transition.action != Action.APPROVE.value or not reason.startswith(prefix):
        return None
    try:
        return uuid.UUID(reason.removeprefix(prefix))
    except ValueError:
        return None


# An undecided request without a decision clock sorts after every clock (NULLS LAST), as
# this moment: a cursor needs a value to compare, and no clock runs to the year 9999.
_NO_CLOCK = datetime.max.replace(tzinfo=UTC)


def pending_approvals(
    uow: UnitOfWork, *, principal: Principal, page_in: PageRequest
) -> dict[str, Any]:
    """The owner's queue: undecided requests for its assets, most urgent first, with counts:
    ``{counts, items, next_cursor}``."""
    cursor, limit = page_in.cursor, page_in.limit
    if not principal.has_role(OWNER):
        raise Forbidden("The approval queue is for asset owners (defensie-beheerder).")
    waiting = (Booking.owner_org == principal.org, Booking.state == State.REQUESTED.value)
    clock = func.coalesce(Booking.decide_by, _NO_CLOCK)
    # Acute first, the nearest decision clock first (only acute requests have one).
    order = (Booking.priority, clock, Booking.expires_at, Booking.id)
    query = select(Booking).where(*waiting)
    if cursor:
        query = query.where(
            tuple_(*order) > tuple_(*decode_cursor(cursor, int, datetime, datetime, uuid.UUID))
        )
    rows = uow.session.scalars(query.order_by(*order).limit(limit + 1)).all()
    page = page_of(
        rows,
        limit=limit,
        key=lambda b: (b.priority, b.decide_by or _NO_CLOCK, b.expires_at, b.id),
    )
    counts: dict[str, int] = {
        "total": 0,
        "priority_1": 0,
        "priority_2": 0,
        "priority_3": 0,
        "needs_preemption": 0,
    }
    for row in uow.session.execute(
        select(Booking.priority, Booking.needs_preemption, func.count())
        .where(*waiting)
        .group_by(Booking.priority, Booking.needs_preemption)
    ):
        counts["total"] += row[2]
        counts[f"priority_{row[0]}"] += row[2]
        if row[1]:
            counts["needs_preemption"] += row[2]
    items = seen_by(uow, principal, page.items)
    return {"counts": counts, "items": items, "next_cursor": page.next_cursor}
