"""Booking benchmark: request creation against a one-INSERT reference, and availability search
at 100,000 and 1,000,000 bookings.

    .venv/bin/python bench/booking.py [--seconds 10] [--connections 16] [--workers 2]
                                      [--rounds 2] [--assets 10000] [--bookings 1000000]
                                      [--part all|create|search] [--client auto|wrk|python]
                                      [--json FILE]

Starts its own embedded PostgreSQL (temporary folder, deleted afterwards), creates and migrates
two booking databases (one for creation, one for search) and starts the booking API exactly as
``slagkracht run`` does: ``gunicorn -w 2`` (sync workers) on 127.0.0.1 and a free port, with
SLAGKRACHT_BENCH_ENDPOINTS=1 (which adds ``POST /bench/reserve``; nothing else changes). No
broker is needed: the outbox rows stay unpublished (no relay runs), as when the relay lags.

(1) Creation, --connections concurrent connections for --seconds each, --rounds times
    alternating (the machine's other load hits both sides alike):
      booking     POST /api/v1/bookings as a police planner (bearer token, Idempotency-Key):
                  the real use case (published-availability and overlap checks, the insert
                  under the exclusion constraint, audit row, outbox event, idempotency
                  record), each request a distinct, free one-hour window of one of
                  --create-assets slot assets that have published availability in the read
                  model (asset_view + asset_windows, bulk SQL), so every request succeeds;
      (a) reference  POST /bench/reserve with the same body: one INSERT into
                  ``bench_reservations``, a table with bookings' exclusion constraint (same
                  expression, same WHERE), nothing else; no auth, no validation;
      (b) raw     psycopg inserts of the same rows into ``bench_reservations``, one autocommit
                  INSERT each, from 1 connection and from 4 threads (own connection each).
(2) Search: GET /api/v1/availability?start&end&category&region through gunicorn (the HTTP path:
    auth, schema, find_free's SQL, ranking and estimates in Python, JSON), one connection,
    rotating over 200 random searches (1-60 days ahead, 2-6 h, 5 of 6 with a category), with
    --assets assets (50 % one long published window, 50 % a daily 06-22 UTC window for 120
    days) and first --bookings/10 then --bookings bookings (100 per asset over two years at
    1M: past ones mostly completed, future ones mostly requested/approved), bulk-loaded with
    generate_series SQL and ANALYZEd. The SQL alone (find_free's query, through SQLAlchemy,
    same parameters) is timed in-process too, plus, outside the rotation, the same windows with
    neither category nor region (every free asset ranked); EXPLAIN (ANALYZE, BUFFERS) of a
    search without and with a category at the full size is printed and saved under
    bench/results/.

Targets: creation >= 60 % of (a) with p99 <= 50 ms at 16 connections; search p95 <= 50 ms at
1,000,000 bookings and <= 2x its time at 100,000. Every loop is bounded by time and count; the
whole run takes about five minutes on two cores.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import math
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
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

from shared.migrate import ensure_database, upgrade  # noqa: E402
from shared.personas import persona_token  # noqa: E402
from shared.runtime import database_url  # noqa: E402
from shared.settings import DEV_JWT_SECRET, sqlalchemy_url  # noqa: E402

warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR")  # platformdirs, via embedded-postgres

CREATE_RATIO_TARGET = 0.60  # booking creation >= 60 % of the reference endpoint's rate
CREATE_P99_TARGET_MS = 50.0
SEARCH_P95_TARGET_MS = 50.0  # at 1M bookings
SEARCH_GROWTH_TARGET = 2.0  # p95 at 1M <= 2x p95 at 100k
WARMUP_S = 2.0
SLOT_S = 7200  # creation windows: one hour every two hours
RUN_BLOCK = 200_000  # request numbers reserved per creation run (distinct windows across runs)
RESULTS_DIR = ROOT / "bench" / "results"

ACTIVE = "('requested', 'counter_offered', 'approved', 'in_use')"
RESERVATIONS_SQL = f"""
CREATE TABLE bench_reservations (
    id bigserial PRIMARY KEY,
    asset_id uuid NOT NULL,
    during tstzrange NOT NULL,
    holds_slot boolean NOT NULL DEFAULT true,
    state text NOT NULL DEFAULT 'requested',
    CONSTRAINT bench_reservations_no_overlap EXCLUDE USING gist
        (asset_id WITH =, during WITH &&) WHERE (holds_slot AND state IN {ACTIVE})
)
"""

# (category, booking mode, owner, name, capacity, unit, full, marginal, fee, market)
TEMPLATES: list[tuple[str, str, str, str, int, str, str, str, str, str]] = [
    ("helicopter", "slot", "defensie-dhc", "CH-47F Chinook", 1,
     "flight_hour", "12500.00", "4800.00", "2500.00", "15000.00"),
    ("helicopter", "slot", "defensie-dhc", "NH90", 1,
     "flight_hour", "9800.00", "3900.00", "1500.00", "11000.00"),
    ("drone", "slot", "defensie-306sqn", "ScanEagle UAS", 1,
     "flight_hour", "2400.00", "900.00", "750.00", "3200.00"),
    ("dive_team", "capacity", "defensie-duikgroep", "Duikteam", 4,
     "hour", "950.00", "420.00", "1000.00", "1500.00"),
    ("search_team", "capacity", "defensie-genie", "Advanced Search Team", 2,
     "day", "4200.00", "1800.00", "750.00", "6500.00"),
    ("search_team", "capacity", "defensie-eod", "EOD-ploeg", 3,
     "day", "3800.00", "1500.00", "500.00", "5200.00"),
    ("terrain", "capacity", "defensie-oefenterreinen", "Oefenterrein", 6,
     "day_part", "1400.00", "450.00", "0.00", "2600.00"),
    ("procurement_item", "quantity", "defensie-dmo", "Nachtkijker", 1,
     "unit", "900.00", "900.00", "0.00", "1100.00"),
]  # fmt: skip
SEARCH_CATEGORIES = ["helicopter", "drone", "dive_team", "search_team", "terrain", None]

ASSETS_SQL = """
WITH t AS (
    SELECT * FROM unnest(
        %(category)s::text[], %(mode)s::text[], %(owner)s::text[], %(name)s::text[],
        %(capacity)s::int[], %(unit)s::text[], %(full)s::text[], %(marginal)s::text[],
        %(fee)s::text[], %(market)s::text[]
    ) WITH ORDINALITY AS t(category, mode, owner, name, capacity, unit, full_rate,
                           marginal_rate, fee, market, n)
), s AS (
    SELECT i, t.* FROM generate_series(1, %(count)s) AS i
    JOIN t ON t.n = (i %% %(templates)s) + 1
)
INSERT INTO asset_view (asset_id, owner_org, name, category, booking_mode, regions, capacity,
                        readiness_notice, notice_seconds, status, tariffs, home_base,
                        availability, blackouts, version)
