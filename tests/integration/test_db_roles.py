"""Least privilege: the role the services connect as (shared.migrate.APP_ROLE) reads and writes
rows, and nothing more. It cannot disable the ledger's triggers, change or remove a ledger
line, truncate, or change the schema; the owner that runs migrations can (so the refusals are
the role's). The whole suite runs the services as this role (tests/conftest.py: settings from
app_db_urls); cost-sharing works under it from event to statement and export."""

from __future__ import annotations

import json

import psycopg
import pytest
from flask.testing import FlaskClient
from psycopg import errors
from sqlalchemy import text

from services import registry
from services.costsharing.ledger_chain import verify
from shared.db import make_engine
from shared.migrate import APP_ROLE, ensure_app_role, grant_app_role
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
from tests.support import APP_PASSWORD, auth

pytestmark = pytest.mark.db

REFUSED = (
    "ALTER TABLE ledger_entries DISABLE TRIGGER ledger_append_only",
    "ALTER TABLE ledger_entries DISABLE TRIGGER ALL",
    "UPDATE ledger_entries SET amount = 0 WHERE id = (SELECT min(id) FROM ledger_entries)",
    "DELETE FROM ledger_entries WHERE id = (SELECT min(id) FROM ledger_entries)",
    "TRUNCATE ledger_entries CASCADE",
    "TRUNCATE outbox",
    "UPDATE allocations SET total = 0",
    "ALTER TABLE allocations DISABLE TRIGGER allocation_amounts_fixed",
    "DROP TRIGGER ledger_chain ON ledger_entries",
    "CREATE TABLE shadow (id int)",
    "ALTER TABLE allocations ADD COLUMN note text",
)


@pytest.fixture(scope="module")
def owner_url(db_urls: dict[str, str]) -> str:
    return db_urls["costsharing"]


@pytest.fixture(scope="module")
def app_url(owner_url: str, app_db_urls: dict[str, str]) -> str:
    """Cost-sharing's database as the services connect to it; the role created and granted
    twice more, as `slagkracht migrate` does on every run (idempotent). With a password, for
    an external server that asks for one over TCP."""
    for _ in range(2):
        ensure_app_role(owner_url, password=APP_PASSWORD)
        grant_app_role(owner_url)
    return app_db_urls["costsharing"]


@pytest.fixture(scope="module")
def export_as_app(app_url: str, cs: FlaskClient, db: CostsharingDB) -> list[str]:
    """A use priced, disputed and resolved through the suite's cost-sharing (which runs as the
    app role); the ledger exported."""
    unit, owner = scoped_orgs()
    create_agreement(cs, owner_org=owner, requester_org=unit, valid_from="2026-01-01",
                     valid_to="2027-01-01")  # fmt: skip
    use = completed(requester_org=unit, owner_org=owner, usage="2.50",
                    start=at("2026-10-07T08:00"))  # fmt: skip
    db.apply(use)
    allocation_id = str(db.allocation(source_id(use))["id"])
    review(cs, allocation_id, "dispute", persona="finance-politie", reason="Te veel")
    resolved = review(cs, allocation_id, "resolve", reason="Na overleg", requester_amount="1.00")
    assert resolved.status_code == 200, resolved.get_json()
    export = cs.get("/api/v1/ledger/export", headers=auth("controller"))
    assert export.status_code == 200
    return export.get_data(as_text=True).splitlines()


@pytest.mark.parametrize("service", registry.SERVICES)
def test_the_suites_services_connect_as_the_app_role_not_the_owner(
    settings: dict[str, Settings], db_urls: dict[str, str], service: str
) -> None:
    """The tests prove the services under least privilege: their settings (and so every
    client, worker and consumer the fixtures build) name the app role; the owner is another."""
    for url, expected in ((settings[service].database_url, True), (db_urls[service], False)):
        engine = make_engine(sqlalchemy_url(url), pool_size=1)
        try:
            with engine.connect() as conn:
                user = conn.execute(text("SELECT current_user")).scalar_one()
        finally:
            engine.dispose()
        assert (user == APP_ROLE) is expected, (service, url, user)


def test_cost_sharing_works_as_the_app_role(db: CostsharingDB, export_as_app: list[str]) -> None:
    assert db.scalar("SELECT current_user") == APP_ROLE
    assert {json.loads(x).get("entry") for x in export_as_app[1:]} >= {"reversal", "correction"}
    assert verify(export_as_app) is None


@pytest.mark.parametrize("statement", REFUSED)
def test_the_app_role_cannot_change_the_schema_the_triggers_or_the_ledger(
    app_url: str, owner_url: str, export_as_app: list[str], statement: str
) -> None:
    with psycopg.connect(app_url) as conn, pytest.raises(errors.InsufficientPrivilege):
        conn.execute(statement)
    # Not so for the owner (the refusal is the role's), where no trigger stands in the way;
    # rolled back either way.
    if "total = 0" in statement or statement.startswith(("UPDATE ledger", "DELETE", "TRUNCATE")):
        return  # the triggers refuse these to everyone: tests/integration/test_ledger_chain.py
    with psycopg.connect(owner_url) as conn:
        conn.execute(statement)
        conn.rollback()
