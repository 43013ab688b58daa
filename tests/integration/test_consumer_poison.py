"""Poison on the real broker: whatever arrives on a topic, every consumer of every worker sends
what it cannot apply to the topic's DLQ (with the reason), applies the rest and commits past it
all; and a topic takes events only from the service that owns it (issue 10, parts 1 and 2).

The consumers are the ones the workers build (services/*/worker.py: one Kafka client per worker,
one subscription per topic it reads, each with its own dedupe name), on a lane of their own (a
topic prefix on the session's broker: tests/integration/reliability_support.py), over the
session's databases. The test drives them one ``poll_once`` at a time, so anything escaping it
fails the test, and reads their progress as the broker has it (the groups' committed offsets).
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import random
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from itertools import count
from typing import Any

import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, Phase, event, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from kafka import KafkaConsumer, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord

from services import registry
from shared.consumer import EventConsumer, Subscription
from shared.db import make_session_factory
from shared.events import decode_event, validate_event
from shared.kafka import make_producer
from shared.runtime import Broker
from shared.topics import TOPICS, topic_owner
from tests.integration.booking_support import (
    act,
    backdate,
    events_of,
    in_hours,
    put_asset,
    request_booking,
)
from tests.integration.costsharing_support import (
    CostsharingDB,
    create_agreement,
    order_placed,
    scoped_orgs,
)
from tests.integration.reliability_support import (
    Lane,
    clone_asset_event,
    header,
    produce,
    read_topic,
)
from tests.support import eventually, register_bookable_helicopter

# slow: the main pass runs it; the external-database pass has nothing to learn from it.
pytestmark = [pytest.mark.slow, pytest.mark.db, pytest.mark.broker]

BOOKINGS = "booking.bookings"
ASSETS = "catalog.assets"
ALLOCATIONS = "costsharing.allocations"
# Each subscription's effect, counted by the aggregate's id in its service's database (one not
# named here is held to its processed_messages row, written in the effect's transaction).
EFFECTS = {
    "catalog.booking-commitments": (
        "catalog",
        "SELECT count(*) FROM asset_commitments WHERE booking_id = :id",
    ),
    "costsharing.bookings": (
        "costsharing",
        "SELECT count(*) FROM allocations WHERE booking_id = :id",
    ),
    "booking.catalog-read-model": (
        "booking",
        "SELECT count(*) FROM asset_view WHERE asset_id = :id",
    ),
    "costsharing.assets": ("costsharing", "SELECT count(*) FROM asset_facts WHERE asset_id = :id"),
}
TEN_MB = 10_000_000


def encode(event: Any) -> bytes:
    return json.dumps(event, separators=(",", ":")).encode()


# -- the consumers, the broker and the databases -----------------------------------------------
@dataclass(frozen=True)
class Reader:
    """One worker's reading of one topic: its Kafka client and what it does with the topic."""

    service: str
    consumer: EventConsumer
    subscription: Subscription

    @property
    def name(self) -> str:
        """The dedupe name of what it applies, and a dead letter's dlq_consumer."""
        return self.subscription.name


