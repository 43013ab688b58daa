"""Catalog list/search benchmark: pages of 50 over 10,000 assets, against SELECT 1 in the same app.

    .venv/bin/python bench/catalog.py [--assets 10000] [--seconds 12] [--rounds 3]
        [--connections 16] [--client auto|wrk|python] [--explain]
        [--json FILE]

Starts its own embedded PostgreSQL (temporary folder, deleted afterwards), creates and migrates
a catalog database, bulk-inserts ``--assets`` assets (with one tariff each) across all six
categories, the Defence owners, the 25 regions and three statuses straight in SQL, and starts
the catalog API exactly as ``slagkracht run`` does: ``gunicorn -w 2`` (sync workers) on
127.0.0.1 and a free port. No broker is needed for reads (KAFKA_BOOTSTRAP_SERVERS points at
127.0.0.1:1). SLAGKRACHT_BENCH_ENDPOINTS=1 adds the reference route ``/bench/select1`` (SELECT 1
through the app's own session factory and pool, no auth); it exists only under that variable.

Scenarios, side by side against the same server, --connections concurrent connections each:

    reference      GET /bench/select1
    list           GET /api/v1/assets?limit=50                       (first page, sort=name)
    list+cursor    GET /api/v1/assets?limit=50&cursor=...             (pages 2..40)
    filters        ...&category=&region=&status=, owner=, some sorted otherwise
    search q       ...&q=<free text on name/registration>, alone and with filters

Each scenario is warmed up, then measured for --seconds in total, split over --rounds rounds
that interleave the scenarios, so load from elsewhere on the machine hits all of them alike;
latencies are pooled over the rounds. Each request carries a planner's bearer token (HS256), so
list/search pay for auth as a real call does. The client is wrk (C, epoll; a Lua script adds the
header, rotates the URLs and reports the latency distribution) when installed, otherwise a
Python thread pool (whose own CPU competes with the server on a small machine: see the client
CPU column). The table also gives the server-side CPU per request (gunicorn workers +
PostgreSQL), which other load on the machine distorts least.

--explain prints EXPLAIN (ANALYZE, BUFFERS) of the statement list_assets sends for the first URL
of each list scenario and for every filter and search URL (listing.list_query gives the SQL).

Targets: list/search rate >= 30 % of the reference rate, p95 <= 30 ms.
Bounded: each run by its seconds (the Python client by --max-requests too), the whole by
--budget (rounds stop early, and say so, to keep it).
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import math
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import psycopg

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from _common import (  # noqa: E402 - bench/ is on the path when the script runs
    Server,
    call,
    children_cpu,
    cpu_seconds,
    embedded_postgres,
    libpq,
    log,
    postgres_pids,
    self_cpu,
    start_gunicorn,
)

from services.catalog.domain import BOOKING_MODE, Category  # noqa: E402
from shared.migrate import ensure_database, upgrade  # noqa: E402
from shared.personas import persona_token  # noqa: E402
from shared.runtime import database_url  # noqa: E402
from shared.settings import DEV_JWT_SECRET, sqlalchemy_url  # noqa: E402

warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR")  # platformdirs, via embedded-postgres

RATE_TARGET = 0.30  # list/search >= 30 % of the SELECT 1 reference rate
P95_TARGET_MS = 30.0
WARMUP_S = 2.0

# (category, owner, name prefix, registration prefix, home base, capacity)
TEMPLATES: list[tuple[str, str, str, str, str, int]] = [
    ("helicopter", "defensie-dhc", "CH-47F Chinook", "D", "Vliegbasis Gilze-Rijen", 1),
    ("helicopter", "defensie-dhc", "AS532 Cougar", "S", "Vliegbasis Gilze-Rijen", 1),
    ("helicopter", "defensie-dhc", "NH90", "N", "Marinevliegkamp De Kooy", 1),
    ("drone", "defensie-306sqn", "ScanEagle UAS", "UAS", "Vliegbasis Leeuwarden", 1),
    ("dive_team", "defensie-duikgroep", "Duikteam", "DG", "Den Helder", 4),
    ("search_team", "defensie-genie", "Advanced Search Team", "AST", "Wezep", 3),
    ("search_team", "defensie-eod", "EOD-team", "EOD", "Soesterberg", 2),
    ("terrain", "defensie-oefenterreinen", "Oefenterrein", "OT", "Harskamp", 6),
    ("procurement_item", "defensie-dmo", "Nachtkijker", "NK", "DMO Utrecht", 1),
]
assert {t[0] for t in TEMPLATES} == {c.value for c in Category}

SEED_SQL = """
WITH t AS (
    SELECT * FROM unnest(
        %(category)s::text[], %(owner)s::text[], %(prefix)s::text[], %(code)s::text[],
        %(base)s::text[], %(capacity)s::int[], %(mode)s::text[]
    ) WITH ORDINALITY AS t(category, owner, prefix, code, base, capacity, mode, n)
), s AS (
    SELECT i, t.*
    FROM generate_series(1, %(count)s) AS i
    JOIN t ON t.n = (i %% %(templates)s) + 1
)
INSERT INTO assets (id, owner_org, registration, name, category, booking_mode, home_base,
                    regions, capacity, readiness_notice, attributes, status, version,
                    created_at, updated_at)
