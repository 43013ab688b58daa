"""shared/durations.py: the one reading of a readiness notice (catalog, booking, portal)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from shared.durations import duration_seconds, is_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("PT4H", timedelta(hours=4)),
        ("P1D", timedelta(days=1)),
        ("PT30M", timedelta(minutes=30)),
        ("P1DT2H30M", timedelta(days=1, hours=2, minutes=30)),
        ("P14D", timedelta(days=14)),
        ("PT0M", timedelta(0)),
    ],
)
def test_a_day_time_duration_is_read(text: str, span: timedelta) -> None:
    assert parse_duration(text) == span
    assert is_duration(text)
    assert duration_seconds(text) == int(span.total_seconds())


@pytest.mark.parametrize(
    "text",
    ["P", "PT", "P1DT", "4H", "PT4", "P1W", "PT30S", "P1Y", "pt4h", "", None, "PT4H P1D", "PT4H\n"],
)
def test_anything_else_is_no_duration(text: str | None) -> None:
    # A bare "P" was 0 seconds to booking (it accepted it) while catalog refused it.
    assert parse_duration(text) is None
    assert not is_duration(text)
    assert duration_seconds(text) == 0