SELECT md5(%(seed)s || i)::uuid, owner, name || ' ' || lpad(i::text, 5, '0'), category, mode,
       ARRAY(SELECT 'VR' || lpad((((i * 7) + k * 5) %% 25 + 1)::text, 2, '0')
             FROM generate_series(0, i %% 5) AS k),
       capacity, (ARRAY['PT2H', 'PT4H', 'P1D'])[i %% 3 + 1],
       (ARRAY[7200, 14400, 86400])[i %% 3 + 1],
       CASE WHEN %(all_active)s OR i %% 23 <> 0 THEN 'active' ELSE 'maintenance' END,
       jsonb_build_array(jsonb_build_object(
           'tariff_id', md5('tariff' || %(seed)s || i)::uuid, 'currency', 'EUR', 'unit', unit,
           'full_cost_rate', full_rate, 'marginal_cost_rate', marginal_rate,
           'mobilisation_fee', fee, 'market_reference_price', market,
           'valid_from', '2026-01-01', 'valid_to', NULL)),
       'Bench base', '[]'::jsonb, '[]'::jsonb, 1
FROM s
"""

# Half the assets: one long published window; the other half a daily 06-22 UTC window.
WINDOWS_SQL = """
INSERT INTO asset_windows (asset_id, during)
SELECT asset_id, tstzrange(%(lo)s, %(hi)s, '[)') FROM asset_view
WHERE %(all_long)s OR get_byte(decode(md5(asset_id::text), 'hex'), 0) %% 2 = 0
UNION ALL
SELECT asset_id, tstzrange(d + interval '6 hours', d + interval '22 hours', '[)')
FROM asset_view, generate_series(%(day0)s::timestamptz, %(day0)s::timestamptz
                                 + interval '119 days', interval '1 day') AS d
WHERE NOT %(all_long)s AND get_byte(decode(md5(asset_id::text), 'hex'), 0) %% 2 = 1
"""

# --bookings spread evenly over the bookable assets and two years (at 1M and 10,000 assets:
# 113 each, slot k is 155 h long; a booking starts 0-99 h into its slot and lasts 2-47 h, so
# one asset's bookings never overlap). Loaded in two parts: every tenth booking, then the
# rest.
BOOKINGS_SQL = f"""
WITH a AS (
    SELECT asset_id, owner_org, category, booking_mode, capacity,
           row_number() OVER (ORDER BY asset_id) AS n
    FROM asset_view WHERE booking_mode <> 'quantity'
), b AS (
    SELECT a.*, k,
           %(base)s::timestamptz + make_interval(
               secs => 3600 * (k * %(slot_h)s + (n * 37 + k * 11) %% %(jitter_h)s)) AS s,
           make_interval(hours => (2 + (n * 13 + k * 7) %% 46)::int) AS dur,
           (n * 13 + k * 7) %% 20 AS r
    FROM a, generate_series(0, %(per_asset)s - 1) AS k
    WHERE (((n - 1) * %(per_asset)s + k) %% 10 = 0) = %(first_tenth)s
      AND (n - 1) * %(per_asset)s + k < %(total)s
), c AS (
    SELECT b.*, CASE
        WHEN s + dur < now() THEN CASE WHEN r < 16 THEN 'completed' WHEN r < 18 THEN 'cancelled'
                                       WHEN r < 19 THEN 'expired' ELSE 'rejected' END
        ELSE CASE WHEN r < 11 THEN 'approved' WHEN r < 17 THEN 'requested'
                  WHEN r < 18 THEN 'counter_offered' ELSE 'cancelled' END
    END AS state
    FROM b
)
INSERT INTO bookings (id, asset_id, owner_org, requester_org, requested_by, category, holds_slot,
                      needs_preemption, planned_start, planned_end, quantity, priority,
                      legal_basis, purpose, contact, state, expires_at, version, created_at)
