"""How often the relay and the consumers ask the broker: each request costs CPU on both sides
whatever it carries (docs/benchmarks.md "Backbone"), so they ask rarely when nothing happens
and gather events into larger batches when many arrive."""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field


@dataclass
class Linger:
    """How long to pause after a batch that emptied the queue, so that the next is larger.

    Every batch costs a fetch (or a produce), a transaction and the broker's work for it, about
    2 ms of CPU in all whatever it holds; so the wait grows with the rate events arrive at over
    the last ``window_s``: ``floor_s`` up to ``from_rate`` events a second (the latency target's
    load, 100 a second, pays nothing more), then in a straight line to ``cap_s`` at
    ``full_rate``, where batches hold tens of events."""

    floor_s: float
    cap_s: float
    full_rate: float
    from_rate: float = 0.0
    window_s: float = 1.0
    _seen: deque[tuple[float, int]] = field(default_factory=deque)
    _in_window: int = 0

    def saw(self, events: int, now: float) -> None:
        """Count ``events`` that arrived (were polled, or found in the outbox) at ``now``."""
        if events:
            self._seen.append((now, events))
            self._in_window += events
        while self._seen and self._seen[0][0] <= now - self.window_s:
            self._in_window -= self._seen.popleft()[1]

    def rate(self, now: float) -> float:
        """Events a second over the last window."""
        self.saw(0, now)
        return self._in_window / self.window_s

    def seconds(self, now: float) -> float:
        """The pause to take now."""
        cap = max(self.cap_s, self.floor_s)
        if self.full_rate <= self.from_rate:
            return self.floor_s
        share = (self.rate(now) - self.from_rate) / (self.full_rate - self.from_rate)
        return self.floor_s + (cap - self.floor_s) * min(max(share, 0.0), 1.0)


@dataclass
class FetchPacer:
    """How long the broker may hold an empty fetch: short while events flow, long when idle.

    Tansu answers a fetch that finds records at once and holds one that finds none for up to
    ``fetch_max_wait_ms``, looking again at half the time left (W/2, 3W/4, ...). A short wait
    gives low latency, but an idle consumer then fetches ~100 times a second (at 10 ms about
    10 % of a core with the broker's share). So the wait is ``busy_ms`` until ``idle_after_s``
    pass without a record, then ``idle_ms``: the first event after a quiet spell waits up to
    about ``idle_ms / 2``, the next ones ``busy_ms``.

    Not a longer wait with a large ``fetch_min_bytes`` to let the broker gather a busy
    consumer's batch instead of the client's pause (Linger): Tansu looks again at every halving
    of the time left, and each look reads the partitions; at 52 bookings/s that made the broker
    cost 2.2 ms per booking instead of 0.4 (docs/benchmarks.md "Backbone")."""

    busy_ms: int
    idle_ms: int
    idle_after_s: float = 1.0
    last_record_at: float = -math.inf

    def wait_ms(self, *, got_records: bool, now: float) -> int:
        if got_records:
            self.last_record_at = now
        return self.busy_ms if now - self.last_record_at < self.idle_after_s else self.idle_ms