SELECT gen_random_uuid(), owner, code || '-' || lpad(i::text, 5, '0'),
       prefix || ' ' || code || '-' || lpad(i::text, 5, '0'),
       category, mode, base,
       ARRAY(SELECT 'VR' || lpad((((i * 7) + k * 5) %% 25 + 1)::text, 2, '0')
             FROM generate_series(0, i %% 5) AS k),
       capacity, (ARRAY['PT2H', 'PT4H', 'P1D'])[i %% 3 + 1],
       jsonb_build_object('illustrative_prices', true, 'bench', i),
       CASE WHEN i %% 31 = 0 THEN 'retired' WHEN i %% 13 = 0 THEN 'maintenance'
            ELSE 'active' END,
       1 + i %% 4, now() - make_interval(secs => i), now() - make_interval(secs => i)
FROM s
"""

TARIFF_SQL = """
INSERT INTO tariffs (id, asset_id, unit, full_cost_rate, marginal_cost_rate, mobilisation_fee,
                     market_reference_price, currency, valid_from, valid_to)
SELECT gen_random_uuid(), id,
       CASE booking_mode WHEN 'slot' THEN 'flight_hour' WHEN 'capacity' THEN 'day'
            ELSE 'unit' END,
       9800.00, 3900.00, 1500.00, 11000.00, 'EUR', DATE '2026-01-01', NULL
