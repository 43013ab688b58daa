"""The consumer loop: dedupe, effect and offset commit in the right order; poison to the DLQ.

For each polled batch: one database transaction applies every new event (a savepoint each),
records its id in ``processed_messages`` and commits; then unhandleable messages go to
``<topic>.dlq``; then offsets are committed. A crash anywhere re-delivers the batch and the
dedupe table makes the second delivery a no-op.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord
from kafka.errors import CommitFailedError, KafkaError
from kafka.structs import OffsetAndMetadata
from prometheus_client import Counter
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import DataError, IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from shared.db import UnitOfWork, processed_messages_table
from shared.events import EventInvalid, decode_event
from shared.kafka import DLQ_SUFFIX, make_consumer, make_producer
from shared.settings import Settings

log = logging.getLogger(__name__)

# Built once: constructing a statement per event costs more than executing it.
_CLAIM_EVENT = (
    pg_insert(processed_messages_table)
    .on_conflict_do_nothing()
    .returning(processed_messages_table.c.event_id)
)

EVENTS_CONSUMED = Counter("events_consumed_total", "Events applied", ["consumer"])
EVENTS_DUPLICATE = Counter("events_duplicate_total", "Redelivered events skipped", ["consumer"])
EVENTS_DEAD = Counter("events_dead_lettered_total", "Events sent to a DLQ", ["consumer"])

# A handler applies one event inside the batch's transaction; events it emits go to the outbox.
EventHandler = Callable[[UnitOfWork, dict[str, Any]], None]


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


class EventConsumer:
    def __init__(
        self,
        *,
        name: str,
        settings: Settings,
        session_factory: sessionmaker[Session],
        topics: list[str],
        handlers: Mapping[str, EventHandler],
        consumer_overrides: Mapping[str, Any] | None = None,
    ) -> None:
        self.name = name
        self.settings = settings
        self.session_factory = session_factory
        self.topics = [settings.topic(t) for t in topics]
        self.handlers = dict(handlers)
        self.consumer_overrides = dict(consumer_overrides or {})
        self._consumer: KafkaConsumer | None = None
        self._producer: KafkaProducer | None = None

    # -- one batch ---------------------------------------------------------------------
    def apply_batch(
        self, records: list[ConsumerRecord]
    ) -> tuple[BatchResult, list[tuple[ConsumerRecord, str]]]:
        """Apply records in one transaction; returns the result and the records to dead-letter."""
        result = BatchResult()
        dead: list[tuple[ConsumerRecord, str]] = []
        with self.session_factory() as session:
            for record in records:
                try:
                    event = decode_event(record.value)
                except EventInvalid as exc:
                    dead.append((record, str(exc)))
                    continue
                handler = self.handlers.get(event["type"])
                if handler is None:
                    result.ignored += 1  # a valid event this consumer does not act on
                    continue
                try:
                    with session.begin_nested():
                        fresh = session.execute(
                            _CLAIM_EVENT,
                            {"consumer": self.name, "event_id": event["id"], "topic": record.topic},
                        ).first()
                        if fresh is None:
                            result.duplicates += 1
                            continue
                        handler(
                            UnitOfWork.within(
                                session,
                                producer=self.settings.service,
                                topic_for=self.settings.topic,
                                actor=event.get("actor"),
                                trace_id=event.get("trace_id"),
                            ),
                            event,
                        )
                        result.applied += 1
                except EventRejected as exc:
                    dead.append((record, f"rejected by {self.name}: {exc}"))
                except (DataError, IntegrityError) as exc:
                    # The database refuses this event's effect for good (bad value, broken
                    # rule): retrying would block the partition forever.
                    dead.append(
                        (
                            record,
                            f"refused by the database in {self.name}: {type(exc.orig).__name__}",
                        )
                    )
                except (RetryLater, SQLAlchemyError):
                    raise  # transient: the whole batch is rewound and retried
                except Exception as exc:  # noqa: BLE001 - a handler bug must not stop the stream
                    log.exception("consumer %s: handler failed on %s", self.name, event["id"])
                    dead.append((record, f"handler of {self.name} failed: {exc!r}"))
            session.commit()
        result.dead_lettered = len(dead)
        return result, dead

    def _dead_letter(self, dead: list[tuple[ConsumerRecord, str]]) -> None:
        if not dead:
            return
        if self._producer is None:
            self._producer = make_producer(self.settings)
        futures = []
        for record, reason in dead:
            log.warning("dead-lettering %s@%s: %s", record.topic, record.offset, reason)
            futures.append(
                self._producer.send(
                    record.topic + DLQ_SUFFIX,
                    key=record.key,
                    value=record.value,
                    headers=[
                        ("dlq_reason", reason.encode()[:1000]),
                        ("dlq_consumer", self.name.encode()),
                        ("original_topic", record.topic.encode()),
                        ("original_partition", str(record.partition).encode()),
                        ("original_offset", str(record.offset).encode()),
                    ],
                )
            )
        self._producer.flush(timeout=10)
        # Offsets move past a poison message only once the DLQ holds it.
        if not all(f.is_done and f.succeeded() for f in futures):
            raise KafkaError("dead-letter queue did not acknowledge; batch will be retried")
        EVENTS_DEAD.labels(self.name).inc(len(dead))

    # -- the loop ------------------------------------------------------------------------
    def _open(self) -> KafkaConsumer:
        if self._consumer is None:
            # One group per consumer: two consumers of one worker never share an assignment.
            overrides = {
                "group_id": f"{self.settings.group_id}.{self.name}",
                **self.consumer_overrides,
            }
            self._consumer = make_consumer(self.settings, *self.topics, **overrides)
        return self._consumer

    def poll_once(self, timeout_ms: int = 500) -> BatchResult:
        consumer = self._open()
        polled = consumer.poll(timeout_ms=timeout_ms)
        if not polled:
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
        offsets = {
            TopicPartition(tp.topic, tp.partition): OffsetAndMetadata(batch[-1].offset + 1, "", -1)
            for tp, batch in polled.items()
        }
        try:
            consumer.commit(offsets)
        except CommitFailedError as exc:
            # After a rebalance another member re-reads these; dedupe makes that harmless.
            log.warning("consumer %s: offset commit failed: %s", self.name, exc)
        EVENTS_CONSUMED.labels(self.name).inc(result.applied)
        EVENTS_DUPLICATE.labels(self.name).inc(result.duplicates)
        return result

    def run(self, stop: threading.Event) -> None:
        backoff = 0.2
        while not stop.is_set():
            try:
                self.poll_once()
                backoff = 0.2
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
