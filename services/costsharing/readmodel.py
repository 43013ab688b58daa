"""What cost-sharing keeps from other services' events: assets (for estimates and published
hours) and the latest state of each booking (for utilisation and response figures)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from services.costsharing.models import AssetFacts, BookingFacts
from shared.db import BulkInsert, newest_versions
from shared.units import region_of_use

_ASSET_FACTS = AssetFacts.metadata.tables["asset_facts"]
# Built once: a snapshot replaces the row unless the row is newer (a replay changes nothing).
_UPSERT_ASSETS = BulkInsert.upsert_newer(
    _ASSET_FACTS, key="asset_id", newer="asset_facts.version <= EXCLUDED.version"
)


def apply_assets(session: Session, snapshots: list[dict[str, Any]]) -> None:
    """Keep the newest snapshot of each asset, for a whole polled batch in one upsert."""
    newest = newest_versions(snapshots, "asset_id")
    if newest:
        _UPSERT_ASSETS.execute(session, (_asset_facts(data) for data in newest.values()))


def apply_asset(session: Session, data: dict[str, Any]) -> None:
    """One catalog asset snapshot (the same statement as a batch of one)."""
    apply_assets(session, [data])


def _asset_facts(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "asset_id": data["asset_id"],
        "owner_org": data["owner_org"],
        "name": data["name"],
        "category": data["category"],
        "regions": data["regions"],
        "capacity": data["capacity"],
        "tariffs": data["tariffs"],
        "availability": data.get("availability", []),
        "blackouts": data.get("blackouts", []),
        "version": data["version"],
    }


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
    newest = newest_versions(booking_data, "booking_id")
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
        "priority": data["priority"],
        "escalated_at": data.get("escalated_at") or None,
        "legal_basis": data["legal_basis"],
        "region": region_of_use(data.get("region"), data["requester_org"]),
    }
