"""The consumer loop: dedupe, effect and offset commit in the right order; poison to the DLQ.

For each polled batch: one database transaction applies every new event, records its id in
``processed_messages`` and commits; then unhandleable messages go to ``<topic>.dlq``; then
offsets are committed (at most once a second, so a busy consumer does not pay a broker request
per batch). A crash anywhere re-delivers what was not committed and the dedupe table makes the
second delivery a no-op.

Whatever bytes arrive, a record ends applied, ignored (a valid event of a type this consumer
does not act on) or in the DLQ: decoding and validation raise nothing but EventInvalid, and an
envelope from a producer that does not own the topic is refused too (docs/architecture.md,
"Dead letters").

Two ways to apply a batch:

- per event (``handlers``): each event in its own savepoint, so a failing event is isolated
  and the rest of the batch still applies;
- set-based (``batch``): all fresh events of the batch at once (one claim statement, one
  multi-row statement per table), in one savepoint. If that fails for any reason but a
  transient one, the savepoint is rolled back and the same batch is applied one event at a
  time as above, which isolates the culprit for the DLQ. Only committed work counts: a
  rolled-back attempt leaves nothing behind, so nothing is applied twice.
"""

from __future__ import annotations

import hashlib
import logging
import math
import threading
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord
from kafka.errors import CommitFailedError, KafkaError
from kafka.structs import OffsetAndMetadata
from prometheus_client import Counter
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import (
    DataError,
    DBAPIError,
    IntegrityError,
    InterfaceError,
    OperationalError,
    SQLAlchemyError,
)
from sqlalchemy.orm import Session, sessionmaker

from shared.db import BulkInsert, UnitOfWork, processed_messages_table, write_outbox
from shared.events import MAX_EVENT_BYTES, EventInvalid, clip_reason, decode_event
from shared.kafka import (
    DLQ_SUFFIX,
    MAX_POLL_RECORDS,
    make_consumer,
    make_producer,
    set_fetch_wait,
    topic_owner,
)
from shared.settings import Settings

log = logging.getLogger(__name__)

# Built once: constructing a statement per event costs more than executing it.
_CLAIM_EVENT = (
    pg_insert(processed_messages_table)
    .on_conflict_do_nothing()
    .returning(processed_messages_table.c.event_id)
)
# The same claim for a whole batch, one statement: returns the ids not seen before.
_CLAIM_EVENTS = BulkInsert(
    processed_messages_table,
    ("consumer", "event_id", "topic"),
    tail="ON CONFLICT DO NOTHING RETURNING event_id::text",
)

EVENTS_CONSUMED = Counter("events_consumed_total", "Events applied", ["consumer"])
EVENTS_DUPLICATE = Counter("events_duplicate_total", "Redelivered events skipped", ["consumer"])
EVENTS_DEAD = Counter("events_dead_lettered_total", "Events sent to a DLQ", ["consumer"])

# A dead letter keeps the record whole when it could be a valid event (MAX_EVENT_BYTES, under the
# producer's 1 MiB request limit with headers); a larger one would be refused by the producer
# and block the partition, so the DLQ keeps its first 64 KiB, its size and its SHA-256, and the
# original_* headers say where the whole record is (while the topic's retention keeps it).
DLQ_KEPT_VALUE_BYTES = 64 * 1024
DLQ_KEPT_KEY_BYTES = 1024

# Offsets of applied batches are committed at most this often (see _commit_offsets).
OFFSET_COMMIT_INTERVAL_S = 1.0

# A handler applies one event inside the batch's transaction; events it emits go to the outbox.
EventHandler = Callable[[UnitOfWork, dict[str, Any]], None]


class EventBatch:
    """The fresh events of one polled batch (in log order), for a set-based handler.

    ``unit_of_work(event)`` gives the unit of work for what ``event`` causes: its actor and
    trace id, the batch's transaction, and an outbox written with one statement at the end."""

    def __init__(
        self,
        session: Session,
        events: list[dict[str, Any]],
        unit_of_work: Callable[[dict[str, Any]], UnitOfWork],
    ) -> None:
        self.session = session
        self.events = events
        self.unit_of_work = unit_of_work

    @classmethod
    def of_one(cls, uow: UnitOfWork, event: dict[str, Any]) -> EventBatch:
        """A batch of one event inside an existing unit of work (tests, per-event callers)."""
        return cls(uow.session, [event], lambda _cause: uow)


