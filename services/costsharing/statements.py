"""Period statements per organisation, from the ledger; JSON and spreadsheet-ready CSV."""

from __future__ import annotations

import csv
import io
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, insert, or_, select
from sqlalchemy.orm import Session

from services.costsharing.allocations import ALLOCATIONS_TOPIC, emit
from services.costsharing.commands import CloseStatement, StatementOf
from services.costsharing.domain import AWAITING_REVIEW, SETTLEABLE, State, parse_period
from services.costsharing.models import Allocation, LedgerEntry, Statement, StatementLine
from shared.auth import FINANCE, OWNER, PLANNER, Principal
from shared.db import UnitOfWork
from shared.errors import Conflict, Forbidden, Invalid


def may_see_org(principal: Principal, org: str) -> bool:
    if principal.is_joint:
        return True
    if principal.has_role(FINANCE) and principal.org == "politie-financien":
        return org.startswith("politie-")
    if principal.has_role(FINANCE) and principal.org == "defensie-financien":
        return org.startswith("defensie-")
    return principal.has_role(FINANCE, PLANNER, OWNER) and principal.org == org


def _period_of(period: str) -> tuple[date, date] | None:
    """The days a stored period covers. Periods closed before they had to be spelled in ASCII
    digits (another script's digits were read as those digits) are read as they were then."""
    try:
        return parse_period(period)
    except Invalid:
        ascii_ = "".join(
            str(unicodedata.decimal(c)) if unicodedata.decimal(c, None) is not None else c
            for c in period
        )
        try:
            return parse_period(ascii_)
        except Invalid:
            return None


@dataclass(frozen=True)
class _Line:
    entry: LedgerEntry
    allocation: Allocation
    statement_id: uuid.UUID | None  # the closed statement holding the line, if any


def _lines_of(session: Session, org: str, first: date, after: date) -> list[_Line]:
    """Every ledger line of ``org`` for uses in [first, after), with the closed statement that
    holds it; read in one statement, so what is totalled is what is recorded."""
    rows = session.execute(
        select(LedgerEntry, Allocation, StatementLine.statement_id)
        .join(Allocation, Allocation.id == LedgerEntry.allocation_id)
        .outerjoin(StatementLine, StatementLine.ledger_entry_id == LedgerEntry.id)
        .where(LedgerEntry.org == org, Allocation.used_on >= first, Allocation.used_on < after)
        .order_by(Allocation.used_on, LedgerEntry.id)
    ).all()
    return [_Line(entry, allocation, held_by) for entry, allocation, held_by in rows]