class Stack:
    """Every consumer every worker builds, on one lane, with a producer and probes of progress."""

    def __init__(self, lane: Lane) -> None:
        self.lane = lane
        self.consumers: list[EventConsumer] = []
        self.readers: dict[str, list[Reader]] = {t: [] for t in TOPICS}  # by topic
        for service in registry.SERVICES:
            sessions = make_session_factory(lane.engines[service])
            built, _jobs = registry.worker_builder(service)(lane.settings[service], sessions)
            self.consumers += built
            for consumer in built:
                for topic in consumer.topics:
                    subscription = consumer.subscription(topic)
                    self.readers[subscription.topic].append(Reader(service, consumer, subscription))
        assert self.readers[BOOKINGS] and self.readers[ASSETS]
        self.joined: set[str] = set()  # names of the consumers that hold their partitions
        bootstrap = lane.broker.bootstrap.split(",")
        # Large enough for the 10 MB record (the services' producers keep kafka-python's 1 MiB).
        self.producer = make_producer(
            lane.settings["booking"], client_id="poison-test", max_request_size=16 * 2**20
        )
        self.probe = KafkaConsumer(
            bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False
        )
        self.watchers = {
            consumer.name: KafkaConsumer(
                bootstrap_servers=bootstrap, group_id=consumer.group_id, enable_auto_commit=False
            )
            for consumer in self.consumers
        }

    def reader(self, topic: str, service: str) -> Reader:
        (found,) = [r for r in self.readers[topic] if r.service == service]
        return found

    def close(self) -> None:
        for consumer in self.consumers:
            consumer.close()
        self.producer.close(timeout=5)
        for client in (self.probe, *self.watchers.values()):
            client.close(autocommit=False)

    def produce(self, topic: str, values: list[bytes | None], partition: int) -> list[int]:
        """Send raw values, in order, to one partition; their offsets once acknowledged."""
        futures = [
            self.producer.send(self.lane.topic(topic), key=b"poison", value=v, partition=partition)
            for v in values
        ]
        self.producer.flush(timeout=30)
        return [future.get(timeout=10).offset for future in futures]

    def drain(self, topic: str) -> None:
        """Poll the consumers of ``topic`` in turn until each group has committed every
        partition's end (in turn, so their waits for the broker overlap)."""
        name = self.lane.topic(topic)
        partitions = [
            TopicPartition(name, p) for p in sorted(self.probe.partitions_for_topic(name))
        ]
        ends = self.probe.end_offsets(partitions)
        behind = [reader.consumer for reader in self.readers[topic]]
        for consumer in behind:
            self.join(consumer)

        def caught_up() -> bool:
            for consumer in list(behind):
                consumer.poll_once(timeout_ms=100)  # a failure escaping it fails the test
                watcher = self.watchers[consumer.name]
                if all((watcher.committed(tp) or 0) >= end for tp, end in ends.items()):
                    behind.remove(consumer)
            return not behind

        eventually(caught_up, timeout_s=60, every_s=0, what=f"the consumers of {name} to commit")

    def join(self, consumer: EventConsumer) -> None:
        """Poll ``consumer`` alone until it holds its partitions (once: it stays in its group).

        Not in drain's turns: kafka-python 3.0.12 reads a JoinGroup/SyncGroup round trip only
        if it ends while that consumer is inside ``poll``; one that ends between its polls is
        dropped and a new JoinGroup sent (coordinator/base.py, join_group_async replaces a done
        join task). Tansu answers a join some seconds after it is sent, so a consumer polled for
        100 ms out of every ~300 ms may miss every answer and never join (seen at every run)."""
        if consumer.name in self.joined:
            return

        def holds_partitions() -> bool:
            consumer.poll_once(timeout_ms=1000)  # records it gets are applied and committed
            return bool(consumer._open().assignment())  # noqa: SLF001 - its Kafka client

        eventually(holds_partitions, timeout_s=60, every_s=0, what=f"{consumer.name} to join")
        self.joined.add(consumer.name)

    def dead_letters(self, topic: str) -> dict[tuple[str, int, int], ConsumerRecord]:
        """The topic's DLQ by (consumer, original partition, original offset)."""
        found = {}
        for record in read_topic(self.lane.broker.bootstrap, self.lane.topic(topic + ".dlq")):
            partition, offset = (
                header(record, "original_partition"),
                header(record, "original_offset"),
            )
            found[
                (header(record, "dlq_consumer") or "", int(partition or -1), int(offset or -1))
            ] = record
        return found

    def applied(self, reader: Reader) -> set[str]:
        """Ids of the events ``reader`` recorded as applied (or seen again) from its topic."""
        rows = self.lane.rows(
            reader.service,
            "SELECT event_id::text FROM processed_messages WHERE consumer = :c AND topic = :t",
            c=reader.name,
            t=self.lane.topic(reader.subscription.topic),
        )
        return {row[0] for row in rows}

    def effect(self, reader: Reader, aggregate_id: str) -> int:
        service, sql = EFFECTS[reader.name]
        return int(self.lane.scalar(service, sql, id=aggregate_id))

    def took_effect(self, reader: Reader, event: dict[str, Any]) -> bool:
        if reader.name in EFFECTS:
            return self.effect(reader, event["aggregate_id"]) >= 1
        return bool(
            self.lane.scalar(
                reader.service,
                "SELECT count(*) FROM processed_messages WHERE consumer = :c AND event_id = :e",
                c=reader.name,
                e=event["id"],
            )
        )


