"""An allocation's amounts cannot be changed quietly: the database refuses an UPDATE of them
(as it refuses any UPDATE of a ledger line), and a resolution corrects by reversal and
correction lines only — the row keeps what it was priced at, the API shows the current
amounts, and those are what the ledger lines net to."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from flask.testing import FlaskClient
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from shared.settings import Settings
from tests.integration.costsharing_support import (
    CostsharingDB,
    at,
    completed,
    create_agreement,
    review,
    scoped_orgs,
    source_id,
)
from tests.support import auth

pytestmark = pytest.mark.db


@pytest.fixture(scope="module")
def db(settings: dict[str, Settings]) -> Iterator[CostsharingDB]:
    made = CostsharingDB(settings["costsharing"])
    yield made
    made.dispose()


@pytest.fixture(scope="module")
def cs(clients: dict[str, FlaskClient]) -> FlaskClient:
    return clients["costsharing"]


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
    assert listed.get_json()[0]["requester_amount"] == "7000.00"
