"""Exactly once over the real broker: replaying booking.bookings changes nothing in the ledger.

Booking events are produced with kafka-python to the session's prefixed ``booking.bookings``
topic and consumed by the real cost-sharing worker. Then the whole topic is replayed from the
beginning twice — by workers in fresh consumer groups, with every event produced once more
(out of order) and once more again as a re-sent copy under a new event id — and the ledger
must be row for row what it was.
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest
from flask.testing import FlaskClient
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from prometheus_client import REGISTRY

from shared.kafka import make_producer
from shared.settings import Settings
from tests.integration.costsharing_support import (
    CostsharingDB,
    D,
    at,
    booking_data,
    cancelled,
    completed,
    create_agreement,
    event,
    order_placed,
    preempted,
    scoped_orgs,
    source_id,
)
from tests.support import eventually

pytestmark = [pytest.mark.db, pytest.mark.broker]

BOOKINGS = "booking.bookings"
CONSUMER = "costsharing.bookings"  # services/costsharing/worker.py: the dedupe key's consumer
GROUP = "costsharing.events"  # the worker's one Kafka client: its group is <group_id>.<this>


@pytest.fixture
def db(settings: dict[str, Settings]) -> Iterator[CostsharingDB]:
    made = CostsharingDB(settings["costsharing"])
    yield made
    made.dispose()


@pytest.fixture
def producer(settings: dict[str, Settings]) -> Iterator[KafkaProducer]:
    made = make_producer(settings["booking"])
    yield made
    made.close(timeout=5)


def lifecycle(unit: str, owner: str) -> list[dict[str, Any]]:
    """One booking from request to completion, as booking emits it (versions 1 to 4)."""
    start = at("2027-02-03T08:00")
    common: dict[str, Any] = {
        "requester_org": unit,
        "owner_org": owner,
        "planned_start": start,
        "booking_id": str(uuid.uuid4()),
        "asset_id": str(uuid.uuid4()),
    }
    steps = [
        event("booking.requested", booking_data(state="requested", version=1, **common)),
        event(
            "booking.approved",
            booking_data(state="approved", version=2, decided_at=at("2027-01-30T08:00"), **common),
        ),
        event(
            "booking.started",
            booking_data(
                state="in_use",
                version=3,
                actual_start=start,
                decided_at=at("2027-01-30T08:00"),
                **common,
            ),
        ),
    ]
    done = completed(
        requester_org=unit,
        owner_org=owner,
        start=start,
        usage="3.25",
        booking_id=common["booking_id"],
        asset_id=common["asset_id"],
    )
    return [*steps, done]


def resent(evt: dict[str, Any]) -> dict[str, Any]:
    """The same fact sent again under a new event id (e.g. after an outbox replay)."""
    return {**evt, "id": str(uuid.uuid4())}


class Topic:
    """The session's booking.bookings topic and a view of a consumer group's progress on it."""

    def __init__(self, settings: Settings, producer: KafkaProducer) -> None:
        self.name = settings.topic(BOOKINGS)
        self.settings = settings
        self.producer = producer
        self.probe = KafkaConsumer(
            bootstrap_servers=settings.kafka_bootstrap_servers.split(","),
            enable_auto_commit=False,
            group_id=None,
        )
        self.partitions = [
            TopicPartition(self.name, p)
            for p in sorted(self.probe.partitions_for_topic(self.name) or [])
        ]
        assert self.partitions, f"topic {self.name} has no partitions"

    def close(self) -> None:
        self.probe.close()

    def produce(self, events: list[dict[str, Any]]) -> None:
        for evt in events:
            self.producer.send(
                self.name, key=source_id(evt).encode(), value=json.dumps(evt).encode()
            )
        self.producer.flush(timeout=10)

    def caught_up(self, worker_settings: Settings) -> Callable[[], bool]:
        """True once the worker's group has committed past the end of every partition."""
        ends = self.probe.end_offsets(self.partitions)
        watcher = KafkaConsumer(
            bootstrap_servers=self.settings.kafka_bootstrap_servers.split(","),
            group_id=f"{worker_settings.group_id}.{GROUP}",
            enable_auto_commit=False,
        )

        def probe() -> bool:
            done = all((watcher.committed(tp) or 0) >= ends[tp] for tp in self.partitions)
            if done:
                watcher.close()
            return done

        return probe


def ledger_snapshot(db: CostsharingDB, booking_ids: list[str]) -> dict[str, Any]:
    """Every ledger row and allocation of these bookings, and the whole ledger's totals."""
    mine = {"ids": booking_ids}
    return {
        "ledger": db.rows(
            "SELECT e.id, e.allocation_id, e.org, e.side, e.kind, e.entry, e.amount, "
            "e.source_event_id FROM ledger_entries e JOIN allocations a "
            "ON a.id = e.allocation_id WHERE a.booking_id::text = ANY(:ids) ORDER BY e.id",
            **mine,
        ),
        "allocations": db.rows(
            "SELECT id, booking_id, kind, state, source_event_id, agreement_id, total, "
            "requester_amount, owner_amount, usage_quantity, version FROM allocations "
            "WHERE booking_id::text = ANY(:ids) ORDER BY id",
            **mine,
        ),
        "everything": db.rows(
            "SELECT count(*) AS rows, "
            "coalesce(sum(amount) FILTER (WHERE side = 'debit'), 0) AS debit, "
            "coalesce(sum(amount) FILTER (WHERE side = 'credit'), 0) AS credit "
            "FROM ledger_entries"
        )[0],
        "allocation_rows": db.scalar("SELECT count(*) FROM allocations"),
        "allocation_events": db.scalar(
            "SELECT count(*) FROM outbox o JOIN allocations a ON o.aggregate_id = a.id::text "
            "WHERE a.booking_id::text = ANY(:ids)",
            **mine,
        ),
    }


