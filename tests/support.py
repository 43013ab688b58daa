"""Test helpers shared by integration and e2e tests (no fixtures here; see conftest.py)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from shared.personas import persona_token
from shared.settings import DEV_JWT_SECRET

T = TypeVar("T")


def auth(persona: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {persona_token(persona, DEV_JWT_SECRET)}"}


def eventually(
    probe: Callable[[], T | None],
    *,
    timeout_s: float = 20.0,
    every_s: float = 0.05,
    what: str = "condition",
) -> T:
    """Poll until ``probe`` returns something truthy; fail with ``what`` after the deadline."""
    deadline = time.monotonic() + timeout_s
    while True:
        result = probe()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s}s waiting for {what}")
        time.sleep(every_s)
