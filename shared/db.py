"""SQLAlchemy 2 engine, sessions, the kit's tables and the unit of work."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime, time
from decimal import Decimal
from types import TracebackType
from typing import Any

import psycopg
from sqlalchemy import (
    BigInteger,
    Column,
    CursorResult,
    DateTime,
    Engine,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    TextClause,
    create_engine,
    func,
    insert,
    text,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, IntegrityError, StatementError
from sqlalchemy.orm import Session, sessionmaker

from shared.events import make_event

# Tables every service database carries; each service's first migration creates them.
kit_metadata = MetaData()

outbox_table = Table(
    "outbox",
    kit_metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("event_id", UUID(as_uuid=False), nullable=False, unique=True),
    Column("topic", Text, nullable=False),
    Column("aggregate_type", Text, nullable=False),
    Column("aggregate_id", Text, nullable=False),
    Column("event_type", Text, nullable=False),
    Column("payload", JSONB, nullable=False),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("published_at", DateTime(timezone=True)),
    Index("ix_outbox_unpublished", "id", postgresql_where=text("published_at IS NULL")),
    Index("ix_outbox_occurred_at", "occurred_at"),
)

processed_messages_table = Table(
    "processed_messages",
    kit_metadata,
    Column("consumer", Text, nullable=False),
    Column("event_id", UUID(as_uuid=False), nullable=False),
    Column("topic", Text, nullable=False),
    Column("processed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("consumer", "event_id"),
)

idempotency_keys_table = Table(
    "idempotency_keys",
    kit_metadata,
    Column("actor", Text, nullable=False),
    Column("key", Text, nullable=False),
    Column("request_hash", Text, nullable=False),
    Column("status_code", Integer, nullable=False),
    Column("response_body", JSONB, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("actor", "key"),
)

OUTBOX_CHANNEL = "slagkracht_outbox"

# Built once: constructing a statement per event costs more than executing it.
_OUTBOX_INSERT = insert(outbox_table)


def _json_default(value: Any) -> str:
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, date | time):  # datetime is a date
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not stored as JSON: {value!r}")


def to_json(value: Any) -> str:
    """JSON for JSONB columns and bulk rows: decimals, ids, dates and times as strings;
    anything else that JSON cannot hold is an error, not its ``str()``."""
    return json.dumps(value, default=_json_default)


UNIQUE_VIOLATION = "23505"


def insert_or_conflict(session: Session, row: Any, conflict: Exception) -> None:
    """Insert ``row`` in a savepoint; when a unique key refuses it (a concurrent insert of the
    same key committed first: the index waited for it), raise ``conflict``, the same answer as
    for a key that was there before, and leave the session usable. Any other integrity error
    is a bug and propagates."""
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError as exc:
        if getattr(exc.orig, "sqlstate", None) != UNIQUE_VIOLATION:
            raise
        raise conflict from exc


def driver_error(connection: Connection, sql: str, params: Any, exc: Exception) -> StatementError:
    """A psycopg error raised by a statement sent straight to the driver, as SQLAlchemy's own
    (IntegrityError, DataError, ...), so callers and error handlers treat it like any query.
    A connection the error left broken is invalidated first: the pool then drops it, and
    closing the session does not try a rollback on a dead socket."""
    driver = connection.connection.driver_connection
    broken = bool(getattr(driver, "broken", False) or getattr(driver, "closed", False))
    if broken:
        connection.invalidate(exc)
    return DBAPIError.instance(sql, params, exc, psycopg.Error, connection_invalidated=broken)


class BulkInsert:
    """``INSERT INTO t (cols) SELECT cols FROM json_to_recordset(:rows) ... [tail]``.

    Writes a whole batch of rows in one statement with one parameter: the rows as one JSON
    array, serialised in C and parsed by PostgreSQL in C. The statement text does not depend
    on the number of rows, so it is parsed and planned the same way every time. (A multi-row
    VALUES, what executemany-with-RETURNING builds, or one array per column both spend more
    in Python building and escaping parameters than PostgreSQL spends inserting.) ``tail`` is
    e.g. ``ON CONFLICT ... DO NOTHING RETURNING id``.
    """

    def __init__(self, table: Table, columns: Sequence[str], *, tail: str = "") -> None:
        dialect = postgresql.dialect()
        self.columns = tuple(columns)
        names = ", ".join(f'"{c}"' for c in self.columns)
        typed = ", ".join(f'"{c}" {table.c[c].type.compile(dialect=dialect)}' for c in columns)
        self.statement: TextClause = text(
            f"INSERT INTO {table.name} ({names}) SELECT {names} "
            f"FROM json_to_recordset(CAST(:rows AS json)) AS r({typed}) {tail}"
        )

    @classmethod
    def upsert_newer(
        cls, table: Table, *, key: str, newer: str, returning: str | None = None
    ) -> BulkInsert:
        """Every column; a row whose ``key`` exists replaces it only where ``newer`` holds
        (e.g. ``asset_view.version <= EXCLUDED.version``): a read model keeps the newest
        version and an older event changes nothing (and returns nothing)."""
        columns = tuple(c.name for c in table.columns)
        updates = ", ".join(f'"{c}" = EXCLUDED."{c}"' for c in columns if c != key)
        tail = f'ON CONFLICT ("{key}") DO UPDATE SET {updates} WHERE {newer}'
        return cls(table, columns, tail=f"{tail} RETURNING {returning}" if returning else tail)

    def execute(self, session: Session, rows: Iterable[dict[str, Any]]) -> CursorResult[Any]:
        """Insert ``rows``: dicts with a value for every column (a missing one is a KeyError,
        never a silent NULL); extra keys are ignored."""
        columns = self.columns
        return session.execute(  # type: ignore[return-value]
            self.statement, {"rows": to_json([{c: row[c] for c in columns} for row in rows])}
        )


def newest_versions(items: Iterable[dict[str, Any]], key: str) -> dict[str, dict[str, Any]]:
    """Each aggregate's item with the highest ``version`` (on a tie the later one), keyed by
    ``item[key].lower()`` (a uuid as PostgreSQL renders it). A read model's batch upsert sends
    only these: one statement may not update the same row twice, and an older version in the
    batch would change nothing anyway."""
    newest: dict[str, dict[str, Any]] = {}
    for item in items:
        aggregate = item[key].lower()
        seen = newest.get(aggregate)
        if seen is None or seen["version"] <= item["version"]:
            newest[aggregate] = item
    return newest


_OUTBOX_BULK = BulkInsert(
    outbox_table,
    ("event_id", "topic", "aggregate_type", "aggregate_id", "event_type", "payload", "occurred_at"),
)


def write_outbox(session: Session, rows: list[dict[str, Any]]) -> None:
    """Stage collected outbox rows in one statement (see ``UnitOfWork.within``), in order."""
    if rows:
        _OUTBOX_BULK.execute(session, rows)


def make_engine(database_url: str, *, pool_size: int = 5) -> Engine:
    """An engine whose connections all speak UTC."""
    return create_engine(
        database_url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        # UTC everywhere; and let the server notice a vanished client (e.g. a SIGKILLed relay
        # blocked on a lock) within seconds instead of holding its locks until TCP gives up.
        connect_args={"options": "-c timezone=UTC -c client_connection_check_interval=2000"},
        json_serializer=to_json,
    )


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=True)


class UnitOfWork:
    """One transaction for one use case: business rows and their outbox events commit together.

    Use as ``with uow: ...; uow.commit()``. Leaving the block without commit rolls back, so a
    refused request writes nothing, neither rows nor events.
    """

    def __init__(
        self,
        session_factory: Callable[[], Session],
        *,
        producer: str,
        topic_for: Callable[[str], str] = lambda name: name,
        actor: str | None = None,
        trace_id: str | None = None,
    ) -> None:
        self._session_factory = session_factory
        self.producer = producer
        self.topic_for = topic_for
        self.actor = actor
        self.trace_id = trace_id
        self._session: Session | None = None
        self._borrowed = False
        self._outbox_rows: list[dict[str, Any]] | None = None
        self.events: list[dict[str, Any]] = []

    @classmethod
    def within(
        cls,
        session: Session,
        *,
        producer: str,
        topic_for: Callable[[str], str] = lambda name: name,
        actor: str | None = None,
        trace_id: str | None = None,
        outbox: list[dict[str, Any]] | None = None,
    ) -> UnitOfWork:
        """A unit of work inside a transaction someone else commits (the consumer's batch).

        With ``outbox``, events are collected there and the owner writes them all with one
        statement (``write_outbox``) before it commits, instead of one INSERT per event."""
        uow = cls(
            lambda: session, producer=producer, topic_for=topic_for, actor=actor, trace_id=trace_id
        )
        uow._session = session
        uow._borrowed = True
        uow._outbox_rows = outbox
        return uow

    @property
    def session(self) -> Session:
        if self._session is None:
            raise RuntimeError("UnitOfWork used outside its 'with' block")
        return self._session

    def __enter__(self) -> UnitOfWork:
        self._session = self._session_factory()
        self.events = []
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # close() rolls back whatever was not committed; unlike rollback() it detaches objects
        # without expiring them, so views can still serialise what a use case returned.
        session = self.session
        self._session = None
        session.close()

    def add_event(
        self,
        *,
        event_type: str,
        topic: str,
        aggregate_type: str,
        aggregate_id: str,
        data: dict[str, Any],
        version: int = 1,
        occurred_at: datetime | None = None,
    ) -> dict[str, Any]:
        """Validate the event against its contract and stage it in the outbox."""
        event = make_event(
            event_type=event_type,
            producer=self.producer,
            aggregate_id=aggregate_id,
            data=data,
            actor=self.actor,
            trace_id=self.trace_id,
            version=version,
            occurred_at=occurred_at,
        )
        row = {
            "event_id": event["id"],
            "topic": self.topic_for(topic),
            "aggregate_type": aggregate_type,
            "aggregate_id": aggregate_id,
            "event_type": event_type,
            "payload": event,
            "occurred_at": event["occurred_at"],
        }
        if self._outbox_rows is not None:
            self._outbox_rows.append(row)
        else:
            self.session.execute(_OUTBOX_INSERT, row)
        self.events.append(event)
        return event

    def commit(self) -> None:
        if self._borrowed:
            self.session.flush()  # the owner of the transaction commits it
        else:
            self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()
