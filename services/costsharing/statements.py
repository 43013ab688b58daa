"""Period statements per organisation, from the ledger; JSON and spreadsheet-ready CSV."""

from __future__ import annotations

import csv
import io
import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, or_, select

from services.costsharing.allocations import SETTLEABLE, _emit
from services.costsharing.domain import parse_period
from services.costsharing.models import Allocation, LedgerEntry, Statement
from shared.auth import FINANCE, OWNER, PLANNER, Principal
from shared.db import UnitOfWork
from shared.errors import Conflict, Forbidden

OPEN_STATES = ("proposed", "disputed", "needs_agreement")


def may_see_org(principal: Principal, org: str) -> bool:
    if principal.is_joint:
        return True
    if principal.has_role(FINANCE) and principal.org == "politie-financien":
        return org.startswith("politie-")
    if principal.has_role(FINANCE) and principal.org == "defensie-financien":
        return org.startswith("defensie-")
    return principal.has_role(FINANCE, PLANNER, OWNER) and principal.org == org


def statement(uow: UnitOfWork, *, principal: Principal, org: str, period: str) -> dict[str, Any]:
    """Every ledger line of ``org`` for uses in ``period``, with totals equal to the ledger's."""
    if not may_see_org(principal, org):
        raise Forbidden(f"You may not read the statement of {org}.")
    first, after = parse_period(period)
    rows = uow.session.execute(
        select(LedgerEntry, Allocation)
        .join(Allocation, Allocation.id == LedgerEntry.allocation_id)
        .where(LedgerEntry.org == org, Allocation.used_on >= first, Allocation.used_on < after)
        .order_by(Allocation.used_on, LedgerEntry.id)
    ).all()
    lines, debit, credit = [], Decimal("0.00"), Decimal("0.00")
    for entry, allocation in rows:
        counterparty = (
            allocation.owner_org if org == allocation.requester_org else allocation.requester_org
        )
        lines.append(
            {
                "date": allocation.used_on.isoformat(),
                "allocation_id": str(allocation.id),
                "booking_id": str(allocation.booking_id),
                "kind": allocation.kind,
                "category": allocation.category,
                "legal_basis": allocation.legal_basis,
                "state": allocation.state,
                "counterparty": counterparty,
                "entry": entry.entry,
                "line": entry.kind,
                "debit": str(entry.amount) if entry.side == "debit" else "0.00",
                "credit": str(entry.amount) if entry.side == "credit" else "0.00",
            }
        )
        if entry.side == "debit":
            debit += entry.amount
        else:
            credit += entry.amount
    closed = uow.session.scalar(
        select(Statement).where(Statement.org == org, Statement.period == period)
    )
    return {
        "org": org,
        "period": period,
        "from": first.isoformat(),
        "until": after.isoformat(),
        "currency": "EUR",
        "closed": closed is not None,
        "lines": lines,
        "totals": {"debit": str(debit), "credit": str(credit), "net": str(credit - debit)},
    }


CSV_COLUMNS = [
    "date",
    "allocation_id",
    "booking_id",
    "kind",
    "category",
    "legal_basis",
    "state",
    "counterparty",
    "entry",
    "line",
    "debit",
    "credit",
]


def to_csv(doc: dict[str, Any]) -> str:
    """Dutch spreadsheet conventions: ';' between fields, ',' as decimal separator, UTF-8 BOM
    so Excel reads the accents; totals on the last line."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for line in doc["lines"]:
        writer.writerow(
            [
                line[c].replace(".", ",") if c in ("debit", "credit") else line[c]
                for c in CSV_COLUMNS
            ]
        )
    totals = doc["totals"]
    writer.writerow(
        [
            "totaal",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            totals["debit"].replace(".", ","),
            totals["credit"].replace(".", ","),
        ]
    )
    return out.getvalue()


def close_statement(uow: UnitOfWork, *, principal: Principal, org: str, period: str) -> Statement:
    """Settle every reviewed allocation of ``org`` in ``period``; refused while some are open."""
    if not principal.has_role(FINANCE) or not may_see_org(principal, org):
        raise Forbidden(f"Only finance responsible for {org} closes its statements.")
    first, after = parse_period(period)
    session = uow.session
    in_period = and_(
        or_(Allocation.requester_org == org, Allocation.owner_org == org),
        Allocation.used_on >= first,
        Allocation.used_on < after,
    )
    if (
        session.scalar(select(Statement.id).where(Statement.org == org, Statement.period == period))
        is not None
    ):
        raise Conflict(f"The statement of {org} for {period} is already closed.")
    still_open = session.scalars(
        select(Allocation.id).where(in_period, Allocation.state.in_(OPEN_STATES))
    ).all()
    if still_open:
        raise Conflict(
            f"{len(still_open)} allocation(s) in {period} still need review.",
            allocations=[str(a) for a in still_open],
        )
    doc = statement(uow, principal=principal, org=org, period=period)
    row = Statement(
        id=uuid.uuid4(), org=org, period=period, totals=doc["totals"], closed_by=principal.sub
    )
    session.add(row)
    session.flush()
    for allocation in session.scalars(
        select(Allocation).where(in_period, Allocation.state.in_(SETTLEABLE)).with_for_update()
    ):
        allocation.state, allocation.statement_id = "settled", row.id
        allocation.version += 1
        _emit(uow, allocation, "costsharing.allocation.settled", statement_id=str(row.id))
    uow.add_event(
        event_type="costsharing.statement.closed",
        topic="costsharing.allocations",
        aggregate_type="statement",
        aggregate_id=str(row.id),
        data={
            "statement_id": str(row.id),
            "org": org,
            "period": period,
            "totals": doc["totals"],
            "closed_by": principal.sub,
        },
    )
    return row
