"""Cost-sharing 0002 on a database with data: statements closed before it get the ledger lines
they were closed with (their organisation and period, written before they closed), the
earliest closed first where two overlap; the figures they report are the ones they stored."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest

from shared.migrate import drop_database, ensure_database, upgrade
from shared.runtime import database_url
from shared.settings import sqlalchemy_url

pytestmark = pytest.mark.db

ORG, OTHER = "politie-csmig", "defensie-csmig"


@pytest.fixture
def at_0001(pg_admin_url: str) -> Iterator[str]:
    url = database_url(pg_admin_url, f"sk_csmig_{uuid.uuid4().hex[:8]}")
    ensure_database(url)
    try:
        upgrade("costsharing", sqlalchemy_url(url), "0001")
        yield url
    finally:
        drop_database(url)


def allocation(conn: psycopg.Connection, used_on: str) -> str:
    allocation_id = str(uuid.uuid4())
    conn.execute(
        "INSERT INTO allocations (id, booking_id, kind, source_event_id, state, requester_org, "
        "owner_org, category, legal_basis, usage_quantity, basis, used_on, version, "
        "occurred_at) VALUES (%s, %s, 'usage', 'evt', 'settled', %s, %s, 'helicopter', "
        "'bijstand_politiewet', 1, '{}', %s, 3, now())",
        (allocation_id, str(uuid.uuid4()), ORG, OTHER, used_on),
    )
    return allocation_id


def line(conn: psycopg.Connection, allocation_id: str, org: str, written: str) -> int:
    row = conn.execute(
        "INSERT INTO ledger_entries (allocation_id, org, side, kind, entry, amount, "
        "source_event_id, created_at) VALUES (%s, %s, 'debit', 'requester_share', "
        "'original', 100, 'evt', %s) RETURNING id",
        (allocation_id, org, written),
    ).fetchone()
    assert row is not None
    return int(row[0])


def statement(conn: psycopg.Connection, period: str, closed_at: str) -> str:
    statement_id = str(uuid.uuid4())
    conn.execute(
        "INSERT INTO statements (id, org, period, totals, closed_by, closed_at) "
        """VALUES (%s, %s, %s, '{"debit": "100.00", "credit": "0.00", "net": "-100.00"}', """
        "'finance-politie', %s)",
        (statement_id, ORG, period, closed_at),
    )
    return statement_id


def test_statements_closed_before_0002_hold_the_lines_they_were_closed_with(
    at_0001: str,
) -> None:
    with psycopg.connect(at_0001, autocommit=True) as conn:
        february, march, may, june = (
            allocation(conn, day)
            for day in ("2040-02-10", "2040-03-31", "2040-05-02", "2040-06-01")
        )
        in_q1 = line(conn, february, ORG, "2040-04-02T10:00:00+00")
        owners = line(conn, february, OTHER, "2040-04-02T10:00:00+00")  # another organisation
        too_late = line(conn, march, ORG, "2040-04-20T10:00:00+00")  # after Q1 closed
        in_may = line(conn, may, ORG, "2040-06-02T10:00:00+00")
        in_june = line(conn, june, ORG, "2040-07-02T10:00:00+00")
        quarter = statement(conn, "2040-Q1", "2040-04-15T09:00:00+00")
        # Overlapping closes were possible before 0002: the earlier one keeps the line.
        month = statement(conn, "2040-02", "2040-05-01T09:00:00+00")
        may_statement = statement(conn, "2040-05", "2040-06-05T09:00:00+00")
        year = statement(conn, "2040", "2041-01-10T09:00:00+00")
        # A period spelled in other digits (accepted before) gets no lines.
        statement(conn, "\u0662\u0660\u0663\u0669", "2041-01-10T09:00:00+00")

    upgrade("costsharing", sqlalchemy_url(at_0001))

    with psycopg.connect(at_0001, autocommit=True) as conn:
        held = dict(conn.execute("SELECT ledger_entry_id, statement_id::text FROM statement_lines"))
    assert held == {
        in_q1: quarter,  # not the February statement closed after it
        in_may: may_statement,
        too_late: year,  # written after Q1 closed, before the year did
        in_june: year,
    }
    assert owners not in held and month not in held.values()
