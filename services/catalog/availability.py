"""Publishing availability and blackouts, and answering "when is this asset available?"."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import select, tuple_

from services.catalog.assets import get_asset, tariff_covers, writable_asset
from services.catalog.commands import AddBlackout, PageQuery, PublishWindow
from services.catalog.domain import AssetStatus
from services.catalog.models import Asset, AvailabilityWindow, Blackout
from services.catalog.snapshot import emit_asset_event
from shared.auth import Principal
from shared.db import UnitOfWork
from shared.errors import Invalid, NotFound
from shared.paging import Page, decode_cursor, page_of
from shared.tariffs import tariff_day
from shared.timewindows import DEFAULT_TZ, Recurrence, available


class Span(NamedTuple):
    """One concrete available interval, [start, end)."""

    start: datetime
    end: datetime


MAX_RANGE = timedelta(days=366)
DEFAULT_RANGE = timedelta(days=31)
# The end of a window is exclusive: a window that ends at midnight uses no time of the next day.
INSTANT = timedelta(microseconds=1)


def recurrence_of(row: AvailabilityWindow) -> Recurrence:
    assert row.weekdays and row.start_time and row.end_time and row.valid_from and row.valid_to
    return Recurrence(
        weekdays=frozenset(row.weekdays),
        start_time=time.fromisoformat(row.start_time),
        end_time=time.fromisoformat(row.end_time),
        valid_from=row.valid_from,
        valid_to=row.valid_to,
        timezone=row.timezone,
    )


def _check_in_tariff(asset: Asset, first: date, last: date, fields: tuple[str, str]) -> None:
    """Every Dutch date from ``first`` to ``last`` (tariff_day: tariff periods are dates in
    the Netherlands, whatever offset or zone the window was written in) has a tariff. The
    refusal names the first field when the first day has none, else the second."""
    if not tariff_covers(asset, first, last):
        field = fields[0] if not tariff_covers(asset, first, first) else fields[1]
        raise Invalid(
            "Availability must lie inside a tariff period, so every use can be priced.",
            errors={field: ["Not covered by the asset's tariff periods."]},
        )


def publish_window(
    uow: UnitOfWork,
    *,
    principal: Principal,
    asset_id: uuid.UUID,
    command: PublishWindow,
    now: datetime | None = None,
) -> AvailabilityWindow:
    """An owner publishes a one-off window or a weekly rule (local time, DST-correct)."""
    asset = writable_asset(uow, principal=principal, asset_id=asset_id)
    row = AvailabilityWindow(
        id=uuid.uuid4(),
        asset_id=asset.id,
        created_by=principal.sub,
        timezone=command.timezone or DEFAULT_TZ,
        note=command.note,
    )
    if command.kind == "one_off":
        _one_off(asset, row, command, now or datetime.now(UTC))
    else:
        _weekly_rule(asset, row, command)
    uow.session.add(row)
    asset.version += 1
    emit_asset_event(uow, asset, "catalog.availability.published", {"window_id": str(row.id)})
    uow.commit()
    return row


def _one_off(asset: Asset, row: AvailabilityWindow, command: PublishWindow, now: datetime) -> None:
    start, end = command.start_at, command.end_at
    if start is None or end is None:
        raise Invalid(
            "A one-off window needs start_at and end_at.",
            errors={"start_at": ["Required for one_off."], "end_at": ["Required for one_off."]},
        )
    if end <= start:
        raise Invalid(
            "The end must be after the start.", errors={"end_at": ["Must be after start_at."]}
        )
    if end <= now:
        raise Invalid("The window lies in the past.", errors={"end_at": ["In the past."]})
    _check_in_tariff(asset, tariff_day(start), tariff_day(end - INSTANT), ("start_at", "end_at"))
    row.kind, row.start_at, row.end_at = "one_off", start, end


def _weekly_rule(asset: Asset, row: AvailabilityWindow, command: PublishWindow) -> None:
    weekdays, start_time, end_time = command.weekdays, command.start_time, command.end_time
    valid_from, valid_to = command.valid_from, command.valid_to
    if not (weekdays and start_time and end_time and valid_from and valid_to):
        required = ("weekdays", "start_time", "end_time", "valid_from", "valid_to")
        missing = [f for f in required if getattr(command, f) is None]
        raise Invalid(
            "A recurring window needs weekdays, times and a validity period.",
            errors={f: ["Required for recurring."] for f in missing},
        )
    if valid_to < valid_from:
        raise Invalid(
            "The rule must end on or after it starts.",
            errors={"valid_to": ["Must not be before valid_from."]},
        )
    if start_time == end_time:
        raise Invalid("A window needs a duration.", errors={"end_time": ["Equals start."]})
    first, last = _rule_days(start_time, end_time, valid_from, valid_to, row.timezone)
    _check_in_tariff(asset, first, last, ("valid_from", "valid_to"))
    row.kind = "recurring"
    row.weekdays = sorted(set(weekdays))
    row.start_time = start_time.strftime("%H:%M")
    row.end_time = end_time.strftime("%H:%M")
    row.valid_from, row.valid_to = valid_from, valid_to


def _rule_days(
    start_time: time, end_time: time, valid_from: date, valid_to: date, timezone: str
) -> tuple[date, date]:
    """The first and last Dutch date a weekly rule's windows touch: from its first start to
    the end of its last window (the next day's, when a window runs past midnight), in the
    rule's own zone and then in the Netherlands."""
    zone = ZoneInfo(timezone)
    first = datetime.combine(valid_from, start_time, zone)
    last_day = valid_to + timedelta(days=0 if end_time > start_time else 1)
    last = datetime.combine(last_day, end_time, zone)
    return tariff_day(first), tariff_day(last - INSTANT)


def withdraw_window(
    uow: UnitOfWork, *, principal: Principal, asset_id: uuid.UUID, window_id: uuid.UUID
) -> None:
    asset = writable_asset(uow, principal=principal, asset_id=asset_id)
    row = uow.session.get(AvailabilityWindow, window_id)
    if row is None or row.asset_id != asset.id:
        raise NotFound(f"Availability window {window_id} does not exist for this asset.")
    uow.session.delete(row)
    asset.version += 1
    emit_asset_event(uow, asset, "catalog.availability.withdrawn", {"window_id": str(window_id)})
    uow.commit()


def add_blackout(
    uow: UnitOfWork, *, principal: Principal, asset_id: uuid.UUID, command: AddBlackout
) -> Blackout:
    """Defence blocks its own use; overrides published availability."""
    asset = writable_asset(uow, principal=principal, asset_id=asset_id)
    if command.end_at <= command.start_at:
        raise Invalid("The end must be after the start.", errors={"end_at": ["Must be after."]})
    row = Blackout(
        id=uuid.uuid4(),
        asset_id=asset.id,
        start_at=command.start_at,
        end_at=command.end_at,
        reason=command.reason,
        created_by=principal.sub,
    )
    uow.session.add(row)
    asset.version += 1
    emit_asset_event(uow, asset, "catalog.blackout.added", {"blackout_id": str(row.id)})
    uow.commit()
    return row


def remove_blackout(
    uow: UnitOfWork, *, principal: Principal, asset_id: uuid.UUID, blackout_id: uuid.UUID
) -> None:
    asset = writable_asset(uow, principal=principal, asset_id=asset_id)
    row = uow.session.get(Blackout, blackout_id)
    if row is None or row.asset_id != asset.id:
        raise NotFound(f"Blackout {blackout_id} does not exist for this asset.")
    uow.session.delete(row)
    asset.version += 1
    emit_asset_event(uow, asset, "catalog.blackout.removed", {"blackout_id": str(blackout_id)})
    uow.commit()


def list_windows(
    uow: UnitOfWork, *, asset_id: uuid.UUID, page: PageQuery | None = None
) -> Page[AvailabilityWindow]:
    """The asset's published windows and rules as stored, oldest first, a page at a time."""
    page = page or PageQuery()
    get_asset(uow, asset_id=asset_id)
    order = (AvailabilityWindow.created_at, AvailabilityWindow.id)
    query = select(AvailabilityWindow).where(AvailabilityWindow.asset_id == asset_id)
    if page.cursor:
        query = query.where(
            tuple_(*order) > tuple_(*decode_cursor(page.cursor, datetime, uuid.UUID))
        )
    rows = uow.session.scalars(query.order_by(*order).limit(page.limit + 1)).all()
    return page_of(rows, limit=page.limit, key=lambda w: (w.created_at, w.id))


def list_blackouts(
    uow: UnitOfWork, *, asset_id: uuid.UUID, page: PageQuery | None = None
) -> Page[Blackout]:
    """The asset's blackouts, earliest first, a page at a time."""
    page = page or PageQuery()
    get_asset(uow, asset_id=asset_id)
    order = (Blackout.start_at, Blackout.id)
    query = select(Blackout).where(Blackout.asset_id == asset_id)
    if page.cursor:
        query = query.where(
            tuple_(*order) > tuple_(*decode_cursor(page.cursor, datetime, uuid.UUID))
        )
    rows = uow.session.scalars(query.order_by(*order).limit(page.limit + 1)).all()
    return page_of(rows, limit=page.limit, key=lambda b: (b.start_at, b.id))


def concrete_availability(
    uow: UnitOfWork, *, asset_id: uuid.UUID, start: datetime | None, end: datetime | None
) -> Page[Span]:
    """The asset's available intervals in [start, end): rules expanded, blackouts subtracted.
    ``start`` defaults to now, ``end`` to 31 days after it; the range (at most 366 days) is
    the page, so it is one page of all its intervals.

    None while the asset is not active (in maintenance or retired): nothing can be booked
    then, whatever its rules say (booking refuses such an asset too)."""
    start = start or datetime.now(UTC)
    end = end or start + DEFAULT_RANGE
    if end <= start:
        raise Invalid("'to' must be after 'from'.", errors={"to": ["Must be after from."]})
    if end - start > MAX_RANGE:
        raise Invalid("Ask for at most 366 days at a time.", errors={"to": ["Range too long."]})
    asset = get_asset(uow, asset_id=asset_id)
    if asset.status != AssetStatus.ACTIVE.value:
        return Page(items=[], next_cursor=None)
    session = uow.session
    windows = session.scalars(
        select(AvailabilityWindow).where(AvailabilityWindow.asset_id == asset_id)
    ).all()
    blackouts = session.scalars(select(Blackout).where(Blackout.asset_id == asset_id)).all()
    intervals = available(
        one_off=[
            (w.start_at, w.end_at)
            for w in windows
            if w.kind == "one_off" and w.start_at and w.end_at
        ],
        recurring=[recurrence_of(w) for w in windows if w.kind == "recurring"],
        blackouts=[(b.start_at, b.end_at) for b in blackouts],
        lo=start,
        hi=end,
    )
    return Page(items=[Span(*interval) for interval in intervals], next_cursor=None)
