"""The crisis fast path: an acute request's decision clock and its escalation, holds for
preempted units, and the decision times an administrator sets per category.

The rules (clocks, straight-line travel, ranking) are pure, in domain.py; here they meet the
database. Each use case is one unit of work that also writes its events to the outbox.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError

from services.booking.capacity import bookable_asset, check_fits
from services.booking.commands import PageRequest, SetDecisionTime
from services.booking.domain import (
    Candidate,
    Location,
    Priority,
    State,
    check_decision_minutes,
    rank_alternatives,
)
from services.booking.models import AssetView, Booking, CategoryDecisionTime, RegionSeat
from services.booking.readmodel import notice_seconds
from services.booking.recording import record
from services.booking.search import find_free, tariff_at
from shared.auth import ADMIN, Principal
from shared.db import UnitOfWork
from shared.errors import Conflict, Forbidden, Invalid
from shared.paging import Page, decode_cursor, page_of

# How many ranked alternatives an escalation carries, and how many free assets of the
# category it ranks them from (the cheapest first, as the search orders them: far more than
# any category has free in one window today).
ALTERNATIVES_ESCALATED = 5
CANDIDATES_RANKED = 500

_CATEGORY = re.compile(r"[a-z][a-z0-9_]{1,39}")


def _now() -> datetime:
    return datetime.now(UTC)


# -- escalation ---------------------------------------------------------------------------------
def escalate_overdue(uow: UnitOfWork, *, now: datetime | None = None, limit: int = 100) -> int:
    """Worker sweep: acute requests still undecided at their ``decide_by`` escalate, once.

    ``escalated_at`` is set under the row lock, and only a row without it is picked: a booking
    escalates at most once, whichever sweeps run. A request an owner is deciding at this very
    moment is locked by that decision (FOR UPDATE): skipped here, and decided by the time the
    next sweep looks. Returns how many escalated."""
    now = now or _now()
    session = uow.session
    overdue = session.scalars(
        select(Booking)
        .where(
            Booking.state == State.REQUESTED.value,
            Booking.escalated_at.is_(None),
            Booking.decide_by <= now,
        )
        .order_by(Booking.decide_by)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    for booking in overdue:
        region = requested_region(session, booking)
        alternatives = ranked_alternatives(session, booking, region=region, now=now)
        booking.escalated_at = now
        booking.version += 1
        assert booking.decide_by is not None
        record(
            uow,
            booking,
            "escalate",
            State.REQUESTED,
            None,
            f"not decided by {booking.decide_by.isoformat()}",
            event="booking.escalated",
            region=region,
            alternatives=alternatives,
        )
    return len(overdue)


def requested_region(session: Any, booking: Booking) -> str | None:
    """Where the asset is needed: the region the request named, else the asset's home region
    (the first it serves)."""
    if booking.region:
        return booking.region
    asset = session.get(AssetView, booking.asset_id)
    return asset.regions[0] if asset is not None and asset.regions else None


def ranked_alternatives(
    session: Any, booking: Booking, *, region: str | None, now: datetime
) -> list[dict[str, Any]]:
    """Other active assets of the category free for the booking's whole window (published,
    with room for its quantity, whatever their notice), best first (domain.rank_alternatives)."""
    free = find_free(
        session,
        start=booking.planned_start,
        end=booking.planned_end,
        quantity=booking.quantity,
        category=booking.category,
        exclude_asset=booking.asset_id,
        now=now,
        limit=CANDIDATES_RANKED,
        any_notice=True,
    )
    candidates = [
        Candidate(
            asset_id=f["asset_id"],
            name=f["name"],
            owner_org=f["owner_org"],
            category=f["category"],
            home_base=f["home_base"],
            home=Location.of(f["home_location"]),
            regions=tuple(f["regions"]),
            readiness_notice=f["readiness_notice"],
            notice_seconds=notice_seconds(f["readiness_notice"]),
        )
        for f in free
    ]
    return rank_alternatives(
        candidates,
        region=region,
        seat=region_seat(session, region),
        limit=ALTERNATIVES_ESCALATED,
    )


def region_seat(session: Any, code: str | None) -> Location | None:
    seat = session.get(RegionSeat, code) if code else None
    return Location(seat.lat, seat.lon) if seat is not None else None


# -- holds --------------------------------------------------------------------------------------
def place_hold(
    uow: UnitOfWork,
    displaced: Booking,
    alternatives: Sequence[dict[str, Any]],
    *,
    now: datetime,
    minutes: int,
) -> Booking | None:
    """Hold the best alternative that still fits for the unit a preemption displaced: a
    provisional booking (state held) of the same window, quantity, priority and purpose,
    holding the capacity until the unit confirms or releases it, or it lapses. Part of the
    preemption's unit of work; None when no alternative fits any more."""
    session = uow.session
    for alternative in alternatives:
        hold = _try_hold(uow, displaced, uuid.UUID(alternative["asset_id"]), now, minutes)
        if hold is not None:
            record(
                uow,
                hold,
                "hold",
                None,
                None,
                f"held for the unit of preempted booking {displaced.id}",
                event="booking.held",
            )
            session.flush()
            return hold
    return None


