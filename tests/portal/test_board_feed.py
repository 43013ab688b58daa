"""The board's change feed and its event stream, without a broker: the feed runs on a fake
consumer of our own (tests/portal/test_board_feed.py::FakeConsumer), the stream in the
Flask test client. The real broker is in tests/portal/test_board_pages.py."""

from __future__ import annotations

import queue
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from services.portal.app import create_app
from services.portal.config import load_config
from services.portal.live import ChangeFeed
from shared.settings import load_settings
from tests.portal.client import csrf_token
from tests.support import eventually


class FakeConsumer:
    """What ChangeFeed asks of a KafkaConsumer: partitions, assign, seek, poll, close."""

    def __init__(self, records: queue.Queue[str], topics_exist: bool = True, **_: Any) -> None:
        self.records = records
        self.topics_exist = topics_exist
        self.closed = False

    def partitions_for_topic(self, topic: str) -> set[int] | None:
        return {0, 1} if self.topics_exist else None

    def assign(self, partitions: list[Any]) -> None:
        self.assigned = partitions

    def seek_to_end(self, *partitions: Any) -> None:
        pass

    def position(self, partition: Any) -> int:
        return 0

    def poll(self, timeout_ms: int) -> dict[str, list[str]]:
        try:
            return {"booking.bookings-0": [self.records.get(timeout=timeout_ms / 1000)]}
        except queue.Empty:
            return {}

    def close(self) -> None:
        self.closed = True


def settings() -> Any:
    return load_settings(
        "portal", {"KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1"}, require_database=False
    )


def following_feed(records: queue.Queue[str]) -> ChangeFeed:
    feed = ChangeFeed(settings, consumer_factory=lambda **kw: FakeConsumer(records, **kw))
    feed.ensure_started()
    eventually(lambda: feed.ready, timeout_s=10, what="the feed following its topics")
    return feed


def test_a_record_on_a_topic_moves_the_feed_on() -> None:
    records: queue.Queue[str] = queue.Queue()
    feed = following_feed(records)
    seen = feed.version

    records.put("booking.approved")

    assert feed.wait_for_change(seen, timeout_s=10) == seen + 1


def test_the_feed_tries_again_until_the_topics_exist() -> None:
    records: queue.Queue[str] = queue.Queue()
    made: list[FakeConsumer] = []

    def consumer(**kw: Any) -> FakeConsumer:
        made.append(FakeConsumer(records, topics_exist=len(made) >= 2, **kw))
        return made[-1]

    feed = ChangeFeed(settings, consumer_factory=consumer, retry_s=0.01)
    feed.ensure_started()
    eventually(lambda: feed.ready, timeout_s=10, what="the feed following after retries")

    assert len(made) == 3 and made[0].closed and made[1].closed


@pytest.fixture
def app() -> Flask:
    config = load_config({"BOOKING_URL": "http://127.0.0.1:1", "CATALOG_URL": "http://127.0.0.1:1"})
    return create_app(
        {
            "PORTAL_CONFIG": config,
            "TESTING": True,
            "PORTAL_BOARD_MAX_STREAMS": 2,
            "PORTAL_BOARD_STREAM_S": 30,
        }
    )


@pytest.fixture
def signed_in(app: Flask) -> FlaskClient:
    client = app.test_client()
    page = client.get("/sign-in")
    client.post(
        "/sign-in/persona",
        data={"persona": "owner-dhc", "csrf_token": csrf_token(page.text), "next": "/"},
    )
    return client


def chunks(response: Any) -> Iterator[str]:
    for chunk in response.response:
        yield chunk.decode() if isinstance(chunk, bytes) else chunk


def test_the_stream_says_live_then_changed(app: Flask, signed_in: FlaskClient) -> None:
    records: queue.Queue[str] = queue.Queue()
    feed = following_feed(records)
    app.extensions["portal_change_feed"] = feed
    response = signed_in.get("/board/events", buffered=False)
    assert response.status_code == 200 and response.mimetype == "text/event-stream"
    stream = chunks(response)

    assert next(stream) == "retry: 2000\n\n"  # reconnect after 2 s when a stream ends
    assert next(stream) == "event: live\ndata: following\n\n"
    feed.signal()
    assert next(stream).startswith("event: changed\n")
    response.close()


def test_streams_are_bounded_per_process_and_given_back_when_closed(
    app: Flask, signed_in: FlaskClient
) -> None:
    app.extensions["portal_change_feed"] = following_feed(queue.Queue())
    first = signed_in.get("/board/events", buffered=False)
    second = signed_in.get("/board/events", buffered=False)
    assert first.status_code == second.status_code == 200

    refused = signed_in.get("/board/events", buffered=False)
    assert refused.status_code == 503 and refused.headers["Retry-After"] == "10"

    first.close()  # however a stream ends, its place is free again
    again = signed_in.get("/board/events", buffered=False)
    assert again.status_code == 200
    second.close()
    again.close()
