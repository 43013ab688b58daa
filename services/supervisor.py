"""Keeps ``slagkracht run``'s children alive: a child that dies is restarted with backoff.

Each child is a ``ChildSpec`` (name, command, environment, log file, readiness check), so a new
process is one more entry in the launcher's list. Every child runs in its own session: Ctrl-C
in the terminal reaches only the launcher, which stops the children in reverse start order;
and when a child dies, whatever it leaves behind in its process group (gunicorn's workers,
PostgreSQL's backends) is killed before the restart, so the port and the shared memory are
free again.

Restart policy (``RestartPolicy``): the n-th crash within ``window_s`` is followed by a restart
after ``first_delay_s * 2**(n-1)`` seconds; at ``max_crashes`` crashes within the window the
child is left down and reported loudly (stderr and var/log/launcher.log) instead of being
restarted in a tight loop. The rest of the product keeps running; Ctrl-C stops everything.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger("slagkracht.supervisor")


@dataclass(frozen=True)
class ChildSpec:
    name: str
    argv: Sequence[str]
    env: Mapping[str, str]
    log: Path
    # Ready to serve (a port accepts connections); a child without a check is ready when started.
    ready: Callable[[], bool] = lambda: True
    user: str | None = None  # run as this system user (PostgreSQL refuses to run as root)
    stop_signal: int = signal.SIGTERM
    # After a restart, once ready: e.g. the memory-only broker gets its topics and events back.
    after_restart: Callable[[], None] | None = None
    # Children that hold state of this one (the broker's producers and consumer groups): stopped
    # as soon as it dies and started afresh once it is back and repaired.
    clients: tuple[str, ...] = ()
    # Others depend on it (database, broker): stopped only after all the rest have stopped.
    backing: bool = False


@dataclass(frozen=True)
class RestartPolicy:
    first_delay_s: float = 0.5
    max_crashes: int = 5
    window_s: float = 60.0
    ready_timeout_s: float = 60.0


@dataclass
class _Child:
    spec: ChildSpec
    process: subprocess.Popen[bytes] | None = None
    restarts: int = 0
    crashes: deque[float] = field(default_factory=deque)
    restart_at: float | None = None
    given_up: bool = False
    held: bool = False  # stopped on purpose while the child it is a client of is down


class Supervisor:
    def __init__(self, policy: RestartPolicy | None = None) -> None:
        self.policy = policy or RestartPolicy()
        self._children: dict[str, _Child] = {}

    # -- starting ---------------------------------------------------------------------------
    def start(self, spec: ChildSpec) -> None:
        """Start a child (a name starts once; its restarts keep the name)."""
        child = self._children.setdefault(spec.name, _Child(spec))
        child.spec = spec
        child.restart_at = None
        child.given_up = child.held = False
        with open(spec.log, "ab") as out:  # the child keeps its own copy of the descriptor
            child.process = subprocess.Popen(
                list(spec.argv),
                env=dict(spec.env),
                stdout=out,
                stderr=subprocess.STDOUT,
                user=spec.user,
                start_new_session=True,
            )

    def wait_ready(self, name: str, timeout_s: float | None = None) -> bool:
        """Wait until ``name`` is ready; False if it exits or the time runs out first."""
        child = self._children[name]
        deadline = time.monotonic() + (timeout_s or self.policy.ready_timeout_s)
        while time.monotonic() < deadline:
            if child.process is None or child.process.poll() is not None:
                return False
            if child.spec.ready():
                return True
            time.sleep(0.05)
        return False

    def start_ready(self, spec: ChildSpec) -> None:
        """Start a child and wait until it is ready (the database and broker, at start-up)."""
        self.start(spec)
        if not self.wait_ready(spec.name):
            raise RuntimeError(f"{spec.name} did not become ready; see {spec.log}")

    def not_ready(self) -> list[str]:
        """The children that are not running and ready now."""
        return [
            name
            for name, child in self._children.items()
            if child.process is None or child.process.poll() is not None or not child.spec.ready()
        ]

    def pid(self, name: str) -> int | None:
        process = self._children[name].process
        return process.pid if process is not None and process.poll() is None else None

    # -- watching ---------------------------------------------------------------------------
    def check(self) -> None:
        """Notice children that died and restart those whose backoff has passed."""
        now = time.monotonic()
        for child in list(self._children.values()):
            if child.given_up or child.held or child.process is None:
                continue
            if child.restart_at is None and child.process.poll() is not None:
                self._crashed(child, now)
            if child.restart_at is not None and now >= child.restart_at:
                self._restart(child)

    def _crashed(self, child: _Child, now: float) -> None:
        assert child.process is not None
        code = child.process.returncode
        _kill_group(child.process.pid)
        child.crashes.append(now)
        while child.crashes and now - child.crashes[0] > self.policy.window_s:
            child.crashes.popleft()
        if len(child.crashes) >= self.policy.max_crashes:
            child.given_up = True
            log.error(
                "CRASH LOOP: %s exited %d times within %.0f s (last %s); NOT restarting it. "
                "See %s; the rest keeps running, Ctrl-C stops everything.",
                child.spec.name,
                len(child.crashes),
                self.policy.window_s,
                _describe(code),
                child.spec.log,
            )
        else:
            delay = self.policy.first_delay_s * 2 ** (len(child.crashes) - 1)
            child.restart_at = now + delay
            log.warning(
                "%s exited (%s); restart %d in %.1f s (log: %s)",
                child.spec.name,
                _describe(code),
                child.restarts + 1,
                delay,
                child.spec.log,
            )
        self._hold(child.spec.clients, because=child.spec.name)

    def _restart(self, child: _Child) -> None:
        child.restarts += 1
        self.start(child.spec)
        if not self.wait_ready(child.spec.name):
            log.warning("%s restart %d is not ready", child.spec.name, child.restarts)
            return  # the next check sees it exit (or it becomes ready later)
        log.warning(
            "%s restarted (pid %d, restart %d)",
            child.spec.name,
            self.pid(child.spec.name) or 0,
            child.restarts,
        )
        if child.spec.after_restart is not None:
            try:
                child.spec.after_restart()
            except Exception:  # noqa: BLE001 - the supervisor outlives a failed repair, loudly
                log.exception("%s: repair after restart failed", child.spec.name)
        self._resume(child.spec.clients, after=child.spec.name)

    def _hold(self, names: tuple[str, ...], *, because: str) -> None:
        """Stop the clients of a dead child until it is back (they would carry its old state,
        e.g. consumer positions in a log that is gone, into its successor)."""
        held = [c for n in names if (c := self._children.get(n)) is not None and not c.held]
        if held:
            log.warning("stopping %s until %s is back", ", ".join(names), because)
            self._stop_together(held, timeout_s=2)  # they cannot finish anything without it
            for client in held:
                client.held = True

    def _resume(self, names: tuple[str, ...], *, after: str) -> None:
        resumed = [c for n in names if (c := self._children.get(n)) is not None and c.held]
        if resumed:
            log.warning("starting %s again now that %s is back", ", ".join(names), after)
            for client in resumed:
                self.start(client.spec)

    # -- stopping ---------------------------------------------------------------------------
    def stop_all(self) -> None:
        """Stop every child: the clients together, then the backing services, last first."""
        children = list(self._children.values())
        self._stop_together([c for c in children if not c.spec.backing], timeout_s=20)
        for child in reversed([c for c in children if c.spec.backing]):
            self._stop_together([child], timeout_s=20)

    @staticmethod
    def _stop_together(children: list[_Child], *, timeout_s: float) -> None:
        """Ask each to stop, wait up to ``timeout_s`` for all, kill the ones still running."""
        running = [c for c in children if c.process is not None]
        for child in running:
            assert child.process is not None
            if child.process.poll() is None:
                child.process.send_signal(child.spec.stop_signal)
        deadline = time.monotonic() + timeout_s
        for child in running:
            assert child.process is not None
            try:
                child.process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.warning("%s did not stop within %.0f s; killing it", child.spec.name, timeout_s)
                child.process.kill()
                child.process.wait()
            _kill_group(child.process.pid)


def _kill_group(pgid: int) -> None:
    """Kill what a child left in its process group (its session leader is gone)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def _describe(code: int | None) -> str:
    if code is not None and code < 0:
        return f"exit code {code}, killed by {signal.Signals(-code).name}"
    return f"exit code {code}"
