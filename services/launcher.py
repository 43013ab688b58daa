"""``slagkracht run``: the whole product on one machine, on the embedded runtime by default.

Starts PostgreSQL (embedded, data under var/) and Tansu unless the environment names real
servers, migrates, creates topics, re-publishes the retained outbox to the fresh broker, loads
demo data, starts every API under gunicorn and every worker, waits until the product is ready
(booking's read model holds the catalog), prints URLs, persona tokens and the line
``Slagkracht is ready.``, then supervises every child (services/supervisor.py) until Ctrl-C or
SIGTERM stops everything it started.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from sqlalchemy import Engine, text

from services import registry
from services.supervisor import ChildSpec, Supervisor
from shared.runtime import (
    broker_argv,
    broker_env,
    database_url,
    port_open,
    prepare_embedded_postgres,
)
from shared.settings import DEV_JWT_SECRET, Settings, load_settings

log = logging.getLogger("slagkracht.launcher")

READY_LINE = "Slagkracht is ready."
DEAD_LETTER_GRACE_S = 30.0
WORKERS = tuple(f"{service}-worker" for service in registry.SERVICES)


@dataclass
class Stack:
    """What this run uses: its folder, the environment every child gets, databases, ports."""

    var: Path
    env: dict[str, str]
    db_urls: dict[str, str]
    api_ports: dict[str, int]
    broker_port: int | None  # None when KAFKA_BOOTSTRAP_SERVERS names a broker we do not run
    portal_port: int = 8080
    smtp_port: int | None = None  # the local SMTP sink notify mails to; None when SMTP_URL is set

    def service_env(self, service: str) -> dict[str, str]:
        return {
            **self.env,
            "DATABASE_URL": self.db_urls[service],
            f"{service.upper()}_DATABASE_URL": self.db_urls[service],
        }

    def settings(self) -> dict[str, Settings]:
        return {s: load_settings(s, self.service_env(s)) for s in registry.SERVICES}

    def log(self, name: str) -> Path:
        return self.var / "log" / f"{name}.log"


def run_dev_stack(var: Path) -> int:
    var = var.resolve()
    (var / "log").mkdir(parents=True, exist_ok=True)
    _log_to(var / "log" / "launcher.log")
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    stack = _plan(var, dict(os.environ))
    if stack is None:
        return 1
    supervisor = Supervisor()
    try:
        _start_backing_services(stack, supervisor)
        settings = stack.settings()
        _prepare_data(stack, settings)
        for spec in _app_specs(stack):
            supervisor.start(spec)
        if not _wait_until_ready(stack, settings, supervisor, stop):
            return 0  # stopped before it was ready
        _print_banner(stack)
        while not stop.wait(0.3):
            supervisor.check()
        return 0
    finally:
        print("\nstopping ...", flush=True)
        supervisor.stop_all()
        print("stopped.", flush=True)


def _log_to(path: Path) -> None:
    """Supervision events go to stderr and to var/log/launcher.log."""
    for handler in (logging.StreamHandler(sys.stderr), logging.FileHandler(path)):
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        logging.getLogger("slagkracht").addHandler(handler)
    logging.getLogger("slagkracht").setLevel(logging.INFO)


def port_variables() -> dict[str, int]:
    """Every port variable ``slagkracht run`` reads, with its default (tests and bench/stack.py
    set each to a free port, so they never collide with a running ``make run``)."""
    return {
        "PORTAL_PORT": 8080,
        **{f"{s.upper()}_PORT": registry.DEFAULT_PORTS[s] for s in registry.SERVICES},
        "KAFKA_PORT": 9092,
        "SMTP_PORT": 8025,
    }


def _plan(var: Path, env: dict[str, str]) -> Stack | None:
    """Databases, ports and broker from the environment; None (after saying why) if a port is
    taken."""
    ports = {name: int(env.get(name) or default) for name, default in port_variables().items()}
    api_ports = {s: ports[f"{s.upper()}_PORT"] for s in registry.SERVICES}
    broker_port = None if env.get("KAFKA_BOOTSTRAP_SERVERS") else ports["KAFKA_PORT"]
    portal_port = ports["PORTAL_PORT"]
    wanted = {"PORTAL_PORT": portal_port, **{f"{s.upper()}_PORT": p for s, p in api_ports.items()}}
    if broker_port is not None:
        wanted["KAFKA_PORT"] = broker_port
        env["KAFKA_BOOTSTRAP_SERVERS"] = f"127.0.0.1:{broker_port}"
    # Notify mails to a local sink (var/mail/*.eml) unless SMTP_URL names a relay; development
    # lets webhooks call 127.0.0.1.
    smtp_port = None if env.get("SMTP_URL") else ports["SMTP_PORT"]
    if smtp_port is not None:
        wanted["SMTP_PORT"] = smtp_port
        env["SMTP_URL"] = f"smtp://127.0.0.1:{smtp_port}"
    env.setdefault("NOTIFY_ALLOW_LOOPBACK_WEBHOOKS", "true")
    for name, port in wanted.items():
        if port_open("127.0.0.1", port):
            print(f"port {port} is taken: set {name} (or stop what uses it)", file=sys.stderr)
            return None
    env.setdefault("JWT_SECRET", DEV_JWT_SECRET)
    db_urls = {s: env.get(f"{s.upper()}_DATABASE_URL", "") for s in registry.SERVICES}
    return Stack(
        var=var,
        env=env,
        db_urls=db_urls,
        api_ports=api_ports,
        broker_port=broker_port,
        portal_port=portal_port,
        smtp_port=smtp_port,
    )


def _start_backing_services(stack: Stack, supervisor: Supervisor) -> None:
    """The embedded PostgreSQL and Tansu, as supervised children (unless URLs name others)."""
    if not all(stack.db_urls.values()):
        print(f"starting embedded PostgreSQL (data in {stack.var / 'pg'}) ...", flush=True)
        postgres = prepare_embedded_postgres(stack.var / "pg")
        supervisor.start_ready(
            ChildSpec(
                name="postgres",
                argv=postgres.argv(),
                env=dict(os.environ),
                log=stack.log("postgres"),
                ready=postgres.accepting,
                user=postgres.user,
                stop_signal=signal.SIGINT,  # "fast" shutdown: does not wait for clients to leave
                backing=True,
            )
        )
        for service, url in stack.db_urls.items():
            stack.db_urls[service] = url or database_url(postgres.admin_url, service)
    if stack.broker_port is not None:
        port = stack.broker_port
        supervisor.start_ready(
            ChildSpec(
                name="broker",
                argv=broker_argv(port),
                env=broker_env(),
                log=stack.log("broker"),
                ready=partial(port_open, "127.0.0.1", port),
                after_restart=lambda: _reseed_broker(stack.settings()),
                # Their consumer groups and positions died with the broker: stopped at once and
                # started afresh (from the earliest offset; consumers dedupe what they applied).
                clients=WORKERS,
                backing=True,
            )
        )


def _prepare_data(stack: Stack, settings: dict[str, Settings]) -> None:
    from services.demo import load_demo_data
    from shared.kafka import create_topics
    from shared.migrate import (
        app_database_url,
        ensure_app_role,
        ensure_database,
        grant_app_role,
        upgrade,
    )

    for service, s in settings.items():
        ensure_database(s.database_url)
        upgrade(service, s.database_url)
        if not stack.env.get(f"{service.upper()}_DATABASE_URL"):  # the embedded server's
            # Migrated as the owner; the APIs and workers connect as the app role, which
            # cannot change the schema, disable triggers or truncate (shared.migrate).
            ensure_app_role(s.database_url)
            grant_app_role(s.database_url)
            stack.db_urls[service] = app_database_url(s.database_url)
    if stack.broker_port is not None:
        _reseed_broker(settings)
    else:
        create_topics(settings["catalog"])
    print(f"demo data: {load_demo_data(settings)}", flush=True)


def _reseed_broker(settings: dict[str, Settings]) -> None:
    """Tansu keeps nothing (memory storage): create the topics and re-publish every retained
    outbox row, exactly as at start-up; consumers dedupe, so nothing is applied twice."""
    from shared.db import make_engine
    from shared.kafka import create_topics
    from shared.relay import replay

    create_topics(settings["catalog"])
    for service, s in settings.items():
        engine = make_engine(s.database_url)
        try:
            count = replay(engine)
        finally:
            engine.dispose()
        if count:
            log.info("%s: re-publishing %d retained events to the fresh broker", service, count)


def _app_specs(stack: Stack) -> list[ChildSpec]:
    """Every API (gunicorn), every worker and the portal; a new process is one more entry here."""
    specs = []
    for service in registry.SERVICES:
        port = stack.api_ports[service]
        # Every gunicorn worker's metrics in one /metrics (shared/gunicorn_conf.py).
        api_env = {
            **stack.service_env(service),
            "PROMETHEUS_MULTIPROC_DIR": str(stack.var / "metrics" / service),
        }
        specs.append(
            ChildSpec(
                name=f"{service}-api",
                argv=_gunicorn(f"services.{service}.app:create_app()", port, stack.env),
                env=api_env,
                log=stack.log(f"{service}-api"),
                ready=partial(port_open, "127.0.0.1", port),
            )
        )
        specs.append(
            ChildSpec(
                name=f"{service}-worker",
                argv=[sys.executable, "-m", "services.cli", "worker", service],
                env=stack.service_env(service),
                log=stack.log(f"{service}-worker"),
            )
        )
    if stack.smtp_port is not None:
        specs.append(
            ChildSpec(
                name="smtp-sink",
                argv=[
                    *(sys.executable, "-m", "services.cli", "smtp-sink"),
                    *("--port", str(stack.smtp_port), "--dir", str(stack.var / "mail")),
                ],
                env=stack.env,
                log=stack.log("smtp-sink"),
                ready=partial(port_open, "127.0.0.1", stack.smtp_port),
            )
        )
    # The portal calls the APIs over HTTP, as a browser's user would.
    api_urls = {f"{s.upper()}_URL": f"http://127.0.0.1:{p}" for s, p in stack.api_ports.items()}
    specs.append(
        ChildSpec(
            name="portal",
            # Threads (gthread): a live capacity board's event stream holds one for up to 25 s.
            argv=[
                *_gunicorn("services.portal.app:create_app()", stack.portal_port, stack.env),
                *("--threads", "8"),
            ],
            env={**stack.env, **api_urls},
            log=stack.log("portal"),
            ready=partial(port_open, "127.0.0.1", stack.portal_port),
        )
    )
    return specs


def _gunicorn(app: str, port: int, env: dict[str, str]) -> list[str]:
    return [
        *(sys.executable, "-m", "gunicorn", "-c", "python:shared.gunicorn_conf"),
        *("-w", env.get("WEB_CONCURRENCY", "2"), "-b", f"127.0.0.1:{port}"),
        *("--graceful-timeout", "5", app),
    ]


def _wait_until_ready(
    stack: Stack, settings: dict[str, Settings], supervisor: Supervisor, stop: threading.Event
) -> bool:
    """Wait (healing crashes meanwhile) until every child is ready, every API answers /readyz
    with 200 and booking has applied every catalog event it reads that catalog's outbox holds;
    False if stopped first. Events booking's consumer has passed but not applied went to its
    dead-letter queue: after DEAD_LETTER_GRACE_S that is said loudly and the wait ends."""
    from shared.db import make_engine

    engines = {
        s: make_engine(settings[s].database_url, pool_size=1) for s in ("catalog", "booking")
    }
    topic = settings["catalog"].topic("catalog.assets")
    next_note = time.monotonic() + 10
    passed_since: float | None = None  # since when booking is ready yet lacks some events
    try:
        while not stop.wait(0.2):
            supervisor.check()
            missing = _catalog_events_missing_in_booking(engines, topic)
            not_ready = supervisor.not_ready()
            not_ready += [s for s, p in stack.api_ports.items() if not _answers_ready(p)]
            if not not_ready and missing == 0:
                return True
            passed_since = (passed_since or time.monotonic()) if not not_ready else None
            if passed_since is not None and time.monotonic() - passed_since > DEAD_LETTER_GRACE_S:
                log.error(
                    "booking's read model lacks %d catalog events its consumer has passed "
                    "(dead-lettered: see %s.dlq and var/log/booking-worker.log)",
                    missing,
                    topic,
                )
                return True
            if time.monotonic() > next_note:
                print(
                    f"waiting: booking lacks {missing} catalog events; not ready: {not_ready}",
                    flush=True,
                )
                next_note = time.monotonic() + 10
        return False
    finally:
        for engine in engines.values():
            engine.dispose()


def _catalog_events_missing_in_booking(engines: dict[str, Engine], topic: str) -> int:
    """How many of the catalog's retained events that booking's read model applies booking has
    not applied yet (its dedupe table records each applied event id)."""
    from services.booking.handlers import CATALOG_BATCH

    with engines["catalog"].connect() as conn:
        ids = list(
            conn.execute(
                text(
                    "SELECT event_id::text FROM outbox WHERE topic = :topic "
                    "AND event_type = ANY(:types)"
                ),
                {"topic": topic, "types": list(CATALOG_BATCH.event_types)},
            ).scalars()
        )
    with engines["booking"].connect() as conn:
        applied = conn.execute(
            text(
                "SELECT count(DISTINCT event_id) FROM processed_messages "
                "WHERE topic = :topic AND event_id = ANY(CAST(:ids AS uuid[]))"
            ),
            {"topic": topic, "ids": ids},
        ).scalar_one()
    return len(ids) - int(applied)


def _answers_ready(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=5) as response:
            return int(response.status) == 200
    except (urllib.error.URLError, OSError):  # a 503 is an HTTPError, a URLError
        return False


def _print_banner(stack: Stack) -> None:
    from shared.personas import PERSONAS, persona_token

    print()
    print(f"  portal       http://127.0.0.1:{stack.portal_port}/   (sign in with a demo persona)")
    for service, port in stack.api_ports.items():
        print(f"  {service:<12} http://127.0.0.1:{port}/docs   (API /api/v1, /healthz, /readyz)")
    print(f"  broker       {stack.env['KAFKA_BOOTSTRAP_SERVERS']}")
    if stack.smtp_port is not None:
        print(f"  mail         {stack.env['SMTP_URL']} writes every email to {stack.var / 'mail'}")
    print(f"  logs         {stack.var / 'log'}  (supervision: launcher.log)\n")
    print("Persona bearer tokens (valid 12 h; `slagkracht token <persona>` mints a new one):")
    for key, persona in PERSONAS.items():
        token = persona_token(key, stack.env["JWT_SECRET"])
        print(f"  {key:<18} {persona.org:<22} {','.join(persona.roles)}\n    {token}")
    print(f"\n{READY_LINE}\nPress Ctrl-C to stop.", flush=True)
