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

import base64
import json
import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, case, func, literal, or_, select
from sqlalchemy.orm import Session

from services.booking.domain import State
from services.booking.models import AssetView, Booking
from shared.errors import Invalid
from shared.tariffs import DUTCH_ZONE
from shared.units import HOME_REGIONS

PUBLIC_CATEGORY = "drone"

# shared.units.region_of_use in SQL: the named region, else the requesting unit's home region.
_requested_region = func.coalesce(Booking.region, case(HOME_REGIONS, value=Booking.requester_org))
_region_of_use = func.coalesce(_requested_region, AssetView.regions[1])
_region_source = case((_requested_region.is_not(None), literal("request")), else_=literal("asset"))


def encode_cursor(actual_end: datetime, booking_id: uuid.UUID) -> str:
    raw = json.dumps([actual_end.isoformat(), str(booking_id)])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        decoded = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not (isinstance(decoded, list) and len(decoded) == 2):
            raise TypeError("cursor is not a pair")
        ended, booking_id = decoded
        if not (isinstance(ended, str) and isinstance(booking_id, str)):
            raise TypeError("cursor members are not text")
        moment = datetime.fromisoformat(ended)
        if moment.tzinfo is None:
            raise ValueError("cursor time has no offset")
        return moment, uuid.UUID(booking_id)
    except (ValueError, TypeError) as exc:  # JSONDecodeError and binascii.Error are ValueErrors
        raise Invalid(
            "The cursor is not one this list gave out (or the sort changed).",
            errors={"cursor": ["Invalid cursor."]},
        ) from exc


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=DUTCH_ZONE)


def drone_deployments(
    session: Session,
    *,
    day_from: date | None = None,
    day_to: date | None = None,
    region: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
    now: datetime | None = None,
) -> dict[str, Any]:
    """One page of the register, newest use first: ``{items, next_cursor}``.

    ``day_from``/``day_to`` (inclusive, Dutch dates) bound the day the use started."""
    if day_from and day_to and day_to < day_from:
        raise Invalid("'to' must be after 'from'.", errors={"to": ["Must be after from."]})
    now = now or datetime.now(UTC)
    query = (
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
        .limit(limit + 1)
    )
    if day_from:
        query = query.where(Booking.actual_start >= _start_of(day_from))
    if day_to:
        query = query.where(Booking.actual_start < _start_of(day_to + timedelta(days=1)))
    if region:
        query = query.where(_region_of_use == region)
    if cursor:
        ended, last_id = decode_cursor(cursor)
        query = query.where(
            or_(
                Booking.actual_end < ended,
                and_(Booking.actual_end == ended, Booking.id < last_id),
            )
        )
    rows = session.execute(query).all()
    page = rows[:limit]
    next_cursor = (
        encode_cursor(page[-1].actual_end, page[-1].id) if len(rows) > limit and page else None
    )
    return {
        "items": [
            {
                "id": str(row.id),
                "date": row.actual_start.astimezone(DUTCH_ZONE).date(),
                "category": PUBLIC_CATEGORY,
                "region": row.region,
                "region_source": row.region_source,
                "purpose_class": row.purpose_class,
                "legal_basis": row.legal_basis,
                "operator_org": row.owner_org,
            }
            for row in page
        ],
        "next_cursor": next_cursor,
    }
