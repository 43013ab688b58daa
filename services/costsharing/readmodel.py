"""What cost-sharing keeps from other services' events: assets (for estimates and published
hours) and the latest state of each booking (for utilisation and response figures)."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

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


def apply_booking(session: Session, data: dict[str, Any]) -> None:
    """Keep the newest version of a booking; older or repeated versions change nothing."""
    booking_id = uuid.UUID(data["booking_id"])
    row = session.get(BookingFacts, booking_id, with_for_update=True)
    if row is not None and row.version >= data["version"]:
        return
    if row is None:
        row = BookingFacts(booking_id=booking_id)
        session.add(row)
    tariff = data.get("tariff") or {}
    row.asset_id = uuid.UUID(data["asset_id"])
    row.requester_org, row.owner_org = data["requester_org"], data["owner_org"]
    row.category, row.state, row.quantity = data["category"], data["state"], data["quantity"]
    row.planned_start = datetime.fromisoformat(data["planned_start"])
    row.planned_end = datetime.fromisoformat(data["planned_end"])
    row.usage_quantity = Decimal(data["usage_quantity"]) if data.get("usage_quantity") else None
    market = tariff.get("market_reference_price")
    row.market_reference_price = Decimal(market) if market else None
    row.requested_at = datetime.fromisoformat(data["requested_at"])
    row.decided_at = datetime.fromisoformat(data["decided_at"]) if data.get("decided_at") else None
    row.version = data["version"]
