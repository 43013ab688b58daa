"""gunicorn settings every API shares (``gunicorn -c python:shared.gunicorn_conf ...``).

Metrics from every worker: when ``PROMETHEUS_MULTIPROC_DIR`` is set (``slagkracht run`` and
docker-compose set it), each worker writes its counters there and ``/metrics`` adds them up,
so a scrape sees the whole API, not whichever worker answered. The directory is emptied when
the arbiter starts (stale files would add old counts) and a dead worker's live gauges are
dropped. The variable must be in the environment before gunicorn starts: prometheus_client
picks its storage when it is first imported.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def on_starting(server: Any) -> None:
    folder = os.environ.get(MULTIPROC_ENV)
    if folder:
        shutil.rmtree(folder, ignore_errors=True)
        Path(folder).mkdir(parents=True, exist_ok=True)


def child_exit(server: Any, worker: Any) -> None:
    if os.environ.get(MULTIPROC_ENV):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