@dataclass
class Templates:
    """Real events to copy: a booking.completed booking emitted, an asset catalog registered,
    the allocation cost-sharing proposed for a booking."""

    completed: dict[str, Any]
    asset: dict[str, Any]
    allocation: dict[str, Any]
    requester_org: str
    owner_org: str
    tag: str
    numbers: Iterator[int] = field(default_factory=count)

    def booking(self, **envelope: Any) -> dict[str, Any]:
        """A copy of the real booking.completed for a new booking of this test's organisations
        (whose agreement makes cost-sharing bill it), under a new event id."""
        event = copy.deepcopy(self.completed)
        booking_id = str(uuid.uuid4())
        event["data"].update(
            booking_id=booking_id, requester_org=self.requester_org, owner_org=self.owner_org
        )
        event.update(id=str(uuid.uuid4()), aggregate_id=booking_id, trace_id=uuid.uuid4().hex)
        event.update(envelope)
        return validate_event(event)

    def valid(self, topic: str) -> dict[str, Any]:
        """A new, valid event on ``topic`` (that a consumer may not act on, as notify ignores
        proposed allocations)."""
        if topic == BOOKINGS:
            return self.booking()
        if topic == ASSETS:
            return clone_asset_event(self.asset, self.tag, next(self.numbers))
        event = copy.deepcopy(self.allocation)
        allocation_id = str(uuid.uuid4())
        event["data"].update(allocation_id=allocation_id, booking_id=str(uuid.uuid4()))
        event.update(id=str(uuid.uuid4()), aggregate_id=allocation_id, trace_id=uuid.uuid4().hex)
        return validate_event(event)


@pytest.fixture(scope="module")
def lane(app_db_urls: dict[str, str], broker: Broker) -> Iterator[Lane]:
    opened = Lane.open(app_db_urls, broker)
    yield opened
    opened.close()


@pytest.fixture(scope="module")
def stack(lane: Lane) -> Iterator[Stack]:
    made = Stack(lane)
    yield made
    made.close()


@pytest.fixture(scope="module")
def templates(clients: dict[str, FlaskClient], db_urls: dict[str, str], lane: Lane) -> Templates:
    booking = clients["booking"]
    start = in_hours(24)
    requested = request_booking(booking, put_asset(db_urls), start)
    act(booking, requested["id"], "approve")
    backdate(db_urls, requested["id"], hours=30)  # the use is over now
    used = start - timedelta(hours=30)
    act(
        booking,
        requested["id"],
        "complete",
        actual_start=used.isoformat(),
        actual_end=(used + timedelta(hours=2)).isoformat(),
    )
    completed = events_of(db_urls, requested["id"])[-1]
    assert completed["type"] == "booking.completed"

    asset = register_bookable_helicopter(clients["catalog"])
    registered = lane.scalar(
        "catalog",
        "SELECT payload FROM outbox WHERE aggregate_id = :a AND event_type = :t",
        a=asset["id"],
        t="catalog.asset.registered",
    )
    unit, owner = scoped_orgs()
    create_agreement(
        clients["costsharing"], owner_org=owner, requester_org=unit, valid_from="2026-01-01"
    )
    made = Templates(completed, registered, {}, unit, owner, lane.tag)
    billed = made.booking()
    costsharing = CostsharingDB(lane.settings["costsharing"])
    try:
        costsharing.apply(billed)
    finally:
        costsharing.dispose()
    made.allocation = lane.scalar(
        "costsharing",
        "SELECT payload FROM outbox WHERE event_type = :t AND payload->'data'->>'booking_id' = :b",
        t="costsharing.allocation.proposed",
        b=billed["aggregate_id"],
    )
    return made


