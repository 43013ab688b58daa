"""A stopping relay stops at once: it does not sit out its safety-net poll.

The relay sleeps on PostgreSQL's LISTEN between batches; the poll that runs when no NOTIFY
comes is slow on purpose (10 s). A worker told to stop (SIGTERM, a test's teardown) used to
wait for that poll to end, which cost every test that runs a worker ~10 s.
"""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import text

from shared.db import OUTBOX_CHANNEL, make_engine
from shared.relay import OutboxRelay
from shared.settings import Settings, load_settings

pytestmark = pytest.mark.db


class _QuietRelay(OutboxRelay):
    """A relay with nothing to publish, so each round goes straight to the wait for a NOTIFY
    (no broker needed: what is under test is the wait on the real database)."""

    rounds = 0

    def publish_batch(self) -> int:
        self.rounds += 1
        return 0


@pytest.fixture
def booking_settings(app_db_urls: dict[str, str]) -> Settings:
    return load_settings("booking", {"DATABASE_URL": app_db_urls["booking"]})


def _running(relay: OutboxRelay) -> tuple[threading.Thread, threading.Event]:
    stop = threading.Event()
    thread = threading.Thread(target=relay.run, args=(stop,), daemon=True)
    thread.start()
    return thread, stop


def test_a_relay_waiting_for_a_notify_stops_promptly(booking_settings: Settings) -> None:
    engine = make_engine(booking_settings.database_url, pool_size=1)
    relay = _QuietRelay(engine, booking_settings, idle_poll_s=30.0)
    try:
        thread, stop = _running(relay)
        deadline = time.monotonic() + 10
        while relay.rounds == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert relay.rounds == 1, "the relay never reached its wait"
        time.sleep(0.3)  # inside the wait for a NOTIFY now
        asked = time.monotonic()
        stop.set()
        thread.join(timeout=5)
        assert not thread.is_alive() and time.monotonic() - asked < 2.0
    finally:
        engine.dispose()


def test_a_notify_still_wakes_the_waiting_relay(booking_settings: Settings) -> None:
    engine = make_engine(booking_settings.database_url, pool_size=1)
    relay = _QuietRelay(engine, booking_settings, idle_poll_s=30.0)
    try:
        thread, stop = _running(relay)
        deadline = time.monotonic() + 10
        while relay.rounds == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)
        with engine.begin() as conn:
            conn.execute(text(f"NOTIFY {OUTBOX_CHANNEL}"))
        while relay.rounds < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert relay.rounds >= 2, "a NOTIFY did not wake the relay before its 30 s poll"
        stop.set()
        thread.join(timeout=5)
    finally:
        engine.dispose()
