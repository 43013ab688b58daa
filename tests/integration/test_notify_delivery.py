"""Notify's channels for real: emails through a real SMTP sink (aiosmtpd) and signed webhook
calls to a real HTTP receiver on 127.0.0.1, both sent by the worker's delivery sweep, which
the tests drive (with a clock they move forward instead of waiting for backoff)."""

from __future__ import annotations

import json
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from services import registry
from services.notify.config import load_notify_config
from services.notify.deliveries import EMAIL, WEBHOOK, DeliverySweep
from services.notify.models import Delivery
from services.notify.sink import SmtpSink
from shared.auth import ADMIN, OWNER, PLANNER
from shared.runtime import free_port
from shared.settings import Settings
from tests.integration.notify_support import (
    WEBHOOKS,
    apply_events,
    booking_event,
    mails_to,
    receiving,
    token_for,
    unique_org,
    with_notify_env,
)
from tests.support import auth

pytestmark = [pytest.mark.db]


class Clock:
    """The sweep's time: now, or later when a test moves it past a backoff."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, **delta: float) -> None:
        self.offset += timedelta(**delta)


@pytest.fixture(scope="module")
def dev_notify(settings: dict[str, Settings]) -> FlaskClient:
    """Notify's API as development runs it: webhooks to 127.0.0.1 allowed."""
    dev = with_notify_env(settings["notify"], NOTIFY_ALLOW_LOOPBACK_WEBHOOKS="true")
    return registry.app_factory("notify")({"SLAGKRACHT_SETTINGS": dev}).test_client()


def sweep(
    settings: dict[str, Settings],
    notify_sessions: sessionmaker[Session],
    channel: str,
    clock: Clock,
    **env: str,
) -> DeliverySweep:
    notify = with_notify_env(
        settings["notify"], NOTIFY_ALLOW_LOOPBACK_WEBHOOKS="true", NOTIFY_RETRY_BASE_S="30", **env
    )
    # A generous budget: the session's database may hold other tests' due deliveries too.
    return DeliverySweep(
        notify_sessions, load_notify_config(notify), channel, clock=clock, budget_s=60
    )


def deliveries_of(notify_sessions: sessionmaker[Session], event: dict[str, Any]) -> list[Delivery]:
    with notify_sessions() as session:
        return list(
            session.scalars(
                select(Delivery)
                .where(Delivery.event_id == uuid.UUID(event["id"]))
                .order_by(Delivery.id)
            )
        )


def register_webhook(
    client: FlaskClient, org: str, url: str, kinds: list[str] | None = None
) -> dict[str, Any]:
    r = client.post(
        WEBHOOKS,
        headers=token_for(org, ADMIN),
        json={"url": url, "kinds": kinds or ["booking.requested"]},
    )
    assert r.status_code == 201, r.get_json()
    body: dict[str, Any] = r.get_json()
    return body


def test_a_request_emails_the_owners_mailbox_through_smtp(
    clients: dict[str, FlaskClient],
    settings: dict[str, Settings],
    notify_sessions: sessionmaker[Session],
    tmp_path: Path,
) -> None:
    owner, unit = unique_org("defensie"), unique_org("politie")
    address = f"beheer@{owner}.example"
    r = clients["notify"].put(
        f"/api/v1/mailboxes/{owner}/{OWNER}",
        headers=auth("admin"),
        json={"address": address, "language": "nl"},
    )
    assert r.status_code == 200, r.get_json()
    event = booking_event("booking.requested", owner_org=owner, requester_org=unit)
    apply_events(settings["notify"], notify_sessions, [event])

    with SmtpSink(tmp_path / "mail", port=free_port()) as sink:
        assert sweep(settings, notify_sessions, EMAIL, Clock(), SMTP_URL=sink.url).run() >= 1
    (mail,) = mails_to(tmp_path / "mail", address)
    assert mail["Subject"] == f"Nieuwe aanvraag: helikopter van {unit}"
    assert mail["Content-Language"] == "nl"
    assert event["data"]["booking_id"] in mail.get_content()
    (delivery,) = deliveries_of(notify_sessions, event)
    assert (delivery.state, delivery.attempts) == ("sent", 1)


