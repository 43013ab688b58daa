"""The whole product as processes for the portal's tests (and the browser journeys):
every API under gunicorn, every worker, and the portal, over real HTTP, against the test
session's embedded PostgreSQL and Tansu, with the demo data loaded.

The stack gets databases of its own on the session's server (and its own topic prefix), so
the demo data never meets the other tests' rows. Use the fixtures::

    def test_x(portal_stack: dict[str, str]) -> None:  # {portal, catalog, ..., notify}
        requests.get(f"{portal_stack['portal']}/sign-in")

``portal_db_urls`` names the stack's databases (e.g. to move a booking into the past).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests

from services import registry
from services.demo import load_demo_data
from shared.kafka import create_topics
from shared.runtime import Broker, free_port, wait_for_port
from shared.settings import load_settings
from tests.support import app_urls, auth, eventually, migrated_databases

START_TIMEOUT_S = 120  # a busy 2-core machine starts every API, worker and the portal


@dataclass
class RunningStack:
    urls: dict[str, str]
    db_urls: dict[str, str]
    logs: Path
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start(self, name: str, argv: list[str], env: dict[str, str]) -> None:
        out = open(self.logs / f"{name}.log", "wb")  # noqa: SIM115 - the child writes to it
        self.processes.append(subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT))

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def gunicorn(app: str, port: int, workers: int = 2) -> list[str]:
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "-w",
        str(workers),
        "-b",
        f"127.0.0.1:{port}",
        "--graceful-timeout",
        "5",
        app,
    ]


def _demo_assets_searchable(booking_url: str) -> bool:
    """Booking's read model has the demo assets and their windows (its worker consumed
    catalog's events): something is free the day after tomorrow."""
    start = (datetime.now(UTC) + timedelta(days=2)).replace(hour=9, minute=0, second=0)
    try:
        response = requests.get(
            f"{booking_url}/api/v1/availability",
            params={"start": start.isoformat(), "end": (start + timedelta(hours=2)).isoformat()},
            headers=auth("planner-rotterdam"),
            timeout=10,
        )
    except requests.RequestException:  # still starting, or a busy machine: ask again
        return False
    return response.status_code == 200 and bool(response.json()["items"])


@pytest.fixture(scope="session")
def portal_db_urls(pg_admin_url: str) -> Iterator[dict[str, str]]:
    """The stack's own databases, as their owner (the services connect as the app role)."""
    with migrated_databases(pg_admin_url, "skp") as urls:
        yield urls


@pytest.fixture(scope="session")
def portal_stack(
    portal_db_urls: dict[str, str], broker: Broker, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, str]]:
    """URLs of the running portal and APIs: ``{portal, catalog, booking, costsharing, notify}``."""
    prefix = f"p{uuid.uuid4().hex[:6]}."
    settings = {
        s: load_settings(
            s,
            {
                "DATABASE_URL": portal_db_urls[s],
                "KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap,
                "KAFKA_TOPIC_PREFIX": prefix,
            },
        )
        for s in registry.SERVICES
    }
    create_topics(settings["catalog"])
    load_demo_data(settings)  # as the owner, as the launcher loads it
    stack = RunningStack(
        urls={}, db_urls=portal_db_urls, logs=Path(tmp_path_factory.mktemp("portal-stack"))
    )
    ports = {s: free_port() for s in (*registry.SERVICES, "portal")}
    app = app_urls(portal_db_urls)  # the services connect as the app role, as in production
    try:
        for service in registry.SERVICES:
            env = {
                **os.environ,
                "DATABASE_URL": app[service],
                "KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap,
                "KAFKA_TOPIC_PREFIX": prefix,
                "KAFKA_CONSUMER_GROUP": f"{prefix}{service}",
                # notify: the tests' webhook receivers listen on 127.0.0.1 (as in `make run`).
                "NOTIFY_ALLOW_LOOPBACK_WEBHOOKS": "true",
            }
            env.pop("PROMETHEUS_MULTIPROC_DIR", None)
            stack.urls[service] = f"http://127.0.0.1:{ports[service]}"
            stack.start(
                f"{service}-api",
                gunicorn(f"services.{service}.app:create_app()", ports[service]),
                env,
            )
            stack.start(
                f"{service}-worker", [sys.executable, "-m", "services.cli", "worker", service], env
            )
        portal_env = {
            **os.environ,
            **{f"{s.upper()}_URL": stack.urls[s] for s in registry.SERVICES},
            # The live capacity board follows booking's and catalog's topics.
            "KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap,
            "KAFKA_TOPIC_PREFIX": prefix,
        }
        stack.urls["portal"] = f"http://127.0.0.1:{ports['portal']}"
        stack.start(
            "portal",
            # Threads, as `slagkracht run` starts it: a live board's event stream holds one.
            [*gunicorn("services.portal.app:create_app()", ports["portal"]), "--threads", "8"],
            portal_env,
        )
        for port in ports.values():
            wait_for_port("127.0.0.1", port, timeout_s=START_TIMEOUT_S)
        eventually(
            lambda: _demo_assets_searchable(stack.urls["booking"]),
            timeout_s=START_TIMEOUT_S,
            every_s=0.2,
            what="the demo assets in booking's read model",
        )
        yield stack.urls
    finally:
        stack.stop()
