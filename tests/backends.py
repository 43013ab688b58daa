"""Where the tests' PostgreSQL and Kafka-protocol broker come from (``TEST_BACKEND``).

- ``embedded`` (the default, and what CI runs): the embedded PostgreSQL 18 and the Tansu
  broker, started by the fixtures on free ports of 127.0.0.1.
- ``testcontainers``: a PostgreSQL 16 and a Kafka (KRaft) container, for machines with
  a Docker engine (``pip install -e '.[dev,containers]'``). No machine this project runs on
  has one, so this path is deliberately small and is not exercised in CI; choosing it without
  a reachable engine fails at start-up with the reason, it never skips.

``TEST_DATABASE_URL`` (an external server's admin URL) overrides where PostgreSQL comes from
whatever the backend.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Protocol

BACKENDS = ("embedded", "testcontainers")
POSTGRES_IMAGE = "postgres:16"  # as docker-compose.yml; its contrib has btree_gist, pg_trgm
# testcontainers' Kafka module drives Confluent's image (its KRaft set-up checks the tag >= 7);
# the broker protocol is Apache Kafka's, as in production (docker-compose.yml: apache/kafka).
KAFKA_IMAGE = "confluentinc/cp-kafka:7.6.0"


class BackendUnavailable(Exception):
    """The chosen backend cannot start here."""


class BrokerHandle(Protocol):
    @property
    def bootstrap(self) -> str: ...
    def pause(self) -> None: ...
    def resume(self) -> None: ...
    def stop(self) -> None: ...


def choose_backend(env: Mapping[str, str], docker_ping: Any = None) -> str:
    """The backend ``env`` asks for, checked: a clear error instead of a skip later."""
    backend = env.get("TEST_BACKEND", "embedded")
    if backend not in BACKENDS:
        raise BackendUnavailable(
            f"TEST_BACKEND={backend!r} is not a backend; choose one of {', '.join(BACKENDS)}."
        )
    if backend == "testcontainers":
        reason = (docker_ping or _docker_ping)()
        if reason:
            raise BackendUnavailable(f"TEST_BACKEND=testcontainers needs a Docker engine: {reason}")
    return backend


def _docker_ping() -> str | None:
    """None when a Docker engine answers; else why not."""
    try:
        import docker  # type: ignore[import-not-found]  # testcontainers brings it
    except ImportError:
        return "the 'containers' extra is not installed (pip install -e '.[dev,containers]')"
    try:
        docker.from_env().ping()
    except Exception as exc:  # noqa: BLE001 - any failure means: no engine to use
        return f"no engine answers ({exc.__class__.__name__}: {exc})"
    return None


@contextmanager
def postgres_container() -> Iterator[str]:
    """A PostgreSQL container; yields an admin URL (the fixtures create one database each)."""
    from testcontainers.postgres import PostgresContainer  # type: ignore[import-not-found]

    with PostgresContainer(POSTGRES_IMAGE, driver=None) as pg:
        yield pg.get_connection_url()


class _ContainerBroker:
    def __init__(self, container: Any) -> None:
        self._container = container

    @property
    def bootstrap(self) -> str:
        return str(self._container.get_bootstrap_server())

    def pause(self) -> None:
        self._container.get_wrapped_container().pause()

    def resume(self) -> None:
        self._container.get_wrapped_container().unpause()

    def stop(self) -> None:
        self._container.stop()


@contextmanager
def kafka_container() -> Iterator[BrokerHandle]:
    """An Apache Kafka container in KRaft mode; stopped when the block ends."""
    from testcontainers.kafka import KafkaContainer  # type: ignore[import-not-found]

    container = KafkaContainer(KAFKA_IMAGE).with_kraft()
    try:
        container.start()
        yield _ContainerBroker(container)
    finally:
        container.stop()


def backend_from_environment() -> str:
    return choose_backend(os.environ)
