"""Reading allocations: who may see which, the lists finance works from, one allocation with
its ledger lines and review steps. Each read checks access itself and pages with a cursor."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import or_, select, tuple_

from services.costsharing.commands import AllocationFilter, PageRequest
from services.costsharing.domain import parse_period
from services.costsharing.models import Allocation, AllocationReview, LedgerEntry
from shared.auth import FINANCE, OWNER, PLANNER, Principal
from shared.db import UnitOfWork
from shared.errors import NotFound
from shared.paging import Page, decode_cursor, page_of

# What an allocation writes in order: its ledger lines and its review steps.
Row = TypeVar("Row", LedgerEntry, AllocationReview)


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


def visible_allocation(
    uow: UnitOfWork, *, principal: Principal, allocation_id: uuid.UUID, for_update: bool = False
) -> Allocation:
    """The allocation if the caller may see it (else 404: another side's is not found)."""
    query = select(Allocation).where(Allocation.id == allocation_id).where(visible(principal))
    allocation = uow.session.scalar(query.with_for_update() if for_update else query)
    if allocation is None:
        raise NotFound(f"Allocation {allocation_id} does not exist.")
    return allocation


def list_allocations(
    uow: UnitOfWork, *, principal: Principal, query_in: AllocationFilter
) -> Page[Allocation]:
    """The allocations the caller may see, oldest first; ``state`` may name several (finance's
    review queue asks for everything still awaiting review), ``org`` matches either party and
    ``period`` (2026, 2026-Q4, 2026-11) the Dutch date of the use, as statements count it."""
    rows = select(Allocation).where(visible(principal))
    if query_in.booking_id is not None:
        rows = rows.where(Allocation.booking_id == query_in.booking_id)
    if query_in.state:
        rows = rows.where(Allocation.state.in_([s.value for s in query_in.state]))
    if query_in.org is not None:
        rows = rows.where(
            or_(Allocation.requester_org == query_in.org, Allocation.owner_org == query_in.org)
        )
    if query_in.category is not None:
        rows = rows.where(Allocation.category == query_in.category)
    if query_in.period is not None:
        first, after = parse_period(query_in.period)
        rows = rows.where(Allocation.used_on >= first, Allocation.used_on < after)
    if query_in.cursor is not None:
        created_at, last_id = decode_cursor(query_in.cursor, datetime, uuid.UUID)
        rows = rows.where(tuple_(Allocation.created_at, Allocation.id) > (created_at, last_id))
    rows = rows.order_by(Allocation.created_at, Allocation.id).limit(query_in.limit + 1)
    with uow:
        found = uow.session.scalars(rows).all()
    return page_of(found, limit=query_in.limit, key=lambda a: (a.created_at, a.id))


def get_allocation(
    uow: UnitOfWork, *, principal: Principal, allocation_id: uuid.UUID
) -> Allocation:
    """One allocation the caller may see."""
    with uow:
        return visible_allocation(uow, principal=principal, allocation_id=allocation_id)


def allocation_ledger(
    uow: UnitOfWork, *, principal: Principal, allocation_id: uuid.UUID, page_in: PageRequest
) -> Page[LedgerEntry]:
    """The ledger lines an allocation wrote (originals, reversals, corrections), in order."""
    return _written_for(uow, principal, allocation_id, page_in, LedgerEntry)


def allocation_reviews(
    uow: UnitOfWork, *, principal: Principal, allocation_id: uuid.UUID, page_in: PageRequest
) -> Page[AllocationReview]:
    """Who reviewed the allocation, how and why, in order."""
    return _written_for(uow, principal, allocation_id, page_in, AllocationReview)


def _written_for(
    uow: UnitOfWork,
    principal: Principal,
    allocation_id: uuid.UUID,
    page_in: PageRequest,
    model: type[Row],
) -> Page[Row]:
    """One page, in the order written, of the ``model`` rows of an allocation the caller may
    see (its ledger lines or its review steps)."""
    rows = select(model).where(model.allocation_id == allocation_id)
    if page_in.cursor is not None:
        (last_id,) = decode_cursor(page_in.cursor, int)
        rows = rows.where(model.id > last_id)
    with uow:
        visible_allocation(uow, principal=principal, allocation_id=allocation_id)
        found = uow.session.scalars(rows.order_by(model.id).limit(page_in.limit + 1)).all()
    return page_of(found, limit=page_in.limit, key=lambda row: (row.id,))
