"""Allocations: turn booking events into priced, split, ledgered allocations; finance review."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, or_, select
from sqlalchemy.orm import Session

from services.costsharing.agreements import applicable, terms_of
from services.costsharing.domain import (
    LedgerLine,
    Split,
    cancellation_split,
    ledger_lines,
    parse_period,
    procurement_split,
    reversal,
    split_cost,
)
from services.costsharing.models import Agreement, Allocation, AllocationReview, LedgerEntry
from shared.auth import FINANCE, OWNER, PLANNER, Principal
from shared.db import BulkInsert, UnitOfWork
from shared.errors import Conflict, Forbidden, Invalid, NotFound
from shared.tariffs import priced_units, tariff_day

ALLOCATIONS_TOPIC = "costsharing.allocations"

# Review: proposed → approved | disputed → resolved; needs_agreement → resolved (priced).
REVIEWS: dict[tuple[str, str], str] = {
    ("proposed", "approve"): "approved",
    ("proposed", "dispute"): "disputed",
    ("disputed", "resolve"): "resolved",
    ("needs_agreement", "resolve"): "resolved",
}
SETTLEABLE = ("approved", "resolved")

# Statements built once (Core, not ORM): per event, building them cost more than running them.
_ALLOCATIONS = Allocation.metadata.tables["allocations"]
_CLAIM_ALLOCATIONS = BulkInsert(
    _ALLOCATIONS,
    (
        "id",
        "booking_id",
        "kind",
        "source_event_id",
        "state",
        "agreement_id",
        "agreement_version",
        "requester_org",
        "owner_org",
        "category",
        "legal_basis",
        "usage_quantity",
        "basis",
        "used_on",
        "occurred_at",
        "version",
        "total",
        "requester_amount",
        "owner_amount",
    ),
    tail="ON CONFLICT ON CONSTRAINT uq_allocation_booking_kind DO NOTHING RETURNING id::text",
)
_LEDGER = LedgerEntry.metadata.tables["ledger_entries"]
_LEDGER_INSERT = insert(_LEDGER)
_LEDGER_BULK = BulkInsert(
    _LEDGER, ("allocation_id", "org", "side", "kind", "entry", "amount", "source_event_id")
)


_EVENT_FIELDS = (
    "id",
    "booking_id",
    "kind",
    "state",
    "source_event_id",
    "agreement_id",
    "requester_org",
    "owner_org",
    "category",
    "legal_basis",
    "usage_quantity",
    "total",
    "requester_amount",
    "owner_amount",
)


def _data_of(a: Mapping[str, Any]) -> dict[str, Any]:
    def money(x: Decimal | None) -> str | None:
        return None if x is None else str(x)

    return {
        "allocation_id": str(a["id"]),
        "booking_id": str(a["booking_id"]),
        "kind": a["kind"],
        "state": a["state"],
        "source_event_id": a["source_event_id"],
        "agreement_id": str(a["agreement_id"]) if a["agreement_id"] else None,
        "requester_org": a["requester_org"],
        "owner_org": a["owner_org"],
        "category": a["category"],
        "legal_basis": a["legal_basis"],
        "usage_quantity": f"{a['usage_quantity']:.2f}",  # the contract wants two places
        "total": money(a["total"]),
        "requester_amount": money(a["requester_amount"]),
        "owner_amount": money(a["owner_amount"]),
        "currency": "EUR",
    }


def allocation_data(a: Allocation) -> dict[str, Any]:
    """What every costsharing.allocation.* event carries about the allocation."""
    return _data_of({field: getattr(a, field) for field in _EVENT_FIELDS})


def _emit(uow: UnitOfWork, allocation: Allocation, event_type: str, **extra: Any) -> None:
    uow.add_event(
        event_type=event_type,
        topic=ALLOCATIONS_TOPIC,
        aggregate_type="allocation",
        aggregate_id=str(allocation.id),
        data={**allocation_data(allocation), **extra},
    )


def _write_lines(
    session: Session,
    allocation: Allocation,
    lines: list[LedgerLine],
    entry: str,
    source_event_id: str,
) -> None:
    if lines:
        session.execute(
            _LEDGER_INSERT,
            [
                {
                    "allocation_id": allocation.id,
                    "org": x.org,
                    "side": x.side,
                    "kind": x.kind,
                    "entry": entry,
                    "amount": x.amount,
                    "source_event_id": source_event_id,
                }
                for x in lines
            ],
        )


@dataclass(frozen=True)
class PricedAllocation:
    """An allocation worked out from one event, not yet written (see ``record_allocations``)."""

    cause: dict[str, Any]
    values: dict[str, Any]
    split: Split | None


def _priced(
    *,
    event: dict[str, Any],
    kind: str,
    source_id: str,
    usage: Decimal,
    used_on: date,
    agreement: Agreement | None,
    split: Split | None,
    basis: dict[str, Any],
) -> PricedAllocation:
    data = event["data"]
    # Ids as strings: the row goes to PostgreSQL as JSON (BulkInsert) and into the event.
    values: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "booking_id": str(uuid.UUID(source_id)),  # canonical in the row and the event
        "kind": kind,
        "source_event_id": event["id"],
        "state": "proposed" if split is not None else "needs_agreement",
        "agreement_id": str(agreement.id) if agreement else None,
        "agreement_version": agreement.version if agreement else None,
        "requester_org": data["requester_org"],
        "owner_org": data["owner_org"],
        "category": data.get("category", "procurement_item"),
        "legal_basis": data["legal_basis"],
        "usage_quantity": usage,
        "basis": basis,
        "used_on": used_on,
        "occurred_at": event["occurred_at"],
        "version": 1,
        "total": split.total if split else None,
        "requester_amount": split.requester_amount if split else None,
        "owner_amount": split.owner_amount if split else None,
    }
    return PricedAllocation(cause=event, values=values, split=split)


def record_allocations(
    session: Session,
    priced: Sequence[PricedAllocation],
    unit_of_work: Callable[[dict[str, Any]], UnitOfWork],
) -> int:
    """Write allocations, their ledger lines and events: one statement per table.

    Each (source, kind) is recorded once whatever the redeliveries (uq_allocation_booking_kind):
    a re-sent event (new event id, same fact) changes nothing. Returns how many were new."""
    if not priced:
        return 0
    written = set(_CLAIM_ALLOCATIONS.execute(session, (p.values for p in priced)).scalars())
    lines: list[dict[str, Any]] = []
    for p in priced:
        values = p.values
        if values["id"] not in written:
            continue
        if p.split is not None:
            lines.extend(
                {
                    "allocation_id": values["id"],
                    "org": x.org,
                    "side": x.side,
                    "kind": x.kind,
                    "entry": "original",
                    "amount": x.amount,
                    "source_event_id": p.cause["id"],
                }
                for x in ledger_lines(
                    requester_org=values["requester_org"],
                    owner_org=values["owner_org"],
                    split=p.split,
                )
            )
        unit_of_work(p.cause).add_event(
            event_type="costsharing.allocation.proposed",
            topic=ALLOCATIONS_TOPIC,
            aggregate_type="allocation",
            aggregate_id=str(values["id"]),
            data=_data_of(values),
        )
    if lines:
        _LEDGER_BULK.execute(session, lines)
    return len(written)


def _terms_basis(agreement: Agreement | None, split: Split | None, **extra: Any) -> dict[str, Any]:
    return {
        "agreement_version": agreement.version if agreement else None,
        "price_basis": agreement.price_basis if agreement else None,
        "requester_share_pct": str(agreement.requester_share_pct) if agreement else None,
        "rate": str(split.rate) if split else None,
        "mobilisation_fee": str(split.mobilisation_fee) if split else None,
        "reason": None if split else "no agreement or tariff covers this use",
        **extra,
    }


def price_completed_use(uow: UnitOfWork, *, event: dict[str, Any]) -> PricedAllocation:
    """booking.completed → price the actual use by the tariff and the applicable agreement.

    A use falls on the Dutch date of its start (statement periods and agreements count in
    Dutch dates), whatever offset the event's timestamps carry."""
    data = event["data"]
    used_on = tariff_day(datetime.fromisoformat(data["actual_start"]))
    agreement = applicable(
        uow,
        legal_basis=data["legal_basis"],
        category=data["category"],
        owner_org=data["owner_org"],
        requester_org=data["requester_org"],
        on=used_on,
    )
    # Booking reports hours of use per booked unit; what is priced (and repriced by a
    # resolution) is the tariff's units: a day-rate team used for 8 hours is one day.
    hours = Decimal(data["usage_quantity"]) * data.get("quantity", 1)
    tariff = data.get("tariff")
    usage = priced_units(tariff, Decimal(data["usage_quantity"]), data.get("quantity", 1))
    split = None
    if agreement is not None and tariff is not None:
        split = split_cost(
            usage=usage,
            full_cost_rate=Decimal(tariff["full_cost_rate"]),
            marginal_cost_rate=Decimal(tariff["marginal_cost_rate"]),
            mobilisation_fee=Decimal(tariff["mobilisation_fee"]),
            terms=terms_of(agreement),
        )
    return _priced(
        event=event,
        kind="usage",
        source_id=data["booking_id"],
        usage=usage,
        used_on=used_on,
        agreement=agreement,
        split=split,
        basis=_terms_basis(agreement, split, tariff=tariff, hours=str(hours)),
    )


