"""Notify benchmark: a planner's request → the owner's email written by the SMTP sink, and →
the signed webhook call received, at a steady rate.

    .venv/bin/python bench/notify.py [--rate 20] [--seconds 15] [--assets 20] [--json FILE]

Starts its own embedded PostgreSQL (temporary folder, deleted afterwards) and Tansu broker,
creates and migrates booking's and notify's databases, puts ``--assets`` helicopters of
defensie-dhc into booking's read model, gives (defensie-dhc, defensie-beheerder) a mailbox
and a webhook (booking.requested) to a receiver in this process, and runs what production
runs: booking's API under gunicorn (2 sync workers), ``slagkracht worker booking`` (its outbox
relay) and ``slagkracht worker notify`` (consumer + delivery sweeps) as subprocesses, the SMTP
sink (aiosmtpd, services/notify/sink.py) and an HTTP receiver that checks every signature.

Then it sends ``--rate`` booking requests per second for ``--seconds`` (each its own window)
and measures, per request, from the moment the POST was sent to (a) the email for its booking
being written by the sink and (b) the webhook call for it arriving. Prints p50/p95/max of both
and how many never arrived within 30 s after the last request. Target: p95 <= 1 s each.
Every loop is bounded in count and time.
"""

from __future__ import annotations

import argparse
import hmac
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, cast

from _common import ROOT, call, embedded_postgres, log, start_gunicorn

from services.booking.readmodel import apply_asset_snapshot
from services.notify import preferences, webhooks
from services.notify.commands import RegisterWebhook
from services.notify.config import load_notify_config
from services.notify.domain import signature
from services.notify.sink import MailFolder, SmtpSink
from shared.auth import ADMIN, OWNER, Principal
from shared.db import UnitOfWork, make_engine, make_session_factory
from shared.kafka import create_topics
from shared.migrate import ensure_database, upgrade
from shared.personas import persona_token
from shared.runtime import database_url, free_port, start_broker
from shared.settings import DEV_JWT_SECRET, Settings, load_settings

OWNER_ORG = "defensie-dhc"
BOOKING_ID = re.compile(r"Aanvraag ([0-9a-f-]{36}) wacht")
TARGET_P95_S = 1.0


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


# -- the two ends ---------------------------------------------------------------------------
class TimedMailFolder(MailFolder):
    """The sink's own handler (writes the .eml), noting when each booking's email arrived."""

    def __init__(self, folder: Path) -> None:
        super().__init__(folder)
        self.arrived: dict[str, float] = {}

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        answer = await super().handle_DATA(server, session, envelope)
        message = cast(
            EmailMessage, message_from_bytes(envelope.original_content, policy=policy.default)
        )
        found = BOOKING_ID.search(message.get_content())
        if found:
            self.arrived.setdefault(found.group(1), time.monotonic())
        return answer


class Receiver:
    """The webhook receiver: checks each signature, notes when each booking's call arrived."""

    def __init__(self, secret: str) -> None:
        self.secret = secret
        self.arrived: dict[str, float] = {}
        self.bad_signatures = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                stamp = self.headers.get("X-Slagkracht-Timestamp", "")
                expected = signature(receiver.secret, stamp, body)
                if not hmac.compare_digest(
                    self.headers.get("X-Slagkracht-Signature", ""), expected
                ):
                    receiver.bad_signatures += 1
                receiver.arrived.setdefault(json.loads(body)["subject_id"], time.monotonic())
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/slagkracht"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# -- set-up ---------------------------------------------------------------------------------
def asset(index: int, now: datetime) -> dict[str, Any]:
    asset_id = str(uuid.uuid4())
    return {
        "asset_id": asset_id,
        "owner_org": OWNER_ORG,
        "registration": f"B-{index:03d}",
        "name": f"NH90 bench {index}",
        "category": "helicopter",
        "booking_mode": "slot",
        "home_base": "De Kooy",
        "regions": ["VR17"],
        "capacity": 1,
        "readiness_notice": "PT2H",
        "attributes": {},
        "status": "active",
        "version": 1,
        "tariffs": [
            {
                "tariff_id": str(uuid.uuid4()),
                "unit": "flight_hour",
                "full_cost_rate": "9800.00",
                "marginal_cost_rate": "3900.00",
                "mobilisation_fee": "1500.00",
                "market_reference_price": "11000.00",
                "currency": "EUR",
                "valid_from": "2026-01-01",
                "valid_to": None,
            }
        ],
        "availability": [
            {
                "window_id": str(uuid.uuid4()),
                "kind": "one_off",
                "start_at": (now - timedelta(hours=1)).isoformat(),
                "end_at": (now + timedelta(days=60)).isoformat(),
                "weekdays": None,
                "start_time": None,
                "end_time": None,
                "valid_from": None,
                "valid_to": None,
                "timezone": "Europe/Amsterdam",
            }
        ],
        "blackouts": [],
    }


