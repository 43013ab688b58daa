"""Least privilege: the role the services connect as (shared.migrate.APP_ROLE) reads and writes
rows, and nothing more. It cannot disable the ledger's triggers, change or remove a ledger
line, truncate, or change the schema; the owner that runs migrations can (so the refusals are
the role's). Cost-sharing works under it from event to statement and export."""

from __future__ import annotations

import json
from collections.abc import Iterator

import psycopg
import pytest
from flask.testing import FlaskClient
from psycopg import errors

from services import registry
from services.costsharing.ledger_chain import verify
from shared.migrate import app_database_url, ensure_app_role, grant_app_role
from shared.runtime import Broker
from shared.settings import Settings
from tests.conftest import make_settings
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

PASSWORD = "slagkracht-app-test"
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
def app_url(owner_url: str, clients: dict[str, FlaskClient]) -> str:
    """Cost-sharing's database with a ledger line in it, and the role granted as a migration
    run leaves it."""
    # Twice: idempotent, as `slagkracht migrate` runs them every time. A password, for an
    # external server that asks for one over TCP.
    for _ in range(2):
        ensure_app_role(owner_url, password=PASSWORD)
        grant_app_role(owner_url)
    return app_database_url(owner_url, password=PASSWORD)


@pytest.fixture(scope="module")
def app_settings(
    db_urls: dict[str, str], app_url: str, broker: Broker, topic_prefix: str
) -> Settings:
    return make_settings("costsharing", {**db_urls, "costsharing": app_url}, broker, topic_prefix)


@pytest.fixture(scope="module")
def as_app(app_settings: Settings) -> Iterator[tuple[FlaskClient, CostsharingDB]]:
    app = registry.app_factory("costsharing")(
        {"SLAGKRACHT_SETTINGS": app_settings, "TESTING": True}
    )
    db = CostsharingDB(app_settings)
    yield app.test_client(), db
    db.dispose()


@pytest.fixture(scope="module")
def export_as_app(as_app: tuple[FlaskClient, CostsharingDB]) -> list[str]:
    """A use priced, disputed and resolved as the app role; the ledger exported."""
    cs, db = as_app
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


def test_cost_sharing_works_as_the_app_role(
    as_app: tuple[FlaskClient, CostsharingDB], export_as_app: list[str]
) -> None:
    assert as_app[1].scalar("SELECT current_user") == "slagkracht_app"
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
