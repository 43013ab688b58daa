"""The public register of drone deployments: every completed use of a Defence drone for the
police, published once the use has ended, for anyone to read without a token.

What it says is fixed here and nowhere else: the date of use (Europe/Amsterdam), the safety
region, the purpose class, the legal basis and the operating (owning) organisation. Never the
free-text purpose, the contact, who requested it, nor any other field of the booking: the
query selects only these columns, so a field added to bookings later cannot leak into it.

The region is the use's region of use, as the board and cost-sharing's figures count it
(shared/units.py): the one the request named, else the requesting unit's home region
(``region_source`` "request" for both: which of the two it was would say who asked), else
the drone's first home region ("asset").
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Row, Select, case, func, literal, select, tuple_
from sqlalchemy.orm import Session

from services.booking.commands import ListDroneDeployments
from services.booking.domain import State
from services.booking.models import AssetView, Booking
from shared.errors import Invalid
from shared.paging import decode_cursor, page_of
from shared.tariffs import DUTCH_ZONE
from shared.units import HOME_REGIONS

PUBLIC_CATEGORY = "drone"

# shared.units.region_of_use in SQL: the named region, else the requesting unit's home region.
_requested_region = func.coalesce(Booking.region, case(HOME_REGIONS, value=Booking.requester_org))
_region_of_use = func.coalesce(_requested_region, AssetView.regions[1])
_region_source = case((_requested_region.is_not(None), literal("request")), else_=literal("asset"))


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=DUTCH_ZONE)


def drone_deployments(
    session: Session, asked: ListDroneDeployments, *, now: datetime | None = None
) -> dict[str, Any]:
    """One page of the register, newest use first: ``{items, next_cursor}``.

    ``day_from``/``day_to`` (inclusive, Dutch dates) bound the day the use started."""
    day_from, day_to = asked.day_from, asked.day_to
    if day_from and day_to and day_to < day_from:
        raise Invalid("'to' must be after 'from'.", errors={"to": ["Must be after from."]})
    query = _ended_drone_uses(now or datetime.now(UTC)).limit(asked.limit + 1)
    if day_from:
        query = query.where(Booking.actual_start >= _start_of(day_from))
    if day_to:
        query = query.where(Booking.actual_start < _start_of(day_to + timedelta(days=1)))
    if asked.region:
        query = query.where(_region_of_use == asked.region)
    if asked.cursor:
        ended, last_id = decode_cursor(asked.cursor, datetime, uuid.UUID)
        query = query.where(tuple_(Booking.actual_end, Booking.id) < tuple_(ended, last_id))
    rows = session.execute(query).all()
    page = page_of(rows, limit=asked.limit, key=lambda r: (r.actual_end, r.id))
    return {"items": [_published(row) for row in page.items], "next_cursor": page.next_cursor}


def _ended_drone_uses(now: datetime) -> Select[Any]:
    """The columns the register may show, of every drone use that has ended, newest first."""
    return (
        select(
            Booking.id,
            Booking.actual_start,
            Booking.actual_end,
            Booking.legal_basis,
            Booking.purpose_class,
            Booking.owner_org,
            _region_of_use.label("region"),
            _region_source.label("region_source"),
        )
        .join(AssetView, AssetView.asset_id == Booking.asset_id)
        .where(
            Booking.category == PUBLIC_CATEGORY,
            Booking.state == State.COMPLETED.value,
            Booking.actual_end < now,  # published only once the use has ended
        )
        .order_by(Booking.actual_end.desc(), Booking.id.desc())
    )


def _published(row: Row[Any]) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "date": row.actual_start.astimezone(DUTCH_ZONE).date(),
        "category": PUBLIC_CATEGORY,
        "region": row.region,
        "region_source": row.region_source,
        "purpose_class": row.purpose_class,
        "legal_basis": row.legal_basis,
        "operator_org": row.owner_org,
    }
