"""The portal's per-process cache of what every user sees alike (services/portal/cache.py)."""

from __future__ import annotations

import pytest

from services.portal.cache import TtlCache


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_value_is_loaded_once_until_it_expires() -> None:
    clock, loads = Clock(), []
    cache = TtlCache(ttl_s=60, clock=clock)

    def load() -> str:
        loads.append(clock.now)
        return f"name-{len(loads)}"

    assert cache.get_or_load("k", load) == "name-1"
    clock.now += 59
    assert cache.get_or_load("k", load) == "name-1"
    clock.now += 1
    assert cache.get_or_load("k", load) == "name-2"
    assert len(loads) == 2


def test_a_failed_load_stores_nothing() -> None:
    cache = TtlCache(ttl_s=60, clock=Clock())

    def broken() -> str:
        raise RuntimeError("catalog down")

    with pytest.raises(RuntimeError):
        cache.get_or_load("k", broken)
    assert len(cache) == 0
    assert cache.get_or_load("k", lambda: "back") == "back"


def test_the_least_recently_used_goes_beyond_maxsize() -> None:
    cache = TtlCache(ttl_s=60, maxsize=2, clock=Clock())
    cache.get_or_load("a", lambda: 1)
    cache.get_or_load("b", lambda: 2)
    cache.get_or_load("a", lambda: 99)  # a is used again: b is now the oldest
    cache.get_or_load("c", lambda: 3)
    assert len(cache) == 2
    assert cache.get_or_load("a", lambda: 99) == 1
    assert cache.get_or_load("b", lambda: 22) == 22  # b was dropped and loads afresh
