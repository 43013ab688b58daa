"""The asset as every catalog.assets event carries it (event-carried state transfer).

Each event holds the whole asset — tariffs, availability rules and blackouts included — plus
its version, so a consumer keeps a complete read model by upserting the newest version.
"""

from __future__ import annotations

from typing import Any

from services.catalog.models import Asset, AvailabilityWindow, Blackout, Tariff
from shared.db import UnitOfWork

ASSETS_TOPIC = "catalog.assets"


def tariff_data(row: Tariff) -> dict[str, Any]:
    return {
        "tariff_id": str(row.id),
        "unit": row.unit,
        "full_cost_rate": str(row.full_cost_rate),
        "marginal_cost_rate": str(row.marginal_cost_rate),
        "mobilisation_fee": str(row.mobilisation_fee),
        "market_reference_price": str(row.market_reference_price),
        "currency": row.currency,
        "valid_from": row.valid_from.isoformat(),
        "valid_to": row.valid_to.isoformat() if row.valid_to else None,
    }


def window_data(row: AvailabilityWindow) -> dict[str, Any]:
    return {
        "window_id": str(row.id),
        "kind": row.kind,
        "start_at": row.start_at.isoformat() if row.start_at else None,
        "end_at": row.end_at.isoformat() if row.end_at else None,
        "weekdays": list(row.weekdays) if row.weekdays else None,
        "start_time": row.start_time,
        "end_time": row.end_time,
        "valid_from": row.valid_from.isoformat() if row.valid_from else None,
        "valid_to": row.valid_to.isoformat() if row.valid_to else None,
        "timezone": row.timezone,
        "note": row.note,
    }


def blackout_data(row: Blackout) -> dict[str, Any]:
    return {
        "blackout_id": str(row.id),
        "start_at": row.start_at.isoformat(),
        "end_at": row.end_at.isoformat(),
        "reason": row.reason,
    }


def asset_data(asset: Asset) -> dict[str, Any]:
    """Everything a consumer needs to keep a complete read model of the asset."""
    return {
        "asset_id": str(asset.id),
        "owner_org": asset.owner_org,
        "registration": asset.registration,
        "name": asset.name,
        "category": asset.category,
        "booking_mode": asset.booking_mode,
        "home_base": asset.home_base,
        "home_location": asset.home_location,
        "regions": list(asset.regions),
        "capacity": asset.capacity,
        "readiness_notice": asset.readiness_notice,
        "attributes": asset.attributes,
        "status": asset.status,
        "version": asset.version,
        "tariffs": [tariff_data(t) for t in asset.tariffs],
        "availability": [window_data(w) for w in asset.windows],
        "blackouts": [blackout_data(b) for b in asset.blackouts],
    }


def emit_asset_event(
    uow: UnitOfWork, asset: Asset, event_type: str, change: dict[str, Any] | None = None
) -> None:
    """Stage a catalog.assets event with the asset as it is now in this transaction."""
    uow.session.flush()
    uow.session.refresh(asset, attribute_names=["tariffs", "windows", "blackouts"])
    uow.add_event(
        event_type=event_type,
        topic=ASSETS_TOPIC,
        aggregate_type="asset",
        aggregate_id=str(asset.id),
        data={**asset_data(asset), "change": change or {}},
    )
