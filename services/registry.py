"""Where each service's app factory, worker and migrations live (for the CLI and launcher)."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

SERVICES = ("catalog", "booking", "costsharing", "notify")
DEFAULT_PORTS = {"catalog": 8081, "booking": 8082, "costsharing": 8083, "notify": 8084}


def check(service: str) -> str:
    if service not in SERVICES:
        raise SystemExit(f"unknown service {service!r}; choose from {', '.join(SERVICES)}")
    return service


def app_factory(service: str) -> Callable[..., Any]:
    return importlib.import_module(f"services.{check(service)}.app").create_app


def worker_builder(service: str) -> Callable[..., Any]:
    return importlib.import_module(f"services.{check(service)}.worker").build
