"""What the broker carries is read from contracts/ in one place (shared/topics.py): the event
types on each topic are asyncapi.yaml's, and a consumer cannot name a type its topic lacks."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from shared.consumer import BatchHandler, Subscription
from shared.topics import TOPICS, event_types, event_types_except, topic_of

ASYNCAPI = Path(__file__).resolve().parents[2] / "contracts" / "asyncapi.yaml"


def test_each_topic_carries_the_event_types_asyncapi_publishes_on_it() -> None:
    channels = yaml.safe_load(ASYNCAPI.read_text(encoding="utf-8"))["channels"]
    assert set(channels) == set(TOPICS)
    for topic, channel in channels.items():
        published = {
            ref["$ref"].rsplit("/", 1)[-1] for ref in channel["publish"]["message"]["oneOf"]
        }
        assert set(event_types(topic)) == published, topic
        assert all(topic_of(t) == topic for t in published)


def test_a_consumer_leaves_out_only_types_that_are_on_its_topic() -> None:
    kept = event_types_except("catalog.assets", "catalog.contract.published")
    assert "catalog.contract.published" not in kept
    assert set(kept) | {"catalog.contract.published"} == set(event_types("catalog.assets"))
    with pytest.raises(KeyError, match="booking.completed"):
        event_types_except("catalog.assets", "booking.completed")


def test_a_subscription_refuses_an_event_type_its_topic_never_carries() -> None:
    handler = BatchHandler(event_types={"booking.completed"}, apply=lambda _batch: None)
    Subscription("booking.bookings", "test", batch=handler)
    with pytest.raises(ValueError, match="not event types on catalog.assets"):
        Subscription("catalog.assets", "test", batch=handler)
    with pytest.raises(ValueError, match="either per-event handlers or one batch handler"):
        Subscription("booking.bookings", "test")