FROM assets
"""


# -- data ------------------------------------------------------------------------------------
def seed(url: str, count: int) -> float:
    """Bulk-insert ``count`` assets and one tariff each; returns the seconds it took."""
    started = time.monotonic()
    columns: dict[str, Any] = {
        "category": [t[0] for t in TEMPLATES],
        "owner": [t[1] for t in TEMPLATES],
        "prefix": [t[2] for t in TEMPLATES],
        "code": [t[3] for t in TEMPLATES],
        "base": [t[4] for t in TEMPLATES],
        "capacity": [t[5] for t in TEMPLATES],
        "mode": [BOOKING_MODE[Category(t[0])].value for t in TEMPLATES],
    }
    with psycopg.connect(libpq(url), autocommit=False) as conn:
        conn.execute(SEED_SQL, {**columns, "count": count, "templates": len(TEMPLATES)})
        conn.execute(TARIFF_SQL)
        conn.commit()
    with psycopg.connect(libpq(url), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE assets")
        conn.execute("VACUUM ANALYZE tariffs")
    return time.monotonic() - started


# -- the server ------------------------------------------------------------------------------
def get(port: int, path: str, token: str | None = None) -> tuple[int, bytes]:
    return call(port, "GET", path, headers={"Authorization": f"Bearer {token}"} if token else {})


# -- scenarios -------------------------------------------------------------------------------
@dataclass
class Scenario:
    name: str
    paths: list[str]
    reference: bool = False


def q(**params: Any) -> str:
    return "/api/v1/assets?" + urllib.parse.urlencode({"limit": 50, **params})


def cursors(port: int, token: str, pages: int, **params: Any) -> list[str]:
    """The URLs of pages 2..``pages`` of a list, following its next_cursor."""
    out: list[str] = []
    cursor: str | None = None
    for _ in range(pages):
        path = q(**params, **({"cursor": cursor} if cursor else {}))
        status, body = get(port, path, token)
        assert status == 200, (status, body[:300])
        if cursor:
            out.append(path)
        cursor = json.loads(body)["next_cursor"]
        if not cursor:
            break
    return out


def scenarios(port: int, token: str) -> list[Scenario]:
    filters = [
        q(category="helicopter", region="VR17", status="active"),
        q(category="dive_team", region="VR01", status="active"),
        q(category="search_team", status="active", sort="-created_at"),
        q(owner="defensie-dhc", region="VR13"),
        q(category="terrain", region="VR22", status="active", sort="registration"),
        q(region="VR05", status="maintenance"),
        q(owner="defensie-dmo", status="active", sort="-name"),
    ]
    search = [
        q(q="chinook"),
        q(q="Duikteam", region="VR17"),
        q(q="nh90", status="active"),
        q(q="EOD", sort="-created_at"),
        q(q="terrein", category="terrain", status="active"),
        q(q="D-001"),  # a registration prefix: few matches
        q(q="nachtkijker NK-0"),
        q(q="search team"),
    ]
    return [
        Scenario("reference SELECT 1", ["/bench/select1"], reference=True),
        Scenario("list, first page", [q()]),
        Scenario("list, cursor pages 2-40", cursors(port, token, 40)),
        Scenario("list, filters", filters + cursors(port, token, 5, category="helicopter")),
        Scenario("search, free text q", search + cursors(port, token, 5, q="team")),
    ]


def check(port: int, token: str, scenario: Scenario) -> dict[str, int]:
    """Each URL answers 200 (and list pages hold items): never benchmark an error page."""
    items: dict[str, int] = {}
    for path in scenario.paths:
        status, body = get(port, path, None if scenario.reference else token)
        if status != 200:
            raise RuntimeError(f"{path} answered {status}: {body[:300]!r}")
        if not scenario.reference:
            items[path] = len(json.loads(body)["items"])
    return items


# -- load generators -------------------------------------------------------------------------
@dataclass
class Result:
    scenario: str
    requests: int
    seconds: float
    rate: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    errors: int
    client_cpu_pct: float
    server_cpu_pct: float
    postgres_cpu_pct: float
    ratio: float = math.nan
    meets: str = ""

    @property
    def cpu_ms_per_request(self) -> float:
        """Server-side CPU (gunicorn workers + PostgreSQL) per request: it bounds the rate on an
        otherwise idle machine, whatever else this one runs."""
        return 10 * (self.server_cpu_pct + self.postgres_cpu_pct) / self.rate if self.rate else 0


WRK_LUA = r"""
local paths = {}
for line in io.lines(os.getenv("BENCH_PATHS")) do paths[#paths + 1] = line end
local token = os.getenv("BENCH_TOKEN")
if token ~= "" then wrk.headers["Authorization"] = "Bearer " .. token end
local i = 0
function setup(thread) i = i + 1; thread:set("offset", i * 7) end
function init(args) i = offset or 0 end
function request()
  i = i + 1
  return wrk.format("GET", paths[(i % #paths) + 1])
end
function done(summary, latency, requests)
  local e = summary.errors
  local pcts = {}
  for k = 1, 200 do pcts[k] = latency:percentile(k / 2) end
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "errors": %d, "pcts_us": [%s]}\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.status + e.timeout,
    table.concat(pcts, ",")))
end
"""


@dataclass
class Round:
    """One timed run of one scenario; latencies as (ms, weight) so rounds can be pooled."""

    requests: int
    seconds: float
    latencies: list[tuple[float, float]]
    errors: int
    cpu: dict[str, float] = field(default_factory=dict)  # CPU seconds: client, server, pg


def weighted_percentile(samples: list[tuple[float, float]], q: float) -> float:
    if not samples:
        return math.nan
    ordered = sorted(samples)
    total = sum(w for _, w in ordered)
    seen = 0.0
    for value, weight in ordered:
        seen += weight
        if seen >= q * total - 1e-9:
            return value
    return ordered[-1][0]


def run_wrk(
    port: int, scenario: Scenario, token: str, connections: int, seconds: float, tmp: Path
) -> Round:
    script, paths = tmp / "bench.lua", tmp / "paths.txt"
    script.write_text(WRK_LUA)
    paths.write_text("\n".join(scenario.paths) + "\n")
    env = {
        **os.environ,
        "BENCH_PATHS": str(paths),
        "BENCH_TOKEN": "" if scenario.reference else token,
    }
    threads = max(1, min(2, connections))
    command = [
        "wrk", "-t", str(threads), "-c", str(connections), "-d", f"{max(1, round(seconds))}s",
        "--timeout", "5s", "-s", str(script), f"http://127.0.0.1:{port}",
    ]  # fmt: skip
    done = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=seconds + 30, check=False
    )
    line = next((x for x in done.stdout.splitlines() if x.startswith("BENCH_JSON ")), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    figures = json.loads(line.removeprefix("BENCH_JSON "))
    weight = figures["requests"] / len(figures["pcts_us"])
    return Round(
        requests=figures["requests"],
        seconds=figures["duration_us"] / 1e6,
        latencies=[(us / 1000, weight) for us in figures["pcts_us"]],
        errors=figures["errors"],
    )


def run_python(
    port: int,
    scenario: Scenario,
    token: str,
    connections: int,
    seconds: float,
    max_requests: int,
) -> Round:
    """The same load from Python threads (one http.client connection per request, as the
    sync workers close each connection anyway); bounded by time and by count."""
    headers = {} if scenario.reference else {"Authorization": f"Bearer {token}"}
    latencies: list[list[float]] = [[] for _ in range(connections)]
    errors = [0] * connections
    budget = threading.Semaphore(max_requests)
    stop_at = time.monotonic() + seconds

    def work(n: int) -> None:
        i = n * 7
        while time.monotonic() < stop_at and budget.acquire(blocking=False):
            i += 1
            path = scenario.paths[i % len(scenario.paths)]
            began = time.perf_counter()
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
                conn.close()
                ok = response.status == 200
            except (OSError, http.client.HTTPException):
                ok = False
            latencies[n].append((time.perf_counter() - began) * 1000)
            if not ok:
                errors[n] += 1

    began = time.monotonic()
    threads = [threading.Thread(target=work, args=(n,), daemon=True) for n in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=seconds + 30)
    elapsed = time.monotonic() - began
    flat = [x for per in latencies for x in per]
    return Round(
        requests=len(flat), seconds=elapsed, latencies=[(x, 1.0) for x in flat], errors=sum(errors)
    )


def run_round(
    args: argparse.Namespace,
    client: str,
    scenario: Scenario,
    seconds: float,
    token: str,
    tmp: Path,
    server: Server,
    pgdata: Path,
) -> Round:
    """One run of a scenario, with the CPU the client, gunicorn and PostgreSQL spent in it."""

    def cpu_now() -> dict[str, float]:
        return {
            "client": children_cpu() if client == "wrk" else self_cpu(),
            "server": cpu_seconds(server.pids()),
            "pg": cpu_seconds(postgres_pids(pgdata)),
        }

    before = cpu_now()
    if client == "wrk":
        got = run_wrk(server.port, scenario, token, args.connections, seconds, tmp)
    else:
        got = run_python(server.port, scenario, token, args.connections, seconds, args.max_requests)
    after = cpu_now()
    got.cpu = {k: after[k] - before[k] for k in before}
    return got


def summarise(name: str, rounds: list[Round]) -> Result:
    """Pool the rounds of one scenario: rates and CPU over the summed time, pooled latencies."""
    requests = sum(r.requests for r in rounds)
    seconds = sum(r.seconds for r in rounds)
    pooled = [sample for r in rounds for sample in r.latencies]

    def cpu_pct(part: str) -> float:
        return 100 * sum(r.cpu.get(part, 0.0) for r in rounds) / seconds if seconds else 0.0

    return Result(
        scenario=name,
        requests=requests,
        seconds=round(seconds, 2),
        rate=requests / seconds if seconds else math.nan,
        p50_ms=weighted_percentile(pooled, 0.50),
        p95_ms=weighted_percentile(pooled, 0.95),
        p99_ms=weighted_percentile(pooled, 0.99),
        errors=sum(r.errors for r in rounds),
        client_cpu_pct=cpu_pct("client"),
        server_cpu_pct=cpu_pct("server"),
        postgres_cpu_pct=cpu_pct("pg"),
    )


def measure_interleaved(
    args: argparse.Namespace,
    client: str,
    plan: list[Scenario],
    token: str,
    tmp: Path,
    server: Server,
    pgdata: Path,
    deadline: float,
) -> list[Result]:
    """Warm each scenario up, then run ``--rounds`` rounds, each giving every scenario an
    equal slice of ``--seconds``: load from elsewhere on the machine hits all alike."""
    for scenario in plan:
        run_round(args, client, scenario, WARMUP_S, token, tmp, server, pgdata)
    rounds: dict[str, list[Round]] = {s.name: [] for s in plan}
    piece = args.seconds / args.rounds
    for number in range(1, args.rounds + 1):
        if rounds[plan[0].name] and time.monotonic() + piece * len(plan) > deadline:
            log(f"budget reached: stopping after {number - 1} round(s)")
            break
        log(f"round {number}/{args.rounds}: {len(plan)} scenarios x {piece:.0f}s")
        for scenario in plan:
            got = run_round(args, client, scenario, piece, token, tmp, server, pgdata)
            rounds[scenario.name].append(got)
    results = [summarise(s.name, rounds[s.name]) for s in plan]
    reference = next(r for r, s in zip(results, plan, strict=True) if s.reference)
    for r in results:
        if r is not reference:
            r.ratio = r.rate / reference.rate
            ok = r.ratio >= RATE_TARGET and r.p95_ms <= P95_TARGET_MS and r.errors == 0
            r.meets = "met" if ok else "MISSED"
    return results


# -- EXPLAIN ANALYZE of what list_assets sends ------------------------------------------------
def explain(url: str, scenario_paths: dict[str, str]) -> None:
    """EXPLAIN ANALYZE the statement listing.list_assets sends for each URL's query."""
    from services.catalog import listing
    from services.catalog.schemas import AssetListQuery

    with psycopg.connect(libpq(url), autocommit=True) as conn:
        for name, path in scenario_paths.items():
            query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(path).query))
            statement, params = listing.list_query(AssetListQuery().load(query))
            rows = conn.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, params).fetchall()
            print(f"\n-- {name}: {path}")
            for (line,) in rows:
                print(f"   {line}")


