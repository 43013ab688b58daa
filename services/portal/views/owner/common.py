"""Pieces the owner's pages share: the owner's own asset, API refusals shown in place, labels."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar

from babel.dates import format_timedelta, get_day_names
from flask import abort
from flask_babel import format_date, get_locale
from flask_babel import lazy_gettext as _l

from services.portal.auth import current_user
from services.portal.clients import ApiProblem, apis
from services.portal.i18n import AMSTERDAM, parse_instant
from services.portal.views.owner import bp

T = TypeVar("T")

# The API answers the portal shows next to the form that caused them; anything else (403,
# 404, 5xx) becomes the portal's error page.
REFUSALS = (400, 409, 412, 422)

ASSET_STATUSES: dict[str, Any] = {
    "active": _l("Active"),
    "maintenance": _l("In maintenance"),
    "retired": _l("Retired"),
}


def attempt(call: Callable[[], T]) -> tuple[T | None, ApiProblem | None]:
    """Run one API change; a refusal the user can act on is returned, not raised."""
    try:
        return call(), None
    except ApiProblem as exc:
        if exc.status not in REFUSALS:
            raise
        return None, exc


def renamed(errors: Mapping[str, list[str]], names: Mapping[str, str]) -> dict[str, list[str]]:
    """The API's field errors under the form's field names (two forms on one page cannot
    both have a field called ``reason``)."""
    return {names.get(field, field): list(messages) for field, messages in errors.items()}


def own_asset(asset_id: str) -> tuple[dict[str, Any], str]:
    """The asset and its ETag, if it belongs to the signed-in owner's organisation; another
    organisation's asset is not found here (the catalog would refuse its changes anyway)."""
    asset, etag = apis().catalog.asset_with_etag(asset_id)
    user = current_user()
    if user is None or asset.get("owner_org") != user.org:
        abort(404)
    return asset, etag


def own_assets(**filters: Any) -> list[dict[str, Any]]:
    """The organisation's assets, by name (catalog pages with a cursor; owners have few)."""
    user = current_user()
    assert user is not None  # role_required
    items: list[dict[str, Any]] = []
    cursor = None
    for _page in range(10):  # bounded: 2,000 assets is far beyond any owner
        page = apis().catalog.assets(
            owner=user.org, sort="name", limit=200, cursor=cursor, **filters
        )
        items.extend(page.get("items", []))
        cursor = page.get("next_cursor")
        if not cursor:
            break
    return items


@bp.app_template_filter("time_left")
def time_left(value: str | datetime | None) -> str:
    """How long until a moment, in words ("in 40 minutes"; "2 hours ago" once passed)."""
    moment = parse_instant(value)
    if moment is None:
        return ""
    return format_timedelta(
        moment - datetime.now(UTC), threshold=1.5, add_direction=True, locale=str(get_locale())
    )


@bp.app_template_filter("local_day")
def local_day(value: str | datetime | None) -> str:
    """The day of a moment in Amsterdam, in full ("dinsdag 8 december 2026")."""
    moment = parse_instant(value)
    return format_date(moment.astimezone(AMSTERDAM), "full") if moment else ""


@bp.app_template_filter("weekdays")
def weekdays_filter(days: list[int] | None) -> str:
    """ISO weekdays (1 = Monday) as day names in the user's language."""
    names = get_day_names("wide", locale=str(get_locale()))
    return ", ".join(names[day - 1] for day in days or [])


@bp.app_template_filter("asset_status_label")
def asset_status_label(code: str | None) -> str:
    return str(ASSET_STATUSES.get(code or "", code or ""))


def weekday_options() -> list[tuple[int, str]]:
    names = get_day_names("wide", locale=str(get_locale()))
    return [(day, names[day - 1]) for day in range(1, 8)]
