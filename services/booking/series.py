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

MAX_OCCURRENCES = 60
STEP = {
    "daily": relativedelta(days=1),
    "weekly": relativedelta(weeks=1),
    "monthly": relativedelta(months=1),
}


def occurrences(
    first_start: datetime,
    first_end: datetime,
    *,
    frequency: str,
    interval: int,
    count: int | None,
    until: datetime | None,
) -> list[tuple[datetime, datetime]]:
    """The windows of a series, in local wall-clock time of the first start (DST-stable)."""
    if count is None and until is None:
        raise Invalid("A series needs a count or an until.", errors={"count": ["Or until."]})
    duration = first_end - first_start
    result = []
    for n in range(MAX_OCCURRENCES + 1):
        start = first_start + STEP[frequency] * (n * interval)
        if (count is not None and n >= count) or (until is not None and start > until):
            break
        result.append((start, start + duration))
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
    # Times are taken in the zone they were given in, so "every Tuesday 09:00" stays 09:00.
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
            conflicts.append(
                {"start": start, "end": end, "status": exc.status, "reason": exc.detail}
            )
    return {"series_id": series.id, "created": created, "conflicts": conflicts}
