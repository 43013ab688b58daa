"""`slagkracht run` says ready only when booking holds the catalog, and heals itself: the real
launcher (a subprocess with a var/ folder of its own and free ports) has a child at a time
SIGKILLed — an API, a worker, the broker, the database — each during a burst of booking
completions. The APIs answer again, and every completed booking ends with exactly one
allocation. The recovery commands then work against the same stack with no database URL or
broker address given."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pytest
import requests
from sqlalchemy import text

from services import registry
from services.launcher import READY_LINE, port_variables
from shared.runtime import database_url, embedded_admin_url, free_port, port_open
from shared.settings import DEV_JWT_SECRET
from tests.integration.booking_support import backdate, engine_for
from tests.support import auth, eventually

pytestmark = [pytest.mark.slow, pytest.mark.db, pytest.mark.broker]

BURST = 6  # completions per killed child
AMSTERDAM = ZoneInfo("Europe/Amsterdam")


@dataclass
class Launched:
    process: subprocess.Popen[str]
    var: Path
    env: dict[str, str]
    urls: dict[str, str]
    db_urls: dict[str, str]

    def child_pid(self, needle: str) -> int | None:
        """The pid of the launcher's child whose command line contains ``needle``."""
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except (OSError, IndexError, ValueError):
                continue  # gone meanwhile
            if ppid == self.process.pid and needle in cmdline:
                return int(entry.name)
        return None


