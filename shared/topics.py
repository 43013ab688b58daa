"""What the broker carries, as ``contracts/`` says: the topics, who owns each, the event types
on each. Every service and the launcher read these facts here, not from lists of their own.

A topic's event types are the contracts under ``contracts/events/`` whose type begins with the
name of the service that owns the topic (``booking.completed`` is on ``booking.bookings``): the
same grouping as the channels of ``contracts/asyncapi.yaml``, which tests/unit/test_topics.py
holds them to (the runtime has no YAML parser, and needs none for this).
"""

from __future__ import annotations

from functools import cache

from shared.events import contracts_dir

# Topic name → partitions (asyncapi.yaml's channels; each says "3 partitions"). Keys are
# aggregate ids, so one aggregate's events stay in order on one partition.
TOPICS: dict[str, int] = {
    "catalog.assets": 3,
    "booking.bookings": 3,
    "costsharing.allocations": 3,
}
DLQ_SUFFIX = ".dlq"


def topic_owner(name: str) -> str:
    """The one service that may write ``name`` (a topic of TOPICS): the first word of the name,
    catalog.assets → catalog. The broker's ACLs enforce it; consumers check it again."""
    if name not in TOPICS:
        raise KeyError(f"{name!r} is not one of the topics in shared/topics.py TOPICS")
    return name.partition(".")[0]


def topic_of(event_type: str) -> str:
    """The topic ``event_type`` is published on: the one its producer (its first word) owns."""
    owner = event_type.partition(".")[0]
    for name in TOPICS:
        if topic_owner(name) == owner:
            return name
    raise KeyError(f"no topic is owned by {owner!r}, the producer of {event_type!r}")


@cache
def event_types(topic: str) -> tuple[str, ...]:
    """Every event type published on ``topic`` (one with a contract file), sorted."""
    owner = topic_owner(topic)
    found = {
        path.name.rsplit(".v", 1)[0] for path in (contracts_dir() / "events").glob("*.v*.json")
    }
    return tuple(sorted(t for t in found if t.partition(".")[0] == owner))


def event_types_except(topic: str, *left_out: str) -> tuple[str, ...]:
    """The event types on ``topic`` but ``left_out``, which must all be on it: a consumer says
    what it does not act on (and why, beside the call), so a new event type on the topic reaches
    it unless it is left out on purpose."""
    on_topic = event_types(topic)
    unknown = sorted(set(left_out) - set(on_topic))
    if unknown:
        raise KeyError(f"{unknown} are not event types on {topic}")
    return tuple(t for t in on_topic if t not in left_out)
