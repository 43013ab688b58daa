"""What the HTTP benchmarks (catalog.py, booking.py) share: the gunicorn server started as
``slagkracht run`` starts it, the embedded PostgreSQL, CPU accounting from /proc, logging.

Imported by the bench scripts as a sibling module (``python bench/<name>.py`` puts bench/
first on the path)."""

from __future__ import annotations

import contextlib
import http.client
import os
import resource
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from shared.runtime import free_port, start_embedded_postgres, wait_for_port

ROOT = Path(__file__).resolve().parents[1]


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def call(
    port: int,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


# -- the server ------------------------------------------------------------------------------
@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int
    log_path: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def tail(self, lines: int = 30) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return ""

    def pids(self) -> list[int]:
        """The gunicorn arbiter and its workers."""
        return [self.process.pid, *children_of(self.process.pid)]


def children_of(parent: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == parent:
                found.append(int(stat.parent.name))
    return found


def start_gunicorn(service: str, url: str, workers: int, logdir: Path) -> Server:
    """``services.<service>.app`` under gunicorn with the settings ``slagkracht run`` uses
    (shared config, sync workers), the bench endpoints on, no broker (nothing is relayed)."""
    port = free_port()
    log_path = logdir / f"gunicorn-{port}.log"
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1",
        "SLAGKRACHT_BENCH_ENDPOINTS": "1",
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
        "PROMETHEUS_MULTIPROC_DIR": str(logdir / f"metrics-{port}"),
    }
    out = open(log_path, "ab")  # noqa: SIM115 - handed to the child
    process = subprocess.Popen(
        [
            sys.executable, "-m", "gunicorn",
            "-c", "python:shared.gunicorn_conf",
            "-w", str(workers), "-k", "sync",
            "-b", f"127.0.0.1:{port}",
            "--graceful-timeout", "5",
            f"services.{service}.app:create_app()",
        ],
        cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    out.close()
    server = Server(process=process, port=port, log_path=log_path)
    try:
        wait_for_port("127.0.0.1", port, timeout_s=30)
        deadline = time.monotonic() + 30
        while True:  # every worker has imported the app once /healthz answers a few times
            with contextlib.suppress(OSError, http.client.HTTPException):
                if all(call(port, "GET", "/healthz")[0] == 200 for _ in range(workers * 2)):
                    break
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError(f"gunicorn did not come up:\n{server.tail()}")
            time.sleep(0.2)
    except BaseException:
        server.stop()
        raise
    return server


@contextlib.contextmanager
def embedded_postgres(tmp: Path) -> Iterator[tuple[str, Path]]:
    pgdata = tmp / "pg" / "data"
    server, admin_url = start_embedded_postgres(pgdata, cleanup_mode="delete")
    try:
        yield admin_url, pgdata
    finally:
        with contextlib.suppress(Exception):
            server.cleanup()


# -- CPU accounting --------------------------------------------------------------------------
def cpu_seconds(pids: list[int]) -> float:
    total = 0.0
    for pid in pids:
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def postgres_pids(pgdata: Path) -> list[int]:
    try:
        postmaster = int((pgdata / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return []
    return [postmaster, *children_of(postmaster)]


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def self_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime
