"""Procurement orders against framework contracts: remaining volume falls atomically."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import and_, func, or_, select, tuple_, update

from services.booking.commands import PageRequest, PlaceOrder
from services.booking.domain import LegalBasis
from services.booking.models import AssetView, ContractView, Order
from services.booking.recording import BOOKINGS_TOPIC
from services.booking.search import tariff_at
from services.booking.visibility import order_seen_by
from shared.auth import FINANCE, PLANNER, Principal
from shared.db import UnitOfWork
from shared.errors import Conflict, Forbidden, Invalid, NotFound
from shared.paging import Page, decode_cursor, page_of
from shared.tariffs import tier_price


def place_order(
    uow: UnitOfWork, *, principal: Principal, command: PlaceOrder, now: datetime | None = None
) -> Order:
    """A police planner orders items; over-ordering is refused, nothing is reserved twice.
    Runs in the unit of work of the request's Idempotency-Key, which commits it with the key's
    answer (shared/idempotency.run_idempotent)."""
    if not principal.has_role(PLANNER):
        raise Forbidden("Only a police planner (politie-planner) places orders.")
    now = now or datetime.now(UTC)
    session = uow.session
    contract = _contract_for(session, command, now)
    remaining, total = _take_volume(session, contract, command.quantity)
    combined = total - remaining  # police + Defence volume ordered so far, this one included
    own_before = (
        session.scalar(
            select(func.coalesce(func.sum(Order.quantity), 0)).where(
                Order.contract_id == contract.contract_id, Order.requester_org == principal.org
            )
        )
        or 0
    )
    item = session.get(AssetView, command.item_id)
    market = tariff_at(item.tariffs, now) if item else None
    order = Order(
        id=uuid.uuid4(),
        contract_id=contract.contract_id,
        item_id=command.item_id,
        requester_org=principal.org,
        owner_org=contract.owner_org,
        quantity=command.quantity,
        delivery_date=command.delivery_date,
        unit_price=tier_price(contract.tiers, combined),
        solo_unit_price=tier_price(contract.tiers, int(own_before) + command.quantity),
        market_reference_price=Decimal(market["market_reference_price"]) if market else None,
        legal_basis=LegalBasis(command.legal_basis).value,
        purpose=command.purpose,
        ordered_by=principal.sub,
        created_at=now,
    )
    session.add(order)
    session.flush()
    uow.add_event(
        event_type="booking.order.placed",
        topic=BOOKINGS_TOPIC,
        aggregate_type="order",
        aggregate_id=str(order.id),
        data=order_data(order, contract, remaining),
    )
    return order


def _contract_for(session: Any, command: PlaceOrder, now: datetime) -> ContractView:
    """The contract ordered from, once it covers the item and the delivery date."""
    contract = session.get(ContractView, command.contract_id)
    if contract is None:
        raise Invalid("Unknown framework contract.", errors={"contract_id": ["No such contract."]})
    if str(command.item_id) not in contract.item_ids:
        raise Invalid(
            "The item is not covered by this contract.",
            errors={"item_id": ["Not in the contract."]},
        )
    delivery = command.delivery_date
    if delivery < now.date():
        raise Invalid("Delivery cannot be in the past.", errors={"delivery_date": ["Past."]})
    if not contract.valid_from <= delivery <= contract.valid_to:
        raise Invalid(
            "Delivery falls outside the contract period.",
            errors={"delivery_date": [f"Between {contract.valid_from} and {contract.valid_to}."]},
        )
    return cast(ContractView, contract)


def _take_volume(session: Any, contract: ContractView, quantity: int) -> tuple[int, int]:
    """Lower the contract's remaining volume by ``quantity``: (remaining, total) after it.
    The guarded UPDATE is the atomic part: two orders can never both take the last units."""
    taken = session.execute(
        update(ContractView)
        .where(
            ContractView.contract_id == contract.contract_id,
            ContractView.remaining_volume >= quantity,
        )
        .values(remaining_volume=ContractView.remaining_volume - quantity)
        .returning(ContractView.remaining_volume, ContractView.total_volume)
    ).first()
    if taken is None:
        session.refresh(contract)
        raise Conflict(
            f"Contract {contract.reference} has {contract.remaining_volume} units left.",
            errors={"quantity": [f"At most {contract.remaining_volume}."]},
        )
    return int(taken[0]), int(taken[1])


def order_data(order: Order, contract: ContractView, remaining: int) -> dict[str, Any]:
    return {
        "order_id": str(order.id),
        "contract_id": str(order.contract_id),
        "contract_reference": contract.reference,
        "item_id": str(order.item_id),
        "requester_org": order.requester_org,
        "owner_org": order.owner_org,
        "quantity": order.quantity,
        "unit_price": str(order.unit_price),
        "solo_unit_price": str(order.solo_unit_price),
        "market_reference_price": (
            str(order.market_reference_price) if order.market_reference_price is not None else None
        ),
        "total": str((order.unit_price * order.quantity).quantize(Decimal("0.01"))),
        "legal_basis": order.legal_basis,
        "delivery_date": order.delivery_date.isoformat(),
        "remaining_volume": remaining,
        "ordered_at": order.created_at.isoformat(),
    }


def _visible_orders(principal: Principal) -> Any:
    if principal.is_joint or principal.has_role(FINANCE):
        return True
    return (Order.requester_org == principal.org) | (Order.owner_org == principal.org)


def list_orders(uow: UnitOfWork, *, principal: Principal, page_in: PageRequest) -> Page[Any]:
    """A page of the orders the caller may see, newest first (then by id)."""
    query = select(Order).where(_visible_orders(principal))
    limit = page_in.limit
    if page_in.cursor:
        placed, order_id = decode_cursor(page_in.cursor, datetime, uuid.UUID)
        query = query.where(
            or_(
                Order.created_at < placed,
                and_(Order.created_at == placed, Order.id > order_id),
            )
        )
    rows = uow.session.scalars(
        query.order_by(Order.created_at.desc(), Order.id).limit(limit + 1)
    ).all()
    page = page_of(rows, limit=limit, key=lambda o: (o.created_at, o.id))
    return Page([order_seen_by(principal, o) for o in page.items], page.next_cursor)


def list_contracts(uow: UnitOfWork, *, page_in: PageRequest) -> Page[Any]:
    """A page of the framework contracts, by reference (then id)."""
    order = (ContractView.reference, ContractView.contract_id)
    query = select(ContractView)
    limit = page_in.limit
    if page_in.cursor:
        after = decode_cursor(page_in.cursor, str, uuid.UUID)
        query = query.where(tuple_(*order) > tuple_(*after))
    rows = uow.session.scalars(query.order_by(*order).limit(limit + 1)).all()
    return page_of(rows, limit=limit, key=lambda c: (c.reference, c.contract_id))


def get_order(uow: UnitOfWork, *, principal: Principal, order_id: uuid.UUID) -> Order:
    order = uow.session.scalar(
        select(Order).where(Order.id == order_id).where(_visible_orders(principal))
    )
    if order is None:
        raise NotFound(f"Order {order_id} does not exist.")
    return order
