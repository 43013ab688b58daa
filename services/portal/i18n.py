"""Language and formatting: Dutch by default, English by the visible switch (remembered in a
cookie, so it outlives a sign-out); dates, times and money in the user's language, times in
Europe/Amsterdam; datetime-local form values read as Europe/Amsterdam."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from babel.dates import format_timedelta
from flask import Flask, current_app, request
from flask_babel import Babel, format_currency, format_date, format_time, get_locale
from werkzeug.wrappers import Response

from shared.durations import parse_duration

LANGUAGES = ("nl", "en")
DEFAULT_LANGUAGE = "nl"
LANGUAGE_COOKIE = "portal_lang"
AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def select_language() -> str:
    chosen = request.cookies.get(LANGUAGE_COOKIE, "")
    return chosen if chosen in LANGUAGES else DEFAULT_LANGUAGE


def remember_language(response: Response, code: str) -> Response:
    """The language cookie set on ``response``: remembered for a year, past a sign-out."""
    if code in LANGUAGES:
        response.set_cookie(
            LANGUAGE_COOKIE,
            code,
            max_age=365 * 24 * 3600,
            httponly=True,
            samesite="Lax",
            secure=current_app.extensions["portal_config"].production,
        )
    return response


def parse_instant(value: str | datetime | None) -> datetime | None:
    """An API timestamp (ISO 8601) as an aware datetime; None stays None."""
    if value is None or value == "":
        return None
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def parse_local_input(value: str) -> datetime:
    """A ``datetime-local`` form value (no zone) as that wall-clock time in Amsterdam.

    Raises ValueError for anything else, which the form shows next to the field."""
    naive = datetime.fromisoformat(value.strip())
    if naive.tzinfo is not None:
        raise ValueError("expected a local date and time")
    return naive.replace(tzinfo=AMSTERDAM)


def local_input_value(value: str | datetime | None) -> str:
    """The value for a ``datetime-local`` input: Amsterdam wall-clock time, minutes."""
    moment = parse_instant(value)
    return moment.astimezone(AMSTERDAM).strftime("%Y-%m-%dT%H:%M") if moment else ""


def datetime_filter(value: str | datetime | None) -> str:
    """A moment as the user reads it: date and minutes, Amsterdam time ("24 dec 2026 14:30")."""
    moment = parse_instant(value)
    if moment is None:
        return ""
    return f"{format_date(moment.astimezone(AMSTERDAM), 'medium')} {format_time(moment, 'short')}"


def date_filter(value: str | date | None, style: str = "medium") -> str:
    if value is None or value == "":
        return ""
    day = value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
    return format_date(day, style)


def money_filter(value: str | float | Decimal | None, currency: str = "EUR") -> str:
    if value is None or value == "":
        return ""
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    return format_currency(amount, currency)


def duration_filter(value: str | None) -> str:
    """A readiness notice (``PT4H``) as words in the user's language ("4 uur")."""
    span = parse_duration(value or "")
    if span is None:
        return value or ""
    return format_timedelta(span, threshold=2, locale=str(get_locale()))


def init_i18n(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LANGUAGE)
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "Europe/Amsterdam")
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", "translations")
    Babel(app, locale_selector=select_language)

    @app.context_processor
    def _language() -> dict[str, str]:
        return {"language": str(get_locale() or DEFAULT_LANGUAGE)}

    app.jinja_env.filters.update(
        datetime=datetime_filter,
        date=date_filter,
        money=money_filter,
        duration=duration_filter,
        local_input=local_input_value,
    )
