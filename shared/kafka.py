"""Kafka clients configured the one way every service uses them, and topic set-up."""

from __future__ import annotations

import contextlib
import logging
import socket
import time
from typing import Any

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewTopic, OffsetSpec
from kafka.errors import KafkaError, TopicAlreadyExistsError

from shared.settings import Settings
from shared.topics import DLQ_SUFFIX, TOPICS

log = logging.getLogger(__name__)

MAX_POLL_RECORDS = 500  # records a consumer applies in one transaction at most


def all_topic_names(settings: Settings) -> list[str]:
    names = []
    for name in TOPICS:
        names += [settings.topic(name), settings.topic(name + DLQ_SUFFIX)]
    return names


def security_config(settings: Settings) -> dict[str, Any]:
    """kafka-python's keywords for the broker login; none for plaintext (Tansu in dev, tests)."""
    security = settings.kafka_security
    if security.protocol == "PLAINTEXT":
        return {}
    config: dict[str, Any] = {
        "security_protocol": security.protocol,
        "sasl_mechanism": security.sasl_mechanism,
        # kafka-python names these "plain" but uses them for SCRAM too.
        "sasl_plain_username": security.sasl_username,
        "sasl_plain_password": security.sasl_password,
    }
    if security.ssl_cafile:
        config["ssl_cafile"] = security.ssl_cafile
    return config


def make_producer(settings: Settings, **overrides: Any) -> KafkaProducer:
    """Idempotent producer, acks from all replicas; raises a KafkaError if unreachable."""
    config: dict[str, Any] = {
        "bootstrap_servers": settings.kafka_bootstrap_servers.split(","),
        "client_id": f"{settings.service}-producer",
        "acks": "all",
        "enable_idempotence": True,
        "linger_ms": 2,
        "request_timeout_ms": 5000,
        "max_block_ms": 5000,
        "bootstrap_timeout_ms": 5000,
        **security_config(settings),
    }
    config.update(overrides)
    return KafkaProducer(**config)


def make_consumer(settings: Settings, *topics: str, **overrides: Any) -> KafkaConsumer:
    """Manual-commit consumer in the service's group; joins in ~3 s on Tansu."""
    config: dict[str, Any] = {
        "bootstrap_servers": settings.kafka_bootstrap_servers.split(","),
        "client_id": f"{settings.service}-consumer",
        "group_id": settings.group_id,
        "enable_auto_commit": False,
        "auto_offset_reset": "earliest",
        "session_timeout_ms": 6000,
        # A third of the session, as Kafka advises; every heartbeat costs the broker a request.
        "heartbeat_interval_ms": 2000,
        "fetch_max_wait_ms": settings.fetch_max_wait_ms,
        "max_poll_records": MAX_POLL_RECORDS,
        "bootstrap_timeout_ms": 10000,
        **security_config(settings),
    }
    config.update(overrides)
    return KafkaConsumer(*topics, **config)


def set_fetch_wait(consumer: KafkaConsumer, wait_ms: int) -> None:
    """How long the broker may hold this consumer's next fetch that finds nothing.

    kafka-python has no setter: its fetcher reads ``fetch_max_wait_ms`` from its own copy of
    the config each time it builds a fetch request, so that copy is changed. An upgrade that
    moves it fails here loudly (and tests/integration/test_consumer_pacing.py pins it)."""
    fetcher_config = consumer._fetcher.config  # noqa: SLF001 - no public way (see above)
    if "fetch_max_wait_ms" not in fetcher_config:
        raise RuntimeError("kafka-python's fetcher no longer reads fetch_max_wait_ms")
    fetcher_config["fetch_max_wait_ms"] = wait_ms


def create_topics(settings: Settings, *, timeout_s: float = 30.0) -> list[str]:
    """Create every topic and its DLQ explicitly (auto-created ones get the wrong partitions)."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            admin = KafkaAdminClient(
                bootstrap_servers=settings.kafka_bootstrap_servers.split(","),
                client_id=f"{settings.service}-admin",
                bootstrap_timeout_ms=5000,
                **security_config(settings),
            )
            break
        except KafkaError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    try:
        existing = set(admin.list_topics())
        wanted = []
        for name, partitions in TOPICS.items():
            for topic, count in ((name, partitions), (name + DLQ_SUFFIX, 1)):
                physical = settings.topic(topic)
                if physical not in existing:
                    wanted.append(NewTopic(physical, num_partitions=count, replication_factor=1))
        for new_topic in wanted:
            with contextlib.suppress(TopicAlreadyExistsError):
                admin.create_topics([new_topic])
        return [t.name for t in wanted]
    finally:
        admin.close()


def broker_reachable(settings: Settings, timeout_s: float = 1.0) -> bool:
    """True when a bootstrap server accepts a TCP connection (cheap enough for /readyz)."""
    for server in settings.kafka_bootstrap_servers.split(","):
        host, _, port = server.strip().rpartition(":")
        try:
            with socket.create_connection((host, int(port)), timeout=timeout_s):
                return True
        except OSError:
            continue
    return False


def consumer_lag(settings: Settings, group_id: str, topic: str) -> int | None:
    """Records of ``topic`` that ``group_id`` has not committed past; None if the broker does
    not answer or the topic does not exist (yet). Tansu answers a partition's end offset as
    its last record batch's first offset + 1, so the lag can read low by that batch's size
    less one: a caught-up check, not an exact count."""
    try:
        admin = KafkaAdminClient(
            bootstrap_servers=settings.kafka_bootstrap_servers.split(","),
            client_id=f"{settings.service}-lag",
            bootstrap_timeout_ms=2000,
            request_timeout_ms=2000,
            **security_config(settings),
        )
    except KafkaError:
        return None
    try:
        (described,) = admin.describe_topics([topic])
        partitions = [TopicPartition(topic, p["partition_index"]) for p in described["partitions"]]
        if not partitions:
            return None
        ends = admin.list_partition_offsets({tp: OffsetSpec.LATEST for tp in partitions})
        committed = admin.list_group_offsets({group_id: partitions}).get(group_id, {})
        lag = 0
        for tp in partitions:
            done = committed[tp].offset if tp in committed else -1
            lag += max(0, ends[tp].offset - max(done, 0))
        return lag
    except (KafkaError, KeyError, ValueError):
        return None
    finally:
        admin.close()
