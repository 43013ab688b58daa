"""Booking's own copy of what catalog publishes: assets (with concrete availability) and
framework contracts. Kept from catalog events, so booking works while catalog is down."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from psycopg.types.range import Range
from sqlalchemy import bindparam, delete, insert
from sqlalchemy.dialects.postgresql import insert as pg_insert
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


_VIEW = AssetView.metadata.tables["asset_view"]
_WINDOWS = AssetWindow.metadata.tables["asset_windows"]
_upsert = pg_insert(_VIEW)
# Built once (Core): the newest version wins; an older one changes nothing (no row returned).
_UPSERT_ASSET = _upsert.on_conflict_do_update(
    index_elements=[_VIEW.c.asset_id],
    set_={c.name: _upsert.excluded[c.name] for c in _VIEW.columns if c.name != "asset_id"},
    where=_VIEW.c.version <= _upsert.excluded.version,
).returning(_VIEW.c.asset_id)
_DELETE_WINDOWS = delete(_WINDOWS).where(_WINDOWS.c.asset_id == bindparam("asset_id"))
_INSERT_WINDOWS = insert(_WINDOWS)


def apply_asset_snapshot(
    session: Session, data: dict[str, Any], now: datetime | None = None
) -> None:
    """Upsert the asset from a catalog event; an older version never overwrites a newer one."""
    asset_id = uuid.UUID(data["asset_id"])
    applied = session.execute(
        _UPSERT_ASSET,
        {
            "asset_id": asset_id,
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
            "availability": data.get("availability", []),
            "blackouts": data.get("blackouts", []),
            "version": data["version"],
            "updated_at": datetime.now(UTC),
        },
    ).first()
    if applied is None:
        return
    now = now or datetime.now(UTC)
    session.execute(_DELETE_WINDOWS, {"asset_id": asset_id})
    windows = concrete_windows(data, now - timedelta(days=1), now + HORIZON)
    if windows:
        session.execute(
            _INSERT_WINDOWS,
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
