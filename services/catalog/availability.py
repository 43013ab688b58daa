"""Publishing availability and blackouts, and answering "when is this asset available?"."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from services.catalog.domain import AssetStatus
from services.catalog.models import Asset, AvailabilityWindow, Blackout
from services.catalog.service import get_asset, tariff_covers, writable_asset
from services.catalog.snapshot import emit_asset_event
from shared.auth import Principal
from shared.db import UnitOfWork
from shared.errors import Invalid, NotFound
from shared.tariffs import tariff_day
from shared.timewindows import DEFAULT_TZ, Interval, Recurrence, available

MAX_RANGE = timedelta(days=366)
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
    window_in: dict[str, Any],
    now: datetime | None = None,
) -> AvailabilityWindow:
    """An owner publishes a one-off window or a weekly rule (local time, DST-correct)."""
    asset = writable_asset(uow, principal=principal, asset_id=asset_id)
    now = now or datetime.now(UTC)
    row = AvailabilityWindow(
        id=uuid.uuid4(),
        asset_id=asset.id,
        created_by=principal.sub,
        timezone=window_in.get("timezone") or DEFAULT_TZ,
        note=window_in.get("note"),
    )
    if window_in["kind"] == "one_off":
        start, end = window_in.get("start_at"), window_in.get("end_at")
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
        _check_in_tariff(
            asset, tariff_day(start), tariff_day(end - INSTANT), ("start_at", "end_at")
        )
        row.kind, row.start_at, row.end_at = "one_off", start, end
    else:
        missing = [
            f
            for f in ("weekdays", "start_time", "end_time", "valid_from", "valid_to")
            if window_in.get(f) is None
        ]
        if missing:
            raise Invalid(
                "A recurring window needs weekdays, times and a validity period.",
                errors={f: ["Required for recurring."] for f in missing},
            )
        if window_in["valid_to"] < window_in["valid_from"]:
            raise Invalid(
                "The rule must end on or after it starts.",
                errors={"valid_to": ["Must not be before valid_from."]},
            )
        if window_in["start_time"] == window_in["end_time"]:
            raise Invalid("A window needs a duration.", errors={"end_time": ["Equals start."]})
        _check_in_tariff(asset, *_rule_days(window_in, row.timezone), ("valid_from", "valid_to"))
        row.kind = "recurring"
        row.weekdays = sorted(set(window_in["weekdays"]))
        row.start_time = window_in["start_time"].strftime("%H:%M")
        row.end_time = window_in["end_time"].strftime("%H:%M")
        row.valid_from, row.valid_to = window_in["valid_from"], window_in["valid_to"]
    uow.session.add(row)
    asset.version += 1
    emit_asset_event(uow, asset, "catalog.availability.published", {"window_id": str(row.id)})
    return row


def _rule_days(window_in: dict[str, Any], timezone: str) -> tuple[date, date]:
    """The first and last Dutch date a weekly rule's windows touch: from its first start to
    the end of its last window (the next day's, when a window runs past midnight), in the
    rule's own zone and then in the Netherlands."""
    zone = ZoneInfo(timezone)
    start_time, end_time = window_in["start_time"], window_in["end_time"]
    first = datetime.combine(window_in["valid_from"], start_time, zone)
    last_day = window_in["valid_to"] + timedelta(days=0 if end_time > start_time else 1)
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


def add_blackout(
    uow: UnitOfWork, *, principal: Principal, asset_id: uuid.UUID, blackout_in: dict[str, Any]
) -> Blackout:
    """Defence blocks its own use; overrides published availability."""
    asset = writable_asset(uow, principal=principal, asset_id=asset_id)
    if blackout_in["end_at"] <= blackout_in["start_at"]:
        raise Invalid("The end must be after the start.", errors={"end_at": ["Must be after."]})
    row = Blackout(
        id=uuid.uuid4(),
        asset_id=asset.id,
        start_at=blackout_in["start_at"],
        end_at=blackout_in["end_at"],
        reason=blackout_in["reason"],
        created_by=principal.sub,
    )
    uow.session.add(row)
    asset.version += 1
    emit_asset_event(uow, asset, "catalog.blackout.added", {"blackout_id": str(row.id)})
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


def list_windows(uow: UnitOfWork, *, asset_id: uuid.UUID) -> Sequence[AvailabilityWindow]:
    get_asset(uow, asset_id=asset_id)
    return uow.session.scalars(
        select(AvailabilityWindow)
        .where(AvailabilityWindow.asset_id == asset_id)
        .order_by(AvailabilityWindow.created_at)
    ).all()


def list_blackouts(uow: UnitOfWork, *, asset_id: uuid.UUID) -> Sequence[Blackout]:
    get_asset(uow, asset_id=asset_id)
    return uow.session.scalars(
        select(Blackout).where(Blackout.asset_id == asset_id).order_by(Blackout.start_at)
    ).all()


def concrete_availability(
    uow: UnitOfWork, *, asset_id: uuid.UUID, start: datetime, end: datetime
) -> list[Interval]:
    """The asset's available intervals in [start, end): rules expanded, blackouts subtracted.

    None while the asset is not active (in maintenance or retired): nothing can be booked
    then, whatever its rules say (booking refuses such an asset too)."""
    if end <= start:
        raise Invalid("'to' must be after 'from'.", errors={"to": ["Must be after from."]})
    if end - start > MAX_RANGE:
        raise Invalid("Ask for at most 366 days at a time.", errors={"to": ["Range too long."]})
    if get_asset(uow, asset_id=asset_id).status != AssetStatus.ACTIVE.value:
        return []
    windows = list_windows(uow, asset_id=asset_id)
    blackouts = list_blackouts(uow, asset_id=asset_id)
    return available(
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
