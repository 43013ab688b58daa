"""A service's worker process: outbox relay, consumers and periodic jobs, one thread each."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from shared.consumer import EventConsumer
from shared.db import make_engine, make_session_factory
from shared.logs import configure_logging
from shared.relay import OutboxRelay
from shared.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class PeriodicJob:
    name: str
    every_s: float
    run: Callable[[], Any]
    # Between runs: a sleep of every_s, unless the job can be woken earlier (e.g. by a
    # PostgreSQL NOTIFY): then wait(stop, every_s) sleeps, returning True once stop is set.
    wait: Callable[[threading.Event, float], bool] | None = None


def _sleep(stop: threading.Event, seconds: float) -> bool:
    return stop.wait(seconds)


def run_periodic(job: PeriodicJob, stop: threading.Event) -> None:
    """Run ``job`` after each wait until ``stop`` is set (a job's thread)."""
    wait = job.wait or _sleep
    while not wait(stop, job.every_s):
        try:
            job.run()
        except Exception:  # noqa: BLE001 - a failing sweep retries next tick
            log.exception("periodic job %s failed", job.name)


def run_worker(
    settings: Settings,
    build: Callable[[Settings, Any], tuple[Iterable[EventConsumer], Iterable[PeriodicJob]]],
    *,
    stop: threading.Event | None = None,
    install_signals: bool = True,
) -> None:
    """Run until SIGTERM/SIGINT (or ``stop``): finish the current batch, commit, exit."""
    configure_logging()
    stop = stop or threading.Event()
    if install_signals:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
    engine = make_engine(settings.database_url)
    session_factory = make_session_factory(engine)
    consumers, jobs = build(settings, session_factory)
    threads = [
        threading.Thread(target=OutboxRelay(engine, settings).run, args=(stop,), name="relay")
    ]
    threads += [threading.Thread(target=c.run, args=(stop,), name=c.name) for c in consumers]
    threads += [threading.Thread(target=run_periodic, args=(j, stop), name=j.name) for j in jobs]
    for thread in threads:
        thread.start()
    log.info("%s worker running (%d threads)", settings.service, len(threads))
    try:
        while not stop.wait(0.5):
            pass
    finally:
        for thread in threads:
            thread.join(timeout=15)
        engine.dispose()
        log.info("%s worker stopped", settings.service)