def seed(settings: dict[str, Settings], assets: int) -> tuple[list[str], Receiver]:
    """Assets in booking's read model; the owner's mailbox and webhook in notify."""
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    engine = make_engine(settings["booking"].database_url)
    with make_session_factory(engine)() as session:
        snapshots = [asset(i, now) for i in range(assets)]
        for snapshot in snapshots:
            apply_asset_snapshot(session, snapshot)
        session.commit()
    engine.dispose()
    notify = settings["notify"]
    config = load_notify_config(notify, {"NOTIFY_ALLOW_LOOPBACK_WEBHOOKS": "true"})
    admin = Principal(sub="bench", name="Bench", org="joint", roles=frozenset({ADMIN}))
    receiver = Receiver(secret="")
    engine = make_engine(notify.database_url)
    factory = make_session_factory(engine)
    with UnitOfWork(factory, producer="notify") as uow:
        preferences.set_mailbox(
            uow, org=OWNER_ORG, role=OWNER, address="beheer@defensie-dhc.example",
            language="nl", actor="bench",
        )  # fmt: skip
        command = RegisterWebhook(url=receiver.url, kinds=["booking.requested"], org=OWNER_ORG)
        # register commits the unit of work: the mailbox above with it
        hook = webhooks.register(uow, principal=admin, command=command, config=config)
        receiver.secret = hook.secret
    engine.dispose()
    return [s["asset_id"] for s in snapshots], receiver


