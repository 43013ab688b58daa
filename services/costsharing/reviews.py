"""Finance's review of an allocation: approve, dispute (with a reason), resolve (reversal and
corrected ledger lines). Each is one use case in one unit of work, with four eyes."""

from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from services.costsharing.agreements import terms_of
from services.costsharing.allocations import emit
from services.costsharing.commands import ResolveAllocation, ReviewAllocation
from services.costsharing.domain import (
    REASON_REQUIRED,
    Action,
    LedgerLine,
    Parties,
    Split,
    State,
    check_other_eyes,
    check_own_share_kept,
    ledger_lines,
    next_state,
    reversal,
    split_cost,
)
from services.costsharing.models import Agreement, Allocation, AllocationReview, LedgerEntry
from services.costsharing.queries import visible_allocation
from shared.auth import FINANCE, Principal
from shared.db import UnitOfWork
from shared.errors import Forbidden, Invalid

_LEDGER_INSERT = insert(LedgerEntry.metadata.tables["ledger_entries"])


def approve(
    uow: UnitOfWork, *, principal: Principal, allocation_id: uuid.UUID, command: ReviewAllocation
) -> Allocation:
    """Finance approves a proposed allocation."""
    return _review(uow, principal, allocation_id, Action.APPROVE, command.reason)


def dispute(
    uow: UnitOfWork, *, principal: Principal, allocation_id: uuid.UUID, command: ReviewAllocation
) -> Allocation:
    """Finance disputes a proposed allocation, with a reason."""
    return _review(uow, principal, allocation_id, Action.DISPUTE, command.reason)


def _review(
    uow: UnitOfWork,
    principal: Principal,
    allocation_id: uuid.UUID,
    action: Action,
    reason: str | None,
) -> Allocation:
    with uow:
        allocation = _reviewable(uow, principal, allocation_id)
        target = next_state(State(allocation.state), action)
        _require_reason(action, reason)
        _transition(uow, allocation, principal, action, target, reason)
        uow.commit()
    return allocation


def resolve(
    uow: UnitOfWork,
    *,
    principal: Principal,
    allocation_id: uuid.UUID,
    command: ResolveAllocation,
) -> Allocation:
    """Finance resolves a disputed allocation (or one nothing priced) by reversing what was
    booked and writing the corrected entries: repriced by an agreement, or split anew."""
    with uow:
        allocation = _reviewable(uow, principal, allocation_id)
        current = State(allocation.state)
        target = next_state(current, Action.RESOLVE)
        if current is State.DISPUTED:
            _check_other_eyes(uow, allocation, principal)
        _require_reason(Action.RESOLVE, command.reason)
        split = _corrected_split(uow.session, allocation, command)
        if not principal.is_joint and allocation.total is not None:
            # Nothing was booked yet (needs_agreement): there is no share to lower.
            check_own_share_kept(
                Parties(allocation.requester_org, allocation.owner_org),
                resolver_org=principal.org,
                before=_booked(allocation),
                after=split,
            )
        _rebook(uow.session, allocation, split)
        _transition(uow, allocation, principal, Action.RESOLVE, target, command.reason)
        uow.commit()
    return allocation


def _reviewable(uow: UnitOfWork, principal: Principal, allocation_id: uuid.UUID) -> Allocation:
    if not principal.has_role(FINANCE):  # administrators keep agreements, never review
        raise Forbidden("Only finance (financien) reviews allocations.")
    return visible_allocation(
        uow, principal=principal, allocation_id=allocation_id, for_update=True
    )


def _require_reason(action: Action, reason: str | None) -> None:
    if action in REASON_REQUIRED and not reason:
        raise Invalid(f"To {action.value} needs a reason.", errors={"reason": ["Required."]})


def _transition(
    uow: UnitOfWork,
    allocation: Allocation,
    principal: Principal,
    action: Action,
    target: State,
    reason: str | None,
) -> None:
    """Move the allocation on, record who did it and why, and emit the event of its new state."""
    current = allocation.state
    allocation.state = target.value
    allocation.version += 1
    uow.session.add(
        AllocationReview(
            allocation_id=allocation.id,
            action=action.value,
            from_state=current,
            to_state=target.value,
            actor=principal.sub,
            actor_org=principal.org,
            reason=reason,
        )
    )
    uow.session.flush()
    emit(uow, allocation, f"costsharing.allocation.{target.value}", reason=reason)


def _check_other_eyes(uow: UnitOfWork, allocation: Allocation, principal: Principal) -> None:
    """Four eyes against the last dispute of the allocation (domain.check_other_eyes)."""
    dispute = uow.session.execute(
        select(AllocationReview.actor, AllocationReview.actor_org)
        .where(
            AllocationReview.allocation_id == allocation.id,
            AllocationReview.action == Action.DISPUTE.value,
        )
        .order_by(AllocationReview.id.desc())
        .limit(1)
    ).first()
    if dispute is not None:
        check_other_eyes(
            disputed_by=dispute.actor,
            disputed_by_org=dispute.actor_org,
            resolver=principal.sub,
            resolver_org=principal.org,
            joint=principal.is_joint,
        )


def _corrected_split(
    session: Session, allocation: Allocation, resolution: ResolveAllocation
) -> Split:
    if resolution.agreement_id is not None:
        return _repriced(session, allocation, resolution.agreement_id)
    # Finance may set the total where nothing priced the use (no tariff travelled with it).
    total = resolution.total if resolution.total is not None else allocation.total
    if resolution.requester_amount is not None and total is not None:
        return _split_anew(allocation, resolution.requester_amount, total)
    raise Invalid(
        "Resolve with an agreement_id to reprice, or a corrected requester_amount.",
        errors={"agreement_id": ["Or requester_amount."]},
    )


def _repriced(session: Session, allocation: Allocation, agreement_id: uuid.UUID) -> Split:
    """The use priced by another agreement (the allocation records which, and its version)."""
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
    return split


def _split_anew(allocation: Allocation, requester_amount: Decimal, total: Decimal) -> Split:
    if not Decimal(0) <= requester_amount <= total:
        raise Invalid(
            f"The requester's share lies between 0.00 and {total}.",
            errors={"requester_amount": [f"Between 0.00 and {total}."]},
        )
    return Split(
        total=total,
        requester_amount=requester_amount,
        owner_amount=total - requester_amount,
        rate=Decimal(0),
        usage=allocation.usage_quantity,
        mobilisation_fee=Decimal(0),
    )


def _booked(allocation: Allocation) -> Split:
    """What the allocation's ledger lines add up to now."""
    return Split(
        total=allocation.total or Decimal(0),
        requester_amount=allocation.requester_amount or Decimal(0),
        owner_amount=allocation.owner_amount or Decimal(0),
        rate=Decimal(0),
        usage=Decimal(0),
        mobilisation_fee=Decimal(0),
    )


def _rebook(session: Session, allocation: Allocation, split: Split) -> None:
    """Reverse what was booked (if anything) and book ``split``: the ledger is never edited."""
    parties = {"requester_org": allocation.requester_org, "owner_org": allocation.owner_org}
    if allocation.total is not None:
        booked = ledger_lines(**parties, split=_booked(allocation))
        _write_lines(session, allocation, reversal(booked), "reversal")
    _write_lines(session, allocation, ledger_lines(**parties, split=split), "correction")
    # The amounts stay as priced (the database refuses to change them); the current ones add
    # the lines just written: read them again now, so they are current once the unit of work
    # is closed (the view serialises the allocation after that).
    session.flush()
    session.refresh(allocation, ["total", "requester_amount", "owner_amount"])


def _write_lines(
    session: Session, allocation: Allocation, lines: list[LedgerLine], entry: str
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
                    "source_event_id": allocation.source_event_id,
                }
                for x in lines
            ],
        )