# -- 1. each kind of poison, deterministically ----------------------------------------------------
def with_raw(event: dict[str, Any], path: tuple[str, ...], raw: str) -> bytes:
    """``event`` encoded with the JSON text ``raw`` at ``path`` (what json.dumps cannot write)."""
    marker = f"@@raw-{uuid.uuid4().hex}@@"
    node = event
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = marker
    return encode(event).replace(f'"{marker}"'.encode(), raw.encode())


def changed(event: dict[str, Any], path: tuple[str, ...], value: Any) -> dict[str, Any]:
    node = event
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return event


def without(event: dict[str, Any], key: str) -> dict[str, Any]:
    del event[key]
    return event


# name → (the poison, built from a valid booking.completed; what its DLQ reason says)
POISON: dict[str, tuple[Callable[[dict[str, Any]], bytes | None], str]] = {
    "no-value": (lambda e: None, "message has no value"),
    "not-utf8": (lambda e: b'{"id": "\xff\xfe"}', "not UTF-8"),
    "not-json": (lambda e: b"{this is not json", "not JSON"),
    "not-an-object": (lambda e: b"[1, 2, 3]", "not a JSON object"),
    "100000-brackets": (lambda e: b"[" * 100_000 + b"]" * 100_000, "nested deeper than 32"),
    "deep-in-an-event": (
        lambda e: with_raw(e, ("data", "purpose"), "[" * 500 + "]" * 500),
        "nested deeper than 32",
    ),
    "5000-digit-integer": (lambda e: b"1" * 5000, "integer of 5000 characters"),
    "5000-digit-quantity": (
        lambda e: with_raw(e, ("data", "quantity"), "7" * 5000),
        "integer of 5000 characters",
    ),
    "nan": (lambda e: with_raw(e, ("data", "quantity"), "NaN"), "NaN is not a number"),
    "ten-megabytes-of-junk": (lambda e: b"\x00" * TEN_MB, "an event has at most"),
    "ten-megabytes": (
        lambda e: with_raw(e, ("data", "purpose"), json.dumps("x" * TEN_MB)),
        "an event has at most",
    ),
    "wrong-type": (
        lambda e: encode(changed(e, ("data", "quantity"), "three")),
        "schema violation at data/quantity",
    ),
    "missing-id": (lambda e: encode(without(e, "id")), "'id' is a required property"),
    "id-in-capitals": (
        lambda e: encode(changed(e, ("id",), e["id"].upper())),
        "not a lowercase, hyphenated UUID",
    ),
    "version-true": (
        lambda e: encode(changed(e, ("version",), True)),
        "lacks a string 'type' and an integer 'version'",
    ),
    "unknown-type": (
        lambda e: encode(changed(e, ("type",), "booking.teleported")),
        "unknown event type or version: booking.teleported v1",
    ),
    "unknown-version": (
        lambda e: encode(changed(e, ("version",), 7)),
        "unknown event type or version: booking.completed v7",
    ),
    "lone-surrogate": (
        lambda e: encode(changed(e, ("data", "purpose"), "Zoekactie \ud800")),
        "half a UTF-16 surrogate pair",
    ),
    "nul": (
        lambda e: encode(changed(e, ("data", "purpose"), "Zoek\x00actie")),
        "text contains a NUL character",
    ),
    "not-the-owner": (
        lambda e: encode(changed(e, ("producer",), "costsharing")),
        "producer 'costsharing' may not write",
    ),
}


@pytest.mark.parametrize("kind", list(POISON))
def test_poison_goes_to_the_dlq_with_its_reason_and_the_next_booking_takes_effect(
    stack: Stack, templates: Templates, kind: str
) -> None:
    build, reason = POISON[kind]
    poison = build(templates.booking())
    valid = templates.booking()
    poison_at, valid_at = stack.produce(BOOKINGS, [poison, encode(valid)], partition=0)

    stack.drain(BOOKINGS)  # every consumer commits past the poison and the event behind it

    dead = stack.dead_letters(BOOKINGS)
    for reader in stack.readers[BOOKINGS]:
        record = dead.get((reader.name, 0, poison_at))
        assert record is not None, f"{reader.name} did not dead-letter the poison"
        assert reason in (header(record, "dlq_reason") or ""), header(record, "dlq_reason")
        assert header(record, "original_topic") == stack.lane.topic(BOOKINGS)
        if poison is not None and len(poison) >= TEN_MB:
            # Too large for any producer's request: the first 64 KiB, its size and its hash.
            assert record.value == poison[: 64 * 1024]
            assert header(record, "dlq_truncated") == "true"
            assert header(record, "original_value_bytes") == str(len(poison))
            assert header(record, "original_value_sha256") == hashlib.sha256(poison).hexdigest()
        else:
            assert record.value == poison and header(record, "dlq_truncated") is None
        assert (reader.name, 0, valid_at) not in dead
        assert stack.took_effect(reader, valid), f"{reader.name}: no effect"