SELECT gen_random_uuid(), asset_id, owner_org,
       (ARRAY['politie-rotterdam', 'politie-amsterdam', 'politie-oost-nederland'])[1 + r %% 3],
       'bench', category, booking_mode = 'slot' AND state IN {ACTIVE}, false, s, s + dur,
       CASE WHEN booking_mode = 'slot' THEN 1 ELSE 1 + r %% capacity END, 1 + r %% 3,
       (ARRAY['steunverlening', 'bijstand_politiewet', 'joint_exercise'])[1 + r %% 3],
       'Bench booking', 'bench@politie.example', state, s - interval '1 day', 1,
       s - interval '3 days'
FROM c
"""


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..1); NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1))]


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


# -- data ------------------------------------------------------------------------------------
def seed_assets(url: str, count: int, *, seed: str, slot_only: bool) -> None:
    """``count`` assets in booking's read model with published availability (bulk SQL)."""
    templates = [t for t in TEMPLATES if t[1] == "slot"] if slot_only else TEMPLATES
    columns = {
        name: [t[i] for t in templates]
        for i, name in enumerate(
            ("category", "mode", "owner", "name", "capacity", "unit", "full", "marginal",
             "fee", "market")
        )
    }  # fmt: skip
    now = datetime.now(UTC)
    day0 = now.replace(hour=0, minute=0, second=0, microsecond=0)
    with psycopg.connect(libpq(url)) as conn:
        conn.execute(
            ASSETS_SQL,
            {**columns, "count": count, "templates": len(templates), "seed": seed,
             "all_active": slot_only},
        )  # fmt: skip
        conn.execute(
            WINDOWS_SQL,
            {"lo": now - timedelta(days=1), "hi": now + timedelta(days=400), "day0": day0,
             "all_long": slot_only},
        )  # fmt: skip
        conn.commit()
    with psycopg.connect(libpq(url), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE asset_view")
        conn.execute("VACUUM ANALYZE asset_windows")


def load_bookings(url: str, *, first_tenth: bool, total: int) -> tuple[int, float]:
    """Bulk-insert bookings (a tenth, or the other nine tenths); returns (rows, seconds)."""
    started = time.monotonic()
    base = datetime.now(UTC) - timedelta(days=365)
    with psycopg.connect(libpq(url)) as conn:
        row = conn.execute(
            "SELECT count(*) FROM asset_view WHERE booking_mode <> 'quantity'"
        ).fetchone()
        per_asset = -(-total // max(1, row[0] if row else 1))
        slot_h = 730 * 24 / per_asset
        if slot_h < 52:
            raise ValueError(f"{per_asset} bookings per asset do not fit in two years")
        params = {
            "base": base, "per_asset": per_asset, "first_tenth": first_tenth, "total": total,
            "slot_h": slot_h, "jitter_h": min(100, int(slot_h) - 48),
        }  # fmt: skip
        cur = conn.execute(BOOKINGS_SQL, params)
        rows = cur.rowcount
        conn.commit()
    with psycopg.connect(libpq(url), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE bookings")
    return rows, time.monotonic() - started


def asset_ids(url: str) -> list[str]:
    with psycopg.connect(libpq(url)) as conn:
        return [str(r[0]) for r in conn.execute("SELECT asset_id FROM asset_view ORDER BY 1")]


# -- the server ------------------------------------------------------------------------------
# -- creation requests -------------------------------------------------------------------------
# Request n (unique in the whole run) books asset n % #assets for the one-hour window that
# starts SLOT_S * (n // #assets) after t0: distinct and free, so every request succeeds.
WRK_POST_LUA = r"""
ids = {}
for line in io.lines(os.getenv("BENCH_ASSETS")) do ids[#ids + 1] = line end
path = os.getenv("BENCH_PATH")
token = os.getenv("BENCH_TOKEN")
t0 = tonumber(os.getenv("BENCH_T0"))
first = tonumber(os.getenv("BENCH_OFFSET"))
nthreads = tonumber(os.getenv("BENCH_THREADS"))
slot_s = tonumber(os.getenv("BENCH_SLOT_S"))
created = 0
function setup(thread) thread:set("tid", created); created = created + 1 end
function init(args) k = 0 end
function request()
  local n = first + tid + nthreads * k
  k = k + 1
  local s = t0 + slot_s * math.floor(n / #ids)
  local body = string.format(
    '{"asset_id":"%s","start":"%s","end":"%s","priority":2,' ..
    '"legal_basis":"steunverlening","purpose":"Bench request %d",' ..
    '"contact":"bench@politie.example"}',
    ids[(n % #ids) + 1], os.date("!%Y-%m-%dT%H:%M:%S+00:00", s),
    os.date("!%Y-%m-%dT%H:%M:%S+00:00", s + 3600), n)
  local headers = {["Content-Type"] = "application/json"}
  if token ~= "" then
    headers["Authorization"] = "Bearer " .. token
    headers["Idempotency-Key"] = "bench-request-" .. n
  end
  return wrk.format("POST", path, headers, body)
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "errors": %d, "p50_us": %d, ' ..
    '"p95_us": %d, "p99_us": %d}\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.status + e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
"""

WRK_GET_LUA = r"""
paths = {}
for line in io.lines(os.getenv("BENCH_PATHS")) do paths[#paths + 1] = line end
token = os.getenv("BENCH_TOKEN")
wrk.headers["Authorization"] = "Bearer " .. token
i = 0
function request()
  i = i + 1
  return wrk.format("GET", paths[(i % #paths) + 1])
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "errors": %d, "p50_us": %d, ' ..
    '"p95_us": %d, "p99_us": %d}\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.status + e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
"""


@dataclass
class Creation:
    """What one creation run sends: asset ids, the first request number, the window origin."""

    assets: list[str]
    t0: int  # epoch seconds of slot 0
    first: int
    path: str
    token: str  # "" for the reference (no auth, no Idempotency-Key)

    def body(self, n: int) -> tuple[bytes, dict[str, str]]:
        start = self.t0 + SLOT_S * (n // len(self.assets))
        body = {
            "asset_id": self.assets[n % len(self.assets)],
            "start": iso(datetime.fromtimestamp(start, UTC)),
            "end": iso(datetime.fromtimestamp(start + 3600, UTC)),
            "priority": 2,
            "legal_basis": "steunverlening",
            "purpose": f"Bench request {n}",
            "contact": "bench@politie.example",
        }
        headers = {"Content-Type": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
            headers["Idempotency-Key"] = f"bench-request-{n}"
        return json.dumps(body).encode(), headers


def run_wrk(
    lua: str, env_extra: dict[str, str], port: int, connections: int, seconds: float, tmp: Path
) -> tuple[int, float, list[float], int]:
    """(requests, seconds, [p50, p95, p99] in ms, errors) from one wrk run."""
    script = tmp / f"bench-{uuid.uuid4().hex[:6]}.lua"
    script.write_text(lua)
    threads = max(1, min(2, connections))
    env = {**os.environ, **env_extra, "BENCH_THREADS": str(threads)}
    command = [
        "wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds:.0f}s",
        "--timeout", "5s", "-s", str(script), f"http://127.0.0.1:{port}",
    ]  # fmt: skip
    done = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=seconds + 30, check=False
    )
    line = next((x for x in done.stdout.splitlines() if x.startswith("BENCH_JSON ")), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    figures = json.loads(line.removeprefix("BENCH_JSON "))
    return (
        figures["requests"],
        figures["duration_us"] / 1e6,
        [figures[k] / 1000 for k in ("p50_us", "p95_us", "p99_us")],
        figures["errors"],
    )


def drive_threads(
    connections: int, seconds: float, request: Callable[[int], bool | None]
) -> tuple[int, float, list[float], int]:
    """``connections`` Python threads calling ``request(thread)`` until ``seconds`` pass or it
    returns None (no more requests); True = the expected answer. Requests, duration,
    p50/p95/p99 ms and errors, as ``run_wrk`` reports them."""
    latencies: list[list[float]] = [[] for _ in range(connections)]
    errors = [0] * connections
    stop_at = time.monotonic() + seconds

    def work(thread: int) -> None:
        while time.monotonic() < stop_at:
            began = time.perf_counter()
            try:
                ok = request(thread)
            except (OSError, http.client.HTTPException):
                ok = False
            if ok is None:
                return
            latencies[thread].append((time.perf_counter() - began) * 1000)
            errors[thread] += not ok

    began = time.monotonic()
    threads = [threading.Thread(target=work, args=(i,), daemon=True) for i in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=seconds + 30)
    flat = [x for per in latencies for x in per]
    return (
        len(flat),
        time.monotonic() - began,
        [percentile(flat, q) for q in (0.50, 0.95, 0.99)],
        sum(errors),
    )


def run_python_post(
    port: int, creation: Creation, connections: int, seconds: float, max_requests: int
) -> tuple[int, float, list[float], int]:
    """The same load from Python threads (a client competing with the server for CPU)."""
    counter = iter(range(creation.first, creation.first + max_requests))
    lock = threading.Lock()

    def request(_thread: int) -> bool | None:
        with lock:
            n = next(counter, None)
        if n is None:
            return None
        body, headers = creation.body(n)
        return call(port, "POST", creation.path, body, headers)[0] == 201

    return drive_threads(connections, seconds, request)


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
    client_cpu_pct: float = math.nan
    server_cpu_pct: float = math.nan
    postgres_cpu_pct: float = math.nan
    ratio: float = math.nan
    meets: str = ""

    @property
    def cpu_ms_per_request(self) -> float:
        busy = (self.server_cpu_pct if not math.isnan(self.server_cpu_pct) else 0) + (
            self.postgres_cpu_pct if not math.isnan(self.postgres_cpu_pct) else 0
        )
        return 10 * busy / self.rate if self.rate else math.nan


class Blocks:
    """Hands out disjoint ranges of request numbers, so no two runs book the same window."""

    def __init__(self) -> None:
        self.next = 0

    def take(self) -> int:
        first, self.next = self.next, self.next + RUN_BLOCK
        return first


def measure_http(
    name: str,
    args: argparse.Namespace,
    client: str,
    server: Server,
    pgdata: Path,
    tmp: Path,
    lua: str,
    env_for: Any,
    python_run: Any,
    connections: int,
    seconds: float,
) -> Result:
    """Warm up for WARMUP_S, then measure ``seconds``; CPU of client, app and PostgreSQL."""

    def once(duration: float) -> tuple[tuple[int, float, list[float], int], dict[str, float]]:
        server_pids, pg_pids = server.pids(), postgres_pids(pgdata)
        before = {
            "client": children_cpu() if client == "wrk" else self_cpu(),
            "server": cpu_seconds(server_pids),
            "pg": cpu_seconds(pg_pids),
        }
        if client == "wrk":
            got = run_wrk(lua, env_for(), server.port, connections, duration, tmp)
        else:
            got = python_run(duration)
        after = {
            "client": children_cpu() if client == "wrk" else self_cpu(),
            "server": cpu_seconds(server_pids),
            "pg": cpu_seconds(postgres_pids(pgdata)),
        }
        wall = got[1] or duration
        return got, {k: 100 * (after[k] - before[k]) / wall for k in before}

    once(WARMUP_S)
    (requests, took, (p50, p95, p99), errors), cpu = once(seconds)
    return Result(
        scenario=name,
        requests=requests,
        seconds=round(took, 2),
        rate=requests / took if took else math.nan,
        p50_ms=p50,
        p95_ms=p95,
        p99_ms=p99,
        errors=errors,
        client_cpu_pct=cpu["client"],
        server_cpu_pct=cpu["server"],
        postgres_cpu_pct=cpu["pg"],
    )


def raw_inserts(
    url: str, assets: list[str], t0: int, first: int, threads: int, seconds: float, limit: int
) -> Result:
    """psycopg autocommit INSERTs into bench_reservations, ``threads`` connections."""
    sql = "INSERT INTO bench_reservations (asset_id, during) VALUES (%s, tstzrange(%s, %s, '[)'))"
    counter = iter(range(first, first + limit))
    lock = threading.Lock()
    latencies: list[list[float]] = [[] for _ in range(threads)]
    errors = [0] * threads
    stop_at = time.monotonic() + seconds

    def work(i: int) -> None:
        with psycopg.connect(libpq(url), autocommit=True) as conn:
            while time.monotonic() < stop_at:
                with lock:
                    n = next(counter, None)
                if n is None:
                    return
                start = datetime.fromtimestamp(t0 + SLOT_S * (n // len(assets)), UTC)
                began = time.perf_counter()
                try:
                    conn.execute(
                        sql, (assets[n % len(assets)], start, start + timedelta(hours=1)),
                        prepare=True,
                    )  # fmt: skip
                except psycopg.Error:
                    errors[i] += 1
                latencies[i].append((time.perf_counter() - began) * 1000)

    began = time.monotonic()
    pool = [threading.Thread(target=work, args=(i,), daemon=True) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join(timeout=seconds + 30)
    took = time.monotonic() - began
    flat = [x for per in latencies for x in per]
    return Result(
        scenario=f"(b) raw psycopg INSERT, {threads} conn" + ("s" if threads > 1 else ""),
        requests=len(flat),
        seconds=round(took, 2),
        rate=len(flat) / took,
        p50_ms=percentile(flat, 0.5),
        p95_ms=percentile(flat, 0.95),
        p99_ms=percentile(flat, 0.99),
        errors=sum(errors),
    )


def creation_part(
    args: argparse.Namespace, client: str, admin_url: str, pgdata: Path, tmp: Path
) -> list[Result]:
    url = database_url(admin_url, "bench_booking_create")
    ensure_database(url)
    upgrade("booking", sqlalchemy_url(url))
    with psycopg.connect(libpq(url), autocommit=True) as conn:
        conn.execute(RESERVATIONS_SQL)
    seed_assets(url, args.create_assets, seed="create", slot_only=True)
    assets = asset_ids(url)
    assets_file = tmp / "assets.txt"
    assets_file.write_text("\n".join(assets) + "\n")
    t0 = int((datetime.now(UTC) + timedelta(days=2)).timestamp()) // 3600 * 3600
    token = persona_token("planner-rotterdam", DEV_JWT_SECRET)
    log(f"creation: {len(assets)} slot assets with published availability in the read model")

    server = start_gunicorn("booking", url, args.workers, tmp)
    blocks = Blocks()
    results: list[Result] = []
    try:
        # Never benchmark an error page: one of each must answer 201.
        for path, tok in (("/bench/reserve", ""), ("/api/v1/bookings", token)):
            probe = Creation(assets, t0, blocks.take(), path, tok)
            status, body = call(server.port, "POST", path, *probe.body(probe.first))
            if status != 201:
                raise RuntimeError(
                    f"POST {path} answered {status}: {body[:400]!r}\n{server.tail()}"
                )
        scenarios = [
            ("(a) reference: POST /bench/reserve", "/bench/reserve", ""),
            ("booking: POST /api/v1/bookings", "/api/v1/bookings", token),
        ]
        for round_ in range(1, args.rounds + 1):
            for name, path, tok in scenarios:
                creation = Creation(assets, t0, blocks.take(), path, tok)
                label = f"{name} #{round_}" if args.rounds > 1 else name

                def env_for(c: Creation = creation) -> dict[str, str]:
                    c.first = blocks.take()  # warm-up and measured run: fresh windows each
                    return {
                        "BENCH_ASSETS": str(assets_file), "BENCH_PATH": c.path,
                        "BENCH_TOKEN": c.token, "BENCH_T0": str(c.t0),
                        "BENCH_OFFSET": str(c.first), "BENCH_SLOT_S": str(SLOT_S),
                    }  # fmt: skip

                def python_run(duration: float, c: Creation = creation) -> Any:
                    c.first = blocks.take()
                    return run_python_post(
                        server.port, c, args.connections, duration, args.max_requests
                    )

                log(f"measuring {label} ({args.seconds:.0f}s, {args.connections} conns)")
                results.append(
                    measure_http(
                        label, args, client, server, pgdata, tmp, WRK_POST_LUA, env_for,
                        python_run, args.connections, args.seconds,
                    )
                )  # fmt: skip
        for threads in (1, 4):
            log(f"measuring (b) raw psycopg INSERT, {threads} connection(s) ({args.seconds:.0f}s)")
            results.append(
                raw_inserts(url, assets, t0, blocks.take(), threads, args.seconds,
                            args.max_requests)
            )  # fmt: skip
        with psycopg.connect(libpq(url)) as conn:
            row = conn.execute(
                "SELECT (SELECT count(*) FROM bookings), (SELECT count(*) FROM outbox), "
                "(SELECT count(*) FROM bench_reservations)"
            ).fetchone()
        log(f"rows written: {row[0]} bookings, {row[1]} outbox events, {row[2]} reservations")
    finally:
        server.stop()

    refs = [r for r in results if r.scenario.startswith("(a)")]
    ours = [r for r in results if r.scenario.startswith("booking")]
    for ref, our in zip(refs, ours, strict=True):
        our.ratio = our.rate / ref.rate if ref.rate else math.nan
        ok = (
            our.ratio >= CREATE_RATIO_TARGET and our.p99_ms <= CREATE_P99_TARGET_MS
            and our.errors == 0
        )  # fmt: skip
        our.meets = "met" if ok else "MISSED"
    for r in results:
        if r.scenario.startswith("(b)") and refs:
            r.ratio = r.rate / (sum(x.rate for x in refs) / len(refs))
    return results


# -- search ----------------------------------------------------------------------------------
def search_params(count: int, rng: random.Random) -> list[dict[str, Any]]:
    """Random searches: 1-60 days ahead, starting 08-14 UTC, 2-6 h long; 5 of 6 by category."""
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    regions = [f"VR{i:02d}" for i in range(1, 26)]
    out = []
    for _ in range(count):
        start = today + timedelta(days=rng.randint(1, 60), hours=rng.randint(8, 14))
        end = start + timedelta(hours=rng.randint(2, 6))
        params: dict[str, Any] = {"start": iso(start), "end": iso(end)}
        category = rng.choice(SEARCH_CATEGORIES)
        if category:
            params["category"] = category
        params["region"] = rng.choice(regions)
        out.append(params)
    return out


def bind_parameters(params: dict[str, Any]) -> dict[str, Any]:
    """find_free's bind parameters for one search (services.booking.search)."""
    from services.booking.search import search_parameters

    return search_parameters(
        start=datetime.fromisoformat(params["start"]), end=datetime.fromisoformat(params["end"]),
        category=params.get("category"), region=params.get("region"),
    )  # fmt: skip


def sql_timings(url: str, searches: list[dict[str, Any]], limit_s: float) -> dict[str, float]:
    """find_free's SQL alone (same statement and parameters, via SQLAlchemy), in-process."""
    from sqlalchemy import create_engine

    from services.booking.search import _SEARCH

    engine = create_engine(sqlalchemy_url(url), connect_args={"options": "-c timezone=UTC"})
    times: list[float] = []
    by_category: list[float] = []
    without: list[float] = []
    rows: list[int] = []
    stop_at = time.monotonic() + limit_s
    try:
        with engine.connect() as conn:
            for i, params in enumerate(searches * 3):
                if time.monotonic() > stop_at:
                    break
                bind = bind_parameters(params)
                began = time.perf_counter()
                n = len(conn.execute(_SEARCH, bind).all())
                if i >= len(searches) // 4:  # the first few warm the cache and the plan
                    times.append((time.perf_counter() - began) * 1000)
                    (by_category if "category" in params else without).append(times[-1])
                    rows.append(n)
            # Not part of the HTTP rotation: the same searches with neither category nor
            # region rank every free asset (the region cannot narrow them), the worst case.
            unnarrowed: list[float] = []
            plain = [{"start": p["start"], "end": p["end"]} for p in searches[:40]] * 2
            stop_at = time.monotonic() + limit_s / 2
            for i, params in enumerate(plain):
                if time.monotonic() > stop_at:
                    break
                bind = bind_parameters(params)
                began = time.perf_counter()
                conn.execute(_SEARCH, bind).all()
                if i >= 10:
                    unnarrowed.append((time.perf_counter() - began) * 1000)
    finally:
        engine.dispose()
    return {
        "n": len(times),
        "p50_ms": percentile(times, 0.5),
        "p95_ms": percentile(times, 0.95),
        "p95_ms_with_category": percentile(by_category, 0.95),
        "p95_ms_without_category": percentile(without, 0.95),
        "p95_ms_without_region_or_category": percentile(unnarrowed, 0.95),
        "rows_avg": sum(rows) / len(rows) if rows else math.nan,
    }


def explain(url: str, searches: list[dict[str, Any]]) -> str:
    """EXPLAIN (ANALYZE, BUFFERS) of find_free's SQL: a search without and with a category."""
    from sqlalchemy import create_engine, text

    from services.booking.search import _SEARCH

    engine = create_engine(sqlalchemy_url(url), connect_args={"options": "-c timezone=UTC"})
    out = []
    picks = [next(s for s in searches if "category" not in s), searches[0]]
    if "category" not in picks[1]:
        picks[1] = next(s for s in searches if "category" in s)
    try:
        with engine.connect() as conn:
            for params in picks:
                bind = bind_parameters(params)
                conn.execute(_SEARCH, bind).all()  # warm
                plan = conn.execute(text("EXPLAIN (ANALYZE, BUFFERS) " + _SEARCH.text), bind).all()
                out.append(f"-- {json.dumps(params)}")
                out += [f"   {line}" for (line,) in plan]
    finally:
        engine.dispose()
    return "\n".join(out)


def search_part(
    args: argparse.Namespace, client: str, admin_url: str, pgdata: Path, tmp: Path
) -> tuple[list[Result], dict[str, dict[str, float]], str]:
    url = database_url(admin_url, "bench_booking_search")
    ensure_database(url)
    upgrade("booking", sqlalchemy_url(url))
    began = time.monotonic()
    seed_assets(url, args.assets, seed="search", slot_only=False)
    with psycopg.connect(libpq(url)) as conn:
        windows = conn.execute("SELECT count(*) FROM asset_windows").fetchone()[0]
    log(f"search: {args.assets} assets, {windows} published windows "
        f"({time.monotonic() - began:.1f}s)")  # fmt: skip
    searches = search_params(200, random.Random(20261))
    paths = ["/api/v1/availability?" + urllib.parse.urlencode(p) for p in searches]
    paths_file = tmp / "search-paths.txt"
    paths_file.write_text("\n".join(paths) + "\n")
    token = persona_token("planner-rotterdam", DEV_JWT_SECRET)
    results: list[Result] = []
    sql: dict[str, dict[str, float]] = {}
    plan = ""
    for first_tenth in (True, False):
        rows, took = load_bookings(url, first_tenth=first_tenth, total=args.bookings)
        with psycopg.connect(libpq(url)) as conn:
            total = conn.execute("SELECT count(*) FROM bookings").fetchone()[0]
        log(f"loaded {rows} bookings in {took:.1f}s (+ ANALYZE): {total} in all")
        label = f"{total / 1000:,.0f}k bookings"
        server = start_gunicorn("booking", url, args.workers, tmp)
        try:
            found = []
            for path in paths[:20]:
                status, body = call(server.port, "GET", path,
                                    headers={"Authorization": f"Bearer {token}"})  # fmt: skip
                if status != 200:
                    raise RuntimeError(f"{path} answered {status}: {body[:300]!r}")
                found.append(len(json.loads(body)["items"]))
            log(f"{label}: searches answer 200 with {min(found)}-{max(found)} assets (top 50)")

            def python_run(duration: float, port: int = server.port) -> Any:
                return run_python_get(port, paths, token, args.search_connections,
                                      duration, args.max_requests)  # fmt: skip

            name = f"search, {label}"
            log(f"measuring {name} ({args.search_seconds:.0f}s, "
                f"{args.search_connections} conn)")  # fmt: skip
            results.append(
                measure_http(
                    name, args, client, server, pgdata, tmp, WRK_GET_LUA,
                    lambda: {"BENCH_PATHS": str(paths_file), "BENCH_TOKEN": token},
                    python_run, args.search_connections, args.search_seconds,
                )
            )  # fmt: skip
        finally:
            server.stop()
        sql[label] = sql_timings(url, searches, args.search_seconds)
        log(f"    SQL alone: p50 {sql[label]['p50_ms']:.1f} ms, p95 {sql[label]['p95_ms']:.1f} ms"
            f" ({sql[label]['rows_avg']:.0f} rows on average)")  # fmt: skip
        if not first_tenth:
            plan = explain(url, searches)
    small, big = results[0], results[-1]
    big.ratio = big.p95_ms / small.p95_ms if small.p95_ms else math.nan
    ok = big.p95_ms <= SEARCH_P95_TARGET_MS and big.ratio <= SEARCH_GROWTH_TARGET
    big.meets = "met" if ok and big.errors == 0 else "MISSED"
    return results, sql, plan


def run_python_get(
    port: int, paths: list[str], token: str, connections: int, seconds: float, max_requests: int
) -> tuple[int, float, list[float], int]:
    budget = threading.Semaphore(max_requests)
    headers = {"Authorization": f"Bearer {token}"}
    sent = [n * 7 for n in range(connections)]  # each thread starts elsewhere in the rotation

    def request(thread: int) -> bool | None:
        if not budget.acquire(blocking=False):
            return None
        sent[thread] += 1
        return call(port, "GET", paths[sent[thread] % len(paths)], headers=headers)[0] == 200

    return drive_threads(connections, seconds, request)


# -- report ----------------------------------------------------------------------------------
def table(results: list[Result], ratio_label: str) -> str:
    header = (
        f"{'scenario':<44} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} "
        f"{ratio_label:>8} {'errors':>6} {'cpu %: client':>13} {'app':>5} {'pg':>5} "
        f"{'cpu ms/req':>10}  target"
    )
    lines = [header, "-" * len(header)]

    def pct(x: float) -> str:
        return "" if math.isnan(x) else f"{x:.0f}"

    for r in results:
        if math.isnan(r.ratio):
            ratio = ""
        elif ratio_label == "vs (a)":
            ratio = f"{100 * r.ratio:.0f} %"
        else:
            ratio = f"{r.ratio:.2f}x"
        lines.append(
            f"{r.scenario:<44} {r.rate:>7.0f} {r.p50_ms:>7.1f} {r.p95_ms:>7.1f} {r.p99_ms:>7.1f} "
            f"{ratio:>8} {r.errors:>6} {pct(r.client_cpu_pct):>13} {pct(r.server_cpu_pct):>5} "
            f"{pct(r.postgres_cpu_pct):>5} {r.cpu_ms_per_request:>10.2f}  {r.meets}"
        )
    return "\n".join(lines)


def machine(admin_url: str) -> dict[str, str]:
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
    with psycopg.connect(libpq(admin_url)) as conn:
        settings = {
            name: conn.execute(f"SHOW {name}").fetchone()[0]
            for name in ("server_version", "fsync", "synchronous_commit", "shared_buffers")
        }
    return {
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "python": platform.python_version(),
        "postgres": ", ".join(f"{k} {v}" for k, v in settings.items()),
        "commit": head,
    }


@dataclass
class Report:
    machine: dict[str, str] = field(default_factory=dict)
    load: list[str] = field(default_factory=list)
    creation: list[Result] = field(default_factory=list)
    search: list[Result] = field(default_factory=list)
    search_sql: dict[str, dict[str, float]] = field(default_factory=dict)
    plan: str = ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--part", choices=("all", "create", "search"), default="all")
    parser.add_argument("--seconds", type=float, default=10.0, help="per creation scenario")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--rounds", type=int, default=2, help="creation: (a)/booking pairs")
    parser.add_argument("--create-assets", type=int, default=2000)
    parser.add_argument("--assets", type=int, default=10_000, help="search: assets")
    parser.add_argument("--bookings", type=int, default=1_000_000, help="search: bookings")
    parser.add_argument("--search-seconds", type=float, default=10.0)
    parser.add_argument("--search-connections", type=int, default=1)
    parser.add_argument("--client", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument("--max-requests", type=int, default=150_000, help="bound per scenario")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)
    if min(args.connections, args.workers, args.rounds, args.create_assets, args.assets) < 1:
        parser.error("counts must be positive")
    client = args.client
    if client == "auto":
        client = "wrk" if shutil.which("wrk") else "python"
    if client == "wrk" and not shutil.which("wrk"):
        parser.error("wrk is not installed (apt-get install -y wrk), or use --client python")

    started = time.monotonic()
    report = Report()
    report.load.append("at start {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    tmp = Path(tempfile.mkdtemp(prefix="bench-booking-"))
    try:
        log(f"starting embedded PostgreSQL in {tmp}")
        with embedded_postgres(tmp) as (admin_url, pgdata):
            report.machine = machine(admin_url)
            if args.part in ("all", "create"):
                report.creation = creation_part(args, client, admin_url, pgdata, tmp)
                report.load.append("after creation {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
            if args.part in ("all", "search"):
                report.search, report.search_sql, report.plan = search_part(
                    args, client, admin_url, pgdata, tmp
                )
                report.load.append("after search {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    info = report.machine
    print()
    print(
        f"machine: {info['cpu']}, {info['cores']} cores, Python {info['python']}, "
        f"commit {info['commit']}\n{info['postgres']}\nload average (1/5/15 min): "
        + "; ".join(report.load)
    )
    if report.creation:
        print(
            f"\nBooking creation: {args.connections} connections, gunicorn -w {args.workers} "
            f"sync, client {client}, {args.seconds:.0f}s per scenario (after {WARMUP_S:.0f}s "
            "warm-up), every request a distinct free window\n"
        )
        print(table(report.creation, "vs (a)"))
        print(
            f"\ntarget: booking >= {100 * CREATE_RATIO_TARGET:.0f} % of (a), p99 <= "
            f"{CREATE_P99_TARGET_MS:.0f} ms; (b) rows: vs the mean of (a)\ncpu %: of one core "
            "for the client, the gunicorn workers (app) and PostgreSQL; cpu ms/req: app + pg"
        )
    if report.search:
        print(
            f"\nAvailability search over HTTP (GET /api/v1/availability), {args.assets} assets, "
            f"{args.search_connections} connection, {args.search_seconds:.0f}s, 200 rotating "
            "searches\n"
        )
        print(table(report.search, "p95 x"))
        for label, figures in report.search_sql.items():
            print(
                f"  find_free SQL alone at {label}: p50 {figures['p50_ms']:.1f} ms, "
                f"p95 {figures['p95_ms']:.1f} ms over {figures['n']:.0f} queries (p95 "
                f"{figures['p95_ms_with_category']:.1f} ms with a category, "
                f"{figures['p95_ms_without_category']:.1f} ms without; not in the HTTP "
                f"rotation: {figures['p95_ms_without_region_or_category']:.1f} ms with neither "
                "category nor region)"
            )
        print(
            f"\ntarget: p95 <= {SEARCH_P95_TARGET_MS:.0f} ms at 1M bookings and <= "
            f"{SEARCH_GROWTH_TARGET:.0f}x the p95 at 100k ('p95 x' column)"
        )
        if report.plan:
            RESULTS_DIR.mkdir(parents=True, exist_ok=True)
            path = RESULTS_DIR / "booking-search-explain.txt"
            path.write_text(report.plan + "\n")
            print(f"\nEXPLAIN (ANALYZE, BUFFERS) at the full size (also in {path}):\n")
            print(report.plan)
    print(f"\ntotal run time {time.monotonic() - started:.0f} s")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(
            json.dumps(
                {
                    "params": {k: str(v) for k, v in vars(args).items()},
                    "client": client,
                    "report": asdict(report),
                },
                indent=2,
                default=str,
            )
        )
    missed = [r for r in report.creation + report.search if r.meets == "MISSED"]
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
