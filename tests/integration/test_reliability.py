"""Delivery guarantees under failure, against the real broker and the real PostgreSQL.

Each test runs in a lane of its own (a fresh topic prefix on the session's broker, so its own
topics and consumer groups) over the session's service databases, and counts only rows carrying
its own tag. Crashes are real signals to real processes: the broker is SIGSTOPped, relays and
consumers run as ``python -m services.cli worker <service>`` processes and are SIGKILLed.

Where a test needs a process to be *inside* a batch when it dies, it does not guess with
timers: it holds a PostgreSQL lock the batch needs, waits until ``pg_stat_activity`` shows the
worker blocked on that lock, and kills it there.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import text

from services import registry
from services.booking.handlers import HANDLERS as BOOKING_HANDLERS
from shared.consumer import BatchResult, EventConsumer
from shared.db import make_session_factory
from shared.runtime import Broker
from shared.settings import Settings
from tests.integration.reliability_support import (
    ASSETS_TOPIC,
    BOOKING_CONSUMER,
    Lane,
    WorkerProcesses,
    backend_pid,
    broker_paused,
    clone_asset_event,
    encode,
    event_ids_on,
    header,
    open_transaction,
    produce,
    read_topic,
)
from tests.support import asset_body, auth, eventually

pytestmark = [pytest.mark.db, pytest.mark.broker]


@pytest.fixture
def lane(
    app_db_urls: dict[str, str], broker: Broker, settings: dict[str, Settings]
) -> Iterator[Lane]:
    opened = Lane.open(app_db_urls, broker)
    yield opened
    opened.close()


@pytest.fixture
def catalog_client(lane: Lane) -> Iterator[FlaskClient]:
    """The catalog HTTP API writing its events to the lane's topics."""
    app = registry.app_factory("catalog")(
        {"SLAGKRACHT_SETTINGS": lane.settings["catalog"], "TESTING": True}
    )
    yield app.test_client()
    app.extensions["slagkracht"].engine.dispose()


@pytest.fixture
def workers(lane: Lane, tmp_path: Path) -> Iterator[WorkerProcesses]:
    processes = WorkerProcesses(lane, tmp_path)
    yield processes
    processes.stop_all()
    print(processes.logs())  # shown by pytest when the test failed


@pytest.fixture
def new_asset_event(lane: Lane, catalog_client: FlaskClient) -> Callable[[int], dict[str, Any]]:
    """Events for fresh assets ``<tag> #i``, cloned from one the catalog really emitted."""
    asset_id = register_asset(catalog_client, f"tpl{lane.tag}", 0)  # its name has no lane tag
    template = lane.scalar(
        "catalog", "SELECT payload FROM outbox WHERE aggregate_id = :a", a=asset_id
    )
    return lambda i: clone_asset_event(template, lane.tag, i)


def register_asset(catalog: FlaskClient, tag: str, i: int) -> str:
    """One business transaction: an owner registers an asset (row + outbox event, one commit)."""
    response = catalog.post(
        "/api/v1/assets",
        headers=auth("owner-dhc"),
        json=asset_body(registration=f"R-{tag}-{i:05d}", name=f"{tag} #{i}", regions=["VR10"]),
    )
    assert response.status_code == 201, response.get_json()
    return str(response.get_json()["id"])


def all_applied(lane: Lane, n: int) -> Callable[[], bool]:
    return lambda: lane.processed() == n and lane.asset_views() == n


def assert_delivered_exactly_once(lane: Lane, n: int) -> list[str]:
    """Every outbox event of the lane reached the broker and took effect in booking once."""
    events = lane.outbox_events()
    assert len(events) == n
    assert lane.unpublished() == 0
    on_broker = event_ids_on(read_topic(lane.broker.bootstrap, lane.topic()))
    assert set(on_broker) == set(events), "an event is missing on the broker"
    assert lane.processed() == n
    assert lane.asset_views() == n
    assert lane.applied_once(events) == n, "an effect was applied more than once"
    return on_broker


