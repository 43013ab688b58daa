"""The ledger's hash chain against the real PostgreSQL: every line the database writes is
linked (a review's insert, the batch consumer's bulk insert, concurrent writers); the
controller's export verifies offline and stops verifying once a line is changed, removed or
reordered; migration 0005 links the lines written before it, in id order."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
import pytest
from flask.testing import FlaskClient

from services.cli import main as cli
from services.costsharing.ledger_chain import verify
from services.costsharing.ledger_export import export_lines
from shared.db import make_engine, make_session_factory
from shared.migrate import drop_database, ensure_database, upgrade
from shared.runtime import database_url
from shared.settings import Settings, sqlalchemy_url
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
from tests.integration.test_costsharing_migrations import line as old_line
from tests.support import assert_problem, auth

pytestmark = pytest.mark.db


@pytest.fixture(scope="module")
def ledger(cs: FlaskClient, db: CostsharingDB) -> None:
    """Ledger lines of every kind: originals of a batch of uses, then a reversal and a
    correction by review."""
    unit, owner = scoped_orgs()
    create_agreement(cs, owner_org=owner, requester_org=unit, requester_share_pct="50",
                     valid_from="2026-01-01", valid_to="2027-01-01")  # fmt: skip
    uses = [
        completed(
            requester_org=unit,
            owner_org=owner,
            usage="2.00",
            start=at("2026-09-01T08:00") + timedelta(days=day),
        )  # fmt: skip
        for day in range(3)
    ]
    db.apply(*uses)
    allocation_id = db.allocation(source_id(uses[0]))["id"]
    review(cs, allocation_id, "dispute", persona="finance-politie", reason="Te veel")
    resolved = review(cs, allocation_id, "resolve", reason="Gecorrigeerd", requester_amount="1.00")
    assert resolved.status_code == 200, resolved.get_json()


def this_month() -> str:
    return datetime.now(ZoneInfo("Europe/Amsterdam")).strftime("%Y-%m")


def export_api(cs: FlaskClient, period: str | None = None) -> list[str]:
    url = "/api/v1/ledger/export" + (f"?period={period}" if period else "")
    response = cs.get(url, headers=auth("controller"))
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/x-ndjson"
    return response.get_data(as_text=True).splitlines()


def test_the_controllers_export_verifies_and_every_line_is_linked(
    cs: FlaskClient, db: CostsharingDB, ledger: None
) -> None:
    lines = export_api(cs)
    head = json.loads(lines[0])
    entries = [json.loads(x) for x in lines[1:]]
    assert head["entries"] == len(entries) == db.scalar("SELECT count(*) FROM ledger_entries")
    assert [e["chain_seq"] for e in entries] == list(range(1, len(entries) + 1))
    assert {e["entry"] for e in entries} >= {"original", "reversal", "correction"}
    assert verify(lines) is None
    # A period's export: the run of the chain written in it (this month's ends at the head).
    month = export_api(cs, this_month())
    assert verify(month) is None and json.loads(month[0])["period"] == this_month()
    assert json.loads(month[-1]) == entries[-1]
    assert json.loads(export_api(cs, "2001-01")[0])["entries"] == 0


def test_a_changed_removed_or_swapped_line_of_a_real_export_fails(
    cs: FlaskClient, ledger: None
) -> None:
    lines = export_api(cs)
    for index in (1, len(lines) // 2, len(lines) - 1):
        entry = json.loads(lines[index])
        for field, value in entry.items():
            changed = {**entry, field: value + 1 if isinstance(value, int) else value + "0"}
            tampered = [*lines[:index], json.dumps(changed), *lines[index + 1 :]]
            finding = verify(tampered)
            assert finding is not None, (index, field)
        assert verify([*lines[:index], *lines[index + 1 :]]) is not None, index
    swapped = [lines[0], lines[2], lines[1], *lines[3:]]
    finding = verify(swapped)
    assert finding is not None and "reordered" in finding.problem


def test_only_the_joint_controller_exports(cs: FlaskClient, ledger: None) -> None:
    for persona in ("finance-politie", "finance-defensie", "admin", "planner-rotterdam"):
        response = cs.get("/api/v1/ledger/export", headers=auth(persona))
        assert_problem(response, 403)
    assert_problem(cs.get("/api/v1/ledger/export?period=2026-Q5", headers=auth("controller")), 422)


def test_the_command_line_exports_and_names_the_first_changed_entry(
    settings: dict[str, Settings],
    ledger: None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("COSTSHARING_DATABASE_URL", settings["costsharing"].database_url)
    export = tmp_path / "ledger.jsonl"
    assert cli(["ledger", "export", "--period", this_month(), "-o", str(export)]) == 0
    assert cli(["ledger", "verify", str(export)]) == 0
    assert "intact" in capsys.readouterr().out
    lines = export.read_text().splitlines()
    second = json.loads(lines[2])
    lines[2] = json.dumps({**second, "amount": "0.01"})
    export.write_text("\n".join(lines) + "\n")
    assert cli(["ledger", "verify", str(export)]) == 1
    assert f"entry {second['chain_seq']} was changed" in capsys.readouterr().err


def test_concurrent_writers_keep_one_unbroken_chain(
    cs: FlaskClient, db: CostsharingDB, ledger: None
) -> None:
    """Writers that insert at the same moment take turns: no two lines share a place, none
    links to a line that another writer also follows."""
    allocation_id = db.rows("SELECT id::text AS id FROM allocations LIMIT 1")[0]["id"]
    writers, lines_each = 6, 5
    start = threading.Barrier(writers)
    failures: list[BaseException] = []
    engine = make_engine(db.settings.database_url, pool_size=writers)

    def write() -> None:
        try:
            with engine.begin() as conn:
                start.wait(timeout=60)
                for _ in range(lines_each):
                    conn.exec_driver_sql(
                        "INSERT INTO ledger_entries (allocation_id, org, side, kind, entry, "
                        "amount, source_event_id) VALUES (%(a)s, 'politie-concurrent', 'debit', "
                        "'requester_share', 'original', 1, %(e)s)",
                        {"a": allocation_id, "e": str(uuid.uuid4())},
                    )
        except BaseException as exc:  # reported below, in the test's thread
            failures.append(exc)

    before = db.scalar("SELECT count(*) FROM ledger_entries")
    threads = [threading.Thread(target=write) for _ in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    engine.dispose()
    assert not failures, failures
    lines = export_api(cs)
    assert len(lines) - 1 == before + writers * lines_each
    assert verify(lines) is None


@pytest.fixture
def at_0004(pg_admin_url: str) -> Iterator[str]:
    url = database_url(pg_admin_url, f"sk_cschain_{uuid.uuid4().hex[:8]}")
    ensure_database(url)
    try:
        upgrade("costsharing", sqlalchemy_url(url), "0004")
        yield url
    finally:
        drop_database(url)


def test_the_migration_links_the_lines_written_before_it_in_id_order(at_0004: str) -> None:
    with psycopg.connect(at_0004, autocommit=True) as conn:
        first = old_allocation(conn, "2026-10-01")
        ids = [
            old_line(conn, first, "politie-csmig", f"2026-10-0{day}T10:00Z") for day in (3, 1, 2)
        ]
    upgrade("costsharing", sqlalchemy_url(at_0004))
    with psycopg.connect(at_0004, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT id, chain_seq FROM ledger_entries ORDER BY chain_seq"
        ).fetchall()
        assert [(r[0], r[1]) for r in rows] == list(zip(ids, (1, 2, 3), strict=True))
        # New lines link on from there.
        old_line(conn, first, "politie-csmig", datetime.now(UTC).isoformat())
    engine = make_engine(sqlalchemy_url(at_0004))
    try:
        with make_session_factory(engine)() as session:
            lines = list(export_lines(session))
    finally:
        engine.dispose()
    assert json.loads(lines[0])["entries"] == 4
    assert verify(lines) is None
