"""Recurring requests: a series creates the occurrences that fit and reports the rest."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from dateutil.relativedelta import relativedelta

from services.booking.domain import check_window
from services.booking.models import Series
from services.booking.service import bookable_asset, create_request
from shared.auth import PLANNER, Principal
from shared.db import UnitOfWork
from shared.errors import Forbidden, Invalid, ProblemError
from shared.tariffs import DUTCH_ZONE

MAX_OCCURRENCES = 60
STEP = {
    "daily": relativedelta(days=1),
    "weekly": relativedelta(weeks=1),
    "monthly": relativedelta(months=1),
}


def _dutch(name: str, moment: datetime) -> datetime:
    """The moment on the Dutch clock; a time at the calendar's ends (9999-12-31T23:00:00-12:00,
    0001-01-01T00:00:00+14:00) has no Dutch date before the year 10000 or after the year 0."""
    try:
        return moment.astimezone(DUTCH_ZONE)
    except OverflowError:
        raise Invalid(
            "Times must lie between the years 1 and 9999 on the Dutch clock.",
            errors={name: ["Out of range."]},
        ) from None


def occurrences(
    first_start: datetime,
    first_end: datetime,
    *,
    frequency: str,
    interval: int,
    count: int | None,
    until: datetime | None,
) -> list[tuple[datetime, datetime]]:
    """The windows of a series, stepped in Dutch wall-clock time (Europe/Amsterdam): "every
    Tuesday 09:00" stays 09:00 across the change to and from summer time. (An offset such as
    +01:00 says nothing about summer time; the zone the bookings are made in does.)"""
    if count is None and until is None:
        raise Invalid("A series needs a count or an until.", errors={"count": ["Or until."]})
    # Arithmetic on datetimes in a ZoneInfo zone is wall-clock arithmetic; the offset follows.
    local_start, local_end = _dutch("start", first_start), _dutch("end", first_end)
    result = []
    for n in range(MAX_OCCURRENCES + 1):
        try:
            start = local_start + STEP[frequency] * (n * interval)
            end = local_end + STEP[frequency] * (n * interval)
        except (OverflowError, ValueError):  # past the year 9999
            raise Invalid(
                "The series runs past the year 9999.", errors={"until": ["Out of range."]}
            ) from None
        if (count is not None and n >= count) or (until is not None and start > until):
            break
        result.append((start, end))
    if not result:  # an until before the first start: a series of nothing is no request
        raise Invalid(
            "The series has no occurrence: until lies before the first start.",
            errors={"until": ["Must not be before start."]},
        )
    if len(result) > MAX_OCCURRENCES:
        raise Invalid(
            f"A series has at most {MAX_OCCURRENCES} occurrences.",
            errors={"count": [f"At most {MAX_OCCURRENCES}."]},
        )
    return result


def create_series(
    uow: UnitOfWork, *, principal: Principal, series_in: dict[str, Any], now: datetime | None = None
) -> dict[str, Any]:
    """Each occurrence is requested in its own savepoint; conflicts are reported, not dropped."""
    if not principal.has_role(PLANNER):
        raise Forbidden("Only a police planner (politie-planner) requests bookings.")
    now = now or datetime.now(UTC)
    windows = occurrences(
        series_in["start"],
        series_in["end"],
        frequency=series_in["frequency"],
        interval=series_in["interval"],
        count=series_in.get("count"),
        until=series_in.get("until"),
    )
    if series_in["end"] - series_in["start"] > timedelta(days=7):
        raise Invalid("An occurrence lasts at most 7 days.", errors={"end": ["Too long."]})
    # What is wrong for every occurrence refuses the series (writing nothing), not each one.
    check_window(series_in["start"], series_in["end"], now=now)
    asset = bookable_asset(uow.session, series_in["asset_id"])
    if series_in.get("quantity", 1) > asset.capacity:
        raise Invalid(
            f"{asset.name} has capacity {asset.capacity}.",
            errors={"quantity": [f"Must be at most {asset.capacity}."]},
        )
    series = Series(
        id=uuid.uuid4(),
        requester_org=principal.org,
        asset_id=series_in["asset_id"],
        created_by=principal.sub,
        rule={
            k: (v.isoformat() if isinstance(v, datetime) else str(v))
            for k, v in series_in.items()
            if v is not None
        },
    )
    uow.session.add(series)
    uow.session.flush()
    created, conflicts = [], []
    for start, end in windows:
        occurrence = {**series_in, "start": start, "end": end}
        try:
            with uow.session.begin_nested():
                created.append(
                    create_request(
                        uow,
                        principal=principal,
                        booking_in=occurrence,
                        now=now,
                        series_id=series.id,
                    )
                )
        except ProblemError as exc:
            # A taken slot names its booking only to a caller who may see it (service._taken).
            named = {k: v for k, v in exc.extra.items() if k == "conflicting_booking"}
            conflicts.append(
                {"start": start, "end": end, "status": exc.status, "reason": exc.detail, **named}
            )
    return {"series_id": series.id, "created": created, "conflicts": conflicts}
