"""What cost-sharing keeps from other services' events: assets (for estimates and published
hours) and the latest state of each booking (for utilisation and response figures)."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from services.costsharing.models import AssetFacts, BookingFacts


def apply_asset(session: Session, data: dict[str, Any]) -> None:
    asset_id = uuid.UUID(data["asset_id"])
    row = session.get(AssetFacts, asset_id, with_for_update=True)
    if row is not None and row.version > data["version"]:
        return
    if row is None:
        row = AssetFacts(asset_id=asset_id)
        session.add(row)
    row.owner_org, row.name, row.category = data["owner_org"], data["name"], data["category"]
    row.regions, row.capacity, row.tariffs = data["regions"], data["capacity"], data["tariffs"]
    row.availability = data.get("availability", [])
    row.blackouts = data.get("blackouts", [])
    row.version = data["version"]


_BOOKING_FACTS = BookingFacts.metadata.tables["booking_facts"]
_upsert = pg_insert(_BOOKING_FACTS)
# Built once: the newest version of a booking wins; older or repeated versions change nothing.
_UPSERT_BOOKING = _upsert.on_conflict_do_update(
    index_elements=[_BOOKING_FACTS.c.booking_id],
    set_={
        c.name: _upsert.excluded[c.name] for c in _BOOKING_FACTS.columns if c.name != "booking_id"
    },
    where=_BOOKING_FACTS.c.version < _upsert.excluded.version,
)


def apply_booking(session: Session, data: dict[str, Any]) -> None:
    """Keep the newest version of a booking; older or repeated versions change nothing.

    One upsert (not a locking read and then a write): the consumer applies a whole polled
    batch of these in one transaction."""
    tariff = data.get("tariff") or {}
    market = tariff.get("market_reference_price")
    values = {
        "booking_id": uuid.UUID(data["booking_id"]),
        "asset_id": uuid.UUID(data["asset_id"]),
        "requester_org": data["requester_org"],
        "owner_org": data["owner_org"],
        "category": data["category"],
        "state": data["state"],
        "quantity": data["quantity"],
        "planned_start": datetime.fromisoformat(data["planned_start"]),
        "planned_end": datetime.fromisoformat(data["planned_end"]),
        "usage_quantity": (Decimal(data["usage_quantity"]) if data.get("usage_quantity") else None),
        "market_reference_price": Decimal(market) if market else None,
        "requested_at": datetime.fromisoformat(data["requested_at"]),
        "decided_at": (
            datetime.fromisoformat(data["decided_at"]) if data.get("decided_at") else None
        ),
        "version": data["version"],
    }
    session.execute(_UPSERT_BOOKING, values)
