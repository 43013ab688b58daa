"""Notify's delivery sweeps wake on PostgreSQL, not on a fast poll: each test runs one
channel's sweep job as the worker runs it (its own thread, ``run_periodic``) with a safety poll
of an hour, so whatever is sent within the test's bounded wait was sent because a NOTIFY woke
the sweep (a delivery written, a webhook resumed) or because a retry fell due."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from services import registry
from services.notify.deliveries import EMAIL, WEBHOOK
from services.notify.sink import SmtpSink
from services.notify.worker import delivery_jobs
from shared.auth import ADMIN, OWNER
from shared.runtime import free_port
from shared.settings import Settings
from shared.worker import run_periodic
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
from tests.support import auth, eventually

pytestmark = [pytest.mark.db]

AN_HOUR = 3600.0  # the safety poll: never reached within a test


@pytest.fixture(scope="module")
def dev_notify(settings: dict[str, Settings]) -> FlaskClient:
    """Notify's API as development runs it: webhooks to 127.0.0.1 allowed."""
    dev = with_notify_env(settings["notify"], NOTIFY_ALLOW_LOOPBACK_WEBHOOKS="true")
    return registry.app_factory("notify")({"SLAGKRACHT_SETTINGS": dev}).test_client()


@contextmanager
def sweeping(
    settings: dict[str, Settings], notify_sessions: sessionmaker[Session], channel: str, **env: str
) -> Iterator[None]:
    """The worker's job for ``channel`` in a thread of its own, stopped on exit."""
    notify = with_notify_env(settings["notify"], NOTIFY_ALLOW_LOOPBACK_WEBHOOKS="true", **env)
    (job,) = [
        j
        for j in delivery_jobs(notify, notify_sessions, safety_poll_s=AN_HOUR)
        if j.name.endswith(channel)
    ]
    stop = threading.Event()
    thread = threading.Thread(target=run_periodic, args=(job, stop), name=job.name)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=30)
    assert not thread.is_alive(), "the sweep did not stop"


def mailbox(client: FlaskClient, org: str) -> str:
    address = f"beheer@{org}.example"
    r = client.put(
        f"/api/v1/mailboxes/{org}/{OWNER}", headers=auth("admin"), json={"address": address}
    )
    assert r.status_code == 200, r.get_json()
    return address


def test_a_written_email_is_sent_without_waiting_for_the_poll(
    dev_notify: FlaskClient,
    settings: dict[str, Settings],
    notify_sessions: sessionmaker[Session],
    tmp_path: Path,
) -> None:
    owner, unit = unique_org("defensie"), unique_org("politie")
    address = mailbox(dev_notify, owner)
    sink = SmtpSink(tmp_path, port=free_port())
    with sink, sweeping(settings, notify_sessions, EMAIL, SMTP_URL=sink.url):
        for sent in range(2):  # the second one while the sweep surely sleeps
            event = booking_event("booking.requested", owner_org=owner, requester_org=unit)
            apply_events(settings["notify"], notify_sessions, [event])
            eventually(
                lambda: len(mails_to(tmp_path, address)) > sent,  # noqa: B023 - waited here
                what="the email, sent on the insert's NOTIFY",
            )


def test_a_retry_is_sent_when_it_falls_due_without_a_new_notify(
    dev_notify: FlaskClient,
    settings: dict[str, Settings],
    notify_sessions: sessionmaker[Session],
    tmp_path: Path,
) -> None:
    owner, unit = unique_org("defensie"), unique_org("politie")
    address = mailbox(dev_notify, owner)
    port = free_port()
    with sweeping(
        settings,
        notify_sessions,
        EMAIL,
        SMTP_URL=f"smtp://127.0.0.1:{port}",
        NOTIFY_RETRY_BASE_S="1",
    ):
        event = booking_event("booking.requested", owner_org=owner, requester_org=unit)
        apply_events(settings["notify"], notify_sessions, [event])
        eventually(
            lambda: attempts_of(notify_sessions, event["id"]) >= 1,
            what="the first attempt (SMTP down)",
        )
        with SmtpSink(tmp_path, port=port):
            eventually(lambda: mails_to(tmp_path, address), what="the retry, once due")
    assert attempts_of(notify_sessions, event["id"]) >= 2


def test_a_resumed_webhook_gets_what_waited_without_waiting_for_the_poll(
    dev_notify: FlaskClient, settings: dict[str, Settings], notify_sessions: sessionmaker[Session]
) -> None:
    owner, unit = unique_org("defensie"), unique_org("politie")
    admin = token_for(owner, ADMIN)
    with receiving() as receiver, sweeping(settings, notify_sessions, WEBHOOK):
        r = dev_notify.post(
            WEBHOOKS, headers=admin, json={"url": receiver.url, "kinds": ["booking.requested"]}
        )
        assert r.status_code == 201, r.get_json()
        hook = r.get_json()
        receiver.secret = hook["secret"]
        with notify_sessions.begin() as session:  # paused, as after a run of failures
            session.execute(
                text("UPDATE webhooks SET state = 'paused' WHERE id = :id"), {"id": hook["id"]}
            )
        event = booking_event("booking.requested", owner_org=owner, requester_org=unit)
        apply_events(settings["notify"], notify_sessions, [event])
        r = dev_notify.post(f"{WEBHOOKS}/{hook['id']}/resume", headers=admin)
        assert r.status_code == 200, r.get_json()
        (got,) = eventually(
            lambda: receiver.deliveries_of("booking.requested", event["data"]["booking_id"]),
            what="the webhook call, sent on the resume's NOTIFY",
        )
    assert got.signature_ok


def attempts_of(notify_sessions: sessionmaker[Session], event_id: str) -> int:
    with notify_sessions() as session:
        return int(
            session.execute(
                text("SELECT coalesce(max(attempts), 0) FROM deliveries WHERE event_id = :e"),
                {"e": event_id},
            ).scalar_one()
        )