def price_late_cancellation(uow: UnitOfWork, *, event: dict[str, Any]) -> PricedAllocation | None:
    """booking.cancelled late → the agreement's cancellation fee on the estimate; early: none.

    Only a cancelled approval is charged: withdrawing a request or declining a counter-offer
    cancels nothing that was promised. Events from before booking said what it was cancelled
    from (``cancelled_from``) are read as cancelled approvals, as they always were."""
    data = event["data"]
    if data.get("cancelled_from", "approved") != "approved":
        return None
    planned_start = datetime.fromisoformat(data["planned_start"])
    planned_end = datetime.fromisoformat(data["planned_end"])
    planned_on = tariff_day(planned_start)  # the Dutch date of the planned start
    agreement = applicable(
        uow,
        legal_basis=data["legal_basis"],
        category=data["category"],
        owner_org=data["owner_org"],
        requester_org=data["requester_org"],
        on=planned_on,
    )
    tariff = data.get("tariff")
    if agreement is None or tariff is None:
        return None  # nothing agreed about cancellations: nothing is charged
    hours = Decimal((planned_end - planned_start).total_seconds()) / Decimal(3600)
    estimate = split_cost(
        usage=priced_units(tariff, hours, data.get("quantity", 1)),
        full_cost_rate=Decimal(tariff["full_cost_rate"]),
        marginal_cost_rate=Decimal(tariff["marginal_cost_rate"]),
        mobilisation_fee=Decimal(tariff["mobilisation_fee"]),
        terms=terms_of(agreement),
    )
    split = cancellation_split(
        hours_before_start=float(data["hours_before_start"]),
        free_hours=agreement.cancellation_free_hours,
        pct=agreement.cancellation_pct,
        estimate_total=estimate.total,
        terms=terms_of(agreement),
    )
    if split is None:
        return None
    return _priced(
        event=event,
        kind="cancellation",
        source_id=data["booking_id"],
        usage=Decimal(0),
        used_on=planned_on,
        agreement=agreement,
        split=split,
        basis=_terms_basis(
            agreement,
            split,
            estimate=str(estimate.total),
            cancellation_pct=str(agreement.cancellation_pct),
            hours_before_start=data["hours_before_start"],
        ),
    )