def _launcher_env(var: Path) -> dict[str, str]:
    """The environment of a fresh checkout: no database or broker named, every port free."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.endswith("_DATABASE_URL")
        and k not in ("DATABASE_URL", "KAFKA_BOOTSTRAP_SERVERS", "KAFKA_TOPIC_PREFIX")
        and k not in ("KAFKA_CONSUMER_GROUP", "JWT_SECRET", "SLAGKRACHT_VAR")
    }
    env.update({name: str(free_port()) for name in port_variables()})
    env["JWT_SECRET"] = DEV_JWT_SECRET
    env["SLAGKRACHT_VAR"] = str(var)
    return env


@pytest.fixture(scope="module")
def launched(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Launched]:
    var = tmp_path_factory.mktemp("supervision") / "var"
    env = _launcher_env(var)
    process = subprocess.Popen(
        [sys.executable, "-m", "services.cli", "run", "--var", str(var)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    ready = threading.Event()
    output: list[str] = []

    def read_output() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            output.append(line)
            if line.strip() == READY_LINE:
                ready.set()

    threading.Thread(target=read_output, daemon=True).start()
    try:
        deadline = time.monotonic() + 180
        while not ready.wait(timeout=1) and process.poll() is None and time.monotonic() < deadline:
            pass
        if not ready.is_set():
            raise AssertionError("slagkracht run never said ready:\n" + "".join(output[-40:]))
        admin_url = embedded_admin_url(var / "pg")
        assert admin_url is not None
        yield Launched(
            process=process,
            var=var,
            env=env,
            urls={s: f"http://127.0.0.1:{env[f'{s.upper()}_PORT']}" for s in registry.SERVICES},
            db_urls={s: database_url(admin_url, s) for s in registry.SERVICES},
        )
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            code = process.wait(timeout=90)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
    assert code == 0, "".join(output[-40:])
    for name in port_variables():  # everything it started has stopped
        assert not port_open("127.0.0.1", int(env[name])), f"{name} still open"


def _call(method: str, url: str, persona: str, body: Any = None) -> requests.Response:
    return requests.request(method, url, headers=auth(persona), json=body, timeout=30)


def _register_helicopter(catalog: str) -> str:
    asset = _call(
        "POST",
        f"{catalog}/api/v1/assets",
        "owner-dhc",
        {
            "registration": f"SUP-{uuid.uuid4().hex[:8]}",
            "name": "NH90 (supervision)",
            "category": "helicopter",
            "home_base": "Marinevliegkamp De Kooy",
            "regions": ["VR17"],
            "readiness_notice": "PT2H",
            "tariff": {
                "unit": "flight_hour",
                "full_cost_rate": "9800.00",
                "marginal_cost_rate": "3900.00",
                "mobilisation_fee": "1500.00",
                "market_reference_price": "11000.00",
                "valid_from": "2026-01-01",
            },
        },
    )
    assert asset.status_code == 201, asset.text
    now = datetime.now(UTC)
    window = _call(
        "POST",
        f"{catalog}/api/v1/assets/{asset.json()['id']}/availability",
        "owner-dhc",
        {
            "kind": "one_off",
            "start_at": now.isoformat(),
            "end_at": (now + timedelta(days=60)).isoformat(),
        },
    )
    assert window.status_code == 201, window.text
    return str(asset.json()["id"])


def _approved_bookings_in_the_past(stack: Launched, asset_id: str, first_slot: int) -> list[str]:
    """BURST approved bookings of ``asset_id`` (4 h each, 6 h apart), then moved into the past
    together, as time would, so their use can be completed."""
    booking = stack.urls["booking"]
    base = (datetime.now(UTC) + timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
    ids = []
    for slot in range(first_slot, first_slot + BURST):
        start = base + timedelta(hours=6 * slot)
        body = {
            "asset_id": asset_id,
            "start": start.isoformat(),
            "end": (start + timedelta(hours=4)).isoformat(),
            "priority": 2,
            "legal_basis": "steunverlening",
            "purpose": "Zoekactie vermiste persoon Maasvlakte",
            "contact": "Meldkamer Rotterdam",
        }
        created = _call("POST", f"{booking}/api/v1/bookings", "planner-rotterdam", body)
        assert created.status_code == 201, created.text
        bid = created.json()["id"]
        approved = _call("POST", f"{booking}/api/v1/bookings/{bid}/approve", "owner-dhc", {})
        assert approved.status_code == 200, approved.text
        ids.append(bid)
    last_end = base + timedelta(hours=6 * (first_slot + BURST))
    hours_back = (last_end - datetime.now(UTC)).total_seconds() / 3600 + 2
    for bid in ids:
        backdate(stack.db_urls, bid, hours=hours_back)
    return ids


def _complete(stack: Launched, booking_id: str) -> None:
    """Complete a booking, retrying while the API is away (a lost answer shows as 409)."""
    booking = stack.urls["booking"]

    def attempt() -> bool:
        try:
            got = _call("GET", f"{booking}/api/v1/bookings/{booking_id}", "owner-dhc")
            if got.status_code == 200 and got.json()["state"] == "completed":
                return True
            start = datetime.fromisoformat(got.json()["planned_start"])
            done = _call(
                "POST",
                f"{booking}/api/v1/bookings/{booking_id}/complete",
                "owner-dhc",
                {
                    "actual_start": start.isoformat(),
                    "actual_end": (start + timedelta(hours=3)).isoformat(),
                },
            )
            return done.status_code == 200
        except (requests.RequestException, ValueError, KeyError):
            return False  # the API is restarting

    eventually(attempt, timeout_s=60, every_s=0.2, what=f"booking {booking_id} completed")


def _allocations(stack: Launched, booking_id: str) -> list[dict[str, Any]]:
    found = _call(
        "GET",
        f"{stack.urls['costsharing']}/api/v1/allocations?booking_id={booking_id}",
        "controller",
    )
    assert found.status_code == 200, found.text
    return list(found.json()["items"])


def _all_ready(stack: Launched) -> bool:
    try:
        return all(
            requests.get(f"{url}/readyz", timeout=5).status_code == 200
            for url in stack.urls.values()
        )
    except requests.RequestException:
        return False


def _booking_knows(stack: Launched, asset_id: str) -> bool:
    """Booking's read model has the asset (it learns of it through the catalog's events)."""
    start = datetime.now(UTC) + timedelta(days=1)
    found = _call(
        "GET",
        f"{stack.urls['booking']}/api/v1/availability?category=helicopter&limit=200&"
        + urlencode({"start": start.isoformat(), "end": (start + timedelta(hours=1)).isoformat()}),
        "planner-rotterdam",
    )
    return found.status_code == 200 and asset_id in {a["asset_id"] for a in found.json()["items"]}


def _ids(db_url: str, query: str) -> set[str]:
    with engine_for(db_url).connect() as conn:
        return {str(row) for row in conn.execute(text(query)).scalars()}


def test_ready_means_booking_holds_the_catalog(launched: Launched) -> None:
    """Checked at once after the ready line (this test runs first): a planner's first search
    finds the demo assets, and every catalog asset is in booking's read model."""
    catalog = _ids(launched.db_urls["catalog"], "SELECT id FROM assets")
    assert catalog, "the demo data has assets"
    assert catalog <= _ids(launched.db_urls["booking"], "SELECT asset_id FROM asset_view")
    # The next weekday at 10:00 in Amsterdam: inside every demo helicopter's published hours,
    # whatever the time of day the test runs.
    day = datetime.now(AMSTERDAM).date() + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    start = datetime(day.year, day.month, day.day, 10, tzinfo=AMSTERDAM).astimezone(UTC)
    found = _call(
        "GET",
        f"{launched.urls['booking']}/api/v1/availability?category=helicopter&"
        + urlencode({"start": start.isoformat(), "end": (start + timedelta(hours=2)).isoformat()}),
        "planner-rotterdam",
    )
    assert found.status_code == 200 and found.json()["items"], found.text


