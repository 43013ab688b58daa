"""Applying one polled batch of one topic: decode, dedupe, effect, in one database transaction.

A ``Subscription`` says what a consumer does with one topic: the name its applied events are
recorded under in ``processed_messages`` (the dedupe key) and in a dead letter's
``dlq_consumer``, and how it applies them:

- per event (``handlers``): each event in its own savepoint, so a failing event is isolated
  and the rest of the batch still applies;
- set-based (``batch``): all fresh events of the batch at once (one claim statement, one
  multi-row statement per table), in one savepoint. If that fails for any reason but a
  transient one, the savepoint is rolled back and the same batch is applied one event at a
  time as above, which isolates the culprit for the DLQ. Only committed work counts: a
  rolled-back attempt leaves nothing behind, so nothing is applied twice.

Whatever bytes arrive, a record ends applied, ignored (a valid event of a type the subscription
does not act on) or dead-lettered: decoding and validation raise nothing but EventInvalid, and
an envelope from a producer that does not own the topic is refused too (docs/architecture.md,
"Dead letters").
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from kafka.consumer.fetcher import ConsumerRecord
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import (
    DataError,
    DBAPIError,
    IntegrityError,
    InterfaceError,
    OperationalError,
    SQLAlchemyError,
)
from sqlalchemy.orm import Session

from shared.db import BulkInsert, UnitOfWork, processed_messages_table, write_outbox
from shared.events import EventInvalid, clip_reason, decode_event
from shared.settings import Settings
from shared.topics import event_types, topic_owner

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

# A handler applies one event inside the batch's transaction; events it emits go to the outbox.
EventHandler = Callable[[UnitOfWork, dict[str, Any]], None]
# A record to dead-letter and why.
DeadLetter = tuple[ConsumerRecord, str]


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


@dataclass(frozen=True)
class Subscription:
    """What a consumer does with ``topic`` (a name of shared/topics.py TOPICS): applies the
    events it handles under ``name``, with one batch handler or per-event handlers."""

    topic: str
    name: str
    batch: BatchHandler | None = None
    handlers: Mapping[str, EventHandler] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if (not self.handlers) == (self.batch is None):
            raise ValueError(f"{self.name}: give either per-event handlers or one batch handler")
        stray = sorted(self.event_types - set(event_types(self.topic)))
        if stray:  # a typo, or a type on another topic: it would never arrive here
            raise ValueError(f"{self.name}: {stray} are not event types on {self.topic}")

    @property
    def event_types(self) -> frozenset[str]:
        return frozenset(self.batch.event_types if self.batch else self.handlers)


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


class SubscriptionApplier:
    """Applies the records of one subscription's topic inside a batch's transaction."""

    def __init__(self, subscription: Subscription, settings: Settings) -> None:
        self.subscription = subscription
        self.name = subscription.name
        self.settings = settings
        # Who alone may write the topic (KeyError for a topic that is not ours).
        self.owner = topic_owner(subscription.topic)
        self.event_types = subscription.event_types

    def apply(
        self, session: Session, records: list[ConsumerRecord], result: BatchResult
    ) -> list[DeadLetter]:
        """Apply ``records`` in ``session`` (not committed); returns those to dead-letter."""
        dead: list[DeadLetter] = []
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
        if not (
            self.subscription.batch is not None
            and len(wanted) > 1
            and self._apply_together(session, wanted, result)
        ):
            for record, event in wanted:
                reason = self._apply_one(session, record, event, result)
                if reason is not None:
                    dead.append((record, reason))
        return dead

    def _check_producer(self, topic: str, event: dict[str, Any]) -> None:
        """Refuse an envelope its topic's owner did not produce (behind the broker's ACLs)."""
        if event.get("producer") != self.owner:
            raise EventInvalid(
                f"producer {event.get('producer')!r} may not write {topic}; only {self.owner} does"
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
        assert self.subscription.batch is not None
        outbox: list[dict[str, Any]] = []
        self.subscription.batch.apply(
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
            if transient(exc):
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
                if self.subscription.batch is not None:
                    self._run_batch_handler(session, [event])
                else:
                    handler = self.subscription.handlers[event["type"]]
                    handler(self._unit_of_work(session, event, None), event)
                result.applied += 1
        except EventRejected as exc:
            return f"rejected by {self.name}: {exc}"
        except (RetryLater, SQLAlchemyError) as exc:
            if not (isinstance(exc, DBAPIError) and refused_for_good(exc)):
                raise  # transient: the whole batch is rewound and retried
            # Retrying what the database refuses for good would block the partition forever.
            return f"refused by the database in {self.name}: {type(exc.orig).__name__}"
        except Exception as exc:  # noqa: BLE001 - a handler bug must not stop the stream
            log.exception("consumer %s: handler failed on %s", self.name, event["id"])
            return f"handler of {self.name} failed: {exc!r}"
        return None


def refused_for_good(exc: BaseException) -> bool:
    """Whether the database refuses this event's effect whatever the retry: a bad value
    (SQLSTATE class 22), a broken rule (23), or a value beyond one of its limits (54: an index
    row too large for a key, an expression too deep)."""
    if isinstance(exc, DataError | IntegrityError):
        return True
    return isinstance(exc, DBAPIError) and str(getattr(exc.orig, "sqlstate", "")).startswith("54")


def transient(exc: BaseException) -> bool:
    """A failure that says nothing about the events (the connection, a lock, a dependency not
    yet seen): the batch is retried as it is."""
    if isinstance(exc, RetryLater):
        return True
    return isinstance(exc, OperationalError | InterfaceError) and not refused_for_good(exc)
