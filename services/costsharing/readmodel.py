"""What cost-sharing keeps from other services' events: assets (for estimates and published
hours) and the latest state of each booking (for utilisation and response figures)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from services.costsharing.models import AssetFacts, BookingFacts
from shared.db import BulkInsert


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
# Built once: the newest version of a booking wins; older or repeated versions change nothing.
_UPSERT_BOOKINGS = BulkInsert.upsert_newer(
    _BOOKING_FACTS, key="booking_id", newer="booking_facts.version < EXCLUDED.version"
)


def apply_bookings(session: Session, booking_data: list[dict[str, Any]]) -> None:
    """Keep the newest version of each booking; older or repeated versions change nothing.

    One multi-row upsert for a whole polled batch (not a locking read and a write per event).
    Within the batch only each booking's newest version is sent: one statement may not update
    the same row twice."""
    newest: dict[str, dict[str, Any]] = {}
    for data in booking_data:
        key = data["booking_id"].lower()
        seen = newest.get(key)
        if seen is None or seen["version"] < data["version"]:
            newest[key] = data
    if newest:
        _UPSERT_BOOKINGS.execute(session, (_facts(data) for data in newest.values()))


def _facts(data: dict[str, Any]) -> dict[str, Any]:
    # Values stay as the event's strings: they go to PostgreSQL as JSON, which parses them
    # into the column types (the contract has already checked their formats).
    tariff = data.get("tariff") or {}
    return {
        "booking_id": data["booking_id"],
        "asset_id": data["asset_id"],
        "requester_org": data["requester_org"],
        "owner_org": data["owner_org"],
        "category": data["category"],
        "state": data["state"],
        "quantity": data["quantity"],
        "planned_start": data["planned_start"],
        "planned_end": data["planned_end"],
        "usage_quantity": data.get("usage_quantity") or None,
        "market_reference_price": tariff.get("market_reference_price") or None,
        "requested_at": data["requested_at"],
        "decided_at": data.get("decided_at") or None,
        "version": data["version"],
    }
