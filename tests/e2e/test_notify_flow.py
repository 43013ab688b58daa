"""A planner's request, end to end on the real parts: booking's API writes it, its outbox
relay puts the event on the real broker, notify's worker consumes it and its sweeps send the
owner's email through a real SMTP sink and a signed call to a real webhook receiver; the
owner's inbox shows it."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from services import registry
from services.notify.sink import SmtpSink
from shared.auth import OWNER
from shared.runtime import free_port
from shared.settings import Settings
from tests.integration.notify_support import (
    NOTIFICATIONS,
    WEBHOOKS,
    mails_to,
    receiving,
    with_notify_env,
)
from tests.support import auth, eventually, register_bookable_helicopter

pytestmark = [pytest.mark.db, pytest.mark.broker]


def test_a_request_reaches_the_owner_by_email_webhook_and_inbox(
    clients: dict[str, FlaskClient],
    settings: dict[str, Settings],
    start_worker: Any,
    tmp_path: Path,
) -> None:
    catalog, booking = clients["catalog"], clients["booking"]
    with SmtpSink(tmp_path / "mail", port=free_port()) as sink, receiving() as receiver:
        notify_settings = with_notify_env(
            settings["notify"], SMTP_URL=sink.url, NOTIFY_ALLOW_LOOPBACK_WEBHOOKS="true"
        )
        notify = registry.app_factory("notify")(
            {"SLAGKRACHT_SETTINGS": notify_settings}
        ).test_client()
        address = f"beheer-{uuid.uuid4().hex[:8]}@defensie-dhc.example"
        r = notify.put(
            f"/api/v1/mailboxes/defensie-dhc/{OWNER}",
            headers=auth("admin"),
            json={"address": address},
        )
        assert r.status_code == 200, r.get_json()
        r = notify.post(
            WEBHOOKS,
            headers=auth("admin"),
            json={"url": receiver.url, "kinds": ["booking.requested"], "org": "defensie-dhc"},
        )
        assert r.status_code == 201, r.get_json()
        hook = r.get_json()
        receiver.secret = hook["secret"]
        for service in ("catalog", "booking"):
            start_worker(service)
        start_worker("notify", notify_settings)

        asset = register_bookable_helicopter(catalog)
        start = (datetime.now(UTC) + timedelta(days=2)).replace(microsecond=0)
        body = {
            "asset_id": asset["id"],
            "start": start.isoformat(),
            "end": (start + timedelta(hours=3)).isoformat(),
            "priority": 2,
            "legal_basis": "bijstand_politiewet",
            "purpose": "Zoekactie vermiste persoon Maasvlakte",
            "contact": "OvD Rotterdam 010-0000000",
        }

        def requested() -> Any:
            r = booking.post("/api/v1/bookings", headers=auth("planner-rotterdam"), json=body)
            return r.get_json() if r.status_code == 201 else None

        booking_id = eventually(requested, what="the asset in booking's read model")["id"]

        def emailed() -> Any:
            mails = [m for m in mails_to(sink.folder, address) if booking_id in m.get_content()]
            return mails or None

        (mail,) = eventually(emailed, what="the owner's email in the sink")
        assert mail["Subject"] == "Nieuwe aanvraag: helikopter van politie-rotterdam"
        (delivered,) = eventually(
            lambda: receiver.deliveries_of("booking.requested", booking_id),
            what="the webhook call",
        )
        assert delivered.signature_ok
        assert json.loads(delivered.body)["data"]["purpose"] == body["purpose"]

        items = notify.get(f"{NOTIFICATIONS}?limit=100", headers=auth("owner-dhc")).get_json()[
            "items"
        ]
        assert booking_id in {i["subject_id"] for i in items}
        planner = notify.get(f"{NOTIFICATIONS}?limit=100", headers=auth("planner-rotterdam"))
        assert booking_id not in {i["subject_id"] for i in planner.get_json()["items"]}
        # Leave no webhook behind for later tests' workers.
        assert notify.delete(f"{WEBHOOKS}/{hook['id']}", headers=auth("admin")).status_code == 204
