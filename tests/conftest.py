"""Fixtures that start the real parts: PostgreSQL and the Kafka-protocol broker.

PostgreSQL is the embedded server (a fresh data folder per run) unless TEST_DATABASE_URL names
an admin URL of an external server, which `make test` does for the second pass that proves the
DATABASE_URL path. The broker is Tansu on a free port. Nothing here ever skips: in CI a part
that cannot start fails the run.

TEST_BACKEND=testcontainers starts PostgreSQL and Kafka containers instead, on machines with
a Docker engine (tests/backends.py); no machine we run on has one, so CI runs the embedded
backend, and asking for containers without an engine fails at start-up.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine

from services import registry
from shared.db import make_engine
from shared.kafka import create_topics
from shared.runtime import Broker, start_broker, start_embedded_postgres
from shared.settings import Settings, load_settings, sqlalchemy_url
from shared.worker import run_worker
from tests import backends
from tests.support import app_urls, migrated_databases


def pytest_configure(config: pytest.Config) -> None:
    try:
        backends.backend_from_environment()
    except backends.BackendUnavailable as exc:
        raise pytest.UsageError(str(exc)) from exc


@pytest.fixture(scope="session")
def pg_admin_url() -> Iterator[str]:
    external = os.environ.get("TEST_DATABASE_URL")
    if external:
        yield external
        return
    if backends.backend_from_environment() == "testcontainers":
        with backends.postgres_container() as url:
            yield url
        return
    # Outside pytest's basetemp: a second pytest run on the machine prunes older basetemps,
    # which would delete this server's data folder (and socket) under the running suite.
    folder = Path(tempfile.mkdtemp(prefix="slagkracht-test-pg-"))
    server, url = start_embedded_postgres(folder / "data", cleanup_mode="delete")
    try:
        yield url
    finally:
        server.cleanup()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def db_urls(pg_admin_url: str) -> Iterator[dict[str, str]]:
    """One fresh, migrated database per service for this test session, as its owner: what
    migrations use, and tests that inspect or doctor rows. The services never connect as the
    owner: their settings, clients and workers use ``app_db_urls``."""
    with migrated_databases(pg_admin_url, "sk") as urls:
        yield urls


@pytest.fixture(scope="session")
def app_db_urls(db_urls: dict[str, str]) -> dict[str, str]:
    """The session's databases as the services connect to them: as the app role, which cannot
    change the schema, disable a trigger or truncate (shared.migrate), as in production."""
    return app_urls(db_urls)


@pytest.fixture(scope="session")
def owner_engines(db_urls: dict[str, str]) -> Iterator[dict[str, Engine]]:
    """An engine per service database as its owner, for tests that read what a request wrote
    (or doctor a row); the services themselves never connect as the owner."""
    made = {s: make_engine(sqlalchemy_url(url), pool_size=1) for s, url in db_urls.items()}
    yield made
    for engine in made.values():
        engine.dispose()


@pytest.fixture(scope="session")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Broker]:
    if backends.backend_from_environment() == "testcontainers":
        with backends.kafka_container() as kafka:
            yield kafka  # same surface as Broker: bootstrap, pause, resume, stop
        return
    log = Path(tmp_path_factory.mktemp("broker")) / "broker.log"
    started = start_broker(log_path=log)
    yield started
    started.stop()


@pytest.fixture(scope="session")
def topic_prefix(broker: Broker) -> str:
    return f"t{uuid.uuid4().hex[:6]}."


def make_settings(
    service: str, db_urls: dict[str, str], broker: Broker, prefix: str, **env: str
) -> Settings:
    return load_settings(
        service,
        {
            "DATABASE_URL": db_urls[service],
            "KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap,
            "KAFKA_TOPIC_PREFIX": prefix,
            **env,
        },
    )


@pytest.fixture(scope="session")
def settings(app_db_urls: dict[str, str], broker: Broker, topic_prefix: str) -> dict[str, Settings]:
    """Every service's settings as it runs in the tests: connected as the app role."""
    all_settings = {
        s: make_settings(s, app_db_urls, broker, topic_prefix) for s in registry.SERVICES
    }
    create_topics(all_settings["catalog"])
    return all_settings


@pytest.fixture(scope="session")
def clients(settings: dict[str, Settings]) -> dict[str, FlaskClient]:
    """In-process test clients of every service against the session's real databases (as the
    app role)."""
    return {
        s: registry.app_factory(s)(
            {"SLAGKRACHT_SETTINGS": settings[s], "TESTING": True}
        ).test_client()
        for s in registry.SERVICES
    }


@pytest.fixture
def start_worker(settings: dict[str, Settings]) -> Iterator[Callable[..., threading.Event]]:
    """Start a service's worker (relay + consumers + sweeps) in a thread; stopped after the test."""
    running: list[tuple[threading.Thread, threading.Event]] = []

    def start(service: str, settings_override: Settings | None = None, **_: Any) -> threading.Event:
        stop = threading.Event()
        thread = threading.Thread(
            target=run_worker,
            args=(settings_override or settings[service], registry.worker_builder(service)),
            kwargs={"stop": stop, "install_signals": False},
            daemon=True,
        )
        thread.start()
        running.append((thread, stop))
        return stop

    yield start
    for _, stop in running:
        stop.set()
    for thread, _ in running:
        thread.join(timeout=20)