# Which child to kill, found by its command line, and how the launcher names it.
VICTIMS = [
    ("booking-api", "services.booking.app"),
    ("costsharing-worker", "worker costsharing"),
    ("broker", "broker --listener-url"),
    ("postgres", "postgres -D"),
]


def test_every_kind_of_child_is_restarted_and_every_completion_allocated_once(
    launched: Launched,
) -> None:
    asset_id = _register_helicopter(launched.urls["catalog"])
    eventually(lambda: _booking_knows(launched, asset_id), what="the asset in booking")
    completed: list[str] = []
    for round_no, (name, needle) in enumerate(VICTIMS):
        ids = _approved_bookings_in_the_past(launched, asset_id, first_slot=round_no * BURST)
        victim = launched.child_pid(needle)
        assert victim is not None, f"no child of the launcher runs {needle!r}"
        with ThreadPoolExecutor(max_workers=BURST) as pool:
            futures = [pool.submit(_complete, launched, bid) for bid in ids]
            os.kill(victim, signal.SIGKILL)  # in the middle of the burst
            for future in futures:
                future.result()
        completed += ids
        eventually(lambda: _all_ready(launched), timeout_s=60, every_s=0.2, what="APIs ready")
        eventually(
            lambda needle=needle, victim=victim: launched.child_pid(needle) not in (None, victim),
            what=f"{name} restarted",
        )
        assert (
            f"{name} exited (exit code -9, killed by SIGKILL); restart 1"
            in (launched.var / "log" / "launcher.log").read_text()
        )

    for bid in completed:
        eventually(lambda bid=bid: _allocations(launched, bid), timeout_s=60, what="allocation")
    assert all(len(_allocations(launched, bid)) == 1 for bid in completed)


def test_the_recovery_commands_find_the_running_stack(launched: Launched) -> None:
    """No database URL, no broker address: `outbox-replay` and `worker` use var/ and
    KAFKA_PORT; what the replay sends again is deduplicated."""
    replay = subprocess.run(
        [sys.executable, "-m", "services.cli", "outbox-replay", "booking"],
        env=launched.env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert replay.returncode == 0, replay.stderr
    assert re.search(r"^booking: \d+ outbox rows queued", replay.stdout, re.M), replay.stdout
    eventually(lambda: _unpublished(launched) == 0, timeout_s=60, what="the replay published")

    worker = subprocess.Popen(
        [sys.executable, "-m", "services.cli", "worker", "costsharing"],
        env=launched.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert worker.stdout is not None
        lines = iter(worker.stdout.readline, "")
        assert any("costsharing worker running" in line for line in lines)
    finally:
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=60) == 0

    # A booking completed after the replay is allocated once, and no booking has two.
    asset_id = _register_helicopter(launched.urls["catalog"])
    eventually(lambda: _booking_knows(launched, asset_id), what="the asset in booking")
    (bid, *_) = _approved_bookings_in_the_past(launched, asset_id, first_slot=0)
    _complete(launched, bid)
    eventually(lambda: _allocations(launched, bid), timeout_s=60, what="allocation")
    everything = _call(
        "GET", f"{launched.urls['costsharing']}/api/v1/allocations?limit=200", "controller"
    ).json()["items"]
    booking_ids = [a["booking_id"] for a in everything]
    assert len(booking_ids) == len(set(booking_ids))


def _unpublished(stack: Launched) -> int:
    with engine_for(stack.db_urls["booking"]).connect() as conn:
        return int(
            conn.execute(
                text("SELECT count(*) FROM outbox WHERE published_at IS NULL")
            ).scalar_one()
        )
