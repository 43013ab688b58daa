"""The ``slagkracht`` command line: dev runtime, workers, migrations, topics, tokens, replay."""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import datetime
from pathlib import Path

from services import registry
from shared.settings import DEV_JWT_SECRET, load_settings


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

    run_worker(load_settings(args.service), registry.worker_builder(args.service))
    return 0


def _cmd_migrate(args: argparse.Namespace) -> int:
    from shared.migrate import ensure_database, upgrade

    for service in args.services or registry.SERVICES:
        settings = load_settings(registry.check(service))
        ensure_database(settings.database_url)
        upgrade(service, settings.database_url)
        print(f"{service}: migrated")
    return 0


def _cmd_topics(args: argparse.Namespace) -> int:
    from shared.kafka import create_topics

    created = create_topics(load_settings("catalog", require_database=False))
    print("created: " + (", ".join(created) or "nothing (all exist)"))
    return 0


def _cmd_replay(args: argparse.Namespace) -> int:
    from shared.db import make_engine
    from shared.relay import replay

    engine = make_engine(load_settings(registry.check(args.service)).database_url)
    count = replay(
        engine,
        since=datetime.fromisoformat(args.since) if args.since else None,
        until=datetime.fromisoformat(args.until) if args.until else None,
    )
    print(f"{args.service}: {count} outbox rows queued for re-publishing")
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from services.demo import load_demo_data

    print(json.dumps(load_demo_data({s: load_settings(s) for s in registry.SERVICES})))
    return 0


def _cmd_openapi(args: argparse.Namespace) -> int:
    from services.openapi_export import export_openapi

    for path in export_openapi(Path(args.out)):
        print(path)
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    from services.launcher import run_dev_stack

    return run_dev_stack(Path(args.var))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="slagkracht", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("run", help="run the whole product on the embedded runtime")
    p.add_argument("--var", default=os.environ.get("SLAGKRACHT_VAR", "var"))
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

    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
