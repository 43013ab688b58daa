"""The consumer loop: dedupe, effect and offset commit in the right order; poison to the DLQ.

One ``EventConsumer`` (one Kafka client, one consumer group) serves every topic its worker reads,
each through a ``Subscription`` (shared/batches.py) with its own handler and dedupe name. For
each polled batch: one database transaction applies every new event of every topic, records its
id in ``processed_messages`` and commits; then unhandleable messages go to ``<topic>.dlq``; then
offsets are committed (at most once a second, so a busy consumer does not pay a broker request
per batch). A crash anywhere re-delivers what was not committed and the dedupe table makes the
second delivery a no-op.

One client per worker rather than one per topic: an idle client still fetches and heartbeats
(~0.3 % of a core with the broker's share), and a busy one pays a fetch per batch whatever it
holds (docs/benchmarks.md "Backbone").
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any

from kafka import KafkaConsumer, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord
from kafka.errors import CommitFailedError, KafkaError
from kafka.structs import OffsetAndMetadata
from prometheus_client import Counter
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from shared.batches import (
    BatchHandler,
    BatchResult,
    DeadLetter,
    EventBatch,
    EventHandler,
    EventRejected,
    RetryLater,
    Subscription,
    SubscriptionApplier,
)
from shared.deadletter import DeadLetterQueues, dead_letter_copy
from shared.kafka import MAX_POLL_RECORDS, make_consumer, set_fetch_wait
from shared.pacing import FetchPacer, Linger
from shared.settings import Settings

__all__ = [
    "BatchHandler",
    "BatchResult",
    "EventBatch",
    "EventConsumer",
    "EventHandler",
    "EventRejected",
    "FetchPacer",
    "RetryLater",
    "Subscription",
    "dead_letter_copy",
]

log = logging.getLogger(__name__)

EVENTS_CONSUMED = Counter("events_consumed_total", "Events applied", ["consumer"])
EVENTS_DUPLICATE = Counter("events_duplicate_total", "Redelivered events skipped", ["consumer"])

# Offsets of applied batches are committed at most this often (see _commit_offsets).
OFFSET_COMMIT_INTERVAL_S = 1.0


class EventConsumer:
    """One Kafka client in the group ``<group_id>.<name>`` applying its subscriptions' topics.

    Give ``subscriptions``, or ``topics`` with ``handlers`` or ``batch``: each of those topics
    then applied under this consumer's own name."""

    def __init__(
        self,
        *,
        name: str,
        settings: Settings,
        session_factory: sessionmaker[Session],
        subscriptions: Sequence[Subscription] = (),
        topics: Sequence[str] = (),
        handlers: Mapping[str, EventHandler] | None = None,
        batch: BatchHandler | None = None,
        consumer_overrides: Mapping[str, Any] | None = None,
        pacer: FetchPacer | None = None,
        commit_interval_s: float = OFFSET_COMMIT_INTERVAL_S,
    ) -> None:
        subscriptions = [
            *subscriptions,
            *(Subscription(t, name, batch=batch, handlers=handlers or {}) for t in topics),
        ]
        if not subscriptions or len({s.topic for s in subscriptions}) < len(subscriptions):
            raise ValueError(f"{name}: give one subscription per topic, at least one")
        self.name = name
        self.settings = settings
        self.session_factory = session_factory
        # By topic as TOPICS names it (records carry the prefixed name).
        self.appliers = {s.topic: SubscriptionApplier(s, settings) for s in subscriptions}
        self.topics = [settings.topic(s.topic) for s in subscriptions]
        self.consumer_overrides = dict(consumer_overrides or {})
        self._consumer: KafkaConsumer | None = None
        self._dead_letters = DeadLetterQueues(settings)
        self._pacer = pacer or FetchPacer(settings.fetch_max_wait_ms, settings.fetch_idle_wait_ms)
        self._fetch_wait_ms = settings.fetch_max_wait_ms
        self._linger = Linger(
            settings.consumer_linger_ms / 1000,
            settings.linger_max_ms / 1000,
            full_rate=settings.linger_full_rate,
            from_rate=settings.linger_from_rate,
        )
        self._uncommitted: dict[TopicPartition, OffsetAndMetadata] = {}
        self._committed_at = -math.inf
        self.commit_interval_s = commit_interval_s

    def subscription(self, topic: str) -> Subscription:
        """What this consumer does with ``topic`` (as a record names it, prefix and all)."""
        return self.appliers[topic.removeprefix(self.settings.topic_prefix)].subscription

    @property
    def event_types(self) -> frozenset[str]:
        """The event types this consumer acts on, on any of its topics."""
        return frozenset().union(*(a.event_types for a in self.appliers.values()))

    # -- one batch ---------------------------------------------------------------------
    def apply_batch(self, records: list[ConsumerRecord]) -> tuple[BatchResult, list[DeadLetter]]:
        """Apply records in one transaction; returns the result and the records to dead-letter
        (in log order by topic and partition)."""
        dead: list[DeadLetter] = []
        by_topic: dict[str, list[ConsumerRecord]] = {}
        for record in records:
            by_topic.setdefault(record.topic, []).append(record)
        parts: dict[str, BatchResult] = {}
        with self.session_factory() as session:
            for topic, polled in by_topic.items():
                applier = self.appliers[topic.removeprefix(self.settings.topic_prefix)]
                parts[applier.name] = part = parts.get(applier.name, BatchResult())
                dead += applier.apply(session, polled, part)
            session.commit()
        result = BatchResult()
        for name, part in parts.items():  # metrics by subscription, one step per batch
            EVENTS_CONSUMED.labels(name).inc(part.applied)
            EVENTS_DUPLICATE.labels(name).inc(part.duplicates)
            result.applied += part.applied
            result.duplicates += part.duplicates
            result.ignored += part.ignored
        dead.sort(key=lambda item: (item[0].topic, item[0].partition, item[0].offset))
        result.dead_lettered = len(dead)
        return result, dead

    def _dead_letter(self, dead: list[DeadLetter]) -> None:
        self._dead_letters.send(
            [(record, reason, self.subscription(record.topic).name) for record, reason in dead]
        )

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
        self._linger.saw(len(records), time.monotonic())
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
        max_records = int(self.consumer_overrides.get("max_poll_records", MAX_POLL_RECORDS))
        while not stop.is_set():
            try:
                result = self.poll_once()
                backoff = 0.2
                if 0 < result.records < max_records and not result.more_waiting:
                    # Caught up: let the next batch grow (one fetch, transaction and offset
                    # commit for several events), the longer the faster events arrive. A
                    # backlog is read without pause.
                    stop.wait(self._linger.seconds(time.monotonic()))
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
        self._dead_letters.close()