def test_the_two_poisons_found_do_not_stop_the_running_workers(
    app_db_urls: dict[str, str],
    broker: Broker,
    start_worker: Callable[..., Any],
    templates: Templates,
) -> None:
    """The issue as found: 100,000 "[" and a 5,000-digit integer on booking.bookings, then a
    booking; catalog's and cost-sharing's workers (threads, as ``slagkracht worker`` runs them)
    dead-letter both and bill the booking. A lane of its own: the workers' consumer groups are
    the same as the stack's."""
    lane = Lane.open(app_db_urls, broker)
    try:
        for service in ("catalog", "costsharing"):
            start_worker(service, settings_override=lane.settings[service])
        booking = templates.booking()
        values = [b"[" * 100_000 + b"]" * 100_000, b"1" * 5000, encode(booking)]
        produce(
            lane.settings["booking"], lane.topic(BOOKINGS), [(b"k", v) for v in values], partition=0
        )

        billed = "SELECT count(*) FROM allocations WHERE booking_id = :id"
        eventually(
            lambda: lane.scalar("costsharing", billed, id=booking["aggregate_id"]),
            timeout_s=60,
            what="the booking behind the poison billed",
        )
        expected = {
            (consumer, offset)
            for consumer in ("catalog.booking-commitments", "costsharing.bookings")
            for offset in ("0", "1")
        }
        dlq = lane.topic(BOOKINGS + ".dlq")
        eventually(
            lambda: (
                expected
                <= {
                    (header(r, "dlq_consumer"), header(r, "original_offset"))
                    for r in read_topic(lane.broker.bootstrap, dlq)
                }
            ),
            timeout_s=30,
            what="both poisons in the DLQ from both consumers",
        )
    finally:
        lane.close()


def test_a_valid_event_beyond_a_database_limit_is_dead_lettered_not_retried_forever(
    stack: Stack, templates: Templates, clients: dict[str, FlaskClient]
) -> None:
    """The contract sets no length on an organisation; cost-sharing's ledger indexes it, and
    PostgreSQL refuses an index row over 8 KB (program_limit_exceeded, reported as an
    OperationalError like a lost connection) whatever the retry."""
    _, owner = scoped_orgs()  # its agreement bills any requesting organisation
    create_agreement(
        clients["costsharing"], owner_org=owner, requester_org=None, valid_from="2026-01-01"
    )
    huge = templates.booking()
    huge["data"].update(owner_org=owner, requester_org=os.urandom(60_000).hex())
    valid = templates.booking()
    huge_at, valid_at = stack.produce(BOOKINGS, [encode(huge), encode(valid)], partition=2)

    stack.drain(BOOKINGS)

    billing = stack.reader(BOOKINGS, "costsharing")
    letter = stack.dead_letters(BOOKINGS)[(billing.name, 2, huge_at)]
    assert header(letter, "dlq_reason") == (
        "refused by the database in costsharing.bookings: ProgramLimitExceeded"
    )
    assert stack.effect(billing, huge["aggregate_id"]) == 0
    for reader in stack.readers[BOOKINGS]:
        assert stack.took_effect(reader, valid), f"{reader.name}: no effect"