def test_mail_waits_while_smtp_is_down_and_goes_when_it_is_back(
    settings: dict[str, Settings],
    notify_sessions: sessionmaker[Session],
    clients: dict[str, FlaskClient],
    tmp_path: Path,
) -> None:
    owner, unit = unique_org("defensie"), unique_org("politie")
    address = f"beheer@{owner}.example"
    clients["notify"].put(
        f"/api/v1/mailboxes/{owner}/{OWNER}", headers=auth("admin"), json={"address": address}
    )
    event = booking_event("booking.requested", owner_org=owner, requester_org=unit)
    apply_events(settings["notify"], notify_sessions, [event])
    port, clock = free_port(), Clock()
    down = sweep(settings, notify_sessions, EMAIL, clock, SMTP_URL=f"smtp://127.0.0.1:{port}")
    down.run()
    (delivery,) = deliveries_of(notify_sessions, event)
    assert (delivery.state, delivery.attempts) == ("pending", 1)
    assert "unreachable" in (delivery.last_error or "")
    with SmtpSink(tmp_path, port=port):
        down.run()  # not due yet: the backoff holds it
        assert mails_to(tmp_path, address) == []
        clock.advance(seconds=31)
        down.run()
    assert len(mails_to(tmp_path, address)) == 1
    (delivery,) = deliveries_of(notify_sessions, event)
    assert (delivery.state, delivery.attempts) == ("sent", 2)


def test_a_webhook_gets_a_signed_delivery(
    dev_notify: FlaskClient, settings: dict[str, Settings], notify_sessions: sessionmaker[Session]
) -> None:
    owner, unit = unique_org("defensie"), unique_org("politie")
    with receiving() as receiver:
        hook = register_webhook(dev_notify, owner, receiver.url)
        receiver.secret = hook["secret"]
        r = dev_notify.get(f"{WEBHOOKS}/{hook['id']}", headers=token_for(owner, ADMIN))
        assert r.status_code == 200 and "secret" not in r.get_json()  # shown once only
        event = booking_event("booking.requested", owner_org=owner, requester_org=unit)
        apply_events(settings["notify"], notify_sessions, [event])
        sweep(settings, notify_sessions, WEBHOOK, Clock()).run()
    booking_id = event["data"]["booking_id"]
    (got,) = receiver.deliveries_of("booking.requested", booking_id)
    assert got.signature_ok
    body = json.loads(got.body)
    assert (body["org"], body["roles"], body["event_id"]) == (owner, [OWNER], event["id"])
    assert body["text"]["en"]["subject"] == f"New request: helicopter from {unit}"
    log = dev_notify.get(
        f"{WEBHOOKS}/{hook['id']}/deliveries", headers=token_for(owner, ADMIN)
    ).get_json()
    (delivery,) = log["items"]
    assert delivery["state"] == "sent" and got.headers["X-Slagkracht-Delivery"] == str(
        delivery["id"]
    )
    assert [(a["ok"], a["status_code"]) for a in delivery["attempt_log"]] == [(True, 204)]


def test_a_receiver_that_is_down_gets_the_delivery_when_it_is_back(
    dev_notify: FlaskClient, settings: dict[str, Settings], notify_sessions: sessionmaker[Session]
) -> None:
    owner, unit = unique_org("defensie"), unique_org("politie")
    with receiving() as receiver:
        hook = register_webhook(dev_notify, owner, receiver.url)
        receiver.secret = hook["secret"]
    # The receiver is down now.
    event = booking_event("booking.requested", owner_org=owner, requester_org=unit)
    apply_events(settings["notify"], notify_sessions, [event])
    clock = Clock()
    webhooks = sweep(settings, notify_sessions, WEBHOOK, clock)
    webhooks.run()
    receiver.start()
    try:
        clock.advance(seconds=31)
        webhooks.run()
    finally:
        receiver.stop()
    (got,) = receiver.deliveries_of("booking.requested", event["data"]["booking_id"])
    assert got.signature_ok
    log = dev_notify.get(
        f"{WEBHOOKS}/{hook['id']}/deliveries", headers=token_for(owner, ADMIN)
    ).get_json()
    (delivery,) = log["items"]
    assert delivery["state"] == "sent" and delivery["attempts"] == 2
    first, second = delivery["attempt_log"]
    assert first["ok"] is False and first["error"] and first["status_code"] is None
    assert second["ok"] is True and second["status_code"] == 204