def explained_paths(plan: list[Scenario]) -> dict[str, str]:
    """The first URL of each plain list scenario and every filter and search URL."""
    out: dict[str, str] = {}
    for s in plan:
        if not s.reference:
            paths = s.paths if s.name.startswith(("list, filters", "search")) else s.paths[:1]
            out.update({f"{s.name} #{n}": path for n, path in enumerate(paths, 1)})
    return out


# -- report ----------------------------------------------------------------------------------
def table(results: list[Result]) -> str:
    header = (
        f"{'scenario':<30} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} "
        f"{'vs ref':>7} {'errors':>6} {'cpu %: client':>13} {'app':>5} {'pg':>5} "
        f"{'cpu ms/req':>10}  target"
    )
    lines = [header, "-" * len(header)]
    for r in results:
        ratio = "" if math.isnan(r.ratio) else f"{100 * r.ratio:.0f} %"
        lines.append(
            f"{r.scenario:<30} {r.rate:>7.0f} {r.p50_ms:>7.1f} {r.p95_ms:>7.1f} {r.p99_ms:>7.1f} "
            f"{ratio:>7} {r.errors:>6} {r.client_cpu_pct:>13.0f} {r.server_cpu_pct:>5.0f} "
            f"{r.postgres_cpu_pct:>5.0f} {r.cpu_ms_per_request:>10.2f}  {r.meets}"
        )
    return "\n".join(lines)


