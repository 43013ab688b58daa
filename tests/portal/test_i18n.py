"""Dates, times, money and durations in the user's language, times in Europe/Amsterdam;
datetime-local form values read as Amsterdam wall-clock time (summer and winter)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask_babel import force_locale

from services.portal.i18n import (
    AMSTERDAM,
    datetime_filter,
    duration_filter,
    init_i18n,
    local_input_value,
    money_filter,
    parse_duration,
    parse_local_input,
)


@pytest.fixture
def app() -> Flask:
    app = Flask(__name__)
    init_i18n(app)
    return app


def test_moments_show_in_amsterdam_in_the_users_language(app: Flask) -> None:
    with app.test_request_context():
        with force_locale("nl"):
            assert datetime_filter("2026-12-24T13:30:00+00:00") == "24 dec 2026 14:30"
            assert datetime_filter("2026-07-01T13:30:00Z") == "1 jul 2026 15:30"  # summer time
        with force_locale("en"):
            assert datetime_filter("2026-12-24T13:30:00+00:00") == "Dec 24, 2026 2:30\u202fPM"
        assert datetime_filter(None) == ""


def test_money_in_the_users_language(app: Flask) -> None:
    with app.test_request_context():
        with force_locale("nl"):
            assert money_filter("1234.5") == "€\xa01.234,50"
        with force_locale("en"):
            assert money_filter("1234.5") == "€1,234.50"
        assert money_filter(None) == ""


def test_readiness_notice_in_words(app: Flask) -> None:
    with app.test_request_context():
        with force_locale("nl"):
            assert duration_filter("PT4H") == "4 uur"
        with force_locale("en"):
            assert duration_filter("PT4H") == "4 hours"
        assert duration_filter("soon") == "soon"
    assert parse_duration("P1DT2H30M") == timedelta(days=1, hours=2, minutes=30)
    assert parse_duration("P") is None


@pytest.mark.parametrize(
    ("local", "utc"),
    [
        ("2026-12-24T14:30", datetime(2026, 12, 24, 13, 30, tzinfo=UTC)),  # CET, +01:00
        ("2026-07-01T14:30", datetime(2026, 7, 1, 12, 30, tzinfo=UTC)),  # CEST, +02:00
    ],
)
def test_form_times_are_amsterdam_wall_clock(local: str, utc: datetime) -> None:
    moment = parse_local_input(local)
    assert moment == utc and moment.tzinfo == AMSTERDAM
    assert local_input_value(utc.isoformat()) == local


@pytest.mark.parametrize("bad", ["", "tomorrow", "2026-12-24T14:30+01:00"])
def test_a_form_time_that_is_not_local_is_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        parse_local_input(bad)
