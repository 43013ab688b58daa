"""Catalog use cases: each one unit of work that also writes its events to the outbox."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from services.catalog.domain import (
    BOOKING_MODE,
    AssetStatus,
    Category,
    Tariff,
    TariffUnit,
    check_new_asset,
)
from services.catalog.models import Asset, Organisation, Region
from services.catalog.models import Tariff as TariffRow
from shared.auth import OWNER, Principal
from shared.db import UnitOfWork
from shared.errors import Conflict, Forbidden, Invalid, NotFound

ASSETS_TOPIC = "catalog.assets"


def tariff_data(row: TariffRow) -> dict[str, Any]:
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
        "regions": list(asset.regions),
        "capacity": asset.capacity,
        "readiness_notice": asset.readiness_notice,
        "attributes": asset.attributes,
        "status": asset.status,
        "version": asset.version,
        "tariffs": [tariff_data(t) for t in asset.tariffs],
    }


def register_asset(uow: UnitOfWork, *, principal: Principal, asset_in: dict[str, Any]) -> Asset:
    """An owner registers an asset of its own organisation, with its first tariff."""
    if not principal.has_role(OWNER):
        raise Forbidden("Only a Defence asset owner (defensie-beheerder) registers assets.")
    session = uow.session
    if session.get(Organisation, principal.org) is None:
        raise Forbidden(f"Your organisation {principal.org!r} is not known to the catalog.")
    category = Category(asset_in["category"])
    check_new_asset(
        category=category,
        capacity=asset_in["capacity"],
        readiness_notice=asset_in["readiness_notice"],
    )
    regions = sorted(set(asset_in["regions"]))
    known = set(session.scalars(select(Region.code).where(Region.code.in_(regions))))
    if unknown := [r for r in regions if r not in known]:
        raise Invalid(
            "Unknown safety region code(s).",
            errors={"regions": [f"Unknown region: {r}" for r in unknown]},
        )
    tariff_in = asset_in["tariff"]
    tariff = Tariff(
        unit=TariffUnit(tariff_in["unit"]),
        full_cost_rate=tariff_in["full_cost_rate"],
        marginal_cost_rate=tariff_in["marginal_cost_rate"],
        mobilisation_fee=tariff_in["mobilisation_fee"],
        market_reference_price=tariff_in["market_reference_price"],
        valid_from=tariff_in["valid_from"],
        valid_to=tariff_in["valid_to"],
    )
    try:
        tariff.check()
    except Invalid as exc:
        exc.errors = {"tariff": exc.errors}
        raise
    duplicate = session.scalar(
        select(Asset.id).where(
            Asset.owner_org == principal.org, Asset.registration == asset_in["registration"]
        )
    )
    if duplicate is not None:
        raise Conflict(
            f"Registration {asset_in['registration']!r} is already asset {duplicate}.",
            errors={"registration": ["Already registered by your organisation."]},
        )
    asset = Asset(
        id=uuid.uuid4(),
        owner_org=principal.org,
        registration=asset_in["registration"],
        name=asset_in["name"],
        category=category.value,
        booking_mode=BOOKING_MODE[category].value,
        home_base=asset_in["home_base"],
        regions=regions,
        capacity=asset_in["capacity"],
        readiness_notice=asset_in["readiness_notice"],
        attributes=asset_in["attributes"],
        status=AssetStatus.ACTIVE.value,
        version=1,
        tariffs=[
            TariffRow(
                unit=tariff.unit.value,
                full_cost_rate=tariff.full_cost_rate,
                marginal_cost_rate=tariff.marginal_cost_rate,
                mobilisation_fee=tariff.mobilisation_fee,
                market_reference_price=tariff.market_reference_price,
                currency="EUR",
                valid_from=tariff.valid_from,
                valid_to=tariff.valid_to,
            )
        ],
    )
    session.add(asset)
    try:
        session.flush()
    except IntegrityError as exc:  # a concurrent registration of the same number
        raise Conflict(
            f"Registration {asset_in['registration']!r} is already registered.",
            errors={"registration": ["Already registered by your organisation."]},
        ) from exc
    uow.add_event(
        event_type="catalog.asset.registered",
        topic=ASSETS_TOPIC,
        aggregate_type="asset",
        aggregate_id=str(asset.id),
        data=asset_data(asset),
    )
    return asset


def get_asset(uow: UnitOfWork, *, asset_id: uuid.UUID) -> Asset:
    asset = uow.session.get(Asset, asset_id)
    if asset is None:
        raise NotFound(f"Asset {asset_id} does not exist.")
    return asset


def list_assets(
    uow: UnitOfWork,
    *,
    category: Category | None = None,
    owner: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Sequence[Asset]:
    query = select(Asset).order_by(Asset.name, Asset.id).limit(limit).offset(offset)
    if category is not None:
        query = query.where(Asset.category == category.value)
    if owner is not None:
        query = query.where(Asset.owner_org == owner)
    return uow.session.scalars(query).all()


def list_organisations(uow: UnitOfWork) -> Sequence[Organisation]:
    return uow.session.scalars(select(Organisation).order_by(Organisation.id)).all()


def list_regions(uow: UnitOfWork) -> Sequence[Region]:
    return uow.session.scalars(select(Region).order_by(Region.code)).all()
