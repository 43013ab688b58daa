"""Cost-sharing use cases: agreements and allocations, each one unit of work with its events."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from services.costsharing.domain import (
    AgreementTerms,
    PriceBasis,
    Split,
    check_terms,
    choose_agreement,
    split_cost,
)
from services.costsharing.models import Agreement, Allocation, LedgerEntry
from shared.auth import ADMIN, FINANCE, PLANNER, Principal
from shared.db import UnitOfWork
from shared.errors import Conflict, Forbidden, NotFound

ALLOCATIONS_TOPIC = "costsharing.allocations"


def terms_of(row: Agreement) -> AgreementTerms:
    return AgreementTerms(
        agreement_id=str(row.id),
        legal_basis=row.legal_basis,
        category=row.category,
        owner_org=row.owner_org,
        requester_org=row.requester_org,
        valid_from=row.valid_from,
        valid_to=row.valid_to,
        price_basis=PriceBasis(row.price_basis),
        requester_share_pct=row.requester_share_pct,
        charge_mobilisation=row.charge_mobilisation,
    )


# -- agreements ---------------------------------------------------------------------------------
def create_agreement(
    uow: UnitOfWork, *, principal: Principal, agreement_in: dict[str, Any]
) -> Agreement:
    """An administrator records a cost-sharing agreement (convenant)."""
    if not principal.has_role(ADMIN):
        raise Forbidden("Only an administrator (beheerder-functioneel) records agreements.")
    row = Agreement(id=uuid.uuid4(), created_by=principal.sub, version=1, **agreement_in)
    terms = terms_of(row)
    check_terms(terms)
    session = uow.session
    # Serialise agreement writes so two overlapping ones cannot both slip in.
    session.connection().exec_driver_sql("LOCK TABLE agreements IN SHARE ROW EXCLUSIVE MODE")
    for other in session.scalars(select(Agreement).where(Agreement.legal_basis == row.legal_basis)):
        if terms.overlaps(terms_of(other)):
            raise Conflict(
                f"Agreement {other.name!r} ({other.id}) already covers the same scope and period.",
                conflicting_agreement=str(other.id),
            )
    session.add(row)
    session.flush()
    return row


def list_agreements(uow: UnitOfWork) -> Sequence[Agreement]:
    return uow.session.scalars(
        select(Agreement).order_by(Agreement.legal_basis, Agreement.name)
    ).all()


# -- allocations from booking events ------------------------------------------------------------
def _record_allocation(session: Session, allocation: Allocation, split: Split | None) -> None:
    session.add(allocation)
    session.flush()
    if split is None:
        return
    entries = [
        LedgerEntry(
            allocation_id=allocation.id,
            org=allocation.requester_org,
            side="debit",
            amount=split.requester_amount,
            memo="requester share",
        ),
        LedgerEntry(
            allocation_id=allocation.id,
            org=allocation.owner_org,
            side="credit",
            amount=split.requester_amount,
            memo="recovered from requester",
        ),
        LedgerEntry(
            allocation_id=allocation.id,
            org=allocation.owner_org,
            side="borne",
            amount=split.owner_amount,
            memo="borne by owner",
        ),
    ]
    session.add_all(entries)


def allocate_completed_use(uow: UnitOfWork, *, event: dict[str, Any]) -> Allocation:
    """booking.completed → price the actual use by the tariff and the applicable agreement."""
    data = event["data"]
    session = uow.session
    booking_id = uuid.UUID(data["booking_id"])
    existing = session.scalar(
        select(Allocation).where(Allocation.booking_id == booking_id, Allocation.kind == "usage")
    )
    if existing is not None:  # a re-sent completion (new event id) changes nothing
        return existing
    used_on = datetime.fromisoformat(data["actual_start"]).date()
    agreements = [
        terms_of(a)
        for a in session.scalars(
            select(Agreement).where(Agreement.legal_basis == data["legal_basis"])
        )
    ]
    terms = choose_agreement(
        agreements,
        legal_basis=data["legal_basis"],
        category=data["category"],
        owner_org=data["owner_org"],
        requester_org=data["requester_org"],
        on=used_on,
    )
    usage = Decimal(data["usage_quantity"])
    tariff = data.get("tariff")
    split = None
    if terms is not None and tariff is not None:
        split = split_cost(
            usage=usage,
            full_cost_rate=Decimal(tariff["full_cost_rate"]),
            marginal_cost_rate=Decimal(tariff["marginal_cost_rate"]),
            mobilisation_fee=Decimal(tariff["mobilisation_fee"]),
            terms=terms,
        )
    allocation = Allocation(
        id=uuid.uuid4(),
        booking_id=booking_id,
        kind="usage",
        source_event_id=event["id"],
        state="proposed" if split is not None else "needs_agreement",
        agreement_id=uuid.UUID(terms.agreement_id) if terms else None,
        agreement_version=1 if terms else None,
        requester_org=data["requester_org"],
        owner_org=data["owner_org"],
        category=data["category"],
        legal_basis=data["legal_basis"],
        usage_quantity=usage,
        total=split.total if split else None,
        requester_amount=split.requester_amount if split else None,
        owner_amount=split.owner_amount if split else None,
        basis={
            "tariff": tariff,
            "price_basis": terms.price_basis.value if terms else None,
            "requester_share_pct": str(terms.requester_share_pct) if terms else None,
            "rate": str(split.rate) if split else None,
            "mobilisation_fee": str(split.mobilisation_fee) if split else None,
            "reason": None if split else "no agreement or tariff covers this use",
        },
        occurred_at=datetime.fromisoformat(event["occurred_at"]),
    )
    _record_allocation(session, allocation, split)
    uow.add_event(
        event_type="costsharing.allocation.proposed",
        topic=ALLOCATIONS_TOPIC,
        aggregate_type="allocation",
        aggregate_id=str(allocation.id),
        data=allocation_data(allocation),
    )
    return allocation


def allocation_data(a: Allocation) -> dict[str, Any]:
    def money(x: Decimal | None) -> str | None:
        return None if x is None else str(x)

    return {
        "allocation_id": str(a.id),
        "booking_id": str(a.booking_id),
        "kind": a.kind,
        "state": a.state,
        "source_event_id": a.source_event_id,
        "agreement_id": str(a.agreement_id) if a.agreement_id else None,
        "requester_org": a.requester_org,
        "owner_org": a.owner_org,
        "category": a.category,
        "legal_basis": a.legal_basis,
        "usage_quantity": str(a.usage_quantity),
        "total": money(a.total),
        "requester_amount": money(a.requester_amount),
        "owner_amount": money(a.owner_amount),
        "currency": "EUR",
    }


# -- reading --------------------------------------------------------------------------------------
def _visible(principal: Principal) -> Any:
    """Police finance/planners see what their org pays; Defence finance what it is credited."""
    if principal.is_joint:
        return True
    if principal.has_role(FINANCE, PLANNER):
        if principal.org.startswith("politie-financien"):
            return Allocation.requester_org.like("politie-%")
        if principal.org.startswith("defensie-financien"):
            return Allocation.owner_org.like("defensie-%")
        return or_(Allocation.requester_org == principal.org, Allocation.owner_org == principal.org)
    return False


def list_allocations(
    uow: UnitOfWork,
    *,
    principal: Principal,
    booking_id: uuid.UUID | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Sequence[Allocation]:
    query = select(Allocation).where(_visible(principal))
    if booking_id is not None:
        query = query.where(Allocation.booking_id == booking_id)
    query = query.order_by(Allocation.created_at, Allocation.id).limit(limit).offset(offset)
    return uow.session.scalars(query).all()


def get_allocation(
    uow: UnitOfWork, *, principal: Principal, allocation_id: uuid.UUID
) -> Allocation:
    allocation = uow.session.scalar(
        select(Allocation).where(Allocation.id == allocation_id).where(_visible(principal))
    )
    if allocation is None:
        raise NotFound(f"Allocation {allocation_id} does not exist.")
    return allocation


def ledger_of(uow: UnitOfWork, *, allocation_id: uuid.UUID) -> Sequence[LedgerEntry]:
    return uow.session.scalars(
        select(LedgerEntry)
        .where(LedgerEntry.allocation_id == allocation_id)
        .order_by(LedgerEntry.id)
    ).all()
