"""Recurring requests: a series requests each occurrence that fits (request_occurrence: the ORM
path, in a savepoint of the series' unit of work) and reports the rest. A single request takes
the hot path instead (services/booking/requesting.py: request_booking)."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from dateutil.relativedelta import relativedelta
from sqlalchemy.exc import IntegrityError

from services.booking.capacity import (
    bookable_asset,
    check_fits,
    decision_minutes,
    overlapping,
    taken,
)
from services.booking.commands import RequestBooking, RequestSeries
from services.booking.domain import (
    Priority,
    State,
    check_window,
    decision_deadline,
    expiry_deadline,
)
from services.booking.models import Booking, Series
from services.booking.recording import record
from services.booking.search import tariff_at
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


def request_series(
    uow: UnitOfWork, *, principal: Principal, command: RequestSeries, now: datetime | None = None
) -> dict[str, Any]:
    """Each occurrence is requested in its own savepoint; conflicts are reported, not dropped.
    Runs in the unit of work of the request's Idempotency-Key, which commits it with the key's
    answer (shared/idempotency.run_idempotent)."""
    if not principal.has_role(PLANNER):
        raise Forbidden("Only a police planner (politie-planner) requests bookings.")
    now = now or datetime.now(UTC)
    windows = occurrences(
        command.start,
        command.end,
        frequency=command.frequency,
        interval=command.interval,
        count=command.count,
        until=command.until,
    )
    if command.end - command.start > timedelta(days=7):
        raise Invalid("An occurrence lasts at most 7 days.", errors={"end": ["Too long."]})
    # What is wrong for every occurrence refuses the series (writing nothing), not each one.
    check_window(command.start, command.end, now=now)
    asset = bookable_asset(uow.session, command.asset_id)
    if command.quantity > asset.capacity:
        raise Invalid(
            f"{asset.name} has capacity {asset.capacity}.",
            errors={"quantity": [f"Must be at most {asset.capacity}."]},
        )
    series = Series(
        id=uuid.uuid4(),
        requester_org=principal.org,
        asset_id=command.asset_id,
        created_by=principal.sub,
        rule={
            k: (v.isoformat() if isinstance(v, datetime) else str(v))
            for k, v in vars(command).items()
            if v is not None
        },
    )
    uow.session.add(series)
    uow.session.flush()
    created, conflicts = [], []
    for start, end in windows:
        occurrence = _occurrence(command, start, end)
        try:
            with uow.session.begin_nested():
                created.append(
                    request_occurrence(
                        uow, principal=principal, command=occurrence, now=now, series_id=series.id
                    )
                )
        except ProblemError as exc:
            # A taken slot names its booking only to a caller who may see it (capacity.taken).
            named = {k: v for k, v in exc.extra.items() if k == "conflicting_booking"}
            conflicts.append(
                {"start": start, "end": end, "status": exc.status, "reason": exc.detail, **named}
            )
    return {"series_id": series.id, "created": created, "conflicts": conflicts}


def _occurrence(command: RequestSeries, start: datetime, end: datetime) -> RequestBooking:
    """The series' request for one of its windows."""
    fields = {f.name for f in dataclasses.fields(RequestBooking)} - {"start", "end"}
    return RequestBooking(start=start, end=end, **{k: getattr(command, k) for k in fields})


def request_occurrence(
    uow: UnitOfWork,
    *,
    principal: Principal,
    command: RequestBooking,
    now: datetime,
    series_id: uuid.UUID | None = None,
) -> Booking:
    """Validate and insert one occurrence of a series (ORM, in the caller's savepoint)."""
    start, end = command.start, command.end
    check_window(start, end, now=now)
    session = uow.session
    asset = bookable_asset(session, command.asset_id)
    priority = Priority(command.priority)
    clashes = check_fits(
        session, asset, start, end, command.quantity, priority=priority, now=now, viewer=principal
    )
    booking = Booking(
        id=uuid.uuid4(),
        asset_id=asset.asset_id,
        owner_org=asset.owner_org,
        requester_org=principal.org,
        requested_by=principal.sub,
        category=asset.category,
        holds_slot=asset.booking_mode == "slot" and not clashes,
        needs_preemption=bool(clashes),
        series_id=series_id,
        planned_start=start,
        planned_end=end,
        quantity=command.quantity,
        priority=int(priority),
        legal_basis=command.legal_basis.value,
        purpose=command.purpose,
        purpose_class=command.purpose_class.value,
        contact=command.contact,
        state=State.REQUESTED.value,
        tariff=tariff_at(asset.tariffs, start),
        expires_at=expiry_deadline(requested_at=now, start=start, priority=priority),
        created_at=now,
        version=1,
        region=command.region,
        decide_by=decision_deadline(
            requested_at=now,
            priority=priority,
            decision_minutes=decision_minutes(session, asset.category),
        ),
    )
    try:
        # Added inside the savepoint so a refused insert leaves nothing pending to re-flush.
        with session.begin_nested():
            session.add(booking)
            session.flush()
    except IntegrityError as exc:  # the exclusion constraint caught a concurrent request
        other = overlapping(session, asset.asset_id, start, end)
        raise taken(asset, other[0] if other else None, principal) from exc
    extra = {"conflicts_with": [str(c.id) for c in clashes]} if clashes else {}
    record(uow, booking, "request", None, principal, None, event="booking.requested", **extra)
    return booking
