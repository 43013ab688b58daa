"""A secret iCalendar feed per organisation that calendar apps can subscribe to."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import or_, select

from services.booking.domain import ACTIVE_STATES
from services.booking.models import AssetView, Booking
from shared.db import UnitOfWork
from shared.errors import NotFound

SHOWN_STATES = [s.value for s in ACTIVE_STATES] + ["completed"]
# Not (yet) agreed by the owner: a request, and a hold placed for a preempted unit.
TENTATIVE_STATES = ("requested", "held")


def feed_key(secret: str, org: str) -> str:
    """The org's feed key: an HMAC, so there is no table of keys to leak or rotate by hand
    (rotating the server secret rotates every feed)."""
    return hmac.new(secret.encode(), f"calendar:{org}".encode(), hashlib.sha256).hexdigest()[:40]


def check_key(secret: str, org: str, key: str) -> None:
    # Bytes, not str: compare_digest refuses a str with non-ASCII characters (a TypeError).
    given = (key or "").encode("utf-8", "surrogatepass")
    if not hmac.compare_digest(feed_key(secret, org).encode(), given):
        raise NotFound("No such calendar feed.")  # a wrong key reveals nothing


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def bookings_for_feed(uow: UnitOfWork, org: str, now: datetime) -> Sequence[tuple[Booking, str]]:
    rows = uow.session.execute(
        select(Booking, AssetView.name)
        .join(AssetView, AssetView.asset_id == Booking.asset_id)
        .where(or_(Booking.requester_org == org, Booking.owner_org == org))
        .where(Booking.state.in_(SHOWN_STATES))
        .where(Booking.planned_end > now - timedelta(days=30))
        .order_by(Booking.planned_start)
        .limit(2000)
    ).all()
    return [(row[0], row[1]) for row in rows]


def render_ics(org: str, items: Sequence[tuple[Booking, str]], now: datetime) -> str:
    """RFC 5545 calendar; purposes appear only for the organisation's own requests."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Slagkracht//Bookings//NL",
        "CALSCALE:GREGORIAN",
        f"X-WR-CALNAME:Slagkracht {org}",
    ]
    for booking, asset_name in items:
        summary = f"{asset_name} ({booking.state})"
        description = booking.purpose if booking.requester_org == org else "Booked by another unit"
        lines += [
            "BEGIN:VEVENT",
            f"UID:{booking.id}@slagkracht",
            f"DTSTAMP:{_stamp(now)}",
            f"DTSTART:{_stamp(booking.planned_start)}",
            f"DTEND:{_stamp(booking.planned_end)}",
            f"SUMMARY:{_escape(summary)}",
            f"DESCRIPTION:{_escape(description)}",
            f"STATUS:{'TENTATIVE' if booking.state in TENTATIVE_STATES else 'CONFIRMED'}",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "\r\n".join(lines) + "\r\n"
