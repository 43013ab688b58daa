"""Booking's own copy of what catalog publishes: assets (with concrete availability) and
framework contracts. Kept from catalog events, so booking works while catalog is down."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from psycopg.types.range import Range
from sqlalchemy import delete, insert
from sqlalchemy.orm import Session

from services.booking.models import AssetView, AssetWindow, ContractView
from shared.timewindows import Recurrence, available

# How far ahead availability is materialised; requests beyond it are refused as unavailable.
HORIZON = timedelta(days=400)


def notice_seconds(duration: str) -> int:
    """ISO 8601 day/time duration (P1D, PT4H, PT30M) in seconds; 0 if unreadable."""
    match = re.match(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?)?$", duration or "")
    if not match:
        return 0
    days, hours, minutes = (int(g or 0) for g in match.groups())
    return ((days * 24 + hours) * 60 + minutes) * 60


def concrete_windows(
    data: dict[str, Any], lo: datetime, hi: datetime
) -> list[tuple[datetime, datetime]]:
    """The asset's available intervals in [lo, hi) from the rules an event carries."""
    one_off, rules = [], []
    for w in data.get("availability", []):
        if w["kind"] == "one_off":
            one_off.append(
                (datetime.fromisoformat(w["start_at"]), datetime.fromisoformat(w["end_at"]))
            )
        else:
            rules.append(
                Recurrence(
                    weekdays=frozenset(w["weekdays"]),
                    start_time=time.fromisoformat(w["start_time"]),
                    end_time=time.fromisoformat(w["end_time"]),
                    valid_from=date.fromisoformat(w["valid_from"]),
                    valid_to=date.fromisoformat(w["valid_to"]),
                    timezone=w["timezone"],
                )
            )
    blackouts = [
        (datetime.fromisoformat(b["start_at"]), datetime.fromisoformat(b["end_at"]))
        for b in data.get("blackouts", [])
    ]
    return available(one_off=one_off, recurring=rules, blackouts=blackouts, lo=lo, hi=hi)


def apply_asset_snapshot(
    session: Session, data: dict[str, Any], now: datetime | None = None
) -> None:
    """Upsert the asset from a catalog event; an older version never overwrites a newer one."""
    asset_id = uuid.UUID(data["asset_id"])
    view = session.get(AssetView, asset_id, with_for_update=True)
    if view is not None and view.version > data["version"]:
        return
    if view is None:
        view = AssetView(asset_id=asset_id)
        session.add(view)
    view.owner_org = data["owner_org"]
    view.name = data["name"]
    view.category = data["category"]
    view.booking_mode = data["booking_mode"]
    view.regions = data["regions"]
    view.capacity = data["capacity"]
    view.readiness_notice = data["readiness_notice"]
    view.notice_seconds = notice_seconds(data["readiness_notice"])
    view.status = data["status"]
    view.tariffs = data["tariffs"]
    view.home_base = data.get("home_base", "")
    view.availability = data.get("availability", [])
    view.blackouts = data.get("blackouts", [])
    view.version = data["version"]
    view.updated_at = datetime.now(UTC)
    session.flush()
    now = now or datetime.now(UTC)
    session.execute(delete(AssetWindow).where(AssetWindow.asset_id == asset_id))
    windows = concrete_windows(data, now - timedelta(days=1), now + HORIZON)
    if windows:
        session.execute(
            insert(AssetWindow),
            [{"asset_id": asset_id, "during": Range(start, end, "[)")} for start, end in windows],
        )


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