def price_order(uow: UnitOfWork, *, event: dict[str, Any]) -> PricedAllocation:
    """booking.order.placed → the call-off at the joint tier price."""
    data = event["data"]
    ordered_on = tariff_day(datetime.fromisoformat(data["ordered_at"]))
    agreement = applicable(
        uow,
        legal_basis=data["legal_basis"],
        category="procurement_item",
        owner_org=data["owner_org"],
        requester_org=data["requester_org"],
        on=ordered_on,
    )
    split = procurement_split(
        quantity=data["quantity"],
        unit_price=Decimal(data["unit_price"]),
        terms=terms_of(agreement) if agreement else None,
    )
    return _priced(
        event=event,
        kind="procurement",
        source_id=data["order_id"],
        usage=Decimal(data["quantity"]),
        used_on=ordered_on,
        agreement=agreement,
        split=split,
        basis=_terms_basis(
            agreement,
            split,
            unit_price=data["unit_price"],
            solo_unit_price=data["solo_unit_price"],
            market_reference_price=data["market_reference_price"],
            contract_id=data["contract_id"],
        ),
    )


# -- visibility and reading ---------------------------------------------------------------------
def visible(principal: Principal) -> Any:
    """Police finance sees what police organisations pay; Defence finance what Defence is
    credited or bears; joint controller and admin see all; planners their own unit's."""
    if principal.is_joint:
        return True
    if principal.has_role(FINANCE) and principal.org == "politie-financien":
        return Allocation.requester_org.like("politie-%")
    if principal.has_role(FINANCE) and principal.org == "defensie-financien":
        return Allocation.owner_org.like("defensie-%")
    if principal.has_role(FINANCE, PLANNER, OWNER):
        return or_(Allocation.requester_org == principal.org, Allocation.owner_org == principal.org)
    return False


