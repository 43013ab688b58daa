"""Booking's calendar feed is RFC 5545 as a calendar app reads it: long lines folded at 75
octets, text escaped (a CR too), times in Europe/Amsterdam with its VTIMEZONE — checked by
parsing the feed with the icalendar library, as a client would."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar

from services.booking.calendar import render_ics
from services.booking.models import Booking

ORG = "politie-rotterdam"
NOW = datetime(2026, 3, 20, 9, 0, tzinfo=UTC)  # the week before summer time starts


def booking(purpose: str, *, start: datetime, state: str = "approved") -> Booking:
    return Booking(
        id=uuid.uuid4(),
        requester_org=ORG,
        owner_org="defensie-dhc",
        purpose=purpose,
        state=state,
        planned_start=start,
        planned_end=start + timedelta(hours=3),
    )


def feed(*items: Booking) -> bytes:
    text = render_ics(ORG, [(item, "NH90 (Noord-Holland; De Kooy)") for item in items], NOW)
    return text.encode("utf-8")


def events(raw: bytes) -> list[object]:
    return list(Calendar.from_ical(raw).walk("VEVENT"))


def test_a_2000_character_purpose_is_folded_at_75_octets_and_read_back_whole() -> None:
    purpose = ("Zoekactie vermiste persoon, Biesbosch; grid 4–7 (ééN) " * 40)[:2000]
    assert len(purpose) == 2000
    raw = feed(booking(purpose, start=NOW + timedelta(days=1)))
    assert raw.endswith(b"\r\n") and b"\n" not in raw.replace(b"\r\n", b"")
    assert max(len(line) for line in raw.split(b"\r\n")) <= 75  # octets, not characters
    (event,) = events(raw)
    assert str(event["DESCRIPTION"]) == purpose  # type: ignore[index]


def test_line_breaks_commas_and_semicolons_round_trip_and_a_cr_injects_nothing() -> None:
    purpose = "Inzet A, B; C\\D\r\nTweede regel\rBEGIN:VEVENT\nUID:forged"
    raw = feed(booking(purpose, start=NOW + timedelta(days=2)))
    parsed = events(raw)
    assert len(parsed) == 1  # the CR and LF did not start an event or a property of their own
    description = str(parsed[0]["DESCRIPTION"])  # type: ignore[index]
    # RFC 5545 text has one line break (\n): CRLF and a lone CR are read back as it.
    assert description == purpose.replace("\r\n", "\n").replace("\r", "\n")
    assert b"\r" not in raw.replace(b"\r\n", b"")


def test_times_are_in_europe_amsterdam_with_its_vtimezone_across_summer_time() -> None:
    winter = NOW + timedelta(days=1)  # 21 March: CET, +01:00
    summer = NOW + timedelta(days=10)  # 30 March: CEST, +02:00
    raw = feed(booking("winter", start=winter), booking("summer", start=summer, state="held"))
    calendar = Calendar.from_ical(raw)
    (zone,) = calendar.walk("VTIMEZONE")
    assert str(zone["TZID"]) == "Europe/Amsterdam"
    assert {c.name for c in zone.subcomponents} >= {"STANDARD", "DAYLIGHT"}
    by_purpose = {str(e["DESCRIPTION"]): e for e in calendar.walk("VEVENT")}
    for purpose, start in (("winter", winter), ("summer", summer)):
        event = by_purpose[purpose]
        decoded = event.decoded("DTSTART")
        assert decoded == start and decoded.tzinfo is not None
        assert event["DTSTART"].params["TZID"] == "Europe/Amsterdam"
        assert event.decoded("DTEND") == start + timedelta(hours=3)
        assert event.decoded("DTSTAMP") == NOW
    assert str(by_purpose["summer"]["STATUS"]) == "TENTATIVE"
    assert str(by_purpose["winter"]["STATUS"]) == "CONFIRMED"
    local = summer.astimezone(ZoneInfo("Europe/Amsterdam")).strftime("%Y%m%dT%H%M%S")
    assert f"DTSTART;TZID=Europe/Amsterdam:{local}".encode() in raw


def test_another_units_booking_shows_no_purpose() -> None:
    theirs = booking("geheim", start=NOW + timedelta(days=1))
    theirs.requester_org = "politie-amsterdam"
    (event,) = events(feed(theirs))
    assert str(event["DESCRIPTION"]) == "Booked by another unit"  # type: ignore[index]
    assert b"geheim" not in feed(theirs)