# -- 1. the broker stops while business goes on ------------------------------------------------
def test_broker_paused_while_200_transactions_commit(
    lane: Lane, catalog_client: FlaskClient, start_worker: Any, broker: Broker
) -> None:
    lane.drain_outbox()
    start_worker("catalog", settings_override=lane.settings["catalog"])
    start_worker("booking", settings_override=lane.settings["booking"])
    # The relay and the consumer are connected and the pipeline works before the broker stops.
    register_asset(catalog_client, lane.tag, 0)
    eventually(all_applied(lane, 1), timeout_s=30, what="the warm-up asset in booking")

    with broker_paused(broker):
        for i in range(1, 201):
            register_asset(catalog_client, lane.tag, i)
        # Every transaction committed; none of its events could be confirmed by the broker.
        assert len(lane.outbox_events()) == 201
        assert lane.unpublished() == 200
        assert lane.asset_views() == 1

    eventually(all_applied(lane, 201), timeout_s=45, what="all 200 events applied after SIGCONT")
    eventually(lambda: lane.unpublished() == 0, timeout_s=15, what="the outbox to drain")
    assert_delivered_exactly_once(lane, 201)


# -- 2. the relay dies between sending a batch and marking it published -------------------------
def test_relay_killed_mid_batch_loses_nothing_and_duplicates_are_deduped(
    lane: Lane, catalog_client: FlaskClient, workers: WorkerProcesses, start_worker: Any
) -> None:
    n = 550  # the relay's batch is 500: one batch is cut, fifty rows are never even read
    lane.drain_outbox()  # no relay runs now; this test's rows will be the oldest unpublished
    for i in range(n):
        register_asset(catalog_client, lane.tag, i)
    assert lane.unpublished() == n
    start_worker("booking", settings_override=lane.settings["booking"])

    # A SHARE lock lets the relay read and send its batch but not mark it published.
    with open_transaction(lane.engines["catalog"]) as lock:
        lock.execute(text("LOCK TABLE outbox IN SHARE MODE"))
        holder = backend_pid(lock)
        relay = workers.start("catalog")
        blocked = eventually(
            lambda: lane.backends_blocked_by("catalog", holder, "UPDATE outbox"),
            timeout_s=30,
            what="the relay to have sent its batch and to wait to mark it",
        )
        sent_before_kill = set(event_ids_on(read_topic(lane.broker.bootstrap, lane.topic())))
        workers.kill(relay)
    eventually(
        lambda: not lane.backend_alive("catalog", blocked[0]),
        what="PostgreSQL to roll back the killed relay's transaction",
    )
    assert 0 < len(sent_before_kill) < n, "the relay was not killed in the middle of the stream"
    assert lane.unpublished() == n, "the killed batch must not count as published"

    workers.start("catalog")
    eventually(lambda: lane.unpublished() == 0, timeout_s=30, what="the restarted relay to drain")
    eventually(all_applied(lane, n), timeout_s=45, what="booking to apply every event")

    on_broker = assert_delivered_exactly_once(lane, n)
    duplicates = len(on_broker) - len(set(on_broker))
    # Everything the dead relay sent was sent again, and booking applied it once all the same.
    assert duplicates >= len(sent_before_kill)


