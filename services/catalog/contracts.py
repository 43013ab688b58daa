"""Framework contracts for joint procurement (DMO as category manager)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from services.catalog.domain import check_period, check_price_tiers
from services.catalog.models import Asset, FrameworkContract
from shared.auth import OWNER, Principal
from shared.db import UnitOfWork, insert_or_conflict
from shared.errors import Conflict, Forbidden, Invalid, NotFound

ASSETS_TOPIC = "catalog.assets"
CENT = Decimal("0.01")


def contract_data(row: FrameworkContract) -> dict[str, Any]:
    return {
        "contract_id": str(row.id),
        "owner_org": row.owner_org,
        "reference": row.reference,
        "supplier": row.supplier,
        "description": row.description,
        "valid_from": row.valid_from.isoformat(),
        "valid_to": row.valid_to.isoformat(),
        "total_volume": row.total_volume,
        "item_ids": [str(i) for i in row.item_ids],
        "tiers": row.tiers,
    }


def create_contract(
    uow: UnitOfWork, *, principal: Principal, contract_in: dict[str, Any]
) -> FrameworkContract:
    """A Defence owner (DMO) publishes a framework contract over its procurement items."""
    if not principal.has_role(OWNER):
        raise Forbidden("Only a Defence owner (defensie-beheerder) publishes contracts.")
    check_period(contract_in["valid_from"], contract_in["valid_to"], field="valid_to")
    tiers = sorted((t["min_quantity"], Decimal(t["unit_price"])) for t in contract_in["tiers"])
    check_price_tiers(tiers)
    session = uow.session
    item_ids = sorted(set(contract_in["item_ids"]))
    items = session.scalars(select(Asset).where(Asset.id.in_(item_ids))).all()
    found = {a.id: a for a in items}
    problems = []
    for item_id in item_ids:
        asset = found.get(item_id)
        if asset is None:
            problems.append(f"Unknown item {item_id}.")
        elif asset.category != "procurement_item":
            problems.append(f"{asset.name} is not a procurement item.")
        elif asset.owner_org != principal.org:
            problems.append(f"{asset.name} belongs to {asset.owner_org}.")
    if problems:
        raise Invalid("The contract's items are not all yours.", errors={"item_ids": problems})
    duplicate = Conflict(
        f"Contract reference {contract_in['reference']!r} already exists.",
        errors={"reference": ["Already used."]},
    )
    if (
        session.scalar(
            select(FrameworkContract.id).where(
                FrameworkContract.reference == contract_in["reference"]
            )
        )
        is not None
    ):
        raise duplicate
    row = FrameworkContract(
        id=uuid.uuid4(),
        owner_org=principal.org,
        reference=contract_in["reference"],
        supplier=contract_in["supplier"],
        description=contract_in["description"],
        valid_from=contract_in["valid_from"],
        valid_to=contract_in["valid_to"],
        total_volume=contract_in["total_volume"],
        item_ids=item_ids,
        tiers=[{"min_quantity": q, "unit_price": str(p.quantize(CENT))} for q, p in tiers],
        created_by=principal.sub,
    )
    insert_or_conflict(session, row, duplicate)  # a concurrent publication of the reference
    uow.add_event(
        event_type="catalog.contract.published",
        topic=ASSETS_TOPIC,
        aggregate_type="contract",
        aggregate_id=str(row.id),
        data=contract_data(row),
    )
    return row


def list_contracts(uow: UnitOfWork) -> Sequence[FrameworkContract]:
    return uow.session.scalars(
        select(FrameworkContract).order_by(FrameworkContract.valid_from, FrameworkContract.id)
    ).all()


def get_contract(uow: UnitOfWork, *, contract_id: uuid.UUID) -> FrameworkContract:
    row = uow.session.get(FrameworkContract, contract_id)
    if row is None:
        raise NotFound(f"Contract {contract_id} does not exist.")
    return row
