"""Can an asset take a window: the read model's asset, its published availability, its notice,
and the active bookings that hold it (a slot's, or a capacity's peak load). A refusal names
the booking holding the slot only to a caller who may see it."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, cast

from sqlalchemy import func, select

from services.booking.domain import ACTIVE_STATES, Priority
from services.booking.models import AssetView, Booking, CategoryDecisionTime
from services.booking.search import is_published
from services.booking.visibility import may_see
from shared.auth import Principal
from shared.errors import Conflict, Invalid


def overlapping(
    session: Any,
    asset_id: uuid.UUID,
    start: datetime,
    end: datetime,
    *,
    exclude: uuid.UUID | None = None,
) -> list[Booking]:
    """The active bookings of the asset that overlap [start, end), earliest first."""
    query = select(Booking).where(
        Booking.asset_id == asset_id,
        Booking.state.in_([s.value for s in ACTIVE_STATES]),
        Booking.during.op("&&")(func.tstzrange(start, end, "[)")),
    )
    if exclude is not None:
        query = query.where(Booking.id != exclude)
    return list(session.scalars(query.order_by(Booking.planned_start)))


def _peak_load(
    session: Any,
    asset_id: uuid.UUID,
    start: datetime,
    end: datetime,
    *,
    exclude: uuid.UUID | None = None,
) -> int:
    """Most units in use at any instant of [start, end) by active bookings of the asset."""
    rows = overlapping(session, asset_id, start, end, exclude=exclude)
    # Load only rises at a start, so checking the window start and each booking start suffices.
    instants = [start] + [max(r.planned_start, start) for r in rows]
    return max(
        (sum(r.quantity for r in rows if r.planned_start <= t < r.planned_end) for t in instants),
        default=0,
    )


def check_bookable(asset: Any, *, field: str = "asset_id") -> None:
    """Refuse an asset missing from the read model, not active, or ordered rather than booked."""
    if asset is None:
        raise Invalid("Unknown asset.", errors={field: ["No such asset in the catalog."]})
    if asset.status != "active":
        raise Invalid(
            f"Asset {asset.name} is {asset.status} and cannot be booked.",
            errors={field: [f"Asset is {asset.status}."]},
        )
    if asset.booking_mode == "quantity":
        raise Invalid(
            "Procurement items are ordered (POST /orders), not booked.",
            errors={field: ["Not a bookable asset."]},
        )


def bookable_asset(session: Any, asset_id: uuid.UUID, *, field: str = "asset_id") -> AssetView:
    """The asset from the read model, locked: the lock serialises requests for one asset."""
    asset = session.get(AssetView, asset_id, with_for_update=True)
    check_bookable(asset, field=field)
    return cast(AssetView, asset)


def check_size_and_notice(
    asset: Any, start: datetime, quantity: int, *, priority: Priority, now: datetime
) -> None:
    if quantity > asset.capacity:
        raise Invalid(
            f"{asset.name} has capacity {asset.capacity}.",
            errors={"quantity": [f"Must be at most {asset.capacity}."]},
        )
    lead = (start - now).total_seconds()
    if priority is not Priority.ACUTE and lead < asset.notice_seconds:
        raise Invalid(
            f"{asset.name} needs {asset.readiness_notice} notice.",
            errors={"start": [f"Must be at least {asset.readiness_notice} from now."]},
        )


def unpublished(asset: Any) -> Conflict:
    return Conflict(
        f"{asset.name} is not published as available for the whole window (outside the "
        "owner's availability, or blocked for Defence's own use).",
        errors={"start": ["Outside published availability."]},
    )


def taken(asset: Any, holder: Any, viewer: Principal | None) -> Conflict:
    """The slot is taken by ``holder`` (a booking, or None when unknown). Its id is named
    only to a caller who may see that booking (``may_see``): to anyone else it says only
    that the slot is taken, so a refusal leaks no other unit's booking."""
    if holder is not None and viewer is not None and may_see(viewer, holder):
        return Conflict(
            f"{asset.name} is already booked in that window (booking {holder.id}).",
            conflicting_booking=str(holder.id),
        )
    return Conflict(f"{asset.name} is already booked in that window.")


def check_fits(
    session: Any,
    asset: AssetView,
    start: datetime,
    end: datetime,
    quantity: int,
    *,
    priority: Priority,
    now: datetime,
    viewer: Principal | None,
    exclude: uuid.UUID | None = None,
) -> list[Booking]:
    """Refuse a window the asset cannot take; returns slot conflicts an acute request may
    preempt (always empty for other priorities: those conflicts are refused here). The
    refusal names the booking that holds the slot only if ``viewer`` may see it."""
    check_size_and_notice(asset, start, quantity, priority=priority, now=now)
    if not is_published(session, asset.asset_id, start, end):
        raise unpublished(asset)
    if asset.booking_mode == "slot":
        clashes = overlapping(session, asset.asset_id, start, end, exclude=exclude)
        if clashes and priority is not Priority.ACUTE:
            raise taken(asset, clashes[0], viewer)
        return clashes
    free = asset.capacity - _peak_load(session, asset.asset_id, start, end, exclude=exclude)
    if quantity > free:
        raise Conflict(
            f"{asset.name} has {free} of {asset.capacity} units free in that window.",
            errors={"quantity": [f"Only {free} free in the window."]},
        )
    return []


def decision_minutes(session: Any, category: str) -> int | None:
    """The category's decision time as an administrator set it (None: the domain default)."""
    row = session.get(CategoryDecisionTime, category)
    return row.decision_minutes if row is not None else None
