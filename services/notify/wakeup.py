"""When a delivery sweep runs again: woken by PostgreSQL, not by a fast poll.

Between two sweeps the worker's thread sleeps until the first of: a NOTIFY on the channel's
wake channel (migration 0002's triggers fire one when a delivery is written or a webhook is
resumed, delivered when that transaction commits), the earliest pending delivery falling due
(a retry's backoff, a lease's end), or the safety poll (a NOTIFY missed while the listening
connection was down). Idle, that is one wake-up per safety poll instead of five sweeps a
second per channel.

No wake-up is lost between a sweep and the next wait: the LISTEN is in place before the first
sweep, and a notification that arrives while a sweep runs waits on the socket for the next
wait; a delivery written after the sweep but before the due-time query is seen as due now.
"""

from __future__ import annotations

import logging
import threading
import time

import psycopg
from sqlalchemy.exc import SQLAlchemyError

from services.notify.deliveries import DeliverySweep, wake_channel

log = logging.getLogger(__name__)


class DeliveryWakeup:
    """The wait of one channel's sweep job (``PeriodicJob.wait``)."""

    def __init__(
        self,
        sweep: DeliverySweep,
        conninfo: str,
        *,
        stop_check_s: float = 1.0,
        linger_s: float = 0.01,
        retry_s: float = 1.0,
        min_gap_s: float = 0.05,
    ) -> None:
        self.sweep = sweep
        self.conninfo = conninfo
        # The longest the thread sleeps without looking at the stop flag (a socket wait: free).
        self.stop_check_s = stop_check_s
        # After a NOTIFY, the ones of the next few milliseconds (a burst of commits) join the
        # same sweep instead of waking it once each.
        self.linger_s = linger_s
        # While PostgreSQL is unreachable: sweep (and fail, and log) this often.
        self.retry_s = retry_s
        # The shortest sleep when something is already due: a sweep that keeps failing on a
        # due row retries at most this often instead of spinning (a NOTIFY still wakes it).
        self.min_gap_s = min_gap_s
        self._listener: psycopg.Connection | None = None

    def wait(self, stop: threading.Event, safety_poll_s: float) -> bool:
        """Sleep until the sweep has work (or may have: the safety poll); True once ``stop``
        is set."""
        try:
            listener = self._listen()
            due = self.sweep.next_due()
            sleep_s = safety_poll_s
            if due is not None:
                until_due = (due - self.sweep.clock()).total_seconds()
                sleep_s = min(sleep_s, max(until_due, self.min_gap_s))
            deadline = time.monotonic() + sleep_s
            while not stop.is_set():
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                woken = False
                for _ in listener.notifies(timeout=min(left, self.stop_check_s), stop_after=1):
                    woken = True
                if woken:
                    # Outside the first loop: the generator holds the connection's lock.
                    for _ in listener.notifies(timeout=self.linger_s):
                        pass
                    return stop.is_set()
        except (psycopg.Error, SQLAlchemyError, OSError) as exc:
            log.warning(
                "delivery wake-up (%s): %s; sweeping in %.1fs",
                self.sweep.channel,
                exc,
                self.retry_s,
            )
            self.close()
            if not stop.wait(self.retry_s):
                return False
        self.close()
        return True

    def _listen(self) -> psycopg.Connection:
        if self._listener is None or self._listener.closed:
            listener = psycopg.connect(self.conninfo, autocommit=True)
            listener.execute(f"LISTEN {wake_channel(self.sweep.channel)}")
            self._listener = listener
        return self._listener

    def close(self) -> None:
        if self._listener is not None:
            try:
                self._listener.close()
            except psycopg.Error:  # closing a broken connection must not mask the cause
                log.debug("closing the delivery listener failed", exc_info=True)
            self._listener = None