# -- 3. the consumer dies inside a batch --------------------------------------------------------
def test_consumer_killed_mid_batch_catches_up_without_applying_twice(
    lane: Lane, workers: WorkerProcesses, new_asset_event: Callable[[int], dict[str, Any]]
) -> None:
    n = 600
    events = [new_asset_event(i) for i in range(n)]
    # One partition, so the order (and thus the batches) is known: a poll returns <= 500.
    produce(
        lane.settings["booking"],
        lane.topic(),
        [(e["aggregate_id"].encode(), encode(e)) for e in events],
        partition=0,
    )
    stuck = events[550]  # not in the first batch
    # An uncommitted row with the same key makes the consumer wait at `stuck`, mid-batch.
    with open_transaction(lane.engines["booking"]) as lock:
        lock.execute(
            text("INSERT INTO processed_messages (consumer, event_id, topic) VALUES (:c, :e, :t)"),
            {"c": BOOKING_CONSUMER, "e": stuck["id"], "t": lane.topic()},
        )
        holder = backend_pid(lock)
        consumer = workers.start("booking")
        blocked = eventually(
            lambda: lane.backends_blocked_by("booking", holder, "INSERT INTO processed_messages"),
            timeout_s=30,
            what="the consumer to reach the held event",
        )
        workers.kill(consumer)
    eventually(
        lambda: not lane.backend_alive("booking", blocked[0]),
        what="PostgreSQL to roll back the killed consumer's batch",
    )
    applied_before_restart = lane.processed()
    assert 0 < applied_before_restart <= 550, "earlier batches were committed"
    assert lane.asset_views() == applied_before_restart, "the cut batch left no effect"

    workers.start("booking")
    eventually(all_applied(lane, n), timeout_s=40, what="the restarted consumer to catch up")
    by_event = {e["id"]: e["aggregate_id"] for e in events}
    assert lane.applied_once(by_event) == n, "an effect was applied more than once"

    # Offsets can be lost after a crash (or replayed): redelivering everything applies nothing.
    replay = EventConsumer(
        name=BOOKING_CONSUMER,
        settings=lane.settings["booking"],
        session_factory=make_session_factory(lane.engines["booking"]),
        topics=[ASSETS_TOPIC],
        handlers=BOOKING_HANDLERS,
        consumer_overrides={"group_id": f"{lane.prefix}replay-{uuid.uuid4().hex[:6]}"},
    )
    seen = BatchResult()

    def replayed_all() -> bool:
        result = replay.poll_once(timeout_ms=200)
        seen.applied += result.applied
        seen.duplicates += result.duplicates
        return seen.applied + seen.duplicates >= n

    try:
        eventually(replayed_all, timeout_s=30, every_s=0, what="the replay of every event")
    finally:
        replay.close()
    assert (seen.applied, seen.duplicates) == (0, n)
    assert lane.processed() == n
    assert lane.applied_once(by_event) == n


# -- 4. poison messages -------------------------------------------------------------------------
def test_poison_messages_go_to_the_dlq_and_the_consumer_keeps_going(
    lane: Lane, start_worker: Any, new_asset_event: Callable[[int], dict[str, Any]]
) -> None:
    start_worker("booking", settings_override=lane.settings["booking"])
    unknown_type = {**new_asset_event(1), "type": "catalog.asset.teleported"}
    bad_schema = new_asset_event(2)
    bad_schema["data"] = {**bad_schema["data"], "category": "submarine"}
    unknown_version = {**new_asset_event(3), "version": 99}
    poison = [
        (b"{this is not json", "not JSON"),
        (encode(unknown_type), "unknown event type or version: catalog.asset.teleported v1"),
        (encode(bad_schema), "schema violation at data/category"),
        (encode(unknown_version), "unknown event type or version: catalog.asset.registered v99"),
    ]
    valid = new_asset_event(4)
    # Same partition: the valid event sits behind all four in the log.
    produce(
        lane.settings["booking"],
        lane.topic(),
        [(b"poison", value) for value, _ in poison] + [(b"poison", encode(valid))],
        partition=0,
    )

    eventually(all_applied(lane, 1), timeout_s=30, what="the valid event behind the poison")
    dlq_topic = lane.topic(ASSETS_TOPIC + ".dlq")
    dead = eventually(
        lambda: r if len(r := read_topic(lane.broker.bootstrap, dlq_topic)) >= 4 else None,
        timeout_s=15,
        what="four messages in the DLQ",
    )
    assert len(dead) == 4
    for record, (value, reason) in zip(dead, poison, strict=True):
        assert record.value == value
        assert reason in (header(record, "dlq_reason") or ""), header(record, "dlq_reason")
        assert header(record, "dlq_consumer") == BOOKING_CONSUMER
        assert header(record, "original_topic") == lane.topic()
    assert [int(header(r, "original_offset") or -1) for r in dead] == [0, 1, 2, 3]
    assert lane.rows(
        "booking",
        "SELECT event_id::text FROM processed_messages WHERE consumer = :c AND topic = :t",
        c=BOOKING_CONSUMER,
        t=lane.topic(),
    ) == [(valid["id"],)]
    view = lane.scalar(
        "booking", "SELECT name FROM asset_view WHERE asset_id = :a", a=valid["aggregate_id"]
    )
    assert view == valid["data"]["name"]
