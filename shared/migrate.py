"""Alembic per service: every service keeps its own ``migrations/`` folder and database."""

from __future__ import annotations

import logging
from pathlib import Path

import psycopg
from alembic import command, context
from alembic.config import Config
from sqlalchemy import Connection, create_engine, pool
from sqlalchemy.engine import make_url

from shared.db import OUTBOX_CHANNEL

log = logging.getLogger(__name__)

SERVICES_DIR = Path(__file__).resolve().parents[1] / "services"


def alembic_config(service: str, database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(SERVICES_DIR / service / "migrations"))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    config.attributes["configure_logger"] = False
    return config


def upgrade(service: str, database_url: str, revision: str = "head") -> None:
    """Bring one service's database to ``revision`` (idempotent)."""
    command.upgrade(alembic_config(service, database_url), revision)


def downgrade(service: str, database_url: str, revision: str = "base") -> None:
    """Take one service's database back to ``revision``: "base" (nothing left but
    alembic_version), a revision id, or a relative step such as "-1"."""
    command.downgrade(alembic_config(service, database_url), revision)


def ensure_database(database_url: str) -> None:
    """Create the URL's database on its server if it does not exist yet."""
    url = make_url(database_url)
    name = url.database
    admin = url.set(drivername="postgresql", database="postgres")
    conninfo = admin.render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
            log.info("created database %s", name)


def drop_database(database_url: str) -> None:
    url = make_url(database_url)
    admin = url.set(drivername="postgresql", database="postgres")
    with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)')


# Least privilege: the services run as APP_ROLE, which reads and writes rows and nothing more.
# It owns no table, so it cannot ALTER (nor DISABLE TRIGGER), DROP or TRUNCATE one, and in
# PostgreSQL 15+ creates nothing in the public schema; where a table is append-only it cannot
# UPDATE or DELETE a row either, whatever the trigger. Migrations run as the owner.
APP_ROLE = "slagkracht_app"
APPEND_ONLY_TABLES = ("ledger_entries",)


def ensure_app_role(database_url: str, role: str = APP_ROLE, password: str | None = None) -> None:
    """Create the login role the services connect as, if the server does not have it; with a
    ``password``, the role's password is that one afterwards."""
    from psycopg import sql

    with psycopg.connect(_libpq(database_url), autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone():
            conn.execute(
                sql.SQL("CREATE ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE").format(
                    sql.Identifier(role)
                )
            )
            log.info("created role %s", role)
        if password is not None:
            conn.execute(
                sql.SQL("ALTER ROLE {} PASSWORD {}").format(
                    sql.Identifier(role), sql.Literal(password)
                )
            )


def grant_app_role(database_url: str, role: str = APP_ROLE) -> None:
    """Give ``role`` what a service needs at run time in this (migrated) database: rows in
    every table, its sequences and functions; append-only tables only SELECT and INSERT.
    Idempotent; run after every migration, since new tables come with new revisions."""
    from psycopg import sql

    ident = sql.Identifier(role)
    with psycopg.connect(_libpq(database_url), autocommit=True) as conn:
        name = conn.execute("SELECT current_database()").fetchone()
        assert name is not None
        for statement in (
            "GRANT CONNECT, TEMPORARY ON DATABASE {db} TO {role}",
            "GRANT USAGE ON SCHEMA public TO {role}",
            # PostgreSQL 15+ no longer lets PUBLIC create in the public schema; older ones do.
            "REVOKE CREATE ON SCHEMA public FROM PUBLIC, {role}",
            "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}",
            "GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {role}",
            "GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO {role}",
        ):
            conn.execute(sql.SQL(statement).format(db=sql.Identifier(name[0]), role=ident))
        for table in APPEND_ONLY_TABLES:
            if conn.execute("SELECT to_regclass(%s)", (f"public.{table}",)).fetchone() != (None,):
                conn.execute(
                    sql.SQL("REVOKE UPDATE, DELETE, TRUNCATE ON {} FROM {}").format(
                        sql.Identifier(table), ident
                    )
                )


def app_database_url(database_url: str, role: str = APP_ROLE, password: str | None = None) -> str:
    """``database_url`` with ``role`` (and its password) in place of the owner."""
    url = make_url(database_url).set(username=role, password=password)
    return url.render_as_string(hide_password=False)


def _libpq(database_url: str) -> str:
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


# The kit tables as every service's 0001 creates them: literal DDL, frozen from what
# ``shared.db.kit_metadata`` declared, so a later change to those Table objects cannot alter
# what an old revision builds (tests/integration/test_migrations.py reports any drift).
KIT_TABLES = (
    """
    CREATE TABLE idempotency_keys (
        actor TEXT NOT NULL,
        key TEXT NOT NULL,
        request_hash TEXT NOT NULL,
        status_code INTEGER NOT NULL,
        response_body JSONB NOT NULL,
        created_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL,
        PRIMARY KEY (actor, key)
    )
    """,
    """
    CREATE TABLE outbox (
        id BIGSERIAL NOT NULL,
        event_id UUID NOT NULL,
        topic TEXT NOT NULL,
        aggregate_type TEXT NOT NULL,
        aggregate_id TEXT NOT NULL,
        event_type TEXT NOT NULL,
        payload JSONB NOT NULL,
        occurred_at TIMESTAMP WITH TIME ZONE NOT NULL,
        published_at TIMESTAMP WITH TIME ZONE,
        PRIMARY KEY (id),
        UNIQUE (event_id)
    )
    """,
    "CREATE INDEX ix_outbox_occurred_at ON outbox (occurred_at)",
    "CREATE INDEX ix_outbox_unpublished ON outbox (id) WHERE published_at IS NULL",
    """
    CREATE TABLE processed_messages (
        consumer TEXT NOT NULL,
        event_id UUID NOT NULL,
        topic TEXT NOT NULL,
        processed_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL,
        PRIMARY KEY (consumer, event_id)
    )
    """,
)


def create_kit_tables(connection: Connection) -> None:
    """The outbox, dedupe and idempotency tables, and the trigger that wakes the relay."""
    for statement in KIT_TABLES:
        connection.exec_driver_sql(statement)
    connection.exec_driver_sql(
        f"""
        CREATE OR REPLACE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN PERFORM pg_notify('{OUTBOX_CHANNEL}', ''); RETURN NULL; END $$;
        CREATE TRIGGER outbox_notify AFTER INSERT ON outbox
            FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify();
        """
    )


# The inverse of create_kit_tables, frozen like KIT_TABLES. Each table takes its own indexes,
# keys and BIGSERIAL sequence with it; no CASCADE, so an object that something else still
# depends on stops the downgrade instead of silently taking that with it.
KIT_DROPS = (
    "DROP TRIGGER IF EXISTS outbox_notify ON outbox",
    "DROP FUNCTION IF EXISTS outbox_notify()",
    "DROP TABLE IF EXISTS processed_messages",
    "DROP TABLE IF EXISTS outbox",
    "DROP TABLE IF EXISTS idempotency_keys",
)


def drop_kit_tables(connection: Connection) -> None:
    """Undo create_kit_tables (every service's 0001 downgrade)."""
    for statement in KIT_DROPS:
        connection.exec_driver_sql(statement)


def run_env() -> None:
    """Body of every service's ``migrations/env.py`` (online mode only)."""
    url = context.config.get_main_option("sqlalchemy.url")
    assert url, "sqlalchemy.url is not configured"
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, transaction_per_migration=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()
