"""A small per-process cache for what every user sees alike and rarely changes: categories,
regions and asset names from catalog. It spares a page two to twenty catalog calls; a name
changed in catalog shows everywhere within ``ttl_s``. Per-user data is never cached here."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from flask import current_app

T = TypeVar("T")


class TtlCache:
    """Values by key for ``ttl_s`` seconds, least recently used dropped beyond ``maxsize``.
    A load that raises stores nothing (the next page asks again)."""

    def __init__(
        self, ttl_s: float, maxsize: int = 4096, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.ttl_s = ttl_s
        self.maxsize = maxsize
        self.clock = clock
        self._entries: OrderedDict[Hashable, tuple[float, Any]] = OrderedDict()
        self._lock = threading.Lock()  # gthread workers share a process

    def __len__(self) -> int:
        return len(self._entries)

    def get_or_load(self, key: Hashable, load: Callable[[], T]) -> T:
        now = self.clock()
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry[0] > now:
                self._entries.move_to_end(key)
                value: T = entry[1]
                return value
        value = load()  # outside the lock: a slow API call must not hold up other pages
        with self._lock:
            self._entries[key] = (now + self.ttl_s, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.maxsize:
                self._entries.popitem(last=False)
        return value


def shared_cache() -> TtlCache:
    cache: TtlCache = current_app.extensions["portal_cache"]
    return cache
