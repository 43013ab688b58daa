"""An allocation's amounts cannot be changed quietly: the database refuses an UPDATE of them
(as it refuses any UPDATE of a ledger line), and a resolution corrects by reversal and
correction lines only — the row keeps what it was priced at, the API shows the current
amounts, and those are what the ledger lines net to."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from decimal import Decimal

import psycopg
import pytest
from flask.testing import FlaskClient
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from services.costsharing.models import Allocation
from shared.db import make_engine, make_session_factory
from shared.migrate import drop_database, ensure_database, upgrade
from shared.runtime import database_url
from shared.settings import sqlalchemy_url
from tests.integration.costsharing_support import (
    CostsharingDB,
    at,
    completed,
    create_agreement,
    review,
    scoped_orgs,
    source_id,
)
from tests.integration.test_costsharing_migrations import allocation as old_allocation
from tests.support import auth

pytestmark = pytest.mark.db


def net(db: CostsharingDB, allocation_id: str, kind: str, adds: str) -> Decimal:
    return Decimal(
        db.scalar(
            "SELECT coalesce(sum(CASE WHEN side = :adds THEN amount ELSE -amount END), 0) "
            "FROM ledger_entries WHERE allocation_id = :a AND kind = :k",
            a=allocation_id,
            k=kind,
            adds=adds,
        )
    )


@pytest.mark.parametrize(
    "change", ["total = 0", "requester_amount = 0", "owner_amount = 1", "total = NULL"]
)
def test_the_database_refuses_to_change_an_allocations_amounts(
    cs: FlaskClient, db: CostsharingDB, change: str
) -> None:
    unit, owner = scoped_orgs()
    create_agreement(cs, owner_org=owner, requester_org=unit, valid_from="2026-01-01",
                     valid_to="2027-01-01")  # fmt: skip
    use = completed(requester_org=unit, owner_org=owner, usage="2.50",
                    start=at("2026-10-05T08:00"))  # fmt: skip
    db.apply(use)
    allocation_id = str(db.allocation(source_id(use))["id"])
    with pytest.raises(DBAPIError, match="amounts of .* are fixed"), db.engine.begin() as conn:
        conn.execute(text(f"UPDATE allocations SET {change} WHERE id = :a"), {"a": allocation_id})
    row = db.allocation(source_id(use))
    assert (row["total"], row["requester_amount"]) == (Decimal("11250.00"), Decimal("11250.00"))
    # Other columns still change (review moves the state).
    with db.engine.begin() as conn:
        conn.execute(
            text("UPDATE allocations SET version = version WHERE id = :a"), {"a": allocation_id}
        )


def test_a_resolution_writes_lines_and_the_row_keeps_its_priced_amounts(
    cs: FlaskClient, db: CostsharingDB
) -> None:
    unit, owner = scoped_orgs()
    create_agreement(cs, owner_org=owner, requester_org=unit, valid_from="2026-01-01",
                     valid_to="2027-01-01")  # fmt: skip
    use = completed(requester_org=unit, owner_org=owner, usage="2.50",
                    start=at("2026-10-06T08:00"))  # fmt: skip
    db.apply(use)
    allocation_id = str(db.allocation(source_id(use))["id"])
    review(cs, allocation_id, "dispute", persona="finance-politie", reason="Te veel")
    for amount in ("5000.00", "7000.00"):  # resolved, disputed again, resolved again
        resolved = review(
            cs, allocation_id, "resolve", reason="Na overleg", requester_amount=amount
        )
        assert resolved.status_code == 200, resolved.get_json()
        body = resolved.get_json()
        assert (body["total"], body["requester_amount"], body["owner_amount"]) == (
            "11250.00", amount, str(Decimal("11250.00") - Decimal(amount)))  # fmt: skip
        if amount == "5000.00":
            with db.engine.begin() as conn:  # a resolved allocation is not disputed again by
                conn.execute(  # the API; the test puts it back to check a second correction
                    text("UPDATE allocations SET state = 'disputed' WHERE id = :a"),
                    {"a": allocation_id},
                )
    row = db.allocation(source_id(use))
    assert (row["total"], row["requester_amount"], row["owner_amount"]) == (
        Decimal("11250.00"), Decimal("11250.00"), Decimal("0.00"))  # fmt: skip
    assert net(db, allocation_id, "requester_share", "debit") == Decimal("7000.00")
    assert net(db, allocation_id, "owner_borne", "debit") == Decimal("4250.00")
    assert net(db, allocation_id, "provision", "credit") == Decimal("11250.00")
    listed = cs.get(f"/api/v1/allocations?booking_id={source_id(use)}", headers=auth("controller"))
    assert listed.get_json()["items"][0]["requester_amount"] == "7000.00"


@pytest.fixture
def at_0005(pg_admin_url: str) -> Iterator[str]:
    url = database_url(pg_admin_url, f"sk_csfix_{uuid.uuid4().hex[:8]}")
    ensure_database(url)
    try:
        upgrade("costsharing", sqlalchemy_url(url), "0005")
        yield url
    finally:
        drop_database(url)


def test_the_migration_puts_amounts_changed_in_place_back_to_their_original_lines(
    at_0005: str,
) -> None:
    """Before 0006 a resolution rewrote the row's amounts; 0006 puts back what the original
    lines say it was priced at, and the current amounts still read the corrected split."""
    with psycopg.connect(at_0005, autocommit=True) as conn:
        resolved = old_allocation(conn, "2026-10-01")
        unpriced = old_allocation(conn, "2026-10-02")
        conn.execute(
            "UPDATE allocations SET total = 100, requester_amount = 40, owner_amount = 60 "
            "WHERE id IN (%s, %s)",
            (resolved, unpriced),
        )
        lines = [
            (resolved, "original", "debit", "requester_share", 100),
            (resolved, "original", "credit", "provision", 100),
            (resolved, "reversal", "credit", "requester_share", 100),
            (resolved, "reversal", "debit", "provision", 100),
            (resolved, "correction", "debit", "requester_share", 40),
            (resolved, "correction", "debit", "owner_borne", 60),
            (resolved, "correction", "credit", "provision", 100),
            (unpriced, "correction", "debit", "requester_share", 40),
            (unpriced, "correction", "debit", "owner_borne", 60),
            (unpriced, "correction", "credit", "provision", 100),
        ]
        for allocation_id, entry, side, kind, amount in lines:
            conn.execute(
                "INSERT INTO ledger_entries (allocation_id, org, side, kind, entry, amount, "
                "source_event_id) VALUES (%s, 'politie-csmig', %s, %s, %s, %s, 'evt')",
                (allocation_id, side, kind, entry, amount),
            )
    upgrade("costsharing", sqlalchemy_url(at_0005))
    engine = make_engine(sqlalchemy_url(at_0005))
    try:
        with make_session_factory(engine)() as session:
            for allocation_id, priced in ((resolved, (100, 100, 0)), (unpriced, (None,) * 3)):
                row = session.get(Allocation, uuid.UUID(allocation_id))
                assert row is not None
                stored = (row.priced_total, row.priced_requester_amount, row.priced_owner_amount)
                assert stored == tuple(None if p is None else Decimal(p) for p in priced)
                current = (row.total, row.requester_amount, row.owner_amount)
                assert current == (Decimal(100), Decimal(40), Decimal(60))
    finally:
        engine.dispose()