def test_repeated_failure_pauses_a_webhook_until_it_is_resumed(
    dev_notify: FlaskClient, settings: dict[str, Settings], notify_sessions: sessionmaker[Session]
) -> None:
    owner, unit = unique_org("defensie"), unique_org("politie")
    admin = token_for(owner, ADMIN)
    with receiving(status=500) as receiver:
        hook = register_webhook(dev_notify, owner, receiver.url)
        receiver.secret = hook["secret"]
        event = booking_event("booking.requested", owner_org=owner, requester_org=unit)
        apply_events(settings["notify"], notify_sessions, [event])
        clock = Clock()
        webhooks = sweep(settings, notify_sessions, WEBHOOK, clock, NOTIFY_WEBHOOK_PAUSE_AFTER="2")
        webhooks.run()
        clock.advance(seconds=31)
        webhooks.run()
        state = dev_notify.get(f"{WEBHOOKS}/{hook['id']}", headers=admin).get_json()
        assert (state["state"], state["consecutive_failures"]) == ("paused", 2)
        clock.advance(hours=2)
        webhooks.run()  # paused: not tried, however due
        assert len(receiver.received) == 2
        receiver.status = 200
        r = dev_notify.post(f"{WEBHOOKS}/{hook['id']}/resume", headers=admin)
        assert r.status_code == 200 and r.get_json()["state"] == "active"
        webhooks.run()
    assert [r.signature_ok for r in receiver.received] == [True, True, True]
    (delivery,) = deliveries_of(notify_sessions, event)
    assert (delivery.state, delivery.attempts) == ("sent", 3)


def test_a_delivery_checks_the_address_again(
    dev_notify: FlaskClient, settings: dict[str, Settings], notify_sessions: sessionmaker[Session]
) -> None:
    """Allowed when registered (development) but not when sent: refused, logged, retried."""
    owner, unit = unique_org("defensie"), unique_org("politie")
    with receiving() as receiver:
        register_webhook(dev_notify, owner, receiver.url)
        event = booking_event("booking.requested", owner_org=owner, requester_org=unit)
        apply_events(settings["notify"], notify_sessions, [event])
        strict = DeliverySweep(
            notify_sessions, load_notify_config(settings["notify"], {}), WEBHOOK, budget_s=60
        )
        strict.run()
    assert receiver.received == []
    (delivery,) = deliveries_of(notify_sessions, event)
    assert delivery.state == "pending" and "refused: loopback" in (delivery.last_error or "")


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/hook",
        "http://localhost/hook",
        "http://[::1]/hook",
        "http://10.0.0.7/hook",
        "http://192.168.1.20/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://nothing-here.invalid/hook",
        "ftp://example.org/hook",
    ],
)
def test_webhook_urls_to_private_loopback_or_link_local_addresses_are_refused(
    clients: dict[str, FlaskClient], url: str
) -> None:
    org = unique_org("politie")
    r = clients["notify"].post(
        WEBHOOKS, headers=token_for(org, ADMIN), json={"url": url, "kinds": ["booking.approved"]}
    )
    assert r.status_code == 422, r.get_json()
    assert r.mimetype == "application/problem+json" and "url" in r.get_json()["errors"]
    assert clients["notify"].get(WEBHOOKS, headers=token_for(org, ADMIN)).get_json() == {
        "items": [],
        "next_cursor": None,
    }


def test_development_allows_loopback_but_never_private_addresses(
    dev_notify: FlaskClient,
) -> None:
    org = unique_org("politie")
    for url, status in (("http://127.0.0.1:9/hook", 201), ("http://10.0.0.7/hook", 422)):
        r = dev_notify.post(
            WEBHOOKS,
            headers=token_for(org, ADMIN),
            json={"url": url, "kinds": ["booking.approved"]},
        )
        assert r.status_code == status, (url, r.get_json())


def test_webhooks_are_paged_oldest_first_with_a_stable_cursor(dev_notify: FlaskClient) -> None:
    org = unique_org("politie")
    admin = token_for(org, ADMIN)
    hooks = [register_webhook(dev_notify, org, f"http://127.0.0.1:9/{n}") for n in range(3)]
    first = dev_notify.get(f"{WEBHOOKS}?limit=2", headers=admin).get_json()
    assert [h["id"] for h in first["items"]] == [h["id"] for h in hooks[:2]]
    # One registered between the pages follows the rest: nothing repeats, nothing is skipped.
    hooks.append(register_webhook(dev_notify, org, "http://127.0.0.1:9/3"))
    later = f"{WEBHOOKS}?limit=2&cursor={first['next_cursor']}"
    second = dev_notify.get(later, headers=admin).get_json()
    assert [h["id"] for h in second["items"]] == [h["id"] for h in hooks[2:]]
    assert second["next_cursor"] is None
    assert "secret" not in second["items"][0]
    for path in (WEBHOOKS, f"{WEBHOOKS}/{hooks[0]['id']}/deliveries"):
        r = dev_notify.get(f"{path}?cursor=bm90LWEtY3Vyc29y", headers=admin)
        assert r.status_code == 422 and "cursor" in r.get_json()["errors"], path