def _line_doc(org: str, line: _Line) -> dict[str, Any]:
    entry, allocation = line.entry, line.allocation
    counterparty = (
        allocation.owner_org if org == allocation.requester_org else allocation.requester_org
    )
    return {
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


def _totals(lines: list[_Line]) -> dict[str, str]:
    debit = sum((x.entry.amount for x in lines if x.entry.side == "debit"), Decimal("0.00"))
    credit = sum((x.entry.amount for x in lines if x.entry.side == "credit"), Decimal("0.00"))
    return {"debit": str(debit), "credit": str(credit), "net": str(credit - debit)}


def statement(uow: UnitOfWork, *, principal: Principal, query_in: StatementOf) -> dict[str, Any]:
    """An organisation's statement for a period (``statement_doc``), read in its own unit of
    work."""
    with uow:
        return statement_doc(
            uow.session, principal=principal, org=query_in.org, period=query_in.period
        )


def statement_doc(
    session: Session, *, principal: Principal, org: str, period: str
) -> dict[str, Any]:
    """Every ledger line of ``org`` for uses in ``period``, with totals equal to the ledger's.

    Once the period is closed, the statement is what it was closed with: the lines it held
    then and the totals stored at closing. Lines that reach the period afterwards (a use
    reported late, a correction) never change those figures; they are listed apart under
    ``after_closing`` with their own totals: what finance still has to settle (this statement
    does not, and no later statement takes them up by itself). A period that is not closed
    itself names under ``closed_in`` the closed statements that hold some of its days."""
    if not may_see_org(principal, org):
        raise Forbidden(f"You may not read the statement of {org}.")
    first, after = parse_period(period)
    found = _lines_of(session, org, first, after)
    closed = session.scalar(
        select(Statement).where(Statement.org == org, Statement.period == period)
    )
    doc: dict[str, Any] = {
        "org": org,
        "period": period,
        "from": first.isoformat(),
        "until": after.isoformat(),
        "currency": "EUR",
        "closed": closed is not None,
        "statement_id": str(closed.id) if closed else None,
        "closed_at": closed.closed_at.isoformat() if closed else None,
        "closed_by": closed.closed_by if closed else None,
    }
    if closed is None:
        # Not closed itself, but a closed statement may hold (some of) its days, e.g. a month
        # of a closed quarter: say which, so no one reads these lines as unsettled.
        overlapping = [
            {"id": str(other.id), "period": other.period}
            for other in _overlapping(session, org, first, after)
        ]
        return {
            **doc,
            "closed_in": overlapping,
            "lines": [_line_doc(org, x) for x in found],
            "totals": _totals(found),
            "after_closing": None,
        }
    held = [x for x in found if x.statement_id == closed.id]
    late = [x for x in found if x.statement_id is None]
    return {
        **doc,
        "lines": [_line_doc(org, x) for x in held],
        "totals": dict(closed.totals),
        "after_closing": {"lines": [_line_doc(org, x) for x in late], "totals": _totals(late)},
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


def _csv_row(line: dict[str, Any]) -> list[str]:
    return [line[c].replace(".", ",") if c in ("debit", "credit") else line[c] for c in CSV_COLUMNS]


def _csv_totals(label: str, totals: dict[str, str]) -> list[str]:
    blanks = [""] * (len(CSV_COLUMNS) - 3)
    return [label, *blanks, totals["debit"].replace(".", ","), totals["credit"].replace(".", ",")]


def to_csv(doc: dict[str, Any]) -> str:
    """Dutch spreadsheet conventions: ';' between fields, ',' as decimal separator, UTF-8 BOM
    so Excel reads the accents; the statement's totals after its lines. A closed statement
    then lists what reached its period after closing, under a 'na afsluiting' row, with its
    own totals on the last line (as ``after_closing`` in JSON)."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    writer.writerows(_csv_row(line) for line in doc["lines"])
    writer.writerow(_csv_totals("totaal", doc["totals"]))
    late = doc.get("after_closing")
    if late is not None:
        writer.writerow(["na afsluiting"] + [""] * (len(CSV_COLUMNS) - 1))
        writer.writerows(_csv_row(line) for line in late["lines"])
        writer.writerow(_csv_totals("totaal na afsluiting", late["totals"]))
    return out.getvalue()


def _overlapping(session: Session, org: str, first: date, after: date) -> list[Statement]:
    """The closed statements of ``org`` that hold a day of [first, after), oldest first."""
    return [
        other
        for other in session.scalars(
            select(Statement).where(Statement.org == org).order_by(Statement.closed_at)
        )
        if (days := _period_of(other.period)) and days[0] < after and first < days[1]
    ]


def close_statement(
    uow: UnitOfWork, *, principal: Principal, command: CloseStatement
) -> dict[str, Any]:
    """Settle every reviewed allocation of the organisation in the period, record the ledger
    lines the statement holds with their totals, and answer the closed statement: all in one
    transaction. Refused while some allocation is open, and when a closed statement of the
    organisation covers any day of the period (the same period, or a month of a closed
    quarter, a year around it...): a ledger line is in one closed statement at most."""
    org, period = command.org, command.period
    if not principal.has_role(FINANCE) or not may_see_org(principal, org):
        raise Forbidden(f"Only finance responsible for {org} closes its statements.")
    first, after = parse_period(period)
    with uow:
        session = uow.session
        # One close at a time: two overlapping periods closed side by side would both pass the
        # check below. Readers are not blocked (closing is rare, reading is not).
        session.connection().exec_driver_sql("LOCK TABLE statements IN SHARE ROW EXCLUSIVE MODE")
        _refuse_closed(session, org, period, first, after)
        in_period = and_(
            or_(Allocation.requester_org == org, Allocation.owner_org == org),
            Allocation.used_on >= first,
            Allocation.used_on < after,
        )
        lines = _settleable_lines(session, in_period, org, period, first, after)
        row = _record(session, principal, org, period, lines)
        _settle(uow, in_period, row)
        uow.add_event(
            event_type="costsharing.statement.closed",
            topic=ALLOCATIONS_TOPIC,
            aggregate_type="statement",
            aggregate_id=str(row.id),
            data={
                "statement_id": str(row.id),
                "org": org,
                "period": period,
                "totals": row.totals,
                "closed_by": principal.sub,
            },
        )
        closed = statement_doc(session, principal=principal, org=org, period=period)
        uow.commit()
    return closed


def _refuse_closed(session: Session, org: str, period: str, first: date, after: date) -> None:
    """409 when a closed statement of ``org`` is the period's or holds some of its days."""
    for other in session.scalars(
        select(Statement).where(Statement.org == org).order_by(Statement.closed_at)
    ):
        covered = _period_of(other.period)
        if other.period == period or (covered and covered[0] < after and first < covered[1]):
            what = (
                "is already closed"
                if other.period == period
                else f"overlaps {other.period}, already closed"
            )
            raise Conflict(
                f"The statement of {org} for {period} {what} (statement {other.id}, "
                f"closed {other.closed_at:%Y-%m-%d} by {other.closed_by}): a ledger line is in "
                "one closed statement only.",
                errors={"period": [f"Overlaps the closed statement for {other.period}."]},
                closed_statement={"id": str(other.id), "period": other.period},
            )


def _settleable_lines(
    session: Session, in_period: Any, org: str, period: str, first: date, after: date
) -> list[_Line]:
    """The period's ledger lines no closed statement holds; 409 while an allocation in it
    still awaits review.

    The period's allocations are locked before anything of them is read: a review (which
    locks its allocation) has then either committed, and its lines and state are read here,
    or waits for this close. Then the lines, then what is still open: an allocation that
    arrives in between is open and refuses the close, rather than being settled without its
    lines."""
    session.scalars(select(Allocation.id).where(in_period).with_for_update()).all()
    lines = [x for x in _lines_of(session, org, first, after) if x.statement_id is None]
    still_open = session.scalars(
        select(Allocation.id).where(
            in_period, Allocation.state.in_([s.value for s in AWAITING_REVIEW])
        )
    ).all()
    if still_open:
        raise Conflict(
            f"{len(still_open)} allocation(s) in {period} still need review.",
            errors={"period": ["Allocations in it still need review."]},
            allocations=[str(a) for a in still_open],
        )
    return lines


def _record(
    session: Session, principal: Principal, org: str, period: str, lines: list[_Line]
) -> Statement:
    """The closed statement with its totals, and the ledger lines it holds."""
    row = Statement(
        id=uuid.uuid4(), org=org, period=period, totals=_totals(lines), closed_by=principal.sub
    )
    session.add(row)
    session.flush()
    if lines:
        session.execute(
            insert(StatementLine),
            [{"ledger_entry_id": x.entry.id, "statement_id": row.id} for x in lines],
        )
    return row


def _settle(uow: UnitOfWork, in_period: Any, row: Statement) -> None:
    """Every approved or resolved allocation of the period is settled by the statement."""
    settleable = [s.value for s in SETTLEABLE]
    for allocation in uow.session.scalars(
        select(Allocation).where(in_period, Allocation.state.in_(settleable)).with_for_update()
    ):
        allocation.state, allocation.statement_id = State.SETTLED.value, row.id
        allocation.version += 1
        emit(uow, allocation, "costsharing.allocation.settled", statement_id=str(row.id))