def _try_hold(
    uow: UnitOfWork, displaced: Booking, asset_id: uuid.UUID, now: datetime, minutes: int
) -> Booking | None:
    session = uow.session
    start, end = displaced.planned_start, displaced.planned_end
    try:
        asset = bookable_asset(session, asset_id)
        check_fits(
            session,
            asset,
            start,
            end,
            displaced.quantity,
            priority=Priority(displaced.priority),
            now=now,
            viewer=None,  # the refusal is not shown to anyone: the next asset is tried
        )
    except (Conflict, Invalid):  # taken, or changed, since the search: try the next one
        return None
    expires = now + timedelta(minutes=minutes)
    hold = Booking(
        id=uuid.uuid4(),
        asset_id=asset.asset_id,
        owner_org=asset.owner_org,
        requester_org=displaced.requester_org,
        requested_by=displaced.requested_by,
        category=asset.category,
        holds_slot=asset.booking_mode == "slot",
        needs_preemption=False,
        planned_start=start,
        planned_end=end,
        quantity=displaced.quantity,
        priority=displaced.priority,
        legal_basis=displaced.legal_basis,
        purpose=displaced.purpose,
        purpose_class=displaced.purpose_class,
        contact=displaced.contact,
        state=State.HELD.value,
        tariff=tariff_at(asset.tariffs, start),
        expires_at=expires,
        created_at=now,
        version=1,
        region=displaced.region,
        held_for=displaced.id,
        hold_expires_at=expires,
    )
    try:
        with session.begin_nested():
            session.add(hold)
            session.flush()
    except IntegrityError:  # the exclusion constraint: a concurrent request took the slot
        return None
    return hold


# -- decision times -----------------------------------------------------------------------------
def list_decision_times(uow: UnitOfWork, *, page_in: PageRequest) -> Page[CategoryDecisionTime]:
    """A page of the decision times administrators set, by category."""
    query = select(CategoryDecisionTime)
    limit = page_in.limit
    if page_in.cursor:
        (after,) = decode_cursor(page_in.cursor, str)
        query = query.where(CategoryDecisionTime.category > after)
    rows = uow.session.scalars(query.order_by(CategoryDecisionTime.category).limit(limit + 1)).all()
    return page_of(rows, limit=limit, key=lambda row: (row.category,))


def set_decision_time(
    uow: UnitOfWork, *, principal: Principal, category: str, command: SetDecisionTime
) -> CategoryDecisionTime:
    """An administrator sets how long owners have to decide an acute request of a category
    (requests made from now on; a running clock keeps its ``decide_by``)."""
    if not principal.has_role(ADMIN):
        raise Forbidden("Decision times are set by an administrator (beheerder-functioneel).")
    if not _CATEGORY.fullmatch(category):
        raise Invalid(
            "A category is a lowercase code such as helicopter or dive_team.",
            errors={"category": ["Lowercase letters, digits and '_', 2-40 characters."]},
        )
    minutes = command.decision_minutes
    check_decision_minutes(minutes)
    values = {"decision_minutes": minutes, "updated_by": principal.sub, "updated_at": _now()}
    # One statement: two administrators setting a new category at once do not collide.
    row = uow.session.scalars(
        insert(CategoryDecisionTime)
        .values(category=category, **values)
        .on_conflict_do_update(index_elements=["category"], set_=values)
        .returning(CategoryDecisionTime)
    ).one()
    uow.commit()
    return row
