"""Readiness notices: ISO 8601 day/time durations (``PT4H``, ``P1D``, ``P1DT2H30M``).

Catalog accepts an asset's notice in this form and its events carry it as written; booking
counts it in seconds (may a request start that soon?) and the portal says it in words. All
three read it with this one grammar: days, hours and minutes, at least one number, so a bare
``P`` or ``PT`` is no duration.
"""

from __future__ import annotations

import re
from datetime import timedelta

# At least one part after P ((?!$)), and a T only before a number ((?=\d)).
ISO_DURATION = re.compile(r"^P(?!$)(?:(\d+)D)?(?:T(?=\d)(?:(\d+)H)?(?:(\d+)M)?)?$")


def parse_duration(text: str | None) -> timedelta | None:
    """The duration ``text`` writes, or None when it is not one of this grammar."""
    found = ISO_DURATION.fullmatch(text or "")  # fullmatch: no trailing newline
    if found is None:
        return None
    days, hours, minutes = (int(part or 0) for part in found.groups())
    return timedelta(days=days, hours=hours, minutes=minutes)


def is_duration(text: str | None) -> bool:
    return parse_duration(text) is not None


def duration_seconds(text: str | None) -> int:
    """The duration in whole seconds; 0 when ``text`` is not one (no notice asked)."""
    span = parse_duration(text)
    return 0 if span is None else int(span.total_seconds())
