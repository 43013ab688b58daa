"""A secret iCalendar feed per organisation that calendar apps can subscribe to.

Written with the icalendar library (RFC 5545: long lines folded at 75 octets, text escaped,
a CR included), times in Europe/Amsterdam with its VTIMEZONE, so a calendar app shows the
local times whatever zone it is in; DTSTAMP in UTC as the RFC asks.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, Timezone
from sqlalchemy import or_, select

from services.booking.commands import ReadCalendarFeed
from services.booking.domain import ACTIVE_STATES
from services.booking.models import AssetView, Booking
from shared.db import UnitOfWork
from shared.errors import NotFound

SHOWN_STATES = [s.value for s in ACTIVE_STATES] + ["completed"]
# Not (yet) agreed by the owner: a request, and a hold placed for a preempted unit.
TENTATIVE_STATES = ("requested", "held")
AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def feed_key(secret: str, org: str) -> str:
    """The org's feed key: an HMAC, so there is no table of keys to leak or rotate by hand
    (rotating the server secret rotates every feed)."""
    return hmac.new(secret.encode(), f"calendar:{org}".encode(), hashlib.sha256).hexdigest()[:40]


def check_key(secret: str, org: str, key: str) -> None:
    # Bytes, not str: compare_digest refuses a str with non-ASCII characters (a TypeError).
    given = (key or "").encode("utf-8", "surrogatepass")
    if not hmac.compare_digest(feed_key(secret, org).encode(), given):
        raise NotFound("No such calendar feed.")  # a wrong key reveals nothing


def feed_ics(
    uow: UnitOfWork, asked: ReadCalendarFeed, *, org: str, secret: str, now: datetime
) -> str:
    """The organisation's feed as iCalendar text, if ``asked.key`` is its key (else NotFound)."""
    check_key(secret, org, asked.key)
    return render_ics(org, bookings_for_feed(uow, org, now), now)


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


def _amsterdam_zone(items: Sequence[tuple[Booking, str]], now: datetime) -> Timezone:
    """Europe/Amsterdam's VTIMEZONE, its transitions over the span the feed's events cover
    (and a year on, so an empty feed still has one)."""
    moments = [now, *(b.planned_start for b, _ in items), *(b.planned_end for b, _ in items)]
    first = min(moments).astimezone(AMSTERDAM).date() - timedelta(days=1)
    last = max(moments).astimezone(AMSTERDAM).date() + timedelta(days=366)
    return Timezone.from_tzinfo(AMSTERDAM, first_date=first, last_date=last)


def render_ics(org: str, items: Sequence[tuple[Booking, str]], now: datetime) -> str:
    """RFC 5545 calendar; purposes appear only for the organisation's own requests."""
    calendar = Calendar()
    calendar.add("prodid", "-//Slagkracht//Bookings//NL")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", f"Slagkracht {org}")
    calendar.add("x-wr-timezone", "Europe/Amsterdam")
    calendar.add_component(_amsterdam_zone(items, now))
    for booking, asset_name in items:
        event = Event()
        event.add("uid", f"{booking.id}@slagkracht")
        event.add("dtstamp", now.astimezone(UTC))
        event.add("dtstart", booking.planned_start.astimezone(AMSTERDAM))
        event.add("dtend", booking.planned_end.astimezone(AMSTERDAM))
        event.add("summary", f"{asset_name} ({booking.state})")
        own = booking.requester_org == org
        event.add("description", booking.purpose if own else "Booked by another unit")
        event.add("status", "TENTATIVE" if booking.state in TENTATIVE_STATES else "CONFIRMED")
        calendar.add_component(event)
    return calendar.to_ical().decode("utf-8")