def test_a_valid_event_a_consumer_does_not_act_on_is_ignored_not_dead_lettered(
    stack: Stack, templates: Templates
) -> None:
    """An order (booking.order.placed) concerns cost-sharing, not catalog: catalog commits past
    it without a trace; cost-sharing applies it."""
    order = order_placed(
        requester_org=templates.requester_org,
        owner_org=templates.owner_org,
        quantity=3,
        unit_price="95.00",
        solo_unit_price="120.00",
        ordered_at=in_hours(-1),
    )
    (order_at,) = stack.produce(BOOKINGS, [encode(order)], partition=1)

    stack.drain(BOOKINGS)

    dead = stack.dead_letters(BOOKINGS)
    for service, handles in (("catalog", False), ("costsharing", True)):
        reader = stack.reader(BOOKINGS, service)
        assert (reader.name, 1, order_at) not in dead
        assert (order["id"] in stack.applied(reader)) is handles


# -- 2. only the owner writes its topic -----------------------------------------------------------
def test_a_booking_completed_not_produced_by_booking_is_dead_lettered_and_not_billed(
    stack: Stack, templates: Templates
) -> None:
    """A copy of a real booking.completed under a new id, for a booking booking never issued,
    produced by hand to booking.bookings; the same copy from booking is billed."""
    forged = templates.booking(producer="costsharing")
    genuine = templates.booking()
    forged_at, genuine_at = stack.produce(BOOKINGS, [encode(forged), encode(genuine)], 1)

    stack.drain(BOOKINGS)

    dead = stack.dead_letters(BOOKINGS)
    billing = stack.reader(BOOKINGS, "costsharing")
    assert stack.effect(billing, forged["aggregate_id"]) == 0, "the forged booking was billed"
    assert stack.effect(billing, genuine["aggregate_id"]) == 1
    for reader in stack.readers[BOOKINGS]:
        record = dead[(reader.name, 1, forged_at)]
        assert header(record, "dlq_reason") == (
            f"producer 'costsharing' may not write {stack.lane.topic(BOOKINGS)}; only booking does"
        )
        assert (reader.name, 1, genuine_at) not in dead
        assert forged["id"] not in stack.applied(reader)


# -- 3. anything at all, at every consumer --------------------------------------------------------
@dataclass
class Message:
    """A generated record value: raw bytes, or an envelope with raw JSON spliced in."""

    raw: bytes | None = None
    event: Any = None
    splices: dict[str, str] = field(default_factory=dict)
    mutated: bool = True

    def encode(self, base_id: str) -> tuple[bytes | None, str | None]:
        """The value to send and the event id it carries (a fresh one for the base's)."""
        if self.raw is not None or self.event is None:
            return self.raw, None
        event = copy.deepcopy(self.event)
        if isinstance(event, dict) and event.get("id") == base_id:
            event["id"] = str(uuid.uuid4())  # no two messages share the base's id
        value = encode(event)
        for marker in reversed(self.splices):  # a later splice may hold an earlier marker
            value = value.replace(f'"{marker}"'.encode(), self.splices[marker].encode())
        event_id = event.get("id") if isinstance(event, dict) else None
        return value, event_id if isinstance(event_id, str) else None


LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
    st.lists(st.integers(0, 9), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=8,
)
MUTATIONS = (
    "retype",
    "drop",
    "nest",
    "huge_int",
    "long_text",
    "extra",
    "type",
    "version",
    "producer",
)


def places(value: Any) -> list[tuple[Any, Any]]:
    """(container, key) of every value inside ``value``."""
    found: list[tuple[Any, Any]] = []
    pending = [value]
    while pending:
        node = pending.pop()
        keys = list(node) if isinstance(node, dict) else range(len(node))
        for key in keys:
            found.append((node, key))
            if isinstance(node[key], dict | list):
                pending.append(node[key])
    return found


