"""Portal benchmark: how long the portal takes to serve the pages people use most, against a
static page of the same app in the same run.

    .venv/bin/python bench/portal.py [--users 4] [--requests 150] [--seconds 20] [--rounds 2]
                                     [--pending 12] [--json FILE]

Starts the whole product exactly as ``make run`` does (``slagkracht run`` as a subprocess, a
temporary var/ folder, free ports for every API, the portal and the broker; gunicorn, demo
data), then through the booking API as planner-rotterdam requests ``--pending`` bookings of the
Helicopter Command's aircraft (so owner-dhc's approval queue has work and one booking page
exists), and signs each simulated user in through the development sign-in page (a requests
session per user and persona, the persona's button posted with its CSRF token).

Then ``--users`` threads (4: the issue's target) each fetch one page over and over until every
thread has done ``--requests`` or ``--seconds`` passed, page after page, ``--rounds`` times
alternating (the machine's other load hits every page alike):

  static    the sign-in page, signed out: the same app, layout, translations and security
            headers, and no API call (the baseline);
  search    the planner's search results: helicopters in Rotterdam-Rijnmond three days ahead,
            09:00-13:00 (booking's availability search + one batch estimate from cost-sharing);
  queue     owner-dhc's approval queue (booking's pending approvals, asset names);
  booking   the planner's booking page (the booking, its history, the asset).

Each figure is the time from sending the request to reading the whole answer on the same
machine (loopback), so it is the server's render time plus a fraction of a millisecond.
Every answer must be 200 and the page's own (a sign-in page instead of the queue, or results
without prices, would flatter the figure): a wrong answer stops the run.

Target (issue 11): p95 <= 150 ms for search, queue and booking at 4 concurrent users; the
ratio to the static page's p95 says what the API calls cost.

``--part national`` (issue 12) measures the national pages with a year of data instead:

    .venv/bin/python bench/portal.py --part national [--bookings 50000] [--orders 600]
                                     [--users 3] [--requests 40] [--seconds 60]

After the start it writes a year of generated use into the product's own databases
(bench/year.py says exactly what and how: ``--bookings`` bookings over 365 days in booking's
database, their facts, allocations and ledger lines through cost-sharing's own consumer
handler, ``--orders`` orders), signs ``--users`` sessions in as the joint controller (the
finance role that reads the national figures) and measures, the same way:

  static      the sign-in page, signed out (the baseline);
  dashboard   the efficiency dashboard of the current quarter (the four groupings of the
              quarter and the four quarters of its year by category: seven tables, asked
              for in one POST /efficiency/batch when its shared copies have expired);
  evaluation  the evaluation report and map, the year's first quarter against the current;
  board       the live capacity board (helicopters), as the portal serves it: booking's board
              shared by a process's readers until the next change (or 10 s);
  board-api   booking's GET /api/v1/board itself, every request computed afresh;

and cold, what a page costs when its shared copies have expired (once per portal process and
period a minute), held to the same target:

  dashboard-cold   the dashboard from a second portal started beside the product's (the same
  evaluation-cold  app, gunicorn 2 workers x 8 threads, the same APIs) whose cache keeps
                   nothing (PORTAL_CACHE_TTL_S 0): every render asks cost-sharing (and
                   catalog's names) afresh;

with cost-sharing's own answers, each computed afresh, as reference figures (no target):

  efficiency-api  GET /api/v1/efficiency of the current quarter by region (a cold dashboard
                  asks for seven such tables in one batch);
  evaluation-api  GET /api/v1/evaluation, the year's first quarter against the current.

Target (issue 12): p95 <= 300 ms for dashboard, evaluation and board, warm and cold.
"""

from __future__ import annotations

import argparse
import contextlib
import html.parser
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import requests

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from _common import (  # noqa: E402 - bench/ is on the path when the script runs
    RunningProduct,
    launch_product,
    log,
    product_database_url,
    wait_until,
)
from year import write_year  # noqa: E402 - bench/year.py

