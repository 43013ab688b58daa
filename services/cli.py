"""The ``slagkracht`` command line: dev runtime, workers, migrations, topics, tokens, replay.

Without ``<SERVICE>_DATABASE_URL``/``DATABASE_URL``, the commands that need a database use the
embedded one a running ``slagkracht run`` serves from ``$SLAGKRACHT_VAR`` (default ``var``);
without ``KAFKA_BOOTSTRAP_SERVERS`` the broker is 127.0.0.1:``$KAFKA_PORT`` (default 9092) —
so the recovery commands work against ``make run`` as they are.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import datetime
from pathlib import Path

from services import registry
from shared.settings import DEV_JWT_SECRET, Settings, load_settings

VAR_DEFAULT = os.environ.get("SLAGKRACHT_VAR", "var")


def _settings(service: str) -> Settings:
    """The service's settings; the database of a running ``slagkracht run`` if none is named."""
    env = dict(os.environ)
    if not (env.get(f"{service.upper()}_DATABASE_URL") or env.get("DATABASE_URL")):
        from shared.runtime import database_url, embedded_admin_url

        admin_url = embedded_admin_url(Path(VAR_DEFAULT) / "pg")
        if admin_url is not None:
            env[f"{service.upper()}_DATABASE_URL"] = database_url(admin_url, service)
    return load_settings(service, env)


def _cmd_token(args: argparse.Namespace) -> int:
    from shared.personas import persona_token

    try:
        print(persona_token(args.persona, os.environ.get("JWT_SECRET", DEV_JWT_SECRET)))
    except KeyError as exc:
        print(exc.args[0], file=sys.stderr)
        return 2
    return 0


def _cmd_worker(args: argparse.Namespace) -> int:
    from shared.worker import run_worker

    run_worker(_settings(args.service), registry.worker_builder(args.service))
    return 0


def _cmd_migrate(args: argparse.Namespace) -> int:
    from shared.migrate import APP_ROLE, ensure_app_role, ensure_database, grant_app_role, upgrade

    for service in args.services or registry.SERVICES:
        settings = _settings(registry.check(service))
        ensure_database(settings.database_url)
        upgrade(service, settings.database_url)
        # The role the services connect as (APP_DATABASE_PASSWORD: its password, if the
        # server asks for one): rows only, never the schema (shared.migrate).
        ensure_app_role(settings.database_url, password=os.environ.get("APP_DATABASE_PASSWORD"))
        grant_app_role(settings.database_url)
        print(f"{service}: migrated; {APP_ROLE} may read and write its rows")
    return 0


def _cmd_topics(args: argparse.Namespace) -> int:
    from shared.kafka import create_topics

    created = create_topics(load_settings("catalog", require_database=False))
    print("created: " + (", ".join(created) or "nothing (all exist)"))
    return 0


def _cmd_replay(args: argparse.Namespace) -> int:
    from shared.db import make_engine
    from shared.relay import replay

    engine = make_engine(_settings(registry.check(args.service)).database_url)
    count = replay(
        engine,
        since=datetime.fromisoformat(args.since) if args.since else None,
        until=datetime.fromisoformat(args.until) if args.until else None,
    )
    print(f"{args.service}: {count} outbox rows queued for re-publishing")
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from services.demo import load_demo_data

    print(json.dumps(load_demo_data({s: _settings(s) for s in registry.SERVICES})))
    return 0


def _cmd_openapi(args: argparse.Namespace) -> int:
    from services.openapi_export import export_openapi

    for path in export_openapi(Path(args.out)):
        print(path)
    return 0


def _cmd_smtp_sink(args: argparse.Namespace) -> int:
    from services.notify.sink import serve

    serve(Path(args.dir), args.host, args.port)
    return 0


def _cmd_ledger_export(args: argparse.Namespace) -> int:
    from services.costsharing.ledger_export import export_lines
    from shared.db import make_engine, make_session_factory
    from shared.errors import ProblemError

    engine = make_engine(_settings("costsharing").database_url)
    try:
        with make_session_factory(engine)() as session:
            lines = list(export_lines(session, period=args.period))
    except ProblemError as exc:  # a period that is none
        print(exc.detail, file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    out = open(args.output, "w", encoding="utf-8") if args.output else sys.stdout  # noqa: SIM115
    try:
        out.writelines(line + "\n" for line in lines)
    finally:
        if out is not sys.stdout:
            out.close()
    return 0


def _cmd_ledger_verify(args: argparse.Namespace) -> int:
    from services.costsharing.ledger_chain import verify

    with open(args.file, encoding="utf-8") as export:
        finding = verify(export)
    if finding is not None:
        print(f"{args.file}: {finding}", file=sys.stderr)
        return 1
    print(f"{args.file}: the chain is intact")
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    from services.launcher import run_dev_stack

    return run_dev_stack(Path(args.var))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="slagkracht", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("run", help="run the whole product on the embedded runtime")
    p.add_argument("--var", default=VAR_DEFAULT)
    p.set_defaults(func=_cmd_run)

    p = sub.add_parser("token", help="print a bearer token for a demo persona")
    p.add_argument("persona")
    p.set_defaults(func=_cmd_token)

    p = sub.add_parser("worker", help="run a service's outbox relay, consumers and sweeps")
    p.add_argument("service", choices=registry.SERVICES)
    p.set_defaults(func=_cmd_worker)

    p = sub.add_parser("migrate", help="create and migrate service databases")
    p.add_argument("services", nargs="*")
    p.set_defaults(func=_cmd_migrate)

    p = sub.add_parser("topics", help="create every Kafka topic and its DLQ")
    p.set_defaults(func=_cmd_topics)

    p = sub.add_parser("outbox-replay", help="re-publish retained outbox rows (fresh broker)")
    p.add_argument("service", choices=registry.SERVICES)
    p.add_argument("--since", help="ISO 8601 instant (inclusive)")
    p.add_argument("--until", help="ISO 8601 instant (exclusive)")
    p.set_defaults(func=_cmd_replay)

    p = sub.add_parser("demo-data", help="load demo data (idempotent)")
    p.set_defaults(func=_cmd_demo)

    p = sub.add_parser("export-openapi", help="write every service's OpenAPI document")
    p.add_argument("--out", default="contracts/openapi")
    p.set_defaults(func=_cmd_openapi)

    p = sub.add_parser("smtp-sink", help="a local SMTP server writing each message to a folder")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8025)
    p.add_argument("--dir", default=str(Path(VAR_DEFAULT) / "mail"))
    p.set_defaults(func=_cmd_smtp_sink)

    p = sub.add_parser("ledger", help="export cost-sharing's ledger, or check an export offline")
    ledger = p.add_subparsers(dest="ledger_command", required=True)
    q = ledger.add_parser("export", help="the ledger's hash chain as JSON lines")
    q.add_argument("--period", help="2026, 2026-Q4 or 2026-11 (Dutch dates); all if absent")
    q.add_argument("--output", "-o", help="a file (default: standard output)")
    q.set_defaults(func=_cmd_ledger_export)
    q = ledger.add_parser("verify", help="check an export's chain; exit 1 naming the first break")
    q.add_argument("file")
    q.set_defaults(func=_cmd_ledger_verify)

    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
