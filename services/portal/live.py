"""Change signals for the live capacity board, from the event stream.

Each portal process runs one background thread (started by the first board stream that asks
for it, so a portal that shows no board never connects) that reads ``booking.bookings`` and
``catalog.assets`` from their current end. It uses no consumer group: it takes every
partition itself (``assign``), starts at the end and commits nothing. A record is only a
signal that "something changed"; the board's figures always come from booking's API with the
reader's own token, so a missed or repeated signal costs at most a refresh. When the broker
cannot be reached the thread tries again every few seconds and the board says "offline".
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from kafka import KafkaConsumer, TopicPartition
from kafka.errors import KafkaError

from shared.kafka import security_config
from shared.settings import Settings, load_settings

log = logging.getLogger(__name__)

TOPICS = ("booking.bookings", "catalog.assets")
RETRY_S = 3.0
MAX_RETRY_S = 60.0
POLL_MS = 500


class ChangeFeed:
    """A counter that goes up whenever a record arrives on the watched topics; readers wait
    for it to move (``wait_for_change``). ``ready`` once the thread reads the topics' ends."""

    def __init__(
        self,
        settings: Callable[[], Settings],
        topics: tuple[str, ...] = TOPICS,
        consumer_factory: Callable[..., Any] = KafkaConsumer,
        retry_s: float = RETRY_S,
    ) -> None:
        self._settings = settings
        self._topics = topics
        self._consumer_factory = consumer_factory
        self._retry_s = retry_s
        self._changed = threading.Condition()
        self._version = 0
        self._ready = False
        self._followed = False  # since the last failure
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()

    @property
    def ready(self) -> bool:
        return self._ready

    @property
    def version(self) -> int:
        return self._version

    def ensure_started(self) -> None:
        with self._start_lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="portal-change-feed", daemon=True
                )
                self._thread.start()

    def wait_for_change(self, seen: int, timeout_s: float) -> int:
        """The version once it differs from ``seen``, or the same after ``timeout_s``."""
        with self._changed:
            self._changed.wait_for(lambda: self._version != seen, timeout=timeout_s)
            return self._version

    def signal(self) -> None:
        with self._changed:
            self._version += 1
            self._changed.notify_all()

    def _run(self) -> None:
        # The wait doubles after each failure, up to MAX_RETRY_S, and starts over once the
        # feed has followed: a portal without a broker login asks (and logs) once a minute.
        delay = self._retry_s
        while True:
            try:
                self._follow()  # returns only by an exception
            except (KafkaError, OSError, ValueError) as exc:
                if self._followed:  # it followed, then lost the broker: wait briefly again
                    delay, self._followed = self._retry_s, False
                log.warning("board change feed: %s; trying again in %.1f s", exc, delay)
            time.sleep(delay)
            delay = min(delay * 2, MAX_RETRY_S)

    def _follow(self) -> None:
        settings = self._settings()
        consumer = self._consumer_factory(
            bootstrap_servers=settings.kafka_bootstrap_servers.split(","),
            client_id="portal-board",
            group_id=None,  # no group: nothing to join, nothing committed
            enable_auto_commit=False,
            auto_offset_reset="latest",
            **security_config(settings),
        )
        try:
            partitions: list[TopicPartition] = []
            for topic in (settings.topic(name) for name in self._topics):
                numbers = consumer.partitions_for_topic(topic)
                if not numbers:
                    raise ValueError(f"topic {topic} does not exist (yet)")
                partitions.extend(TopicPartition(topic, n) for n in numbers)
            consumer.assign(partitions)
            consumer.seek_to_end(*partitions)
            for partition in partitions:
                consumer.position(partition)  # resolve the end now: "ready" means following
            self._ready = self._followed = True
            self.signal()  # whatever happened while not following: readers refresh once
            while True:
                if any(consumer.poll(timeout_ms=POLL_MS).values()):
                    self.signal()
        finally:
            self._ready = False
            consumer.close()


def new_change_feed() -> ChangeFeed:
    """The feed of a portal process (one app per process): the broker and topic prefix from
    the environment, as every service reads them. Nothing connects until a board asks."""
    return ChangeFeed(lambda: load_settings("portal", require_database=False))
