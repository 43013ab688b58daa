"""Catalog worker: only the outbox relay for now (catalog consumes no events yet)."""

from __future__ import annotations

from typing import Any

from shared.consumer import EventConsumer
from shared.settings import Settings
from shared.worker import PeriodicJob


def build(
    settings: Settings, session_factory: Any
) -> tuple[list[EventConsumer], list[PeriodicJob]]:
    return [], []
