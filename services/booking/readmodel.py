"""Booking's own copy of what catalog publishes: assets (with concrete availability) and
framework contracts. Kept from catalog events, so booking works while catalog is down."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from services.booking.models import AssetView, AssetWindow, ContractView
from shared.db import BulkInsert, newest_versions
from shared.durations import duration_seconds as notice_seconds
from shared.timewindows import available_from_payload

# How far ahead availability is materialised; requests beyond it are refused as unavailable.
HORIZON = timedelta(days=400)


def concrete_windows(
    data: dict[str, Any], lo: datetime, hi: datetime
) -> list[tuple[datetime, datetime]]:
    """The asset's available intervals in [lo, hi) from the rules an event carries."""
    return available_from_payload(
        data.get("availability", []), data.get("blackouts", []), lo=lo, hi=hi
    )


_VIEW = AssetView.metadata.tables["asset_view"]
_WINDOWS = AssetWindow.metadata.tables["asset_windows"]
# Built once: the newest version wins; an older one changes nothing (no row returned).
_UPSERT_ASSETS = BulkInsert.upsert_newer(
    _VIEW,
    key="asset_id",
    newer="asset_view.version <= EXCLUDED.version",
    returning="asset_id::text",
)
_DELETE_WINDOWS = text("DELETE FROM asset_windows WHERE asset_id = ANY(CAST(:ids AS uuid[]))")
_INSERT_WINDOWS = BulkInsert(_WINDOWS, ("asset_id", "during"))
WINDOW_ROWS_PER_STATEMENT = 10_000


def asset_row(data: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The asset_view row a catalog asset snapshot gives (strings go to PostgreSQL as JSON)."""
    return {
        "asset_id": data["asset_id"],
        "owner_org": data["owner_org"],
        "name": data["name"],
        "category": data["category"],
        "booking_mode": data["booking_mode"],
        "regions": data["regions"],
        "capacity": data["capacity"],
        "readiness_notice": data["readiness_notice"],
        "notice_seconds": notice_seconds(data["readiness_notice"]),
        "status": data["status"],
        "tariffs": data["tariffs"],
        "home_base": data.get("home_base", ""),
        "home_location": data.get("home_location"),
        "availability": data.get("availability", []),
        "blackouts": data.get("blackouts", []),
        "version": data["version"],
        "updated_at": now.isoformat(),
    }


def apply_asset_snapshot(
    session: Session, data: dict[str, Any], now: datetime | None = None
) -> None:
    """Upsert the asset from a catalog event; an older version never overwrites a newer one."""
    apply_asset_snapshots(session, [data], now)


def apply_asset_snapshots(
    session: Session, snapshots: list[dict[str, Any]], now: datetime | None = None
) -> None:
    """Upsert assets from catalog events, set-based: one upsert for the newest snapshot of each
    asset, then its materialised windows replaced (one delete, one insert) for the assets whose
    snapshot was applied. An older version never overwrites a newer one."""
    newest = newest_versions(snapshots, "asset_id")  # keys as PostgreSQL returns them below
    if not newest:
        return
    now = now or datetime.now(UTC)
    applied = (
        _UPSERT_ASSETS.execute(session, (asset_row(data, now) for data in newest.values()))
        .scalars()
        .all()
    )
    if not applied:
        return
    session.execute(_DELETE_WINDOWS, {"ids": applied})
    lo, hi = now - timedelta(days=1), now + HORIZON
    windows = [
        {"asset_id": asset_id, "during": f"[{start.isoformat()},{end.isoformat()})"}
        for asset_id in applied
        for start, end in concrete_windows(newest[asset_id], lo, hi)
    ]
    # In slices: a replay of many snapshots with daily rules is hundreds of thousands of rows.
    for first in range(0, len(windows), WINDOW_ROWS_PER_STATEMENT):
        _INSERT_WINDOWS.execute(session, windows[first : first + WINDOW_ROWS_PER_STATEMENT])


def apply_contract(session: Session, data: dict[str, Any]) -> None:
    """Keep a framework contract in the read model; remaining volume starts at the total."""
    contract_id = uuid.UUID(data["contract_id"])
    view = session.get(ContractView, contract_id, with_for_update=True)
    if view is None:
        view = ContractView(contract_id=contract_id, remaining_volume=data["total_volume"])
        session.add(view)
    view.owner_org = data["owner_org"]
    view.reference = data["reference"]
    view.supplier = data["supplier"]
    view.valid_from = date.fromisoformat(data["valid_from"])
    view.valid_to = date.fromisoformat(data["valid_to"])
    view.total_volume = data["total_volume"]
    view.item_ids = data["item_ids"]
    view.tiers = data["tiers"]
