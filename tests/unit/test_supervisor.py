"""The launcher's supervisor with real (tiny) child processes: a killed child comes back and is
logged, a child that keeps crashing is given up loudly, a dead server's clients wait for it."""

from __future__ import annotations

import logging
import os
import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from services.supervisor import ChildSpec, RestartPolicy, Supervisor
from tests.support import eventually

QUICK = RestartPolicy(first_delay_s=0.05, max_crashes=3, window_s=60, ready_timeout_s=10)
SLEEPER = [sys.executable, "-c", "import time; time.sleep(60)"]


@pytest.fixture
def supervisor() -> Iterator[Supervisor]:
    supervisor = Supervisor(QUICK)
    yield supervisor
    supervisor.stop_all()


def spec(tmp_path: Path, name: str, argv: list[str] = SLEEPER, **kw: Any) -> ChildSpec:
    return ChildSpec(name=name, argv=argv, env=dict(os.environ), log=tmp_path / f"{name}.log", **kw)


def restarted(supervisor: Supervisor, name: str, old_pid: int) -> int | None:
    supervisor.check()
    pid = supervisor.pid(name)
    return pid if pid not in (None, old_pid) else None


def test_a_killed_child_is_restarted_and_the_restart_logged(
    supervisor: Supervisor, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "slagkracht.supervisor")
    supervisor.start(spec(tmp_path, "sleeper"))
    first = supervisor.pid("sleeper")
    assert first is not None
    os.kill(first, signal.SIGKILL)
    second = eventually(lambda: restarted(supervisor, "sleeper", first), what="a new sleeper")
    os.kill(second, signal.SIGKILL)
    eventually(lambda: restarted(supervisor, "sleeper", second), what="a third sleeper")
    assert "sleeper exited (exit code -9, killed by SIGKILL); restart 1" in caplog.text
    assert "sleeper exited (exit code -9, killed by SIGKILL); restart 2" in caplog.text


def test_a_child_that_keeps_crashing_is_given_up_loudly_and_the_rest_keeps_running(
    supervisor: Supervisor, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    supervisor.start(spec(tmp_path, "sleeper"))
    supervisor.start(spec(tmp_path, "crasher", [sys.executable, "-c", "raise SystemExit(3)"]))

    def given_up() -> bool:
        supervisor.check()
        return "CRASH LOOP" in caplog.text

    eventually(given_up, what="the crash loop to be reported")
    assert caplog.text.count("crasher exited (exit code 3)") == QUICK.max_crashes - 1
    assert "crasher exited 3 times within 60 s (last exit code 3); NOT restarting it" in caplog.text
    for _ in range(5):  # no more restarts, however often it is checked
        supervisor.check()
    assert caplog.text.count("crasher restarted") == QUICK.max_crashes - 1
    assert supervisor.pid("crasher") is None and supervisor.pid("sleeper") is not None


def test_a_dead_servers_clients_are_stopped_until_it_is_back_and_repaired(
    supervisor: Supervisor, tmp_path: Path
) -> None:
    client_pid_during_repair: list[int | None] = []
    supervisor.start(
        spec(
            tmp_path,
            "server",
            after_restart=lambda: client_pid_during_repair.append(supervisor.pid("client")),
            clients=("client",),
        )
    )
    supervisor.start(spec(tmp_path, "client"))
    server, client = supervisor.pid("server"), supervisor.pid("client")
    assert server is not None and client is not None
    os.kill(server, signal.SIGKILL)
    eventually(lambda: restarted(supervisor, "server", server), what="the server back")
    assert client_pid_during_repair == [None]  # no client talked to the new server before
    assert supervisor.pid("client") not in (None, client)


def test_stop_all_stops_every_child(supervisor: Supervisor, tmp_path: Path) -> None:
    supervisor.start(spec(tmp_path, "database", backing=True))
    supervisor.start(spec(tmp_path, "api"))
    pids = [supervisor.pid("database"), supervisor.pid("api")]
    supervisor.stop_all()
    assert supervisor.pid("database") is None and supervisor.pid("api") is None
    for pid in pids:
        assert pid is not None
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_not_ready_names_children_that_are_down_or_not_ready_yet(
    supervisor: Supervisor, tmp_path: Path
) -> None:
    supervisor.start(spec(tmp_path, "up"))
    supervisor.start(spec(tmp_path, "starting", ready=lambda: False))
    supervisor.start(spec(tmp_path, "down", [sys.executable, "-c", "pass"]))
    eventually(lambda: supervisor.pid("down") is None, what="the short-lived child gone")
    assert supervisor.not_ready() == ["starting", "down"]