def list_allocations(
    uow: UnitOfWork,
    *,
    principal: Principal,
    booking_id: uuid.UUID | None = None,
    state: Sequence[str] = (),
    org: str | None = None,
    category: str | None = None,
    period: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Sequence[Allocation]:
    """The allocations the caller may see, oldest first; ``state`` may name several (finance's
    review queue asks for everything still awaiting review), ``org`` matches either party and
    ``period`` (2026, 2026-Q4, 2026-11) the Dutch date of the use, as statements count it."""
    query = select(Allocation).where(visible(principal))
    if booking_id is not None:
        query = query.where(Allocation.booking_id == booking_id)
    if state:
        query = query.where(Allocation.state.in_(state))
    if org is not None:
        query = query.where(or_(Allocation.requester_org == org, Allocation.owner_org == org))
    if category is not None:
        query = query.where(Allocation.category == category)
    if period is not None:
        first, after = parse_period(period)
        query = query.where(Allocation.used_on >= first, Allocation.used_on < after)
    query = query.order_by(Allocation.created_at, Allocation.id).limit(limit).offset(offset)
    return uow.session.scalars(query).all()


def get_allocation(
    uow: UnitOfWork, *, principal: Principal, allocation_id: uuid.UUID, for_update: bool = False
) -> Allocation:
    query = select(Allocation).where(Allocation.id == allocation_id).where(visible(principal))
    allocation = uow.session.scalar(query.with_for_update() if for_update else query)
    if allocation is None:
        raise NotFound(f"Allocation {allocation_id} does not exist.")
    return allocation


def ledger_of(uow: UnitOfWork, *, allocation_id: uuid.UUID) -> Sequence[LedgerEntry]:
    return uow.session.scalars(
        select(LedgerEntry)
        .where(LedgerEntry.allocation_id == allocation_id)
        .order_by(LedgerEntry.id)
    ).all()


def reviews_of(uow: UnitOfWork, *, allocation_id: uuid.UUID) -> Sequence[AllocationReview]:
    return uow.session.scalars(
        select(AllocationReview)
        .where(AllocationReview.allocation_id == allocation_id)
        .order_by(AllocationReview.id)
    ).all()


# -- review -------------------------------------------------------------------------------------
def review(
    uow: UnitOfWork,
    *,
    principal: Principal,
    allocation_id: uuid.UUID,
    action: str,
    reason: str | None = None,
    agreement_id: uuid.UUID | None = None,
    requester_amount: Decimal | None = None,
    total: Decimal | None = None,
) -> Allocation:
    """Finance approves, disputes (with a reason) or resolves (reversal + corrected entries)."""
    if not principal.has_role(FINANCE):  # administrators keep agreements, never review
        raise Forbidden("Only finance (financien) reviews allocations.")
    allocation = get_allocation(
        uow, principal=principal, allocation_id=allocation_id, for_update=True
    )
    current = allocation.state
    target = REVIEWS.get((current, action))
    if target is None:
        raise Conflict(f"Cannot {action} an allocation that is {current}.", current_state=current)
    if action == "resolve" and current == "disputed":
        _four_eyes(uow, allocation, principal)
    if action in ("dispute", "resolve") and not reason:
        raise Invalid(f"To {action} needs a reason.", errors={"reason": ["Required."]})
    if action == "resolve":
        _resolve(uow, allocation, principal, agreement_id, requester_amount, total)
    allocation.state = target
    allocation.version += 1
    uow.session.add(
        AllocationReview(
            allocation_id=allocation.id,
            action=action,
            from_state=current,
            to_state=target,
            actor=principal.sub,
            actor_org=principal.org,
            reason=reason,
        )
    )
    uow.session.flush()
    _emit(uow, allocation, f"costsharing.allocation.{target}", reason=reason)
    return allocation


def _four_eyes(uow: UnitOfWork, allocation: Allocation, principal: Principal) -> None:
    """Who disputed an allocation does not resolve it, nor does a colleague on the same side:
    the joint controller or the other side's finance does, so no side settles its own
    objection (for instance by setting its own share to nothing)."""
    dispute = uow.session.execute(
        select(AllocationReview.actor, AllocationReview.actor_org)
        .where(
            AllocationReview.allocation_id == allocation.id,
            AllocationReview.action == "dispute",
        )
        .order_by(AllocationReview.id.desc())
        .limit(1)
    ).first()
    if dispute is None:
        return
    same_person = dispute.actor == principal.sub
    same_side = not principal.is_joint and side_of(dispute.actor_org) == side_of(principal.org)
    if same_person or same_side:
        raise Forbidden(
            f"{'You' if same_person else 'Your side'} disputed this allocation, so it is resolved "
            "by the joint controller or the other side's finance (four eyes).",
            disputed_by=dispute.actor,
        )


def side_of(org: str) -> str:
    """politie, defensie or joint: organisation ids name their side (catalog enforces it)."""
    return org.split("-", 1)[0]


OWN_SHARE_RULE = "own-share-needs-joint-controller"


def _own_side_share(
    allocation: Allocation, side: str, requester_amount: Decimal, owner_amount: Decimal
) -> Decimal:
    """What ``side`` (politie, defensie) bears of an allocation split this way."""
    share = Decimal(0)
    if side_of(allocation.requester_org) == side:
        share += requester_amount
    if side_of(allocation.owner_org) == side:
        share += owner_amount
    return share


def _four_eyes_by_side(allocation: Allocation, principal: Principal, split: Split) -> None:
    """A resolution that lowers the resolver's own side's share is the joint controller's:
    otherwise the side that pays settles the other side's objection in its own favour (for
    instance police finance setting the police share of a disputed bill to 0.00)."""
    if principal.is_joint or allocation.total is None:
        return  # nothing was booked yet (needs_agreement): no share to lower
    side = side_of(principal.org)
    before = _own_side_share(
        allocation,
        side,
        allocation.requester_amount or Decimal(0),
        allocation.owner_amount or Decimal(0),
    )
    after = _own_side_share(allocation, side, split.requester_amount, split.owner_amount)
    if after < before:
        raise Forbidden(
            f"This resolution lowers your own side's share from {before} to {after}: only the "
            "joint controller may resolve it so (four eyes).",
            rule=OWN_SHARE_RULE,
        )


def _resolve(
    uow: UnitOfWork,
    allocation: Allocation,
    principal: Principal,
    agreement_id: uuid.UUID | None,
    requester_amount: Decimal | None,
    total_in: Decimal | None = None,
) -> None:
    """Correct by reversing what was booked and writing the corrected entries."""
    session = uow.session
    # Finance may set the total where nothing priced the use (no tariff travelled with it).
    total = total_in if total_in is not None else allocation.total
    if agreement_id is not None:
        agreement = session.get(Agreement, agreement_id)
        if agreement is None:
            raise Invalid("Unknown agreement.", errors={"agreement_id": ["No such agreement."]})
        # Finance may apply an agreement outside its dates (a decision, recorded with the
        # reason), but never one for another legal basis or scope.
        if not terms_of(agreement).covers(
            legal_basis=allocation.legal_basis,
            category=allocation.category,
            owner_org=allocation.owner_org,
            requester_org=allocation.requester_org,
            on=agreement.valid_from,
        ):
            raise Invalid(
                "That agreement does not cover this use (legal basis or scope).",
                errors={"agreement_id": ["Does not cover this allocation."]},
            )
        tariff = allocation.basis.get("tariff")
        if tariff is None:
            raise Invalid(
                "This allocation has no tariff to price by.",
                errors={"agreement_id": ["Use requester_amount instead."]},
            )
        split = split_cost(
            usage=allocation.usage_quantity,
            full_cost_rate=Decimal(tariff["full_cost_rate"]),
            marginal_cost_rate=Decimal(tariff["marginal_cost_rate"]),
            mobilisation_fee=Decimal(tariff["mobilisation_fee"]),
            terms=terms_of(agreement),
        )
        allocation.agreement_id, allocation.agreement_version = agreement.id, agreement.version
    elif requester_amount is not None and total is not None:
        if not Decimal(0) <= requester_amount <= total:
            raise Invalid(
                f"The requester's share lies between 0.00 and {total}.",
                errors={"requester_amount": [f"Between 0.00 and {total}."]},
            )
        split = Split(
            total=total,
            requester_amount=requester_amount,
            owner_amount=total - requester_amount,
            rate=Decimal(0),
            usage=allocation.usage_quantity,
            mobilisation_fee=Decimal(0),
        )
    else:
        raise Invalid(
            "Resolve with an agreement_id to reprice, or a corrected requester_amount.",
            errors={"agreement_id": ["Or requester_amount."]},
        )
    _four_eyes_by_side(allocation, principal, split)
    if allocation.total is not None:
        old = Split(
            total=allocation.total,
            requester_amount=allocation.requester_amount or Decimal(0),
            owner_amount=allocation.owner_amount or Decimal(0),
            rate=Decimal(0),
            usage=Decimal(0),
            mobilisation_fee=Decimal(0),
        )
        _write_lines(
            session,
            allocation,
            reversal(
                ledger_lines(
                    requester_org=allocation.requester_org,
                    owner_org=allocation.owner_org,
                    split=old,
                )
            ),
            "reversal",
            allocation.source_event_id,
        )
    _write_lines(
        session,
        allocation,
        ledger_lines(
            requester_org=allocation.requester_org, owner_org=allocation.owner_org, split=split
        ),
        "correction",
        allocation.source_event_id,
    )
    # The amounts stay as priced (the database refuses to change them); the current ones
    # add the lines just written: read them again.
    session.flush()
    session.expire(allocation, ["total", "requester_amount", "owner_amount"])
