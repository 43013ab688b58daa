"""Helpers for test_reliability: an isolated lane of topics, worker processes and probes.

Everything here talks to the real broker and the real PostgreSQL of the test session; nothing
is mocked. A *lane* is a topic prefix of its own on the shared broker, so one test's topics,
consumer groups and messages never mix with another test's, while the service databases are
the session's (rows are told apart by a per-test tag).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kafka import KafkaConsumer, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord
from sqlalchemy import Connection, Engine, text

from shared.db import make_engine
from shared.events import validate_event
from shared.kafka import create_topics, make_producer
from shared.relay import OutboxRelay
from shared.runtime import Broker
from shared.settings import Settings, load_settings

REPO_ROOT = Path(__file__).resolve().parents[2]
BOOKING_CONSUMER = "booking.catalog-read-model"  # services/booking/worker.py
ASSETS_TOPIC = "catalog.assets"


# -- the lane ------------------------------------------------------------------------------
@dataclass
class Lane:
    """One test's own topic prefix on the session broker, over the session's databases."""

    prefix: str
    tag: str
    db_urls: dict[str, str]
    broker: Broker
    settings: dict[str, Settings]
    engines: dict[str, Engine] = field(default_factory=dict)

    @classmethod
    def open(cls, db_urls: dict[str, str], broker: Broker) -> Lane:
        tag = uuid.uuid4().hex[:8]
        prefix = f"rel{tag}."
        settings = {
            service: load_settings(service, cls._env_for(db_urls[service], broker, prefix))
            for service in db_urls
        }
        create_topics(settings["catalog"])
        engines = {s: make_engine(settings[s].database_url, pool_size=2) for s in settings}
        return cls(prefix, tag, db_urls, broker, settings, engines)

    def close(self) -> None:
        for engine in self.engines.values():
            engine.dispose()

    @staticmethod
    def _env_for(database_url: str, broker: Broker, prefix: str) -> dict[str, str]:
        return {
            "DATABASE_URL": database_url,
            "KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap,
            "KAFKA_TOPIC_PREFIX": prefix,
        }

    def topic(self, name: str = ASSETS_TOPIC) -> str:
        return self.settings["catalog"].topic(name)

    def process_env(self, service: str) -> dict[str, str]:
        """The environment of a worker process of this lane (nothing inherited can override)."""
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.endswith("_DATABASE_URL") and not k.startswith("KAFKA_")
        }
        env.update(self._env_for(self.db_urls[service], self.broker, self.prefix))
        env["PYTHONUNBUFFERED"] = "1"
        return env

    def drain_outbox(self, service: str = "catalog") -> None:
        """Publish what earlier tests left unpublished, so this test's rows are next in line."""
        relay = OutboxRelay(self.engines[service], self.settings[service])
        try:
            while relay.publish_batch():
                pass
        finally:
            relay._drop_producer()

    # -- database probes -----------------------------------------------------------------
    def scalar(self, service: str, sql: str, **params: Any) -> Any:
        with self.engines[service].connect() as conn:
            return conn.execute(text(sql), params).scalar()

    def rows(self, service: str, sql: str, **params: Any) -> list[Any]:
        with self.engines[service].connect() as conn:
            return list(conn.execute(text(sql), params).all())

    def outbox_events(self) -> dict[str, str]:
        """event id → asset id of every catalog outbox row of this lane."""
        rows = self.rows(
            "catalog",
            "SELECT event_id::text, aggregate_id FROM outbox WHERE topic = :t",
            t=self.topic(),
        )
        return {r[0]: r[1] for r in rows}

    def unpublished(self) -> int:
        return int(
            self.scalar(
                "catalog",
                "SELECT count(*) FROM outbox WHERE topic = :t AND published_at IS NULL",
                t=self.topic(),
            )
        )

    def processed(self, consumer: str = BOOKING_CONSUMER) -> int:
        """Events of this lane's assets topic recorded as applied by ``consumer`` in booking."""
        return int(
            self.scalar(
                "booking",
                "SELECT count(*) FROM processed_messages WHERE consumer = :c AND topic = :t",
                c=consumer,
                t=self.topic(),
            )
        )

    def asset_views(self) -> int:
        """Rows of booking's asset read model that belong to this lane's assets."""
        return int(
            self.scalar(
                "booking", "SELECT count(*) FROM asset_view WHERE name LIKE :n", n=f"{self.tag} %"
            )
        )

    def applied_once(self, events: dict[str, str], consumer: str = BOOKING_CONSUMER) -> int:
        """How many events left their effect exactly once, by the (sub)transaction id.

        The consumer records an event in ``processed_messages`` and applies its effect in one
        savepoint, so both rows carry the same ``xmin``. Applying the event a second time (in a
        later batch or savepoint) would rewrite the asset_view row with a new ``xmin`` while
        the processed row stays: a mismatch means the effect was applied again.
        """
        return int(
            self.scalar(
                "booking",
                """
                SELECT count(*)
                FROM unnest(CAST(:eids AS uuid[]), CAST(:aids AS uuid[])) AS m(event_id, asset_id)
                JOIN processed_messages pm ON pm.consumer = :c AND pm.event_id = m.event_id
                JOIN asset_view av ON av.asset_id = m.asset_id
                WHERE pm.xmin = av.xmin
                """,
                eids=list(events),
                aids=list(events.values()),
                c=consumer,
            )
        )

    def backends_blocked_by(self, service: str, holder_pid: int, query_prefix: str) -> list[int]:
        """Backends of ``service``'s database waiting for a lock ``holder_pid`` holds."""
        rows = self.rows(
            service,
            """
            SELECT pid FROM pg_stat_activity
            WHERE datname = current_database() AND :holder = ANY(pg_blocking_pids(pid))
              AND query ILIKE :q
            """,
            holder=holder_pid,
            q=query_prefix + "%",
        )
        return [r[0] for r in rows]

    def backend_alive(self, service: str, pid: int) -> bool:
        return bool(
            self.scalar(service, "SELECT count(*) FROM pg_stat_activity WHERE pid = :p", p=pid)
        )


