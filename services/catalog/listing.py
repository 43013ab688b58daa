"""The asset list: filters, free text, sort and a stable cursor, as one statement per request
(compiled once per query shape, sent straight to the driver in autocommit): the hot path."""

from __future__ import annotations

import uuid
from datetime import datetime
from functools import cache
from typing import Any

import psycopg
from sqlalchemy import DateTime, Integer, Text, bindparam, cast, func, or_, select, tuple_
from sqlalchemy.dialects.postgresql import ARRAY as PG_ARRAY
from sqlalchemy.dialects.postgresql.psycopg import dialect as psycopg_dialect

from services.catalog.commands import AssetQuery
from services.catalog.models import Asset
from shared import paging
from shared.db import UnitOfWork, driver_error
from shared.errors import Invalid
from shared.paging import Page

SORTS: dict[str, tuple[Any, bool]] = {
    "name": (func.lower(Asset.name), False),
    "-name": (func.lower(Asset.name), True),
    "registration": (Asset.registration, False),
    "created_at": (Asset.created_at, False),
    "-created_at": (Asset.created_at, True),
}


def decode_cursor(cursor: str, sort: str) -> tuple[Any, uuid.UUID]:
    """The sort key and id a cursor carries; 422 on ``cursor`` for one of another sort."""
    key_kind = datetime if sort.lstrip("-") == "created_at" else str
    cursor_sort, key, asset_id = paging.decode_cursor(cursor, str, key_kind, uuid.UUID)
    if cursor_sort != sort:
        raise Invalid(paging.CURSOR_PROBLEM, errors={"cursor": ["Invalid cursor."]})
    return key, asset_id


# The columns of a list item, in the order of their JSON keys (sorted, as Flask's jsonify sorts
# them), so the view can zip them with LIST_ITEM_KEYS and serialise without re-sorting. The id
# comes as text (PostgreSQL's uuid text is Python's str(uuid)): nothing to convert per row.
LIST_ITEM_COLUMNS: tuple[Any, ...] = (
    Asset.booking_mode,
    Asset.capacity,
    Asset.category,
    Asset.home_base,
    cast(Asset.id, Text).label("id"),
    Asset.name,
    Asset.owner_org,
    Asset.readiness_notice,
    Asset.regions,
    Asset.registration,
    Asset.status,
    Asset.version,
)
LIST_ITEM_KEYS = tuple(column.key for column in LIST_ITEM_COLUMNS)
_ID, _SORT_KEY = LIST_ITEM_KEYS.index("id"), len(LIST_ITEM_COLUMNS)

# Free text on name or registration. lower(x) LIKE lower(p) matches what ILIKE matches but costs
# less per row (in-process on 10,000 assets: a rare term 12.7 -> 8.7 ms a request), and both
# expressions have a trigram index (migration 0003); lower(name) is also the name-order index.
SEARCH_COLUMNS = (func.lower(Asset.name), func.lower(Asset.registration))
_PATTERN = bindparam("pattern", type_=Text)


