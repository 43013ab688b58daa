"""Framework contracts for joint procurement (DMO as category manager)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select, tuple_

from services.catalog.commands import PageQuery, PublishContract
from services.catalog.domain import check_period, check_price_tiers
from services.catalog.models import Asset, FrameworkContract
from shared.auth import OWNER, Principal
from shared.db import UnitOfWork, insert_or_conflict
from shared.errors import Conflict, Forbidden, Invalid, NotFound
from shared.paging import Page, decode_cursor, page_of

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


def _check_items(uow: UnitOfWork, principal: Principal, item_ids: Sequence[uuid.UUID]) -> None:
    """Every item exists, is a procurement item and belongs to the publishing owner."""
    found = {a.id: a for a in uow.session.scalars(select(Asset).where(Asset.id.in_(item_ids)))}
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


def create_contract(
    uow: UnitOfWork, *, principal: Principal, command: PublishContract
) -> FrameworkContract:
    """A Defence owner (DMO) publishes a framework contract over its procurement items."""
    if not principal.has_role(OWNER):
        raise Forbidden("Only a Defence owner (defensie-beheerder) publishes contracts.")
    check_period(command.valid_from, command.valid_to, field="valid_to")
    tiers = sorted((t.min_quantity, Decimal(t.unit_price)) for t in command.tiers)
    check_price_tiers(tiers)
    item_ids = sorted(set(command.item_ids))
    _check_items(uow, principal, item_ids)
    duplicate = Conflict(
        f"Contract reference {command.reference!r} already exists.",
        errors={"reference": ["Already used."]},
    )
    taken = select(FrameworkContract.id).where(FrameworkContract.reference == command.reference)
    if uow.session.scalar(taken) is not None:
        raise duplicate
    row = FrameworkContract(
        id=uuid.uuid4(),
        owner_org=principal.org,
        reference=command.reference,
        supplier=command.supplier,
        description=command.description,
        valid_from=command.valid_from,
        valid_to=command.valid_to,
        total_volume=command.total_volume,
        item_ids=item_ids,
        tiers=[{"min_quantity": q, "unit_price": str(p.quantize(CENT))} for q, p in tiers],
        created_by=principal.sub,
    )
    insert_or_conflict(uow.session, row, duplicate)  # a concurrent publication of the reference
    uow.add_event(
        event_type="catalog.contract.published",
        topic=ASSETS_TOPIC,
        aggregate_type="contract",
        aggregate_id=str(row.id),
        data=contract_data(row),
    )
    uow.commit()
    return row


def list_contracts(uow: UnitOfWork, *, page: PageQuery | None = None) -> Page[FrameworkContract]:
    """Framework contracts by start of validity, a page at a time."""
    page = page or PageQuery()
    order = (FrameworkContract.valid_from, FrameworkContract.id)
    query = select(FrameworkContract)
    if page.cursor:
        query = query.where(tuple_(*order) > tuple_(*decode_cursor(page.cursor, date, uuid.UUID)))
    rows = uow.session.scalars(query.order_by(*order).limit(page.limit + 1)).all()
    return page_of(rows, limit=page.limit, key=lambda c: (c.valid_from, c.id))


def get_contract(uow: UnitOfWork, *, contract_id: uuid.UUID) -> FrameworkContract:
    row = uow.session.get(FrameworkContract, contract_id)
    if row is None:
        raise NotFound(f"Contract {contract_id} does not exist.")
    return row
