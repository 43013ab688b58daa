"""``slagkracht run``: the whole product on one machine, on the embedded runtime by default.

Starts PostgreSQL (embedded, data under var/) and Tansu unless the environment names real
servers, migrates, creates topics, re-publishes the retained outbox to the fresh broker, loads
demo data, starts every API under gunicorn and every worker, prints URLs and persona tokens,
and on Ctrl-C stops everything it started.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from services import registry
from shared.runtime import Broker, database_url, port_open, start_broker, start_embedded_postgres
from shared.settings import DEV_JWT_SECRET, load_settings


def _service_env(base: dict[str, str], service: str, db_urls: dict[str, str]) -> dict[str, str]:
    env = dict(base)
    env["DATABASE_URL"] = db_urls[service]
    env[f"{service.upper()}_DATABASE_URL"] = db_urls[service]
    return env


def run_dev_stack(var: Path) -> int:
    from services.demo import load_demo_data
    from shared.db import make_engine
    from shared.kafka import create_topics
    from shared.migrate import ensure_database, upgrade
    from shared.personas import PERSONAS, persona_token
    from shared.relay import replay

    var = var.resolve()
    (var / "log").mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    stop_requested = False

    def request_stop(*_: object) -> None:
        nonlocal stop_requested
        stop_requested = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)

    # Databases: a URL per service from the environment, or the embedded server.
    db_urls = {s: env.get(f"{s.upper()}_DATABASE_URL", "") for s in registry.SERVICES}
    if not all(db_urls.values()):
        print(f"starting embedded PostgreSQL (data in {var / 'pg'}) ...", flush=True)
        _server, admin_url = start_embedded_postgres(var / "pg", cleanup_mode="stop")
        for service, url in db_urls.items():
            db_urls[service] = url or database_url(admin_url, service)

    broker: Broker | None = None
    if env.get("KAFKA_BOOTSTRAP_SERVERS"):
        fresh_broker = False
    else:
        port = int(env.get("KAFKA_PORT", "9092"))
        if port_open("127.0.0.1", port):
            print(
                f"port {port} is taken: set KAFKA_PORT or KAFKA_BOOTSTRAP_SERVERS", file=sys.stderr
            )
            return 1
        broker = start_broker(port, log_path=var / "log" / "broker.log")
        env["KAFKA_BOOTSTRAP_SERVERS"] = broker.bootstrap
        fresh_broker = True
    env.setdefault("JWT_SECRET", DEV_JWT_SECRET)

    children: dict[str, subprocess.Popen[bytes]] = {}
    try:
        settings = {}
        for service in registry.SERVICES:
            settings[service] = load_settings(service, _service_env(env, service, db_urls))
            ensure_database(settings[service].database_url)
            upgrade(service, settings[service].database_url)
        create_topics(settings["catalog"])
        if fresh_broker:
            # Tansu keeps nothing across restarts: send the retained outbox again; consumers dedupe.
            for service, s in settings.items():
                engine = make_engine(s.database_url)
                count = replay(engine)
                engine.dispose()
                if count:
                    print(f"{service}: re-publishing {count} retained events to the fresh broker")
        summary = load_demo_data(settings)
        print(f"demo data: {summary}", flush=True)

        for service in registry.SERVICES:
            service_env = _service_env(env, service, db_urls)
            port = int(env.get(f"{service.upper()}_PORT", registry.DEFAULT_PORTS[service]))
            logfile = open(var / "log" / f"{service}-api.log", "ab")  # noqa: SIM115
            # Every worker's metrics in one /metrics (shared/gunicorn_conf.py).
            service_env["PROMETHEUS_MULTIPROC_DIR"] = str(var / "metrics" / service)
            children[f"{service}-api"] = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "-c",
                    "python:shared.gunicorn_conf",
                    "-w",
                    env.get("WEB_CONCURRENCY", "2"),
                    "-b",
                    f"127.0.0.1:{port}",
                    "--graceful-timeout",
                    "5",
                    f"services.{service}.app:create_app()",
                ],
                env=service_env,
                stdout=logfile,
                stderr=subprocess.STDOUT,
            )
            logfile = open(var / "log" / f"{service}-worker.log", "ab")  # noqa: SIM115
            children[f"{service}-worker"] = subprocess.Popen(
                [sys.executable, "-m", "services.cli", "worker", service],
                env=service_env,
                stdout=logfile,
                stderr=subprocess.STDOUT,
            )
        for service in registry.SERVICES:
            port = int(env.get(f"{service.upper()}_PORT", registry.DEFAULT_PORTS[service]))
            deadline = time.monotonic() + 30
            while not port_open("127.0.0.1", port) and time.monotonic() < deadline:
                time.sleep(0.1)

        print("\nSlagkracht is running.\n")
        for service in registry.SERVICES:
            port = int(env.get(f"{service.upper()}_PORT", registry.DEFAULT_PORTS[service]))
            print(
                f"  {service:<12} http://127.0.0.1:{port}/docs   (API /api/v1, /healthz, /readyz)"
            )
        print(f"  broker       {env['KAFKA_BOOTSTRAP_SERVERS']}")
        print(f"  logs         {var / 'log'}\n")
        print("Persona bearer tokens (valid 12 h; `slagkracht token <persona>` mints a new one):")
        for key, persona in PERSONAS.items():
            token = persona_token(key, env["JWT_SECRET"])
            print(f"  {key:<18} {persona.org:<22} {','.join(persona.roles)}\n    {token}")
        print("\nPress Ctrl-C to stop.", flush=True)

        while not stop_requested:
            for name, child in children.items():
                if child.poll() is not None:
                    print(
                        f"{name} exited with {child.returncode}; see {var / 'log'}", file=sys.stderr
                    )
                    stop_requested = True
            time.sleep(0.3)
        return 0
    finally:
        print("\nstopping ...", flush=True)
        for child in children.values():
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        for child in children.values():
            try:
                child.wait(timeout=20)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        if broker is not None:
            broker.stop()
        print("stopped.", flush=True)