@dataclass(frozen=True)
class BatchHandler:
    """A set-based handler: ``apply`` gets every fresh event of ``event_types`` in a batch."""

    event_types: Collection[str]
    apply: Callable[[EventBatch], None]


class EventRejected(Exception):
    """A well-formed event this consumer can never apply (goes to the DLQ with the reason)."""


class RetryLater(Exception):
    """The event depends on one not yet seen: roll back and re-read the batch after a pause."""


@dataclass
class BatchResult:
    applied: int = 0
    duplicates: int = 0
    ignored: int = 0
    dead_lettered: int = 0
    # The broker's last answer said more records wait after this batch (a backlog).
    more_waiting: bool = False

    @property
    def records(self) -> int:
        return self.applied + self.duplicates + self.ignored + self.dead_lettered


@dataclass
class FetchPacer:
    """How long the broker may hold an empty fetch: short while events flow, long when idle.

    Tansu answers a fetch that finds records at once and holds one that finds none for up to
    ``fetch_max_wait_ms``, looking again at half the time left (W/2, 3W/4, ...). A short wait
    gives low latency, but an idle consumer then fetches ~100 times a second (at 10 ms about
    10 % of a core with the broker's share). So the wait is ``busy_ms`` until ``idle_after_s``
    pass without a record, then ``idle_ms``: the first event after a quiet spell waits up to
    about ``idle_ms / 2``, the next ones ``busy_ms`` (docs/benchmarks.md "Backbone")."""

    busy_ms: int
    idle_ms: int
    idle_after_s: float = 1.0
    last_record_at: float = -math.inf

    def wait_ms(self, *, got_records: bool, now: float) -> int:
        if got_records:
            self.last_record_at = now
        return self.busy_ms if now - self.last_record_at < self.idle_after_s else self.idle_ms