from shared.personas import persona_token  # noqa: E402
from shared.runtime import free_port, wait_for_port  # noqa: E402
from shared.settings import DEV_JWT_SECRET  # noqa: E402

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
PLANNER = "planner-rotterdam"
OWNER = "owner-dhc"
ROTTERDAM = "VR17"  # Veiligheidsregio Rotterdam-Rijnmond
SIGN_IN = "/sign-in"
TARGET_P95_MS = 150.0
NATIONAL = "controller"  # the joint controller: finance, reads the national figures
NATIONAL_TARGET_P95_MS = 300.0
API = "api"  # the sessions that call an API directly, with the national persona's token
COLD = "cold"  # the national persona's sessions on the portal whose cache keeps nothing


def bearer(persona: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {persona_token(persona, DEV_JWT_SECRET)}"}


def search_window() -> tuple[datetime, datetime]:
    """09:00-13:00 in Amsterdam three days ahead: inside the demo helicopters' day windows."""
    day = (datetime.now(AMSTERDAM) + timedelta(days=3)).date()
    start = datetime(day.year, day.month, day.day, 9, tzinfo=AMSTERDAM)
    return start, start + timedelta(hours=4)


def free_helicopters(booking: str, start: datetime, end: datetime) -> list[str]:
    """The Helicopter Command's aircraft free for the window in Rotterdam-Rijnmond."""
    found = requests.get(
        f"{booking}/api/v1/availability",
        params={"start": start.isoformat(), "end": end.isoformat(), "region": ROTTERDAM,
                "category": "helicopter"},
        headers=bearer(PLANNER), timeout=30,
    )  # fmt: skip
    found.raise_for_status()
    return [
        row["asset_id"] for row in found.json()["items"] if row.get("owner_org") == "defensie-dhc"
    ]


def request_bookings(product: RunningProduct, count: int) -> list[str]:
    """``count`` requests by the planner for the Helicopter Command's aircraft, found free
    through booking's availability search, a week after the searched window (which they must
    not fill) and one day after another once a day's helicopters are taken."""
    booking = product.url("booking")
    searched, _ = search_window()
    first = searched + timedelta(days=7)
    wait_until(  # booking's read model fills from catalog's events after the start
        "booking's search finds the demo helicopters",
        lambda: bool(free_helicopters(booking, first, first + timedelta(hours=3))),
        180,
        product,
    )
    created: list[str] = []
    deadline = time.monotonic() + 120
    for day in range(60):
        if len(created) >= count or time.monotonic() > deadline:
            break
        start = first + timedelta(days=day)
        end = start + timedelta(hours=3)
        for asset_id in free_helicopters(booking, start, end)[: count - len(created)]:
            response = requests.post(
                f"{booking}/api/v1/bookings",
                json={
                    "asset_id": asset_id,
                    "start": start.isoformat(),
                    "end": end.isoformat(),
                    "priority": 2,
                    "legal_basis": "bijstand_politiewet",
                    "purpose": "Benchmark: zoekactie vermiste persoon",
                    "contact": "OvD Rotterdam 010-0000000",
                },
                headers={**bearer(PLANNER), "Idempotency-Key": str(uuid.uuid4())},
                timeout=30,
            )
            if response.status_code == 201:
                created.append(response.json()["id"])
    if len(created) < count:
        raise RuntimeError(f"only {len(created)} of {count} bookings could be requested")
    return created


class _Forms(html.parser.HTMLParser):
    """Every form on a page: its action, its hidden fields, and its submit buttons."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []
        self._button: dict[str, str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append({"action": a.get("action", ""), "hidden": {}, "buttons": []})
        elif self.forms and tag == "input" and a.get("type") == "hidden":
            self.forms[-1]["hidden"][a.get("name", "")] = a.get("value", "")
        elif self.forms and tag == "button":
            self._button = {"name": a.get("name", ""), "value": a.get("value", ""), "text": ""}
            self.forms[-1]["buttons"].append(self._button)

    def handle_endtag(self, tag: str) -> None:
        if tag == "button":
            self._button = None

    def handle_data(self, data: str) -> None:
        if self._button is not None:
            self._button["text"] += data


def signed_in(portal: str, persona: str) -> requests.Session:
    """A session signed in as ``persona`` the way the browser does it: the sign-in page's form
    whose button names the persona, posted with its hidden fields (the CSRF token)."""
    session = requests.Session()
    page = session.get(f"{portal}{SIGN_IN}", timeout=30)
    page.raise_for_status()
    parser = _Forms()
    parser.feed(page.text)
    for form in parser.forms:
        for button in form["buttons"]:
            if persona in button["text"] or button["value"] == persona:
                data = dict(form["hidden"])
                if button["name"]:
                    data[button["name"]] = button["value"]
                action = urllib.parse.urljoin(page.url, form["action"] or page.url)
                answer = session.post(action, data=data, timeout=30)
                answer.raise_for_status()
                return session
    raise RuntimeError(f"no sign-in button for {persona} on {page.url}")


# -- measuring -------------------------------------------------------------------------------
@dataclass
class Target:
    name: str
    persona: str | None  # None: signed out
    path: str
    must_contain: tuple[str, ...]  # proof that the answer is this page, not a sign-in page
    service: str = "portal"  # or an API, called with the persona's bearer token
    judged: bool = True  # held to the target (False: a reference figure)


@dataclass
class Figures:
    name: str
    requests: int
    seconds: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    vs_static: float | None = None
    judged: bool = True  # held to the target (not the static page, not a reference figure)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, int(q * len(ordered) + 0.999999) - 1))]


def measure(
    target: Target,
    sessions: list[requests.Session],
    url: str,
    per_user: int,
    seconds: float,
) -> Figures:
    """Every user fetches ``url`` in a loop, all at once, until each has done ``per_user``
    or ``seconds`` passed."""
    timings: list[list[float]] = [[] for _ in sessions]
    errors: list[str] = []
    start_line = threading.Barrier(len(sessions))
    deadline = 0.0

    def user(index: int) -> None:
        nonlocal deadline
        session = sessions[index]
        start_line.wait()
        if index == 0:
            deadline = time.monotonic() + seconds
        while len(timings[index]) < per_user and not errors:
            began = time.perf_counter()
            answer = session.get(url, timeout=30, allow_redirects=False)
            elapsed = (time.perf_counter() - began) * 1000
            if answer.status_code != 200 or not all(t in answer.text for t in target.must_contain):
                errors.append(f"{target.name}: {answer.status_code} {answer.text[:300]!r}")
                return
            timings[index].append(elapsed)
            if deadline and time.monotonic() > deadline:
                return

    threads = [threading.Thread(target=user, args=(i,)) for i in range(len(sessions))]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 120)
    took = time.monotonic() - began
    if errors:
        raise RuntimeError(errors[0])
    flat = [t for ts in timings for t in ts]
    return Figures(
        name=target.name,
        requests=len(flat),
        seconds=round(took, 2),
        p50_ms=round(percentile(flat, 0.50), 1),
        p95_ms=round(percentile(flat, 0.95), 1),
        p99_ms=round(percentile(flat, 0.99), 1),
        max_ms=round(max(flat), 1),
        judged=target.judged and target.name != "static",
    )


# -- the run ---------------------------------------------------------------------------------
@dataclass
class Report:
    machine: dict[str, str]
    args: dict[str, Any]
    rounds: list[list[Figures]] = field(default_factory=list)
    year: dict[str, Any] = field(default_factory=dict)  # --part national: what was written


def machine() -> dict[str, str]:
    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "python": platform.python_version(),
        "load_at_start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "commit": subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip(),
        "started": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def targets(booking_id: str) -> list[Target]:
    start, end = search_window()
    query = urllib.parse.urlencode(
        {
            "start": start.strftime("%Y-%m-%dT%H:%M"),
            "end": end.strftime("%Y-%m-%dT%H:%M"),
            "region": ROTTERDAM,
            "category": "helicopter",
            "quantity": 1,
            "legal_basis": "steunverlening",
        }
    )
    return [
        Target("static", None, SIGN_IN, (OWNER,)),
        # priced results: the batch estimate answered (a page without prices is cheaper)
        Target("search", PLANNER, f"/planner/search?{query}", ("Chinook", "€")),
        Target("queue", OWNER, "/owner/approvals", ("Benchmark: zoekactie",)),
        Target("booking", PLANNER, f"/planner/bookings/{booking_id}", ("Benchmark: zoekactie",)),
    ]


def current_quarter() -> tuple[int, int]:
    today = datetime.now(AMSTERDAM).date()
    return today.year, (today.month - 1) // 3 + 1


def national_targets() -> list[Target]:
    """The national pages as the joint controller reads them (default periods spelled out)."""
    year, quarter = current_quarter()
    baseline = f"{year - 1}-Q1" if quarter == 1 else f"{year}-Q1"
    period = f"{year}-Q{quarter}"
    return [
        Target("static", None, SIGN_IN, (OWNER,)),
        # figures per region: the year's data reached the page
        Target("dashboard", NATIONAL, f"/national/efficiency?period={period}",
               ('data-key="VR25"', 'id="table-quarter"')),
        Target("evaluation", NATIONAL,
               f"/national/evaluation?baseline={baseline}&period={period}",
               ('data-region="VR25"', 'id="national-table"')),
        Target("dashboard-cold", COLD, f"/national/efficiency?period={period}",
               ('data-key="VR25"', 'id="table-quarter"'), service=COLD),
        Target("evaluation-cold", COLD,
               f"/national/evaluation?baseline={baseline}&period={period}",
               ('data-region="VR25"', 'id="national-table"'), service=COLD),
        Target("board", NATIONAL, "/board?category=helicopter", ('data-region="VR25"',)),
        Target("board-api", API, "/api/v1/board", ('"VR25"',), service="booking"),
        Target("efficiency-api", API, f"/api/v1/efficiency?period={period}&group_by=region",
               ('"VR25"',), service="costsharing", judged=False),
        Target("evaluation-api", API,
               f"/api/v1/evaluation?baseline={baseline}&period={period}", ('"VR25"',),
               service="costsharing", judged=False),
    ]  # fmt: skip


def print_round(number: int, figures: list[Figures], target_ms: float = TARGET_P95_MS) -> None:
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"\nround {number} (load average at its end: {load})")
    print(f"  {'page':<14} {'requests':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} "
          f"{'max ms':>8} {'p95/static':>10}  target p95 <= {target_ms:.0f} ms")  # fmt: skip
    for f in figures:
        ratio = "" if f.vs_static is None else f"{f.vs_static:.1f}x"
        verdict = ""
        if f.judged:
            verdict = "met" if f.p95_ms <= target_ms else "MISSED"
        print(f"  {f.name:<14} {f.requests:>8} {f.p50_ms:>8.1f} {f.p95_ms:>8.1f} {f.p99_ms:>8.1f} "
              f"{f.max_ms:>8.1f} {ratio:>10}  {verdict}", flush=True)  # fmt: skip


def measure_rounds(
    report: Report,
    pages: list[Target],
    sessions: dict[str | None, list[requests.Session]],
    urls: dict[str, str],
    args: argparse.Namespace,
    target_ms: float,
) -> None:
    """A warm-up of each page, then ``--rounds`` rounds, the page order alternating."""
    for page in pages:  # warm-up: imports, template compilation, connection pools
        measure(page, sessions[page.persona], urls[page.service] + page.path, 5, 10)
    for number in range(1, args.rounds + 1):
        figures = [
            measure(page, sessions[page.persona], urls[page.service] + page.path,
                    args.requests, args.seconds)
            for page in (pages if number % 2 else list(reversed(pages)))
        ]  # fmt: skip
        static = next(f for f in figures if f.name == "static")
        for f in figures:
            f.vs_static = round(f.p95_ms / static.p95_ms, 2) if static.p95_ms else None
        figures.sort(key=lambda f: [p.name for p in pages].index(f.name))
        report.rounds.append(figures)
        print_round(number, figures, target_ms)


def run_pages(args: argparse.Namespace, report: Report, product: RunningProduct) -> None:
    booking_ids = request_bookings(product, args.pending)
    log(f"{len(booking_ids)} requests pending at {OWNER}")
    portal = product.url("portal")
    sessions = {
        None: [requests.Session() for _ in range(args.users)],
        PLANNER: [signed_in(portal, PLANNER) for _ in range(args.users)],
        OWNER: [signed_in(portal, OWNER) for _ in range(args.users)],
    }
    pages = targets(booking_ids[0])
    search = next(page for page in pages if page.name == "search")
    planner = sessions[PLANNER][0]
    wait_until(  # cost-sharing's worker may still be reading catalog's tariffs
        "the search results show prices",
        lambda: all(t in planner.get(portal + search.path, timeout=30).text
                    for t in search.must_contain),
        120,
        product,
    )  # fmt: skip
    measure_rounds(report, pages, sessions, {"portal": portal}, args, TARGET_P95_MS)


def read_models_hold_the_catalog(product: RunningProduct) -> bool:
    """Booking's and cost-sharing's copies of the demo assets are complete."""
    import psycopg

    counts = []
    for service in ("catalog", "booking", "costsharing"):
        table = {"catalog": "assets", "booking": "asset_view", "costsharing": "asset_facts"}
        with psycopg.connect(product_database_url(product, service)) as conn:
            row = conn.execute(f"SELECT count(*) FROM {table[service]}").fetchone()
            counts.append(row[0] if row else 0)
    return counts[0] > 0 and counts[0] == counts[1] == counts[2]


@contextlib.contextmanager
def cold_portal(product: RunningProduct, log_path: Path) -> Iterator[str]:
    """A second portal beside the product's: the same app and gunicorn settings as
    ``slagkracht run`` starts it, against the same APIs, with a cache that keeps nothing
    (``PORTAL_CACHE_TTL_S`` 0), so each page it renders is a cold one."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.endswith("_URL")}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    services = ("catalog", "booking", "costsharing", "notify")
    env.update({f"{name.upper()}_URL": product.url(name) for name in services})
    argv = [sys.executable, "-m", "gunicorn", "-c", "python:shared.gunicorn_conf",
            "-w", "2", "--threads", "8", "-b", f"127.0.0.1:{port}", "--graceful-timeout", "5",
            "services.portal.app:create_app({'PORTAL_CACHE_TTL_S': 0})"]  # fmt: skip
    with open(log_path, "ab") as out:
        process = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=out, stderr=out)
    try:
        wait_for_port("127.0.0.1", port, 60)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=30)


