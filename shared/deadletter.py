"""Dead letters: a record no consumer can apply goes to ``<topic>.dlq`` with the reason, and
the consumer's offsets move past it only once the DLQ has acknowledged it."""

from __future__ import annotations

import hashlib
import logging

from kafka import KafkaProducer
from kafka.consumer.fetcher import ConsumerRecord
from kafka.errors import KafkaError
from prometheus_client import Counter

from shared.events import MAX_EVENT_BYTES, clip_reason
from shared.kafka import make_producer
from shared.settings import Settings
from shared.topics import DLQ_SUFFIX

log = logging.getLogger(__name__)

EVENTS_DEAD = Counter("events_dead_lettered_total", "Events sent to a DLQ", ["consumer"])

# A dead letter keeps the record whole when it could be a valid event (MAX_EVENT_BYTES, under the
# producer's 1 MiB request limit with headers); a larger one would be refused by the producer
# and block the partition, so the DLQ keeps its first 64 KiB, its size and its SHA-256, and the
# original_* headers say where the whole record is (while the topic's retention keeps it).
DLQ_KEPT_VALUE_BYTES = 64 * 1024
DLQ_KEPT_KEY_BYTES = 1024


class DeadLetterQueues:
    """Sends a consumer's dead letters; its producer is made on the first one."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._producer: KafkaProducer | None = None

    def send(self, dead: list[tuple[ConsumerRecord, str, str]]) -> None:
        """Send each (record, reason, consumer name) to its topic's DLQ and wait for the
        broker; a KafkaError if any is not acknowledged (the batch is then retried)."""
        if not dead:
            return
        if self._producer is None:
            self._producer = make_producer(self.settings)
        futures = []
        for record, reason, consumer in dead:
            log.warning(
                "dead-lettering %s[%s]@%s: %s",
                record.topic,
                record.partition,
                record.offset,
                reason,
            )
            key, value, headers = dead_letter_copy(record, reason, consumer)
            futures.append(
                self._producer.send(
                    record.topic + DLQ_SUFFIX, key=key, value=value, headers=headers
                )
            )
        self._producer.flush(timeout=10)
        # Offsets move past a poison message only once the DLQ holds it.
        if not all(f.is_done and f.succeeded() for f in futures):
            raise KafkaError("dead-letter queue did not acknowledge; batch will be retried")
        for _, _, consumer in dead:
            EVENTS_DEAD.labels(consumer).inc()

    def close(self) -> None:
        if self._producer is not None:
            try:
                self._producer.close(timeout=1)
            except Exception:  # noqa: BLE001 - best effort on shutdown
                log.debug("producer close failed", exc_info=True)
            self._producer = None


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
