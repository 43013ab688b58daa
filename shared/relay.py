"""The outbox relay: publishes committed outbox rows to Kafka, key = aggregate id.

Order: rows are read in id order under a transaction-level advisory lock, so only one relay
per database publishes at a time and one aggregate's events leave in the order they were
written. A row is marked published only after the broker acknowledged it; a crash in between
re-sends it, and consumers dedupe on the event id.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime, timedelta

import psycopg
from kafka import KafkaProducer
from kafka.errors import KafkaError
from prometheus_client import Counter
from sqlalchemy import Engine, text

from shared.db import OUTBOX_CHANNEL
from shared.kafka import make_producer
from shared.pacing import Linger
from shared.settings import Settings

log = logging.getLogger(__name__)

EVENTS_PUBLISHED = Counter("outbox_events_published_total", "Outbox rows published", ["service"])
RELAY_ADVISORY_LOCK = 0x534C4B52  # "SLKR": one publishing relay per database

_SELECT_BATCH = text(
    """
    SELECT id, topic, aggregate_id, event_type, event_id::text AS event_id,
           payload::text AS payload, coalesce(payload->>'trace_id', '') AS trace_id
    FROM outbox WHERE published_at IS NULL ORDER BY id LIMIT :limit FOR UPDATE
    """
)
_MARK_PUBLISHED = text("UPDATE outbox SET published_at = now() WHERE id = ANY(:ids)")


def libpq_conninfo(engine: Engine) -> str:
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


class OutboxRelay:
    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        *,
        batch_size: int = 500,
        send_timeout_s: float = 10.0,
        idle_poll_s: float = 10.0,
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.batch_size = batch_size
        self.send_timeout_s = send_timeout_s
        # NOTIFY wakes the relay (an outbox insert fires it, and so does replay()); the poll is
        # only the safety net, so it is slow: each idle round is a transaction.
        self.idle_poll_s = idle_poll_s
        # After a wake-up, the commits of the next few milliseconds join the batch: one
        # transaction, produce request and broker write for several events instead of one each;
        # the faster rows come, the longer the pause (shared/pacing.py Linger).
        self.linger = Linger(
            settings.relay_linger_ms / 1000,
            settings.linger_max_ms / 1000,
            full_rate=settings.linger_full_rate,
            from_rate=settings.linger_from_rate,
        )
        self._producer: KafkaProducer | None = None
        self._last_prune = 0.0

    def _get_producer(self) -> KafkaProducer:
        if self._producer is None:
            self._producer = make_producer(self.settings)
        return self._producer

    def _drop_producer(self) -> None:
        if self._producer is not None:
            try:
                self._producer.close(timeout=1)
            except Exception:  # noqa: BLE001 - closing a broken client must not mask the cause
                log.debug("closing producer failed", exc_info=True)
            self._producer = None

    def publish_batch(self) -> int:
        """Publish up to one batch; returns how many rows were confirmed."""
        producer = self._get_producer()
        with self.engine.begin() as conn:
            locked = conn.execute(
                text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": RELAY_ADVISORY_LOCK}
            ).scalar()
            if not locked:
                return 0
            rows = conn.execute(_SELECT_BATCH, {"limit": self.batch_size}).all()
            if not rows:
                return 0
            # The payload is sent as PostgreSQL renders the JSONB (canonical, compact enough):
            # parsing it into Python only to serialise it again cost more than sending it.
            futures = [
                producer.send(
                    row.topic,
                    key=row.aggregate_id.encode(),
                    value=row.payload.encode(),
                    headers=[
                        ("event_type", row.event_type.encode()),
                        ("event_id", row.event_id.encode()),
                        ("trace_id", row.trace_id.encode()),
                    ],
                )
                for row in rows
            ]
            producer.flush(timeout=self.send_timeout_s)
            confirmed: list[int] = []
            # Only the acknowledged prefix counts, so a retry never reorders an aggregate.
            for row, future in zip(rows, futures, strict=True):
                if not future.is_done or future.failed():
                    break
                confirmed.append(row.id)
            if confirmed:
                conn.execute(_MARK_PUBLISHED, {"ids": confirmed})
            if len(confirmed) < len(rows):
                failed = futures[len(confirmed)]
                raise KafkaError(f"broker did not acknowledge: {failed.exception or 'timeout'}")
        EVENTS_PUBLISHED.labels(self.settings.service).inc(len(confirmed))
        return len(confirmed)

    def prune(self) -> int:
        """Delete published rows older than the retention period."""
        cutoff = datetime.now(UTC) - timedelta(hours=self.settings.outbox_retention_hours)
        with self.engine.begin() as conn:
            result = conn.execute(
                text("DELETE FROM outbox WHERE published_at IS NOT NULL AND occurred_at < :c"),
                {"c": cutoff},
            )
        return int(result.rowcount or 0)

    def run(self, stop: threading.Event) -> None:
        """Publish until ``stop`` is set: wake on NOTIFY, back off while the broker is down."""
        backoff = 0.2
        listener: psycopg.Connection | None = None
        while not stop.is_set():
            try:
                if listener is None:
                    listener = psycopg.connect(libpq_conninfo(self.engine), autocommit=True)
                    listener.execute(f"LISTEN {OUTBOX_CHANNEL}")
                published = self.publish_batch()
                self.linger.saw(published, time.monotonic())
                backoff = 0.2
                if time.monotonic() - self._last_prune > 600:
                    self.prune()
                    self._last_prune = time.monotonic()
                if published < self.batch_size and self._await_commit(listener, stop):
                    stop.wait(self.linger.seconds(time.monotonic()))
            except (KafkaError, psycopg.Error, OSError) as exc:
                log.warning("relay: %s; retrying in %.1fs", exc, backoff)
                self._drop_producer()
                if listener is not None and listener.closed:
                    listener = None
                stop.wait(backoff)
                backoff = min(backoff * 2, 5.0)
            except Exception as exc:  # noqa: BLE001 - keep relaying; SQLAlchemy errors land here
                log.warning("relay: %s; retrying in %.1fs", exc, backoff)
                stop.wait(backoff)
                backoff = min(backoff * 2, 5.0)
        self._drop_producer()
        if listener is not None:
            listener.close()

    # How long one wait for a NOTIFY may last before ``stop`` is looked at again: a stopping
    # worker (SIGTERM, a test's teardown) must not sit out the whole safety-net poll.
    STOP_CHECK_S = 1.0

    def _await_commit(self, listener: psycopg.Connection, stop: threading.Event) -> bool:
        """Sleep until a commit NOTIFYs (True), the safety-net poll is due or ``stop`` is set."""
        deadline = time.monotonic() + self.idle_poll_s
        while not stop.is_set() and (left := deadline - time.monotonic()) > 0:
            for _ in listener.notifies(timeout=min(left, self.STOP_CHECK_S), stop_after=1):
                return True
        return False


def replay(engine: Engine, *, since: datetime | None = None, until: datetime | None = None) -> int:
    """Mark retained outbox rows unpublished so the relay sends them again (e.g. fresh broker)."""
    clauses, params = ["published_at IS NOT NULL"], {}
    if since is not None:
        clauses.append("occurred_at >= :since")
        params["since"] = since
    if until is not None:
        clauses.append("occurred_at < :until")
        params["until"] = until
    with engine.begin() as conn:
        result = conn.execute(
            text(f"UPDATE outbox SET published_at = NULL WHERE {' AND '.join(clauses)}"), params
        )
        # The insert trigger does not fire for an update: wake the relays ourselves.
        conn.execute(text(f"NOTIFY {OUTBOX_CHANNEL}"))
    return int(result.rowcount or 0)