def run_national(args: argparse.Namespace, report: Report, product: RunningProduct) -> None:
    wait_until("booking and cost-sharing hold the demo assets",
               lambda: read_models_hold_the_catalog(product), 180, product)  # fmt: skip
    log(f"writing a year: {args.bookings} bookings, {args.orders} orders ...")
    written = write_year(
        product_database_url(product, "booking"),
        product_database_url(product, "costsharing"),
        bookings=args.bookings,
        orders=args.orders,
        now=datetime.now(UTC),
    )
    report.year = asdict(written)
    log(f"year written: {report.year}")
    portal = product.url("portal")
    with cold_portal(product, product.log_path.with_name("cold-portal.log")) as cold:
        sessions = {
            None: [requests.Session() for _ in range(args.users)],
            NATIONAL: [signed_in(portal, NATIONAL) for _ in range(args.users)],
            COLD: [signed_in(cold, NATIONAL) for _ in range(args.users)],
            API: [requests.Session() for _ in range(args.users)],
        }
        for session in sessions[API]:
            session.headers.update(bearer(NATIONAL))
        pages = national_targets()
        urls = {name: product.url(name) for name in ("portal", "booking", "costsharing")}
        measure_rounds(report, pages, sessions, {**urls, COLD: cold}, args, NATIONAL_TARGET_P95_MS)