@st.composite
def near_valid(draw: st.DrawFn, base: dict[str, Any]) -> Message:
    """``base`` with one to three mutations: a wrong type, a field dropped, nesting, a huge
    integer, a long text, an extra field, another type, version or producer."""
    event = copy.deepcopy(base)
    splices: dict[str, str] = {}
    mutations = draw(st.lists(st.sampled_from(MUTATIONS), min_size=1, max_size=3))
    for mutation in mutations:
        inside = places(event)
        if not inside:
            break
        node, key = draw(st.sampled_from(inside))
        marker = f"@@splice-{len(splices)}@@"
        if mutation == "retype":
            node[key] = draw(LEAVES)
        elif mutation == "drop":
            del node[key]
        elif mutation == "nest":
            depth = draw(st.integers(1, 3000))
            splices[marker] = "[" * depth + json.dumps(node[key]) + "]" * depth
            node[key] = marker
        elif mutation == "huge_int":
            splices[marker] = draw(st.sampled_from(["", "-"])) + "9" * draw(st.integers(15, 6000))
            node[key] = marker
        elif mutation == "long_text":  # random, so PostgreSQL cannot compress it under a limit
            noise = random.Random(draw(st.integers(0, 2**32)))
            node[key] = noise.randbytes(draw(st.integers(1000, 60_000))).hex()
        elif mutation == "extra" and isinstance(node, dict):
            node[draw(st.text(max_size=8))] = draw(LEAVES)
        elif mutation == "type":
            event["type"] = draw(
                st.sampled_from(
                    ["booking.teleported", "booking.requested", "catalog.asset.retired"]
                )
                | st.text(max_size=20)
            )
        elif mutation == "version":
            event["version"] = draw(st.integers(-2, 10**21) | st.booleans() | st.floats())
        elif mutation == "producer":
            event["producer"] = draw(st.sampled_from(["catalog", "booking", "costsharing", ""]))
    return Message(event=event, splices=splices)


def messages(base: dict[str, Any]) -> st.SearchStrategy[Message]:
    return st.one_of(
        st.binary(max_size=64).map(lambda raw: Message(raw=raw)),
        JSON_VALUES.map(lambda value: Message(raw=json.dumps(value).encode())),
        near_valid(base),
        st.just(Message(event=base, mutated=False)),
    )


def ignorable(value: bytes | None, topic: str, reader: Reader) -> bool:
    """A valid event from the topic's owner that ``reader`` does not act on."""
    try:
        event = decode_event(value)
    except Exception:  # noqa: BLE001 - anything not a valid event is not ignorable
        return False
    return (
        event["producer"] == topic_owner(topic)
        and event["type"] not in reader.subscription.event_types
    )


@hypothesis_settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    # No explain or shrink phase: each replays a failing example over the broker, where a
    # stuck consumer costs drain's 60 s per replay (a CI run was seen shrinking for 15 minutes).
    # A failure is reported as generated; its records are in the DLQ and the assertion.
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)
@given(data=st.data())
def test_every_record_ends_applied_or_in_the_dlq_at_every_consumer(
    stack: Stack, templates: Templates, data: st.DataObject
) -> None:
    topic = data.draw(st.sampled_from([t for t in TOPICS if stack.readers[t]]), label="topic")
    partition = data.draw(st.integers(0, 2), label="partition")
    base = templates.valid(topic)
    drawn = data.draw(st.lists(messages(base), min_size=1, max_size=4), label="messages")
    sent = [message.encode(base["id"]) for message in drawn]
    after = templates.valid(topic)  # a valid event behind them all
    offsets = stack.produce(topic, [value for value, _ in sent] + [encode(after)], partition)

    stack.drain(topic)  # every consumer of the topic commits the end of every partition

    dead = stack.dead_letters(topic)
    for reader in stack.readers[topic]:
        applied = stack.applied(reader)
        for message, (value, event_id), offset in zip(drawn, sent, offsets, strict=False):
            letter = dead.get((reader.name, partition, offset))
            fates = {
                "in the DLQ": letter is not None,
                "applied": event_id in applied,
                "ignored": ignorable(value, topic, reader),
            }
            assert sum(fates.values()) == 1, (reader.name, offset, fates, value and value[:300])
            event(f"{reader.name}: {next(fate for fate, held in fates.items() if held)}")
            if letter is not None:
                assert header(letter, "dlq_reason") and letter.value == value
            if not message.mutated:
                assert not fates["in the DLQ"], f"{reader.name} refused a valid event"
        assert (reader.name, partition, offsets[-1]) not in dead
        if after["type"] in reader.subscription.event_types:
            assert after["id"] in applied
            assert stack.took_effect(reader, after), f"{reader.name}: no effect"
