"""Cost-sharing's worker applies a polled batch set-based (services/costsharing/handlers.py
``BOOKING_BATCH``). The same events give the same allocations, ledger and events as one at a
time; a re-sent fact, a repeated event and a redelivered batch change nothing."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import text

from services.costsharing.handlers import BOOKING_BATCH
from shared.consumer import EventConsumer
from shared.settings import Settings
from tests.integration.costsharing_support import (
    CostsharingDB,
    at,
    balance,
    cancelled,
    completed,
    create_cancellation_agreement,
    order_placed,
    scoped_orgs,
    source_id,
)
from tests.support import PolledRecord, nothing_written, writes

pytestmark = [pytest.mark.db]


def scenario(unit: str, owner: str) -> list[dict[str, Any]]:
    """A use (sent twice: a re-sent fact has a new event id), a late and an early
    cancellation, an order, and the first event delivered again within the batch."""
    start = at("2026-11-20T08:00")
    use = completed(requester_org=unit, owner_org=owner, start=start, usage="3.50")
    resent = {**use, "id": str(uuid.uuid4())}

    def cancel(hours_before: float) -> dict[str, Any]:
        return cancelled(
            requester_org=unit, owner_org=owner, start=start, hours_before_start=hours_before
        )

    order = order_placed(
        requester_org=unit,
        owner_org=owner,
        quantity=40,
        unit_price="61.50",
        solo_unit_price="74.00",
        ordered_at=start,
    )
    return [use, resent, cancel(10.5), cancel(72), order, use]


def outcome(db: CostsharingDB, events: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """Per distinct source, in order: kind, state, amounts, ledger lines and their balance."""
    found = []
    for source in dict.fromkeys(source_id(e) for e in events):
        for a in db.allocations_for(source):
            lines = db.ledger(a["id"])
            found.append(
                (a["kind"], a["state"], a["total"], a["requester_amount"], a["owner_amount"])
                + (len(lines), *balance(lines))
            )
    return found


def test_a_batch_gives_what_one_event_at_a_time_gives_and_redelivery_nothing(
    clients: dict[str, FlaskClient], db: CostsharingDB, settings: dict[str, Settings]
) -> None:
    unit, owner = scoped_orgs()
    create_cancellation_agreement(clients["costsharing"], unit, owner)
    one_by_one, together = scenario(unit, owner), scenario(unit, owner)
    db.apply(*one_by_one[:-1])  # the per-event path (each event once)
    expected = outcome(db, one_by_one)
    assert [row[0] for row in expected] == ["usage", "cancellation", "procurement"]

    consumer = EventConsumer(
        name=f"test-batch-{uuid.uuid4().hex[:6]}",
        settings=settings["costsharing"],
        session_factory=db.sessions,
        topics=["booking.bookings"],
        batch=BOOKING_BATCH,
    )
    records = [
        PolledRecord("booking.bookings", 0, i, b"k", json.dumps(e).encode())
        for i, e in enumerate(together)
    ]
    ledger_lines = sum(row[5] for row in expected)
    with writes(
        db.engine,
        allocations=3,
        ledger_entries=ledger_lines,
        booking_facts=3,
        outbox=3,
        processed_messages=5,  # one per event applied (the sixth is a duplicate)
    ):
        result, dead = consumer.apply_batch(records)  # type: ignore[arg-type]
    assert (result.applied, result.duplicates, dead) == (5, 1, [])
    assert outcome(db, together) == expected

    # Every allocation event names its cause's actor and trace.
    causes = {source_id(e): e for e in together}
    for payload in db.rows(
        "SELECT payload FROM outbox WHERE event_type = 'costsharing.allocation.proposed' "
        "AND payload->'data'->>'booking_id' = ANY(:ids)",
        ids=list(causes),
    ):
        event = payload["payload"]
        cause = causes[event["data"]["booking_id"]]
        assert (event["actor"], event["trace_id"]) == (cause["actor"], cause["trace_id"])

    # The whole batch again (a crash before the offsets were committed): nothing changes.
    with nothing_written(db.engine):
        again, dead = consumer.apply_batch(records)  # type: ignore[arg-type]
    assert (again.applied, again.duplicates, dead) == (0, 6, [])
    with db.engine.connect() as conn:
        claimed = conn.execute(
            text("SELECT count(*) FROM processed_messages WHERE consumer = :c"),
            {"c": consumer.name},
        ).scalar_one()
    assert claimed == 5
