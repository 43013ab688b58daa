"""JSON log lines carrying the request/trace id, and the APIs' access log.

Every line written while a request is served carries its ``request_id`` (the one its
problem details and ``X-Request-ID`` name), so an error a caller reports can be found.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from datetime import UTC, datetime
from typing import Any

from flask import g, has_request_context

ACCESS_LOGGER = "slagkracht.access"


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        entry.update(getattr(record, "fields", None) or {})
        if has_request_context() and g.get("request_id"):
            entry["request_id"] = g.request_id
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure_logging(level: str | None = None) -> None:
    """Log JSON to stderr once per process (idempotent)."""
    root = logging.getLogger()
    if any(isinstance(h.formatter, JsonFormatter) for h in root.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root.addHandler(handler)
    root.setLevel(level or os.environ.get("LOG_LEVEL", "INFO"))
    logging.getLogger("kafka").setLevel(logging.ERROR)
    # One access line per request comes from the app (access_log), which knows the caller.
    logging.getLogger(ACCESS_LOGGER).setLevel(logging.INFO)


def access_log(
    *,
    method: str,
    path: str,
    status: int,
    duration_ms: float,
    subject: str | None,
    organisation: str | None,
) -> None:
    """One JSON line for a served request (its ``request_id`` is added by the formatter). The
    path is logged without its query: a calendar feed's key travels there."""
    fields = {
        "method": method,
        "path": path,
        "status": status,
        "duration_ms": round(duration_ms, 2),
        "subject": subject,
        "organisation": organisation,
    }
    logging.getLogger(ACCESS_LOGGER).info(
        "%s %s %s", method, path, status, extra={"fields": fields}
    )