def duplicates_seen() -> float:
    return REGISTRY.get_sample_value("events_duplicate_total", {"consumer": CONSUMER}) or 0.0


def test_replaying_the_topic_twice_leaves_the_ledger_unchanged(
    clients: dict[str, FlaskClient],
    settings: dict[str, Settings],
    start_worker: Callable[..., Any],
    db: CostsharingDB,
    producer: KafkaProducer,
) -> None:
    cs = clients["costsharing"]
    unit, owner = scoped_orgs()
    year = {"valid_from": "2027-01-01", "valid_to": "2028-01-01"}
    create_agreement(cs, owner_org=owner, requester_org=unit, requester_share_pct="70", **year)
    create_agreement(
        cs,
        owner_org=owner,
        requester_org=unit,
        category="procurement_item",
        legal_basis="joint_procurement",
        price_basis="full_cost",
        charge_mobilisation=False,
        **year,
    )

    def use(day: str, usage: str) -> dict[str, Any]:
        return completed(requester_org=unit, owner_org=owner, start=at(f"{day}T08:00"), usage=usage)

    def cancel(day: str, hours_before: float) -> dict[str, Any]:
        return cancelled(
            requester_org=unit,
            owner_org=owner,
            start=at(f"{day}T08:00"),
            planned_hours=4,
            hours_before_start=hours_before,
        )

    def order(quantity: int, price: str) -> dict[str, Any]:
        return order_placed(
            requester_org=unit,
            owner_org=owner,
            quantity=quantity,
            unit_price=price,
            solo_unit_price="99.00",
            ordered_at=at("2027-02-10T09:00"),
        )

    u1, u2, life = use("2027-02-01", "2.00"), use("2027-02-02", "1.50"), lifecycle(unit, owner)
    late, early = cancel("2027-02-04", 12), cancel("2027-02-05", 100)
    displaced = preempted(requester_org=unit, owner_org=owner, start=at("2027-02-06T08:00"))
    o1, o2 = order(40, "12.50"), order(7, "33.33")
    events = [u1, u2, *life, late, early, displaced, o1, o2]
    booking_ids = sorted({source_id(e) for e in events})
    topic = Topic(settings["costsharing"], producer)
    try:
        topic.produce(events)
        first_worker = start_worker("costsharing")
        eventually(
            topic.caught_up(settings["costsharing"]),
            timeout_s=60,
            what="the cost-sharing worker to consume the booking events",
        )
        processed = db.scalar(
            "SELECT count(*) FROM processed_messages WHERE consumer = :c "
            "AND event_id::text = ANY(:ids)",
            c=CONSUMER,
            ids=[e["id"] for e in events],
        )
        assert processed == len(events)

        # The effects, once: 70 % for the police unit, 100 % of its orders.
        expected = {
            (source_id(u1), "usage"): ("9300.00", "6510.00"),  # 2 × 3900 + 1500
            (source_id(u2), "usage"): ("7350.00", "5145.00"),  # 1.5 × 3900 + 1500
            (source_id(life[-1]), "usage"): ("14175.00", "9922.50"),  # 3.25 × 3900 + 1500
            (source_id(late), "cancellation"): ("4275.00", "2992.50"),  # 25 % of 17100
            (source_id(o1), "procurement"): ("500.00", "500.00"),  # 40 × 12.50
            (source_id(o2), "procurement"): ("233.31", "233.31"),  # 7 × 33.33
        }
        before = ledger_snapshot(db, booking_ids)
        assert {
            (str(a["booking_id"]), a["kind"]): (str(a["total"]), str(a["requester_amount"]))
            for a in before["allocations"]
        } == expected
        assert len(before["ledger"]) == 4 * 3 + 2 * 2  # owner-borne lines only where shared
        debit = sum((x["amount"] for x in before["ledger"] if x["side"] == "debit"), D(0))
        credit = sum((x["amount"] for x in before["ledger"] if x["side"] == "credit"), D(0))
        assert debit == credit == sum((D(t) for t, _ in expected.values()), Decimal(0))
        assert before["allocation_events"] == len(expected)  # one 'proposed' each
        first_worker.set()

        for round_ in (1, 2):
            # A fresh consumer group reads the topic from the very beginning ...
            replaying = replace(
                settings["costsharing"], consumer_group=f"replay{round_}-{uuid.uuid4().hex[:6]}"
            )
            # ... which by now also holds every event again, out of order, and re-sent copies
            # under new event ids (same bookings, same facts).
            reordered = events[::-1]
            copies = [resent(e) for e in events]
            random.Random(round_).shuffle(copies)
            duplicates_before = duplicates_seen()
            topic.produce(reordered + copies)
            stop = start_worker("costsharing", settings_override=replaying)
            eventually(
                topic.caught_up(replaying),
                timeout_s=60,
                what=f"replay {round_} to reach the end of the topic",
            )
            stop.set()
            # Every earlier delivery of every event came round again as a duplicate: the
            # first production and each round's reordered one, and the earlier rounds' copies.
            assert duplicates_seen() - duplicates_before >= len(events) * 2 * round_
            assert ledger_snapshot(db, booking_ids) == before, f"replay {round_} changed it"
    finally:
        topic.close()
