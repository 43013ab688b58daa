"""The consumer's fetch wait on the real broker: an idle consumer asks the broker to hold its
fetches long (kafka-python really sends that wait) and still applies the next event."""

from __future__ import annotations

import json
import uuid
from dataclasses import replace
from typing import Any

import pytest

from shared.consumer import EventConsumer, FetchPacer
from shared.db import UnitOfWork, make_engine, make_session_factory
from shared.events import make_event
from shared.kafka import make_producer
from shared.settings import Settings
from tests.support import eventually

pytestmark = [pytest.mark.db, pytest.mark.broker]

BUSY_MS, IDLE_MS = 10, 400


def contract_event() -> dict[str, Any]:
    return make_event(
        event_type="catalog.contract.published",
        producer="catalog",
        aggregate_id=str(uuid.uuid4()),
        data={
            "contract_id": str(uuid.uuid4()),
            "owner_org": "defensie-dmo",
            "reference": "R",
            "supplier": "S",
            "description": "D",
            "valid_from": "2026-01-01",
            "valid_to": "2026-12-31",
            "total_volume": 1,
            "item_ids": [],
            "tiers": [{"min_quantity": 1, "unit_price": "1.00"}],
        },
    )


def fetch_waits_sent(consumer: EventConsumer) -> set[int]:
    """The max_wait_ms kafka-python puts in the fetch requests it builds next (its own code,
    reached through the attribute shared.kafka.set_fetch_wait changes)."""
    kafka_consumer = consumer._open()  # noqa: SLF001 - the client under test
    requests = kafka_consumer._fetcher._create_fetch_requests()  # noqa: SLF001
    return {request.max_wait_ms for request, _offsets in requests.values()}


def test_an_idle_consumer_asks_for_long_fetches_and_still_applies_the_next_event(
    settings: dict[str, Settings],
) -> None:
    booking = replace(settings["booking"], fetch_max_wait_ms=BUSY_MS, fetch_idle_wait_ms=IDLE_MS)
    engine = make_engine(booking.database_url)
    applied: list[str] = []

    def handler(_uow: UnitOfWork, event: dict[str, Any]) -> None:
        applied.append(event["id"])

    consumer = EventConsumer(
        name=f"test-pacing-{uuid.uuid4().hex[:6]}",
        settings=booking,
        session_factory=make_session_factory(engine),
        topics=["catalog.assets"],
        handlers={"catalog.contract.published": handler},
        # Idle as soon as a poll brings nothing, so the test need not wait for a quiet spell.
        pacer=FetchPacer(BUSY_MS, IDLE_MS, idle_after_s=0.0),
    )
    producer = make_producer(booking, client_id="pacing-test")
    try:
        assert consumer.fetch_wait_ms == BUSY_MS
        # Read what the session's topic already holds, until a poll comes back empty.
        eventually(
            lambda: consumer.poll_once(timeout_ms=200).records == 0,
            timeout_s=60,
            every_s=0,
            what="the consumer to reach the end of the topic",
        )
        assert consumer.fetch_wait_ms == IDLE_MS
        assert fetch_waits_sent(consumer) <= {IDLE_MS}

        event = contract_event()
        producer.send(booking.topic("catalog.assets"), json.dumps(event).encode()).get(timeout=10)
        eventually(
            lambda: consumer.poll_once(timeout_ms=200) and event["id"] in applied,
            timeout_s=30,
            every_s=0,
            what="the event sent to an idle consumer to be applied",
        )
        assert applied.count(event["id"]) == 1
    finally:
        producer.close(timeout=5)
        consumer.close()
        engine.dispose()


def test_offsets_left_uncommitted_between_commits_are_committed_on_close(
    settings: dict[str, Settings],
) -> None:
    """Offsets are committed at most once per interval; what is pending when the consumer
    closes is committed then, so the next member of the group re-reads nothing."""
    booking = settings["booking"]
    engine = make_engine(booking.database_url)
    applied: list[str] = []

    def consumer_in(group: str) -> EventConsumer:
        return EventConsumer(
            name=f"test-commits-{uuid.uuid4().hex[:6]}",
            settings=booking,
            session_factory=make_session_factory(engine),
            topics=["catalog.assets"],
            handlers={"catalog.contract.published": lambda _uow, e: applied.append(e["id"])},
            consumer_overrides={"group_id": group},
            # Only the first batch is committed while polling: the rest waits for close().
            commit_interval_s=3600,
        )

    group = f"test-commits-{uuid.uuid4().hex[:8]}"
    first = consumer_in(group)
    producer = make_producer(booking, client_id="commits-test")

    def send_and_apply(event: dict[str, Any]) -> None:
        producer.send(booking.topic("catalog.assets"), json.dumps(event).encode()).get(timeout=10)

        def polled_and_applied() -> bool:
            first.poll_once(timeout_ms=200)
            return event["id"] in applied

        eventually(polled_and_applied, timeout_s=60, every_s=0, what="the event to be applied")

    try:
        # The first batch is committed at once (and with it whatever the topic held); the
        # second event's offset then waits for the interval, which close() cuts short.
        send_and_apply(contract_event())
        event = contract_event()
        send_and_apply(event)
    finally:
        producer.close(timeout=5)
        first.close()

    second = consumer_in(group)
    reread = 0

    def joined() -> bool:
        nonlocal reread
        if second._open().assignment():  # noqa: SLF001 - the client under test
            return True
        reread += second.poll_once(timeout_ms=200).records
        return False

    try:
        eventually(joined, timeout_s=60, every_s=0, what="the second consumer to join the group")
        reread += sum(second.poll_once(timeout_ms=300).records for _ in range(5))
        assert reread == 0 and applied.count(event["id"]) == 1
    finally:
        second.close()
        engine.dispose()