def start_worker(service: str, env: dict[str, str], logdir: Path) -> subprocess.Popen[bytes]:
    out = open(logdir / f"{service}-worker.log", "ab")  # noqa: SIM115 - handed to the child
    process = subprocess.Popen(
        [sys.executable, "-m", "services.cli", "worker", service],
        cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    out.close()
    return process


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


# -- the run --------------------------------------------------------------------------------
def run(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    log(f"run folder: {tmp}")
    logdir = tmp / "logs"
    logdir.mkdir()
    with embedded_postgres(tmp) as (admin_url, _pgdata):
        broker = start_broker(log_path=logdir / "broker.log")
        processes: list[subprocess.Popen[bytes]] = []
        server = None
        try:
            # No topic prefix: the broker is this run's own, and booking's API (started like
            # the other benchmarks' servers) writes its outbox rows to the plain topic names.
            prefix = ""
            urls = {s: database_url(admin_url, f"bench_{s}") for s in ("booking", "notify")}
            settings = {}
            for service, url in urls.items():
                ensure_database(url)
                settings[service] = load_settings(
                    service,
                    {
                        "DATABASE_URL": url,
                        "KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap,
                        "KAFKA_TOPIC_PREFIX": prefix,
                    },
                )
                upgrade(service, settings[service].database_url)
            create_topics(settings["booking"])
            asset_ids, receiver = seed(settings, args.assets)
            mail = TimedMailFolder(tmp / "mail")
            sink = SmtpSink(tmp / "mail", port=free_port())
            sink.controller.handler = mail
            sink.start()
            base = {
                **os.environ,
                "KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap,
                "KAFKA_TOPIC_PREFIX": prefix,
                "PYTHONPATH": str(ROOT),
            }
            processes.append(
                start_worker("booking", {**base, "DATABASE_URL": urls["booking"]}, logdir)
            )
            processes.append(
                start_worker(
                    "notify",
                    {
                        **base,
                        "DATABASE_URL": urls["notify"],
                        "SMTP_URL": sink.url,
                        "NOTIFY_ALLOW_LOOPBACK_WEBHOOKS": "true",
                    },
                    logdir,
                )
            )
            server = start_gunicorn("booking", urls["booking"], 2, logdir)
            result = measure(args, server.port, asset_ids, mail, receiver)
            if result["missing_email"] or result["missing_webhook"]:
                for name in ("booking-worker", "notify-worker"):  # say why, before the cleanup
                    lines = (logdir / f"{name}.log").read_text(errors="replace").splitlines()
                    log(f"{name} log (last 15 lines):\n" + "\n".join(lines[-15:]))
                log(f"worker exit codes: {[p.poll() for p in processes]}")
            sink.stop()
            receiver.stop()
            return result
        finally:
            if server is not None:
                server.stop()
            for process in processes:
                stop(process)
            broker.stop()


def measure(
    args: argparse.Namespace,
    port: int,
    asset_ids: list[str],
    mail: TimedMailFolder,
    receiver: Receiver,
) -> dict[str, Any]:
    headers = {
        "Authorization": f"Bearer {persona_token('planner-rotterdam', DEV_JWT_SECRET)}",
        "Content-Type": "application/json",
    }
    first = (datetime.now(UTC) + timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
    sent: dict[str, float] = {}
    failures: list[str] = []

    def request(i: int) -> None:
        start = first + timedelta(hours=4 * (i // len(asset_ids)))
        body = {
            "asset_id": asset_ids[i % len(asset_ids)],
            "start": start.isoformat(),
            "end": (start + timedelta(hours=3)).isoformat(),
            "priority": 2,
            "legal_basis": "bijstand_politiewet",
            "purpose": "Zoekactie vermiste persoon (bench)",
            "contact": "OvD Rotterdam 010-0000000",
        }
        began = time.monotonic()
        status, answer = call(port, "POST", "/api/v1/bookings", json.dumps(body).encode(), headers)
        if status != 201:
            failures.append(f"{status} {answer[:200]!r}")
            return
        sent[json.loads(answer)["id"]] = began

    def arrived_all(ids: list[str], deadline_s: float) -> bool:
        end = time.monotonic() + deadline_s
        while time.monotonic() < end:
            if all(i in mail.arrived and i in receiver.arrived for i in ids):
                return True
            time.sleep(0.05)
        return False

    log("warm-up: 5 requests")
    for i in range(5):
        request(i)
    arrived_all(list(sent), 60)
    sent.clear()
    total = int(args.rate * args.seconds)
    log(f"{total} requests at {args.rate}/s")
    began = time.monotonic()
    with ThreadPoolExecutor(max_workers=8) as pool:
        for n in range(total):
            time.sleep(max(0.0, began + n / args.rate - time.monotonic()))
            pool.submit(request, 5 + n)
    arrived_all(list(sent), 30)
    email = [mail.arrived[b] - t for b, t in sent.items() if b in mail.arrived]
    hooks = [receiver.arrived[b] - t for b, t in sent.items() if b in receiver.arrived]

    def figures(values: list[float]) -> dict[str, Any]:
        if not values:
            return {"count": 0}
        return {
            "count": len(values),
            "p50_ms": round(percentile(values, 0.50) * 1000, 1),
            "p95_ms": round(percentile(values, 0.95) * 1000, 1),
            "max_ms": round(max(values) * 1000, 1),
        }

    return {
        "rate_per_s": args.rate,
        "requests": total,
        "accepted": len(sent),
        "refused": failures[:5],
        "email": figures(email),
        "webhook": figures(hooks),
        "missing_email": sum(1 for b in sent if b not in mail.arrived),
        "missing_webhook": sum(1 for b in sent if b not in receiver.arrived),
        "bad_signatures": receiver.bad_signatures,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=20.0)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--assets", type=int, default=20)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--keep", action="store_true", help="keep the run's folder (logs, mail)")
    args = parser.parse_args(argv)
    if args.keep:  # logs and mail stay for a look afterwards
        result = run(args, Path(tempfile.mkdtemp(prefix="bench-notify-")))
    else:
        with tempfile.TemporaryDirectory(prefix="bench-notify-") as folder:
            result = run(args, Path(folder))
    print(json.dumps(result, indent=2))
    ok = all(
        result[k].get("p95_ms", float("inf")) <= TARGET_P95_S * 1000 for k in ("email", "webhook")
    )
    ok = ok and not result["missing_email"] and not result["missing_webhook"]
    print(
        f"request -> email     p95 {result['email'].get('p95_ms')} ms\n"
        f"request -> webhook   p95 {result['webhook'].get('p95_ms')} ms\n"
        f"target p95 <= {TARGET_P95_S * 1000:.0f} ms each: {'met' if ok else 'NOT met'}"
    )
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
