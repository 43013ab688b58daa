"""The consumer's rules for failures, on the real database: a handler bug or a database
refusal dead-letters that one event; the rest of the batch is applied; nothing is lost."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from sqlalchemy import Engine, text

from shared.consumer import BatchHandler, EventBatch, EventConsumer
from shared.db import UnitOfWork, make_engine, make_session_factory
from shared.events import make_event
from shared.migrate import APP_ROLE
from shared.settings import Settings
from tests.support import PolledRecord

pytestmark = [pytest.mark.db]


def contract(version: int) -> dict[str, Any]:
    return make_event(
        event_type="catalog.contract.published",
        producer="catalog",
        aggregate_id="c",
        data={
            "contract_id": str(uuid.uuid4()),
            "owner_org": "defensie-dmo",
            "reference": "R",
            "supplier": "S",
            "description": "D",
            "valid_from": "2026-01-01",
            "valid_to": "2026-12-31",
            "total_volume": version,
            "item_ids": [],
            "tiers": [{"min_quantity": 1, "unit_price": "1.00"}],
        },
    )


def test_a_failing_handler_dead_letters_only_its_event(settings: dict[str, Settings]) -> None:
    engine = make_engine(settings["booking"].database_url)
    applied: list[int] = []

    def handler(uow: UnitOfWork, event: dict[str, Any]) -> None:
        volume = event["data"]["total_volume"]
        if volume == 2:
            raise ValueError("a bug in the handler")
        if volume == 3:  # the database refuses: division by zero is a DataError
            uow.session.execute(text("SELECT 1 / 0"))
        applied.append(volume)

    consumer = EventConsumer(
        name=f"test-{uuid.uuid4().hex[:6]}",
        settings=settings["booking"],
        session_factory=make_session_factory(engine),
        topics=["catalog.assets"],
        handlers={"catalog.contract.published": handler},
    )
    events = [contract(v) for v in (1, 2, 3, 4)]
    records = [
        PolledRecord("catalog.assets", 0, i, b"k", json.dumps(e).encode())
        for i, e in enumerate(events)
    ]
    result, dead = consumer.apply_batch(records)  # type: ignore[arg-type]
    assert applied == [1, 4] and result.applied == 2
    assert [r.offset for r, _ in dead] == [1, 2]
    assert "a bug in the handler" in dead[0][1] and "DivisionByZero" in dead[1][1]
    # Redelivery of the whole batch: the applied ones are deduped, never applied twice.
    again, _ = consumer.apply_batch(records)  # type: ignore[arg-type]
    assert again.applied == 0 and again.duplicates == 2 and applied == [1, 4]
    engine.dispose()


def test_a_batch_handler_applies_fresh_events_together_and_isolates_a_failure(
    settings: dict[str, Settings], owner_engines: dict[str, Engine]
) -> None:
    """Set-based handling: one call for the batch's fresh events, its outbox events written
    with the cause's trace; when the batch fails, one event at a time, culprits to the DLQ,
    and only committed work counts."""
    engine = make_engine(settings["booking"].database_url)  # as booking runs: the app role
    effects = f"batch_effects_{uuid.uuid4().hex[:8]}"
    # The test's own table, made (and dropped) by the owner as a migration would be, and
    # granted to the role the consumer connects as.
    with owner_engines["booking"].begin() as conn:
        conn.execute(text(f"CREATE TABLE {effects} (event_id uuid PRIMARY KEY, volume int)"))
        conn.execute(text(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {effects} TO {APP_ROLE}"))
    try:
        _check_batch_handling(engine, effects, settings["booking"])
    finally:  # the session's booking database is shared (a schema test compares it)
        with owner_engines["booking"].begin() as conn:
            conn.execute(text(f"DROP TABLE {effects}"))
        engine.dispose()


def _check_batch_handling(engine: Engine, effects: str, booking: Settings) -> None:
    calls: list[list[int]] = []

    def apply(batch: EventBatch) -> None:
        calls.append([e["data"]["total_volume"] for e in batch.events])
        for event in batch.events:
            volume = event["data"]["total_volume"]
            batch.session.execute(
                text(f"INSERT INTO {effects} VALUES (:id, :volume)"),
                {"id": event["id"], "volume": volume},
            )
            if volume == 2:
                raise ValueError("a bug in the handler")
            if volume == 3:  # the database refuses: division by zero is a DataError
                batch.session.execute(text("SELECT 1 / 0"))
            batch.unit_of_work(event).add_event(
                event_type="catalog.contract.published",
                topic="echo",
                aggregate_type="contract",
                aggregate_id=event["id"],
                data=event["data"],
            )

    name = f"test-{uuid.uuid4().hex[:6]}"
    consumer = EventConsumer(
        name=name,
        settings=booking,
        session_factory=make_session_factory(engine),
        topics=["catalog.assets"],
        batch=BatchHandler(event_types={"catalog.contract.published"}, apply=apply),
    )

    def records_of(events: list[dict[str, Any]], first: int) -> list[PolledRecord]:
        return [
            PolledRecord("catalog.assets", 0, first + i, b"k", json.dumps(e).encode())
            for i, e in enumerate(events)
        ]

    def committed() -> list[int]:
        with engine.connect() as conn:
            return sorted(conn.execute(text(f"SELECT volume FROM {effects}")).scalars())

    # A clean batch, with one event delivered twice: one call with the three fresh events.
    good = [contract(v) for v in (1, 4, 5)]
    records = records_of([*good, good[2]], 0)
    result, dead = consumer.apply_batch(records)  # type: ignore[arg-type]
    assert calls == [[1, 4, 5]] and dead == []
    assert (result.applied, result.duplicates) == (3, 1)
    assert committed() == [1, 4, 5]
    with engine.connect() as conn:
        echoed = conn.execute(
            text("SELECT payload FROM outbox WHERE aggregate_id = ANY(:ids) ORDER BY id"),
            {"ids": [e["id"] for e in good]},
        ).scalars()
        assert [p["trace_id"] for p in echoed] == [e["trace_id"] for e in good]

    # A batch with a handler bug and a database refusal: the set-based attempt rolls back,
    # then each event alone; the two culprits are dead-lettered, the rest committed once.
    calls.clear()
    mixed = [contract(v) for v in (6, 2, 3, 7)]
    result, dead = consumer.apply_batch(records_of(mixed, 10))  # type: ignore[arg-type]
    assert calls == [[6, 2, 3, 7], [6], [2], [3], [7]]
    assert result.applied == 2 and [r.offset for r, _ in dead] == [11, 12]
    assert "a bug in the handler" in dead[0][1] and "DivisionByZero" in dead[1][1]
    assert committed() == [1, 4, 5, 6, 7]

    # Redelivery of everything (a crash before the offsets were committed): the applied
    # five are duplicates and never reach the handler again; the two culprits fail again.
    calls.clear()
    again, dead = consumer.apply_batch(records_of([*good, *mixed], 0))  # type: ignore[arg-type]
    assert calls == [[2, 3], [2], [3]]
    assert (again.applied, again.duplicates, len(dead)) == (0, 5, 2)
    assert committed() == [1, 4, 5, 6, 7]