def machine() -> dict[str, str]:
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    head = ""
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        head = subprocess.run(
            ["git", "-C", str(ROOT), "log", "-1", "--format=%h %cs"],
            capture_output=True, text=True, timeout=10, check=False,
        ).stdout.strip()  # fmt: skip
    return {
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "python": platform.python_version(),
        "load_avg_1m": f"{os.getloadavg()[0]:.2f}",
        "commit": head,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--assets", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=12.0, help="measured time per scenario")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--client", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument(
        "--max-requests", type=int, default=200_000, help="bound per scenario (Python client)"
    )
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE each scenario")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (see below)")
    parser.add_argument("--budget", type=float, default=300.0, help="bound on the whole run (s)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)
    if min(args.assets, args.connections, args.workers, args.rounds) < 1 or args.seconds <= 0:
        parser.error("--assets, --connections, --workers, --rounds, --seconds must be positive")
    client = args.client
    if client == "auto":
        client = "wrk" if shutil.which("wrk") else "python"
    if client == "wrk" and not shutil.which("wrk"):
        parser.error("wrk is not installed (apt-get install -y wrk), or use --client python")

    started = time.monotonic()
    load_before = os.getloadavg()[0]
    tmp = Path(tempfile.mkdtemp(prefix="bench-catalog-"))
    server: Server | None = None
    results: list[Result] = []
    try:
        log(f"starting embedded PostgreSQL in {tmp}")
        with embedded_postgres(tmp) as (admin_url, pgdata):
            url = database_url(admin_url, "bench_catalog")
            ensure_database(url)
            upgrade("catalog", sqlalchemy_url(url))
            took = seed(url, args.assets)
            log(f"inserted {args.assets} assets (+ tariffs) in {took:.1f}s")
            server = start_gunicorn("catalog", url, args.workers, tmp)
            log(f"gunicorn -w {args.workers} (sync) on 127.0.0.1:{server.port}; client: {client}")
            token = persona_token("planner-rotterdam", DEV_JWT_SECRET)
            plan = scenarios(server.port, token)
            for scenario in plan:
                items = check(server.port, token, scenario)
                if items:
                    log(
                        f"{scenario.name}: {len(scenario.paths)} URL(s), "
                        f"{min(items.values())}-{max(items.values())} items a page"
                    )
            if args.explain:
                explain(url, explained_paths(plan))
            deadline = started + args.budget
            results = measure_interleaved(args, client, plan, token, tmp, server, pgdata, deadline)
            server.stop()
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(tmp, ignore_errors=True)

    info = machine()
    print()
    print(
        f"Catalog list/search, {args.assets} assets, pages of 50, {args.connections} connections, "
        f"gunicorn -w {args.workers} sync, client {client}, {args.seconds:.0f}s per scenario "
        f"in {args.rounds} interleaved rounds"
    )
    print(
        f"machine: {info['cpu']}, {info['cores']} cores, Python {info['python']}, "
        f"load avg {info['load_avg_1m']}, commit {info['commit']}"
    )
    print()
    print(table(results))
    print(
        f"\ntargets: list/search >= {100 * RATE_TARGET:.0f} % of the reference rate and "
        f"p95 <= {P95_TARGET_MS:.0f} ms\ncpu %: of one core (100 = one core busy) for the "
        "client, the gunicorn workers (app) and PostgreSQL; cpu ms/req: (app + pg) per request"
    )
    print(f"load average (1 min) at start {load_before:.2f}, at end {os.getloadavg()[0]:.2f}")
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "params": {k: str(v) for k, v in vars(args).items()},
                    "client": client,
                    "machine": info,
                    "results": [
                        asdict(r) | {"cpu_ms_per_request": r.cpu_ms_per_request} for r in results
                    ],
                },
                indent=2,
            )
        )
    missed = [r for r in results if r.meets == "MISSED"]
    return 1 if missed or not results else 0


if __name__ == "__main__":
    sys.exit(main())
