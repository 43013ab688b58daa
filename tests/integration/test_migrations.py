"""Models and migrations agree: a freshly migrated database has what the models declare.

The migrations are literal DDL (frozen, they no longer import the models), so a model change
without a migration, or a migration without the model change, shows up here: alembic's
``compare_metadata`` compares each service's models (and the kit tables of shared.db) with the
session's migrated database: tables, columns (type, nullability, server default), primary and
unique keys, foreign keys and indexes. It does not compare CHECK or exclusion constraints,
triggers or functions; those live only in the migrations.

The only differences allowed are the indexes below, which migrations create in raw SQL
(GiST/GIN, partial, expression and covering indexes, and plain ones added for query plans) and
the models do not declare. Each is listed by name so that a new one is a conscious decision.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import (
    Column,
    Connection,
    DefaultClause,
    Integer,
    MetaData,
    Numeric,
    create_engine,
    pool,
)

from services import registry
from shared.db import kit_metadata
from shared.settings import load_settings

pytestmark = [pytest.mark.db]

# Indexes only the migrations create (raw SQL), per service: (table, index).
MIGRATION_ONLY_INDEXES: dict[str, set[tuple[str, str]]] = {
    "catalog": {
        ("assets", "ix_assets_category"),  # 0001
        ("assets", "ix_assets_regions"),  # 0001, GIN on the regions array
        ("assets", "ix_assets_name_lower"),  # 0002, expression (lower(name), id)
        ("assets", "ix_assets_owner"),  # 0002
        ("assets", "ix_assets_name_trgm"),  # 0003, trigram GIN
        ("assets", "ix_assets_registration_trgm"),  # 0003, trigram GIN
        ("assets", "ix_assets_category_name"),  # 0003, expression
        ("assets", "ix_assets_owner_name"),  # 0003, expression
        ("assets", "ix_assets_name_search"),  # 0004, expression, covering (INCLUDE)
        ("assets", "ix_assets_category_created"),  # 0005
    },
    "booking": {
        ("bookings", "ix_bookings_active"),  # 0001, partial GiST
        ("bookings", "ix_bookings_requester"),  # 0001
        ("bookings", "ix_bookings_owner"),  # 0001
        ("bookings", "ix_bookings_expiry"),  # 0001, partial
        ("asset_view", "ix_asset_view_search"),  # 0003
        ("orders", "ix_orders_contract"),  # 0003
        ("bookings", "ix_bookings_active_span"),  # 0007, partial GiST on an expression
        ("asset_windows", "ix_asset_windows_span"),  # 0004, GiST with INCLUDE
        ("asset_view", "ix_asset_view_regions"),  # 0006, GIN on the regions array
        ("bookings", "ix_bookings_decide_by"),  # 0008, partial (the escalation sweep)
        ("bookings", "ix_bookings_holds"),  # 0008, partial (the hold expiry sweep)
        ("bookings", "ix_bookings_public_register"),  # 0009, partial (completed uses)
        ("asset_windows", "ix_asset_windows_asset_upper"),  # 0010, expression with INCLUDE
    },
    "costsharing": {
        ("allocations", "ix_allocations_used_on"),  # 0008 (the national figures)
        ("booking_facts", "ix_booking_facts_requested_at"),  # 0008
        ("ledger_entries", "ix_ledger_entries_corrections"),  # 0008, partial
    },
    "notify": set(),
}


def models_metadata(service: str) -> MetaData:
    """The kit tables and the service's models in one MetaData (what the migrations build)."""
    combined = MetaData()
    models = importlib.import_module(f"services.{service}.models")
    for metadata in (kit_metadata, models.Base.metadata):
        for table in metadata.tables.values():
            table.to_metadata(combined)
    return combined


def differences(connection: Connection, metadata: MetaData) -> set[tuple[str, ...]]:
    """compare_metadata's findings as (kind, table, object) triples, column changes ungrouped."""
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "compare_server_default": True}
    )
    found: set[tuple[str, ...]] = set()
    for entry in compare_metadata(context, metadata):
        for diff in entry if isinstance(entry, list) else [entry]:
            found.add(describe(diff))
    return found


def describe(diff: tuple[Any, ...]) -> tuple[str, ...]:
    kind = diff[0]
    if kind in ("add_table", "remove_table"):
        return (kind, diff[1].name, "")
    if kind in ("add_column", "remove_column"):
        return (kind, diff[2], diff[3].name)
    if kind.startswith("modify_"):
        return (kind, diff[2], diff[3])
    if kind in ("add_index", "remove_index"):
        return (kind, diff[1].table.name, diff[1].name)
    if kind in ("add_constraint", "remove_constraint"):
        return (kind, diff[1].table.name, str(diff[1].name))
    if kind in ("add_fk", "remove_fk"):
        return (kind, diff[1].parent.name, str(diff[1].name))
    return (kind, repr(diff[1:]), "")


@pytest.fixture(scope="module")
def connections(db_urls: dict[str, str]) -> Iterator[dict[str, Connection]]:
    engines = {
        s: create_engine(
            load_settings(s, {"DATABASE_URL": url}).database_url, poolclass=pool.NullPool
        )
        for s, url in db_urls.items()
    }
    opened = {s: engine.connect() for s, engine in engines.items()}
    yield opened
    for s, connection in opened.items():
        connection.close()
        engines[s].dispose()


@pytest.mark.parametrize("service", registry.SERVICES)
def test_migrated_schema_matches_the_models(
    service: str, connections: dict[str, Connection]
) -> None:
    found = differences(connections[service], models_metadata(service))
    expected = {("remove_index", table, name) for table, name in MIGRATION_ONLY_INDEXES[service]}
    assert sorted(found - expected) == [], f"{service}: models and migrations differ"
    # A listed index that no migration creates any more (or that a model now declares) is
    # stale: take it off the list.
    assert sorted(expected - found) == [], f"{service}: stale entries in MIGRATION_ONLY_INDEXES"


def test_the_comparison_sees_drift(connections: dict[str, Connection]) -> None:
    """Guards the test above against comparing nothing: model changes that no migration
    makes are reported."""
    metadata = models_metadata("booking")
    metadata.tables["asset_view"].append_column(Column("new_column", Integer, nullable=False))
    metadata.tables["bookings"].c.quantity.nullable = True
    metadata.tables["orders"].c.unit_price.type = Numeric(14, 2)
    metadata.tables["contract_view"].c.reference.server_default = DefaultClause("x")
    metadata.remove(metadata.tables["booking_series"])
    found = differences(connections["booking"], metadata)
    assert {
        ("add_column", "asset_view", "new_column"),
        ("modify_nullable", "bookings", "quantity"),
        ("modify_type", "orders", "unit_price"),
        ("modify_default", "contract_view", "reference"),
        ("remove_table", "booking_series", ""),
    } <= found
