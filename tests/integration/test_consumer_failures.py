"""The consumer's rules for failures, on the real database: a handler bug or a database
refusal dead-letters that one event; the rest of the batch is applied; nothing is lost."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import text

from shared.consumer import EventConsumer
from shared.db import UnitOfWork, make_engine, make_session_factory
from shared.events import make_event
from shared.settings import Settings

pytestmark = [pytest.mark.db]


@dataclass
class Record:
    """What the consumer reads from a polled Kafka record."""

    topic: str
    partition: int
    offset: int
    key: bytes
    value: bytes


def contract(version: int) -> dict[str, Any]:
    return make_event(
        event_type="catalog.contract.published",
        producer="test",
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
        topics=["t"],
        handlers={"catalog.contract.published": handler},
    )
    events = [contract(v) for v in (1, 2, 3, 4)]
    records = [Record("t", 0, i, b"k", json.dumps(e).encode()) for i, e in enumerate(events)]
    result, dead = consumer.apply_batch(records)  # type: ignore[arg-type]
    assert applied == [1, 4] and result.applied == 2
    assert [r.offset for r, _ in dead] == [1, 2]
    assert "a bug in the handler" in dead[0][1] and "DivisionByZero" in dead[1][1]
    # Redelivery of the whole batch: the applied ones are deduped, never applied twice.
    again, _ = consumer.apply_batch(records)  # type: ignore[arg-type]
    assert again.applied == 0 and again.duplicates == 2 and applied == [1, 4]
    engine.dispose()