class EventConsumer:
    def __init__(
        self,
        *,
        name: str,
        settings: Settings,
        session_factory: sessionmaker[Session],
        topics: list[str],
        handlers: Mapping[str, EventHandler] | None = None,
        batch: BatchHandler | None = None,
        consumer_overrides: Mapping[str, Any] | None = None,
        pacer: FetchPacer | None = None,
        commit_interval_s: float = OFFSET_COMMIT_INTERVAL_S,
    ) -> None:
        if (handlers is None) == (batch is None):
            raise ValueError("give a consumer either per-event handlers or one batch handler")
        self.name = name
        self.settings = settings
        self.session_factory = session_factory
        self.topics = [settings.topic(t) for t in topics]
        # Who alone may write each topic (KeyError for a topic that is not ours).
        self.owners = {t: topic_owner(t) for t in topics}
        self.handlers = dict(handlers or {})
        self.batch = batch
        self.event_types = frozenset(batch.event_types if batch else self.handlers)
        self.consumer_overrides = dict(consumer_overrides or {})
        self._consumer: KafkaConsumer | None = None
        self._producer: KafkaProducer | None = None
        self._pacer = pacer or FetchPacer(settings.fetch_max_wait_ms, settings.fetch_idle_wait_ms)
        self._fetch_wait_ms = settings.fetch_max_wait_ms
        self._uncommitted: dict[TopicPartition, OffsetAndMetadata] = {}
        self._committed_at = -math.inf
        self.commit_interval_s = commit_interval_s

    # -- one batch ---------------------------------------------------------------------
    def apply_batch(
        self, records: list[ConsumerRecord]
    ) -> tuple[BatchResult, list[tuple[ConsumerRecord, str]]]:
        """Apply records in one transaction; returns the result and the records to dead-letter."""
        result = BatchResult()
        dead: list[tuple[ConsumerRecord, str]] = []
        wanted: list[tuple[ConsumerRecord, dict[str, Any]]] = []
        for record in records:
            try:
                event = decode_event(record.value)
                self._check_producer(record.topic, event)
            except EventInvalid as exc:
                dead.append((record, str(exc)))
                continue
            except Exception as exc:  # noqa: BLE001 - no bytes may stop the stream
                log.exception("consumer %s: decoding failed unexpectedly", self.name)
                dead.append((record, clip_reason(f"undecodable: {exc!r}")))
                continue
            if event["type"] in self.event_types:
                wanted.append((record, event))
            else:
                result.ignored += 1  # a valid event this consumer does not act on
        with self.session_factory() as session:
            if not (
                self.batch is not None
                and len(wanted) > 1
                and self._apply_together(session, wanted, result)
            ):
                for record, event in wanted:
                    reason = self._apply_one(session, record, event, result)
                    if reason is not None:
                        dead.append((record, reason))
            session.commit()
        dead.sort(key=lambda item: (item[0].topic, item[0].partition, item[0].offset))
        result.dead_lettered = len(dead)
        return result, dead

    def _check_producer(self, topic: str, event: dict[str, Any]) -> None:
        """Refuse an envelope its topic's owner did not produce (behind the broker's ACLs)."""
        owner = self.owners.get(topic.removeprefix(self.settings.topic_prefix))
        if event.get("producer") != owner:
            raise EventInvalid(
                f"producer {event.get('producer')!r} may not write {topic}; only {owner} does"
            )

    def _unit_of_work(
        self, session: Session, cause: dict[str, Any], outbox: list[dict[str, Any]] | None
    ) -> UnitOfWork:
        return UnitOfWork.within(
            session,
            producer=self.settings.service,
            topic_for=self.settings.topic,
            actor=cause.get("actor"),
            trace_id=cause.get("trace_id"),
            outbox=outbox,
        )

    def _run_batch_handler(self, session: Session, events: list[dict[str, Any]]) -> None:
        assert self.batch is not None
        outbox: list[dict[str, Any]] = []
        self.batch.apply(
            EventBatch(session, events, lambda cause: self._unit_of_work(session, cause, outbox))
        )
        write_outbox(session, outbox)

    def _apply_together(
        self,
        session: Session,
        wanted: list[tuple[ConsumerRecord, dict[str, Any]]],
        result: BatchResult,
    ) -> bool:
        """Set-based: claim and apply every event at once; False if it must go one by one."""
        try:
            with session.begin_nested():
                claims = (
                    {"consumer": self.name, "event_id": event["id"], "topic": record.topic}
                    for record, event in wanted
                )
                fresh_ids = set(_CLAIM_EVENTS.execute(session, claims).scalars())
                fresh: list[dict[str, Any]] = []
                for _, event in wanted:
                    event_id = event["id"].lower()
                    if event_id in fresh_ids:
                        fresh_ids.discard(event_id)  # a repeat within the batch is a duplicate
                        fresh.append(event)
                if fresh_ids:  # an id PostgreSQL spells differently: let the careful path decide
                    raise ValueError(f"claimed ids not matched to events: {sorted(fresh_ids)}")
                if fresh:
                    self._run_batch_handler(session, fresh)
        except Exception as exc:  # noqa: BLE001 - isolate the culprit one event at a time
            if _transient(exc):
                raise  # the whole batch is rewound and retried
            log.info(
                "consumer %s: batch of %d failed (%r); one by one", self.name, len(wanted), exc
            )
            return False
        result.applied += len(fresh)
        result.duplicates += len(wanted) - len(fresh)
        return True

    def _apply_one(
        self, session: Session, record: ConsumerRecord, event: dict[str, Any], result: BatchResult
    ) -> str | None:
        """Apply one event in its own savepoint; returns why it must be dead-lettered, if so."""
        try:
            with session.begin_nested():
                fresh = session.execute(
                    _CLAIM_EVENT,
                    {"consumer": self.name, "event_id": event["id"], "topic": record.topic},
                ).first()
                if fresh is None:
                    result.duplicates += 1
                    return None
                if self.batch is not None:
                    self._run_batch_handler(session, [event])
                else:
                    self.handlers[event["type"]](self._unit_of_work(session, event, None), event)
                result.applied += 1
        except EventRejected as exc:
            return f"rejected by {self.name}: {exc}"
        except (RetryLater, SQLAlchemyError) as exc:
            if not (isinstance(exc, DBAPIError) and _refused_for_good(exc)):
                raise  # transient: the whole batch is rewound and retried
            # Retrying what the database refuses for good would block the partition forever.
            return f"refused by the database in {self.name}: {type(exc.orig).__name__}"
        except Exception as exc:  # noqa: BLE001 - a handler bug must not stop the stream
            log.exception("consumer %s: handler failed on %s", self.name, event["id"])
            return f"handler of {self.name} failed: {exc!r}"
        return None

    def _dead_letter(self, dead: list[tuple[ConsumerRecord, str]]) -> None:
        if not dead:
            return
        if self._producer is None:
            self._producer = make_producer(self.settings)
        futures = []
        for record, reason in dead:
            log.warning(
                "dead-lettering %s[%s]@%s: %s",
                record.topic,
                record.partition,
                record.offset,
                reason,
            )
            key, value, headers = dead_letter_copy(record, reason, self.name)
            futures.append(
                self._producer.send(
                    record.topic + DLQ_SUFFIX, key=key, value=value, headers=headers
                )
            )
        self._producer.flush(timeout=10)
        # Offsets move past a poison message only once the DLQ holds it.
        if not all(f.is_done and f.succeeded() for f in futures):
            raise KafkaError("dead-letter queue did not acknowledge; batch will be retried")
        EVENTS_DEAD.labels(self.name).inc(len(dead))

    # -- the loop ------------------------------------------------------------------------
    @property
    def group_id(self) -> str:
        """One group per consumer: two consumers of one worker never share an assignment."""
        return str(self.consumer_overrides.get("group_id", f"{self.settings.group_id}.{self.name}"))

    def _open(self) -> KafkaConsumer:
        if self._consumer is None:
            overrides = {**self.consumer_overrides, "group_id": self.group_id}
            self._consumer = make_consumer(self.settings, *self.topics, **overrides)
            self._fetch_wait_ms = self.settings.fetch_max_wait_ms
        return self._consumer

    @property
    def fetch_wait_ms(self) -> int:
        """How long the broker may hold this consumer's next fetch that finds nothing."""
        return self._fetch_wait_ms

    def _pace(self, consumer: KafkaConsumer, *, got_records: bool) -> None:
        wait_ms = self._pacer.wait_ms(got_records=got_records, now=time.monotonic())
        if wait_ms != self._fetch_wait_ms:
            set_fetch_wait(consumer, wait_ms)
            self._fetch_wait_ms = wait_ms

    def poll_once(self, timeout_ms: int | None = None) -> BatchResult:
        """Apply one polled batch. Waits up to ``timeout_ms`` for records (default: 500 ms
        while events flow, the idle fetch wait when none have come for a while)."""
        consumer = self._open()
        if timeout_ms is None:
            timeout_ms = max(500, self._fetch_wait_ms)
        polled = consumer.poll(timeout_ms=timeout_ms)
        self._pace(consumer, got_records=bool(polled))
        if not polled:
            self._commit_offsets(consumer)
            return BatchResult()
        records = [r for batch in polled.values() for r in batch]
        try:
            result, dead = self.apply_batch(records)
            self._dead_letter(dead)
        except (RetryLater, SQLAlchemyError, KafkaError) as exc:
            # Nothing was committed: rewind so the same records come back after a pause.
            log.warning("consumer %s: batch failed (%s); will retry", self.name, exc)
            for tp, batch in polled.items():
                consumer.seek(tp, batch[0].offset)
            raise
        self._uncommitted.update(
            {
                TopicPartition(tp.topic, tp.partition): OffsetAndMetadata(
                    batch[-1].offset + 1, "", -1
                )
                for tp, batch in polled.items()
            }
        )
        self._commit_offsets(consumer)
        result.more_waiting = any(
            (consumer.highwater(tp) or 0) > batch[-1].offset + 1 for tp, batch in polled.items()
        )
        EVENTS_CONSUMED.labels(self.name).inc(result.applied)
        EVENTS_DUPLICATE.labels(self.name).inc(result.duplicates)
        return result

    def _commit_offsets(
        self, consumer: KafkaConsumer, *, now: bool = False, timeout_ms: int | None = None
    ) -> None:
        """Commit the offsets of applied batches, at most once every ``commit_interval_s``
        (each commit is a broker request: ~0.5 ms of CPU), and what is left on close. The
        database transaction, not the offset, makes an event count: a crash or rebalance before
        the commit re-delivers up to that much, and the dedupe table skips it."""
        due = time.monotonic() - self._committed_at >= self.commit_interval_s
        if not self._uncommitted or not (now or due):
            return
        # Only partitions still ours: after a rebalance the new owner commits its own, and an
        # older offset of ours must not overwrite it.
        assigned = consumer.assignment()
        offsets = {tp: o for tp, o in self._uncommitted.items() if tp in assigned}
        self._uncommitted = {}
        self._committed_at = time.monotonic()
        if not offsets:
            return
        try:
            consumer.commit(offsets, timeout_ms=timeout_ms)
        except CommitFailedError as exc:
            # After a rebalance another member re-reads these; dedupe makes that harmless.
            log.warning("consumer %s: offset commit failed: %s", self.name, exc)

    def run(self, stop: threading.Event) -> None:
        backoff = 0.2
        linger_s = self.settings.consumer_linger_ms / 1000
        max_records = int(self.consumer_overrides.get("max_poll_records", MAX_POLL_RECORDS))
        while not stop.is_set():
            try:
                result = self.poll_once()
                backoff = 0.2
                if 0 < result.records < max_records and not result.more_waiting:
                    # Caught up after a small batch: let the next one grow (one fetch,
                    # transaction and offset commit for several events) at the price of this
                    # much latency per hop. A backlog is read without pause.
                    stop.wait(linger_s)
            except (RetryLater, SQLAlchemyError, KafkaError, OSError) as exc:
                log.warning("consumer %s: %s; retrying in %.1fs", self.name, exc, backoff)
                if isinstance(exc, KafkaError | OSError):
                    self.close()
                stop.wait(backoff)
                backoff = min(backoff * 2, 5.0)
            except Exception:  # noqa: BLE001 - the loop outlives any one failure, loudly
                log.exception("consumer %s: unexpected failure; reconnecting", self.name)
                self.close()
                stop.wait(backoff)
                backoff = min(backoff * 2, 5.0)
        self.close()

    def close(self) -> None:
        if self._consumer is not None:
            try:
                self._commit_offsets(self._consumer, now=True, timeout_ms=2000)
            except Exception:  # noqa: BLE001 - not committed: the next reader re-reads, dedupes
                log.debug("consumer %s: last offset commit failed", self.name, exc_info=True)
            self._uncommitted = {}
            try:
                self._consumer.close(autocommit=False)
            except Exception:  # noqa: BLE001 - best effort on shutdown
                log.debug("consumer close failed", exc_info=True)
            self._consumer = None
        if self._producer is not None:
            try:
                self._producer.close(timeout=1)
            except Exception:  # noqa: BLE001
                log.debug("producer close failed", exc_info=True)
            self._producer = None


