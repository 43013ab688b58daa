"""One API under real gunicorn, as `slagkracht run` starts it: for what only the server sees
(request-line and header limits, access log lines, the control socket)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shared.runtime import free_port, wait_for_port


@dataclass
class RunningApi:
    url: str
    log: Path
    home: Path

    def log_lines(self) -> list[dict[str, Any]]:
        """The JSON lines the API has written to stderr so far (gunicorn's own are plain)."""
        lines = []
        for raw in self.log.read_text(encoding="utf-8", errors="replace").splitlines():
            if raw.startswith("{"):
                lines.append(json.loads(raw))
        return lines


@contextmanager
def gunicorn_api(service: str, database_url: str, folder: Path) -> Iterator[RunningApi]:
    """``service``'s API under gunicorn with shared/gunicorn_conf.py on a free port; HOME is a
    folder of its own, so whatever gunicorn puts in ~ is seen (and no one else's is touched)."""
    home = folder / "home"
    home.mkdir(parents=True, exist_ok=True)
    port = free_port()
    env = {
        **os.environ,
        "HOME": str(home),
        "DATABASE_URL": database_url,
        # Nothing here publishes: the broker is never asked (an unused port).
        "KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{free_port()}",
    }
    env.pop("XDG_RUNTIME_DIR", None)  # gunicorn would put its control socket there instead
    log = folder / f"{service}-api.log"
    argv = [
        *(sys.executable, "-m", "gunicorn", "-c", "python:shared.gunicorn_conf"),
        *("-w", "1", "-b", f"127.0.0.1:{port}", f"services.{service}.app:create_app()"),
    ]
    with open(log, "wb") as out:
        process = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_for_port("127.0.0.1", port, timeout_s=30)
        yield RunningApi(url=f"http://127.0.0.1:{port}", log=log, home=home)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