def run(args: argparse.Namespace) -> Report:
    report = Report(machine=machine(), args=vars(args))
    log(f"machine: {report.machine}")
    tmp = Path(tempfile.mkdtemp(prefix="bench-portal-"))
    try:
        log("starting slagkracht run (embedded PostgreSQL, Tansu, APIs, workers, portal) ...")
        with launch_product(tmp, RunningProduct) as product:
            log(f"up: {product.ports}")
            if args.part == "national":
                run_national(args, report, product)
            else:
                run_pages(args, report, product)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=4, help="concurrent signed-in users")
    parser.add_argument("--requests", type=int, default=150, help="per user and page, at most")
    parser.add_argument("--seconds", type=float, default=20, help="per page, at most")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--pending", type=int, default=12, help="requests in the owner's queue")
    parser.add_argument("--part", choices=("pages", "national"), default="pages")
    parser.add_argument("--bookings", type=int, default=50_000, help="national: the year's")
    parser.add_argument("--orders", type=int, default=600, help="national: the year's orders")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    report = run(args)
    if args.json:
        args.json.write_text(json.dumps(asdict(report), indent=2, default=str))
    target = NATIONAL_TARGET_P95_MS if args.part == "national" else TARGET_P95_MS
    worst = max(f.p95_ms for figures in report.rounds for f in figures if f.judged)
    print(f"\nworst p95 of the measured pages: {worst:.1f} ms (target <= {target:.0f} ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
