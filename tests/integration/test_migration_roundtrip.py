"""Every migration can be undone: each service goes up, down to base and up again, unchanged.

test_migrations.py compares the migrated schema with the models, which says nothing about
downgrades. Here each service gets its own fresh database, and the catalog's view of the public
schema (tables and columns, indexes, constraints, triggers, functions, sequences, types,
operators) plus the installed extensions is compared before and after:

- up to head, down to base, up to head: base is the database as it was created (only
  alembic_version is left), and the second head is identical to the first;
- one revision at a time, up from base to head, down again and up again: every downgrade on its
  own returns the schema its down_revision built, and every upgrade after it builds the same.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from alembic.script import ScriptDirectory

from services import registry
from shared.migrate import alembic_config, downgrade, drop_database, ensure_database, upgrade
from shared.runtime import database_url
from shared.settings import sqlalchemy_url

pytestmark = pytest.mark.db

Snapshot = dict[str, list[tuple[Any, ...]]]

# Each query lists one kind of object; rows are sorted in Python, so the order here is free.
# Extension members are included on purpose: a downgrade that leaves an extension behind leaves
# its functions, types and operators in public too.
SCHEMA_QUERIES: dict[str, str] = {
    "schemas": """
        SELECT nspname FROM pg_namespace
        WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema'
    """,
    "extensions": """
        SELECT extname, extversion, extnamespace::regnamespace::text FROM pg_extension
    """,
    # Tables, indexes, sequences, views, composite types: anything with a pg_class row.
    "relations": """
        SELECT relname, relkind::text FROM pg_class
        WHERE relnamespace = 'public'::regnamespace
    """,
    "columns": """
        SELECT c.relname, a.attnum, a.attname, format_type(a.atttypid, a.atttypmod),
               a.attnotnull, pg_get_expr(d.adbin, d.adrelid), a.attgenerated::text,
               a.attidentity::text
        FROM pg_attribute a
        JOIN pg_class c ON c.oid = a.attrelid
        LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
          AND a.attnum > 0 AND NOT a.attisdropped
    """,
    "indexes": """
        SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'
    """,
    "constraints": """
        SELECT conrelid::regclass::text, conname, contype::text, pg_get_constraintdef(oid)
        FROM pg_constraint WHERE connamespace = 'public'::regnamespace
    """,
    "triggers": """
        SELECT t.tgrelid::regclass::text, t.tgname, pg_get_triggerdef(t.oid)
        FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
        WHERE c.relnamespace = 'public'::regnamespace AND NOT t.tgisinternal
    """,
    # prosrc rather than pg_get_functiondef, which refuses aggregates.
    "functions": """
        SELECT proname, pg_get_function_identity_arguments(oid), prokind::text,
               prorettype::regtype::text, prosrc
        FROM pg_proc WHERE pronamespace = 'public'::regnamespace
    """,
    "sequences": """
        SELECT sequencename, data_type::text, start_value, increment_by, min_value, max_value,
               cycle
        FROM pg_sequences WHERE schemaname = 'public'
    """,
    "types": """
        SELECT typname, typtype::text FROM pg_type WHERE typnamespace = 'public'::regnamespace
    """,
    "operators": """
        SELECT oprname, oprleft::regtype::text, oprright::regtype::text FROM pg_operator
        WHERE oprnamespace = 'public'::regnamespace
    """,
    "operator_classes": """
        SELECT opcname, opcmethod::text FROM pg_opclass
        WHERE opcnamespace = 'public'::regnamespace
    """,
}


def snapshot(url: str) -> Snapshot:
    """The schema as the catalogs describe it, each kind of object as a sorted list of rows."""
    with psycopg.connect(url, autocommit=True) as conn:
        return {
            kind: sorted(conn.execute(query).fetchall(), key=repr)
            for kind, query in SCHEMA_QUERIES.items()
        }


def assert_same(expected: Snapshot, actual: Snapshot, context: str) -> None:
    """Per kind of object, what is missing and what is extra (a readable failure, not a wall
    of two snapshots)."""
    differences = {}
    for kind in SCHEMA_QUERIES:
        missing = sorted(set(expected[kind]) - set(actual[kind]), key=repr)
        extra = sorted(set(actual[kind]) - set(expected[kind]), key=repr)
        if missing or extra or expected[kind] != actual[kind]:
            differences[kind] = {"missing": missing, "extra": extra}
    assert not differences, f"{context}: schema differs: {differences}"


def current_revision(url: str) -> str | None:
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    return row[0] if row else None


def assert_back_to_fresh(url: str, fresh: Snapshot, context: str) -> None:
    """At base only alembic_version may be left; without it the database is as it was
    created (no leftover function, trigger, type, sequence, operator or extension)."""
    assert current_revision(url) is None, context
    tables = snapshot(url)["relations"]
    assert [name for name, kind in tables if kind in ("r", "p")] == ["alembic_version"], (
        f"{context}: tables left at base: {tables}"
    )
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP TABLE alembic_version")
    assert_same(fresh, snapshot(url), context)


def revisions(service: str, url: str) -> list[tuple[str, str]]:
    """(revision, down_revision or "base") from the first revision to head (one chain)."""
    script = ScriptDirectory.from_config(alembic_config(service, url))
    assert len(script.get_heads()) == 1, f"{service}: more than one head"
    chain = []
    for rev in script.walk_revisions():
        assert isinstance(rev.down_revision, str | None), f"{service}: merge at {rev.revision}"
        chain.append((rev.revision, rev.down_revision or "base"))
    return chain[::-1]


@pytest.fixture
def fresh_database(pg_admin_url: str, request: pytest.FixtureRequest) -> Iterator[str]:
    """An empty database of its own (libpq URL), dropped after the test whatever happened."""
    url = database_url(pg_admin_url, f"sk_rt_{uuid.uuid4().hex[:8]}_{request.node.callspec.id}")
    ensure_database(url)
    try:
        yield url
    finally:
        drop_database(url)


@pytest.mark.parametrize("service", registry.SERVICES)
def test_up_down_to_base_and_up_again(service: str, fresh_database: str) -> None:
    url, alembic_url = fresh_database, sqlalchemy_url(fresh_database)
    fresh = snapshot(url)

    upgrade(service, alembic_url)
    head = snapshot(url)
    # Guards the comparisons against comparing nothing.
    assert len([kind for _, kind in head["relations"] if kind == "r"]) > 3, head["relations"]

    downgrade(service, alembic_url)
    assert_back_to_fresh(url, fresh, f"{service} at base")

    upgrade(service, alembic_url)
    assert_same(head, snapshot(url), f"{service} at head again")


@pytest.mark.parametrize("service", registry.SERVICES)
def test_every_revision_steps_down_and_up(service: str, fresh_database: str) -> None:
    url, alembic_url = fresh_database, sqlalchemy_url(fresh_database)
    fresh = snapshot(url)
    chain = revisions(service, alembic_url)

    schemas: dict[str, Snapshot] = {}
    for revision, _ in chain:
        upgrade(service, alembic_url, revision)
        assert current_revision(url) == revision
        schemas[revision] = snapshot(url)

    for revision, down_revision in reversed(chain):
        downgrade(service, alembic_url, down_revision)
        context = f"{service}: downgrade of {revision} to {down_revision}"
        if down_revision == "base":
            assert_back_to_fresh(url, fresh, context)
        else:
            assert current_revision(url) == down_revision, context
            assert_same(schemas[down_revision], snapshot(url), context)

    for revision, _ in chain:
        upgrade(service, alembic_url, revision)
        assert current_revision(url) == revision
        assert_same(schemas[revision], snapshot(url), f"{service}: {revision} again")