@contextlib.contextmanager
def open_transaction(engine: Engine) -> Iterator[Connection]:
    """A connection in an open transaction, rolled back on exit (to hold locks)."""
    with engine.connect() as conn:
        tx = conn.begin()
        try:
            yield conn
        finally:
            tx.rollback()


def backend_pid(conn: Connection) -> int:
    return int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())


# -- events and the broker -----------------------------------------------------------------
def clone_asset_event(template: dict[str, Any], tag: str, i: int) -> dict[str, Any]:
    """A new, valid event like ``template`` (a real catalog event) for a fresh asset ``tag #i``.

    Cloning what the catalog really emits keeps these events in step with the contract.
    """
    asset_id = str(uuid.uuid4())
    data = {
        **template["data"],
        "asset_id": asset_id,
        "registration": f"R-{tag}-{i:05d}",
        "name": f"{tag} #{i}",
    }
    event = {
        **template,
        "id": str(uuid.uuid4()),
        "aggregate_id": asset_id,
        "trace_id": uuid.uuid4().hex,
        "data": data,
    }
    return validate_event(event)


def produce(
    settings: Settings,
    topic: str,
    messages: Sequence[tuple[bytes | None, bytes | None]],
    *,
    partition: int | None = None,
) -> None:
    """Send raw (key, value) messages with plain kafka-python, in order, and wait for acks."""
    producer = make_producer(settings, client_id="reliability-test")
    try:
        futures = [
            producer.send(topic, key=key, value=value, partition=partition)
            for key, value in messages
        ]
        producer.flush(timeout=30)
        for future in futures:
            future.get(timeout=1)
    finally:
        producer.close(timeout=5)


def encode(event: dict[str, Any]) -> bytes:
    return json.dumps(event, separators=(",", ":")).encode()


def read_topic(bootstrap: str, topic: str, *, timeout_s: float = 20.0) -> list[ConsumerRecord]:
    """Every message currently on ``topic`` (all partitions, from the beginning)."""
    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap.split(","),
        client_id="reliability-reader",
        group_id=None,
        enable_auto_commit=False,
        bootstrap_timeout_ms=10000,
        fetch_max_wait_ms=50,
    )
    try:
        deadline = time.monotonic() + timeout_s
        partitions = consumer.partitions_for_topic(topic)
        while not partitions:
            if time.monotonic() > deadline:
                raise AssertionError(f"topic {topic} has no partitions")
            time.sleep(0.1)
            partitions = consumer.partitions_for_topic(topic)
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        ends = consumer.end_offsets(tps)
        records: list[ConsumerRecord] = []
        while any(consumer.position(tp) < ends[tp] for tp in tps):
            if time.monotonic() > deadline:
                raise AssertionError(f"could not read {topic} to its end within {timeout_s}s")
            for batch in consumer.poll(timeout_ms=200).values():
                records.extend(batch)
        return records
    finally:
        consumer.close(autocommit=False)


def event_ids_on(records: list[ConsumerRecord]) -> list[str]:
    return [json.loads(r.value)["id"] for r in records]


def header(record: ConsumerRecord, name: str) -> str | None:
    for key, value in record.headers or []:
        if key == name:
            return value.decode()
    return None


@contextlib.contextmanager
def broker_paused(broker: Broker) -> Iterator[None]:
    """Freeze the session's broker; resume it whatever happens (other tests share it)."""
    broker.pause()
    try:
        yield
    finally:
        broker.resume()


# -- worker processes ----------------------------------------------------------------------
class WorkerProcesses:
    """``python -m services.cli worker <service>`` processes of a lane; all killed at the end."""

    def __init__(self, lane: Lane, log_dir: Path) -> None:
        self.lane = lane
        self.log_dir = log_dir
        self.started: list[subprocess.Popen[bytes]] = []

    def start(self, service: str) -> subprocess.Popen[bytes]:
        log_path = self.log_dir / f"{service}-worker-{len(self.started)}.log"
        with open(log_path, "wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "services.cli", "worker", service],
                cwd=REPO_ROOT,
                env=self.lane.process_env(service),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.started.append(process)
        return process

    @staticmethod
    def kill(process: subprocess.Popen[bytes]) -> None:
        """SIGKILL: no shutdown hook, no final commit, sockets just drop."""
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

    def stop_all(self) -> None:
        for process in self.started:
            if process.poll() is None:
                process.terminate()
        for process in self.started:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)

    def logs(self) -> str:
        return "\n".join(
            f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}"
            for p in sorted(self.log_dir.glob("*-worker-*.log"))
        )
