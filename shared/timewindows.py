"""How published availability becomes concrete time: the shared reading of the availability
contract (catalog publishes rules; booking and cost-sharing expand them the same way).

Pure standard library. Recurring rules are in local wall-clock time (Europe/Amsterdam by
default), so "weekdays 08:00–18:00" stays 08:00–18:00 local across the DST change; the
resulting instants are UTC. Intervals are half-open [start, end).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

Interval = tuple[datetime, datetime]
DEFAULT_TZ = "Europe/Amsterdam"


@dataclass(frozen=True)
class Recurrence:
    """Every listed ISO weekday (1 = Monday) from ``start_time`` to ``end_time`` local time.

    An ``end_time`` at or before ``start_time`` runs past midnight into the next day.
    """

    weekdays: frozenset[int]
    start_time: time
    end_time: time
    valid_from: date
    valid_to: date  # inclusive last day a window may start
    timezone: str = DEFAULT_TZ


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Sorted, with overlapping or touching intervals joined."""
    merged: list[Interval] = []
    for start, end in sorted(intervals):
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def subtract(intervals: Sequence[Interval], holes: Iterable[Interval]) -> list[Interval]:
    """``intervals`` minus every hole (both merged first)."""
    result: list[Interval] = []
    cut = merge(holes)
    for start, end in merge(intervals):
        cursor = start
        for hole_start, hole_end in cut:
            if hole_end <= cursor or hole_start >= end:
                continue
            if hole_start > cursor:
                result.append((cursor, hole_start))
            cursor = max(cursor, hole_end)
            if cursor >= end:
                break
        if cursor < end:
            result.append((cursor, end))
    return result


def clip(intervals: Iterable[Interval], lo: datetime, hi: datetime) -> list[Interval]:
    return [(max(s, lo), min(e, hi)) for s, e in intervals if e > lo and s < hi]


def expand(rule: Recurrence, lo: datetime, hi: datetime) -> list[Interval]:
    """Concrete UTC intervals of a recurring rule that touch [lo, hi)."""
    zone = ZoneInfo(rule.timezone)
    first = max(rule.valid_from, (lo.astimezone(zone) - timedelta(days=1)).date())
    last = min(rule.valid_to, hi.astimezone(zone).date())
    out: list[Interval] = []
    day = first
    while day <= last:
        if day.isoweekday() in rule.weekdays:
            start = datetime.combine(day, rule.start_time, zone)
            end_day = day if rule.end_time > rule.start_time else day + timedelta(days=1)
            end = datetime.combine(end_day, rule.end_time, zone)
            out.append((start.astimezone(UTC), end.astimezone(UTC)))
        day += timedelta(days=1)
    return clip(out, lo, hi)


def available(
    *,
    one_off: Iterable[Interval],
    recurring: Iterable[Recurrence],
    blackouts: Iterable[Interval],
    lo: datetime,
    hi: datetime,
) -> list[Interval]:
    """Published availability in [lo, hi): windows and expanded rules, minus blackouts."""
    windows = clip(one_off, lo, hi)
    for rule in recurring:
        windows += expand(rule, lo, hi)
    return subtract(merge(windows), clip(blackouts, lo, hi))


def covers(intervals: Sequence[Interval], start: datetime, end: datetime) -> bool:
    """True when one merged interval contains the whole of [start, end)."""
    return any(s <= start and end <= e for s, e in merge(intervals))


def hours(intervals: Iterable[Interval]) -> float:
    return sum((e - s).total_seconds() for s, e in intervals) / 3600


def recurrence_from_payload(window: Mapping[str, Any]) -> Recurrence:
    """A weekly rule as catalog's asset events carry it (``availability[]`` of kind
    ``recurring``: ISO weekdays, ``HH:MM`` local times, ISO dates, an IANA zone)."""
    return Recurrence(
        weekdays=frozenset(window["weekdays"]),
        start_time=time.fromisoformat(window["start_time"]),
        end_time=time.fromisoformat(window["end_time"]),
        valid_from=date.fromisoformat(window["valid_from"]),
        valid_to=date.fromisoformat(window["valid_to"]),
        timezone=window["timezone"],
    )


def _instants(item: Mapping[str, Any]) -> Interval:
    return datetime.fromisoformat(item["start_at"]), datetime.fromisoformat(item["end_at"])


def available_from_payload(
    availability: Iterable[Mapping[str, Any]],
    blackouts: Iterable[Mapping[str, Any]],
    *,
    lo: datetime,
    hi: datetime,
) -> list[Interval]:
    """``available`` in [lo, hi) for an asset as its events carry it: the ``availability``
    windows (one-off ``start_at``/``end_at``, or weekly rules) minus the ``blackouts``."""
    one_off, recurring = [], []
    for window in availability:
        if window["kind"] == "one_off":
            one_off.append(_instants(window))
        else:
            recurring.append(recurrence_from_payload(window))
    return available(
        one_off=one_off,
        recurring=recurring,
        blackouts=[_instants(b) for b in blackouts],
        lo=lo,
        hi=hi,
    )