def test_an_organisation_never_sees_anothers_webhooks(dev_notify: FlaskClient) -> None:
    mine, theirs = unique_org("politie"), unique_org("politie")
    hook = register_webhook(dev_notify, mine, "http://127.0.0.1:9/hook")
    stranger = token_for(theirs, ADMIN)
    for method, path in (
        ("get", f"{WEBHOOKS}/{hook['id']}"),
        ("get", f"{WEBHOOKS}/{hook['id']}/deliveries"),
        ("post", f"{WEBHOOKS}/{hook['id']}/resume"),
        ("delete", f"{WEBHOOKS}/{hook['id']}"),
    ):
        r = getattr(dev_notify, method)(path, headers=stranger)
        assert r.status_code == 404, (method, path)
    assert dev_notify.get(WEBHOOKS, headers=stranger).get_json()["items"] == []
    # The organisation's planners do not manage its webhooks; the joint administrator does.
    r = dev_notify.get(WEBHOOKS, headers=token_for(mine, PLANNER))
    assert r.status_code == 403
    r = dev_notify.post(
        WEBHOOKS,
        headers=token_for(mine, ADMIN),
        json={"url": "http://127.0.0.1:9/hook", "kinds": ["booking.approved"], "org": theirs},
    )
    assert r.status_code == 403 and "org" in r.get_json()["errors"]
    assert dev_notify.get(f"{WEBHOOKS}/{hook['id']}", headers=auth("admin")).status_code == 200
    r = dev_notify.delete(f"{WEBHOOKS}/{hook['id']}", headers=token_for(mine, ADMIN))
    assert r.status_code == 204
    assert dev_notify.get(WEBHOOKS, headers=token_for(mine, ADMIN)).get_json()["items"] == []


def test_a_delivery_failing_for_a_day_is_given_up_and_says_why(
    dev_notify: FlaskClient, settings: dict[str, Settings], notify_sessions: sessionmaker[Session]
) -> None:
    owner, unit = unique_org("defensie"), unique_org("politie")
    with receiving(status=503) as receiver:
        hook = register_webhook(dev_notify, owner, receiver.url)
        event = booking_event("booking.requested", owner_org=owner, requester_org=unit)
        apply_events(settings["notify"], notify_sessions, [event])
        clock = Clock()
        webhooks = sweep(settings, notify_sessions, WEBHOOK, clock)
        webhooks.run()
        clock.advance(hours=24, seconds=1)
        webhooks.run()
    (delivery,) = deliveries_of(notify_sessions, event)
    assert (delivery.state, delivery.attempts, delivery.last_error) == ("failed", 2, "HTTP 503")
    clock.advance(hours=1)
    webhooks.run()  # given up: never tried again
    assert deliveries_of(notify_sessions, event)[0].attempts == 2
    log = dev_notify.get(
        f"{WEBHOOKS}/{hook['id']}/deliveries", headers=token_for(owner, ADMIN)
    ).get_json()
    assert [a["status_code"] for a in log["items"][0]["attempt_log"]] == [503, 503]


def test_two_sweeps_at_once_send_each_email_once(
    clients: dict[str, FlaskClient],
    settings: dict[str, Settings],
    notify_sessions: sessionmaker[Session],
    tmp_path: Path,
) -> None:
    """Two workers' sweeps claim with FOR UPDATE SKIP LOCKED: no email goes out twice."""
    owner = unique_org("defensie")
    address = f"beheer@{owner}.example"
    clients["notify"].put(
        f"/api/v1/mailboxes/{owner}/{OWNER}", headers=auth("admin"), json={"address": address}
    )
    events = [
        booking_event("booking.requested", owner_org=owner, requester_org=unique_org("politie"))
        for _ in range(40)
    ]
    apply_events(settings["notify"], notify_sessions, events)
    with SmtpSink(tmp_path, port=free_port()) as sink:
        pair = [
            DeliverySweep(
                notify_sessions,
                load_notify_config(with_notify_env(settings["notify"], SMTP_URL=sink.url)),
                EMAIL,
                batch_size=5,
                budget_s=60,
            )
            for _ in range(2)
        ]
        together = threading.Barrier(2)

        def run(sweep: DeliverySweep) -> int:
            together.wait(timeout=10)  # both claim from the same moment on
            return sweep.run(rounds=50)

        with ThreadPoolExecutor(max_workers=2) as pool:
            tried = list(pool.map(run, pair))
    mails = mails_to(tmp_path, address)
    bodies = sorted(m.get_content() for m in mails)
    assert len(mails) == 40 and len(set(bodies)) == 40
    assert sum(tried) >= 40 and all(n > 0 for n in tried), tried
    for event in events:
        (delivery,) = deliveries_of(notify_sessions, event)
        assert (delivery.state, delivery.attempts) == ("sent", 1)