@cache  # at most 5 sorts x 2^6 filter combinations
def _list_sql(
    sort: str, category: bool, region: bool, owner: bool, status: bool, q: bool, cursor: bool
) -> str:
    """The SQL of one shape of list query, with named parameters, compiled once.

    Building and compiling the select per request (coercions, cache key) cost more CPU than
    PostgreSQL spends answering a page (docs/benchmarks.md, "Catalog").
    """
    key_column, descending = SORTS[sort]
    conditions: list[Any] = []
    if category:
        conditions.append(Asset.category == bindparam("category", type_=Text))
    if region:
        # Array containment (@>) uses the GIN index on regions; = ANY() cannot.
        regions = bindparam("regions", type_=PG_ARRAY(Text))
        conditions.append(Asset.regions.op("@>")(cast(regions, PG_ARRAY(Text))))
    if owner:
        conditions.append(Asset.owner_org == bindparam("owner", type_=Text))
    if status:
        conditions.append(Asset.status == bindparam("status", type_=Text))
    if q:
        conditions.append(or_(*(column.like(func.lower(_PATTERN)) for column in SEARCH_COLUMNS)))
    if cursor:
        key_type = DateTime(timezone=True) if sort.lstrip("-") == "created_at" else Text
        position = tuple_(key_column, Asset.id)
        after = tuple_(
            bindparam("after_key", type_=key_type), bindparam("after_id", type_=Asset.id.type)
        )
        conditions.append(position < after if descending else position > after)
    limit = bindparam("limit", type_=Integer)

    def ordered(key: Any, id_column: Any) -> tuple[Any, Any]:
        return (key.desc(), id_column.desc()) if descending else (key, id_column)

    if not (q and sort.lstrip("-") == "name"):
        query = (
            select(*LIST_ITEM_COLUMNS, key_column.label("sort_key"))
            .where(*conditions)
            .order_by(*ordered(key_column, Asset.id))
            .limit(limit)
        )
    else:
        # Free text in name order: find the page's ids first, filtering in name order on
        # ix_assets_name_search alone (an index-only scan: lower(name) and lower(registration)
        # are read from the index, not computed per row), then read only those rows. A term
        # whose matches sort late otherwise costs ~1.5 µs per heap row it skips (migration 0004).
        page = (
            select(Asset.id, key_column.label("sort_key"))
            .where(*conditions)
            .order_by(*ordered(key_column, Asset.id))
            .limit(limit)
            .subquery("page")
        )
        query = (
            select(*LIST_ITEM_COLUMNS, page.c.sort_key)
            .join_from(Asset, page, Asset.id == page.c.id)
            .order_by(*ordered(page.c.sort_key, page.c.id))
        )
    return str(query.compile(dialect=psycopg_dialect()))


def list_query(query: AssetQuery) -> tuple[str, dict[str, Any]]:
    """The SQL and parameters list_assets sends (also for EXPLAIN in bench/catalog.py)."""
    category, region, owner, status = query.category, query.region, query.owner, query.status
    q, sort, cursor = query.q, query.sort, query.cursor
    params: dict[str, Any] = {"limit": query.limit + 1}
    if category is not None:
        params["category"] = category.value
    if region is not None:
        params["regions"] = [region]
    if owner is not None:
        params["owner"] = owner
    if status is not None:
        params["status"] = status.value
    if q:
        params["pattern"] = (
            "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        )
    if cursor:
        params["after_key"], params["after_id"] = decode_cursor(cursor, sort)
    sql = _list_sql(
        sort,
        category is not None,
        region is not None,
        owner is not None,
        status is not None,
        bool(q),
        bool(cursor),
    )
    return sql, params


def list_assets(uow: UnitOfWork, *, query: AssetQuery) -> Page[Any]:
    """A page of assets. Rows, not ORM objects (lists must be cheap): the LIST_ITEM_KEYS
    columns, then the sort key."""
    sql, params = list_query(query)
    # One SELECT needs no transaction around it: autocommit saves the BEGIN and ROLLBACK round
    # trips, and the statement still reads one consistent snapshot. It goes straight to the
    # driver: SQLAlchemy's result set-up for 13 columns cost more than PostgreSQL's answer.
    connection = uow.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    driver: Any = connection.connection.driver_connection  # a psycopg Connection
    # Free text is planned for each term (never prepared): a generic plan cannot tell a rare term
    # (trigram index) from a frequent one (name order), and guessed wrong it cost 5-10 ms.
    prepare = False if query.q else None
    try:
        with driver.cursor() as cursor:
            rows = cursor.execute(sql, params, prepare=prepare).fetchall()
    except psycopg.Error as exc:  # as SQLAlchemy's (e.g. DataError -> 422), like any query
        raise driver_error(connection, sql, params, exc) from exc
    return paging.page_of(
        rows, limit=query.limit, key=lambda last: (query.sort, last[_SORT_KEY], last[_ID])
    )