def _refused_for_good(exc: BaseException) -> bool:
    """Whether the database refuses this event's effect whatever the retry: a bad value
    (SQLSTATE class 22), a broken rule (23), or a value beyond one of its limits (54: an index
    row too large for a key, an expression too deep)."""
    if isinstance(exc, DataError | IntegrityError):
        return True
    return isinstance(exc, DBAPIError) and str(getattr(exc.orig, "sqlstate", "")).startswith("54")


def _transient(exc: BaseException) -> bool:
    """A failure that says nothing about the events (the connection, a lock, a dependency not
    yet seen): the batch is retried as it is."""
    if isinstance(exc, RetryLater):
        return True
    return isinstance(exc, OperationalError | InterfaceError) and not _refused_for_good(exc)


def dead_letter_copy(
    record: ConsumerRecord, reason: str, consumer: str
) -> tuple[bytes | None, bytes | None, list[tuple[str, bytes]]]:
    """Key, value and headers of ``record``'s copy in the DLQ (cut down if it is too large)."""
    key, value = record.key, record.value
    headers = [
        ("dlq_reason", clip_reason(reason).encode()),
        ("dlq_consumer", consumer.encode()),
        ("original_topic", record.topic.encode()),
        ("original_partition", str(record.partition).encode()),
        ("original_offset", str(record.offset).encode()),
    ]
    if len(key or b"") + len(value or b"") > MAX_EVENT_BYTES:
        headers += [
            ("dlq_truncated", b"true"),
            ("original_key_bytes", str(len(key or b"")).encode()),
            ("original_value_bytes", str(len(value or b"")).encode()),
            ("original_value_sha256", hashlib.sha256(value or b"").hexdigest().encode()),
        ]
        key = key[:DLQ_KEPT_KEY_BYTES] if key is not None else None
        value = value[:DLQ_KEPT_VALUE_BYTES] if value is not None else None
    return key, value, headers
