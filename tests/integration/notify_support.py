"""Helpers for notify's tests: contract-valid events, the consumer path that applies them
(dedupe included), a real SMTP sink and a real webhook receiver that checks signatures.

The session's database is shared, so tests that count use organisations of their own
(``unique_org``) and a token minted for them (``token_for``)."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, cast

from sqlalchemy.orm import Session, sessionmaker

from services.notify.handlers import BOOKING_BATCH, COSTSHARING_BATCH
from shared.auth import mint_token
from shared.consumer import BatchResult, EventConsumer
from shared.events import make_event
from shared.runtime import free_port
from shared.settings import DEV_JWT_SECRET, Settings
from tests.support import PolledRecord

NOTIFICATIONS = "/api/v1/notifications"
WEBHOOKS = "/api/v1/webhooks"


def unique_org(side: str) -> str:
    return f"{side}-t{uuid.uuid4().hex[:8]}"


def token_for(org: str, *roles: str, sub: str | None = None) -> dict[str, str]:
    token = mint_token(
        sub=sub or f"user-{uuid.uuid4().hex[:6]}",
        name="Test user",
        org=org,
        roles=roles,
        secret=DEV_JWT_SECRET,
    )
    return {"Authorization": f"Bearer {token}"}


def with_notify_env(settings: Settings, **env: str) -> Settings:
    """Notify's settings with its own variables (as Settings.extra, which wins over os.environ)."""
    return dataclasses.replace(settings, extra={**settings.extra, **env})


# -- events ---------------------------------------------------------------------------------
def booking_event(
    event_type: str, *, owner_org: str, requester_org: str, version: int = 1, **data: Any
) -> dict[str, Any]:
    start = (datetime.now(UTC) + timedelta(days=3)).replace(microsecond=0)
    body = {
        "booking_id": str(uuid.uuid4()),
        "asset_id": str(uuid.uuid4()),
        "owner_org": owner_org,
        "requester_org": requester_org,
        "category": "helicopter",
        "state": event_type.removeprefix("booking."),
        "priority": 2,
        "legal_basis": "bijstand_politiewet",
        "purpose": "Zoekactie vermiste persoon Maasvlakte",
        "quantity": 1,
        "planned_start": start.isoformat(),
        "planned_end": (start + timedelta(hours=3)).isoformat(),
        "actual_start": None,
        "actual_end": None,
        "usage_quantity": None,
        "tariff": None,
        "requested_at": datetime.now(UTC).isoformat(),
        "decided_at": None,
        "version": version,
        "reason": None,
        **data,
    }
    return make_event(
        event_type=event_type, producer="booking", aggregate_id=body["booking_id"], data=body
    )


def allocation_event(event_type: str, *, owner_org: str, requester_org: str) -> dict[str, Any]:
    allocation_id = str(uuid.uuid4())
    return make_event(
        event_type=event_type,
        producer="costsharing",
        aggregate_id=allocation_id,
        data={
            "allocation_id": allocation_id,
            "booking_id": str(uuid.uuid4()),
            "kind": "usage",
            "state": event_type.rpartition(".")[2],
            "source_event_id": str(uuid.uuid4()),
            "agreement_id": None,
            "requester_org": requester_org,
            "owner_org": owner_org,
            "category": "helicopter",
            "legal_basis": "bijstand_politiewet",
            "usage_quantity": "2.50",
            "total": "24500.00",
            "requester_amount": "12250.00",
            "owner_amount": "12250.00",
            "currency": "EUR",
            "reason": "Te veel vlieguren",
        },
    )


def apply_events(
    settings: Settings, session_factory: sessionmaker[Session], events: list[dict[str, Any]]
) -> BatchResult:
    """Through notify's real consumer (contract check, producer check, dedupe), no broker."""
    booking = [e for e in events if e["producer"] == "booking"]
    costsharing = [e for e in events if e["producer"] == "costsharing"]
    total = BatchResult()
    for name, topic, batch, chosen in (
        ("notify.bookings", "booking.bookings", BOOKING_BATCH, booking),
        ("notify.allocations", "costsharing.allocations", COSTSHARING_BATCH, costsharing),
    ):
        if not chosen:
            continue
        consumer = EventConsumer(
            name=name,
            settings=settings,
            session_factory=session_factory,
            topics=[topic],
            batch=batch,
        )
        records = [
            PolledRecord(topic, 0, i, e["aggregate_id"].encode(), json.dumps(e).encode())
            for i, e in enumerate(chosen)
        ]
        result, dead = consumer.apply_batch(records)  # type: ignore[arg-type]
        assert dead == [], dead
        total.applied += result.applied
        total.duplicates += result.duplicates
    return total


# -- a real SMTP sink -----------------------------------------------------------------------
def mails_to(folder: Path, address: str) -> list[EmailMessage]:
    found = []
    for path in sorted(folder.glob("*.eml")):
        message = cast(EmailMessage, message_from_bytes(path.read_bytes(), policy=policy.default))
        if str(message["To"]).lower() == address.lower():
            found.append(message)
    return found


# -- a real webhook receiver ----------------------------------------------------------------
@dataclasses.dataclass
class Received:
    body: bytes
    headers: dict[str, str]
    signature_ok: bool


class WebhookReceiver:
    """An HTTP server on 127.0.0.1 that checks each delivery's signature with ``secret`` and
    keeps what it got; ``stop`` and ``start`` again on the same port (a receiver that is down
    and comes back)."""

    def __init__(self, port: int | None = None, status: int = 204) -> None:
        self.port = port or free_port()
        self.secret = ""
        self.status = status
        self.received: list[Received] = []
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/slagkracht"

    def start(self) -> WebhookReceiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                timestamp = self.headers.get("X-Slagkracht-Timestamp", "")
                expected = hmac.new(
                    receiver.secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256
                ).hexdigest()
                given = self.headers.get("X-Slagkracht-Signature", "")
                receiver.received.append(
                    Received(
                        body,
                        dict(self.headers.items()),
                        hmac.compare_digest(given, f"sha256={expected}"),
                    )
                )
                self.send_response(receiver.status)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def deliveries_of(self, kind: str, subject_id: str) -> list[Received]:
        found = []
        for item in self.received:
            body = json.loads(item.body)
            if body["kind"] == kind and body["subject_id"] == subject_id:
                found.append(item)
        return found


@contextmanager
def receiving(status: int = 204) -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver(status=status).start()
    try:
        yield receiver
    finally:
        receiver.stop()
