"""gunicorn settings every API shares (``gunicorn -c python:shared.gunicorn_conf ...``).

Metrics from every worker: when ``PROMETHEUS_MULTIPROC_DIR`` is set (``slagkracht run`` and
docker-compose set it), each worker writes its counters there and ``/metrics`` adds them up,
so a scrape sees the whole API, not whichever worker answered. The directory is emptied when
the arbiter starts (stale files would add old counts) and a dead worker's live gauges are
dropped. The variable must be in the environment before gunicorn starts: prometheus_client
picks its storage when it is first imported.

Limits (README, "Limits"): gunicorn reads the request line and the headers before the app
sees anything, and refuses a request line over 4,094 bytes (414), a header over 8,190 bytes or
more than 100 headers (431). Its answers are made problem+json like the app's (``write_error``
below), not its own HTML. Access lines come from the app (shared/logs.py), which knows who
asked, so gunicorn writes none.

No control socket: every gunicorn master would listen on the same per-user
``~/.gunicorn/gunicorn.ctl``, so two stacks on one machine would take it from each other; we
never use it (the supervisor signals the master).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

from gunicorn import util
from werkzeug.http import HTTP_STATUS_CODES

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

# gunicorn's defaults, named so README and the problem details can state them.
limit_request_line = 4094
limit_request_field_size = 8190
limit_request_fields = 100
control_socket_disable = True
accesslog = None

_LIMIT_DETAILS = {
    414: f"The request line (method, path and query) is longer than {limit_request_line} bytes.",
    431: (
        f"A request header is longer than {limit_request_field_size} bytes, or there are more "
        f"than {limit_request_fields} headers."
    ),
}


def write_problem(sock: Any, status_int: int, reason: str, mesg: str) -> None:
    """gunicorn's answer to a request it refuses before the app sees it (too long a request
    line, too large headers, a malformed request), as problem+json instead of HTML."""
    body = {
        "type": "about:blank",
        "title": HTTP_STATUS_CODES.get(status_int, reason),  # the app's titles (shared/web.py)
        "status": status_int,
        "detail": _LIMIT_DETAILS.get(status_int) or mesg or reason,
    }
    payload = json.dumps(body).encode()
    head = (
        f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\n"
        f"Content-Type: application/problem+json\r\nContent-Length: {len(payload)}\r\n\r\n"
    )
    util.write_nonblock(sock, head.encode("latin-1") + payload)


def on_starting(server: Any) -> None:
    # The workers are forked from here, so they all answer with write_problem.
    util.write_error = write_problem
    folder = os.environ.get(MULTIPROC_ENV)
    if folder:
        shutil.rmtree(folder, ignore_errors=True)
        Path(folder).mkdir(parents=True, exist_ok=True)


def child_exit(server: Any, worker: Any) -> None:
    if os.environ.get(MULTIPROC_ENV):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
