"""The notifications in the portal, through the real portal process over HTTP against the
real notify API and worker: a planner's request reaches owner-dhc's header badge and inbox
(Dutch, then English after the language switch), mark read and read all lower the badge,
another organisation sees nothing of it, preferences are saved, and an administrator
registers a webhook whose secret is shown once."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests

from tests.portal.client import PortalClient, csrf_token
from tests.portal.journeys import act, free_helicopters, request_booking, window
from tests.support import auth, eventually

pytestmark = [pytest.mark.db, pytest.mark.broker]

TIMEOUT_S = 30
WORKER_DEADLINE_S = 60  # the notify worker consumes booking's events from the broker
_BADGE = re.compile(r'id="unread-notifications-badge"><span[^>]*>[^<]*</span>\s*(\d+)</span>')


def badge(html: str) -> int:
    """The number in the header's unread-notifications badge (0 when it is left out)."""
    assert 'id="inbox-link"' in html, "no link to the inbox in the header"
    found = _BADGE.search(html)
    return int(found.group(1)) if found else 0


def notify_get(stack: dict[str, str], persona: str, path: str, **params: Any) -> Any:
    response = requests.get(
        f"{stack['notify']}/api/v1{path}", params=params, headers=auth(persona), timeout=TIMEOUT_S
    )
    assert response.status_code == 200, response.text
    return response.json()


def unread(stack: dict[str, str], persona: str) -> int:
    return int(notify_get(stack, persona, "/notifications/unread-count")["unread_count"])


def notification_about(stack: dict[str, str], persona: str, booking_id: str) -> dict[str, Any]:
    """The persona's notification about the booking, once the notify worker has made it."""

    def find() -> dict[str, Any] | None:
        items = notify_get(stack, persona, "/notifications", limit=100)["items"]
        return next((i for i in items if i["subject_id"] == booking_id), None)

    return eventually(find, timeout_s=WORKER_DEADLINE_S, every_s=0.2, what="the notification")


def unread_ids(stack: dict[str, str], persona: str) -> set[str]:
    """The ids of the persona's unread notifications (every page of them)."""
    ids: set[str] = set()
    cursor = None
    for _page in range(20):
        params = {"unread": "true", "limit": 100, **({"cursor": cursor} if cursor else {})}
        page = notify_get(stack, persona, "/notifications", **params)
        ids.update(item["id"] for item in page["items"])
        cursor = page["next_cursor"]
        if not cursor:
            return ids
    raise AssertionError("more unread notifications than the test reads")


def lowered_by_one(stack: dict[str, str], before: set[str], marked: str) -> range:
    """The badge counts one fewer than ``before`` once ``marked`` is read, plus whatever
    notify's worker added meanwhile (other tests' events may still arrive)."""
    after = unread_ids(stack, "owner-dhc")
    assert marked in before and marked not in after
    arrived = len(after - before)
    return range(len(before) - 1, len(before) + arrived)


def settled_badge(client: PortalClient, stack: dict[str, str], persona: str, path: str) -> int:
    """The badge on ``path`` once it equals notify's unread count read before and after the
    page (so a notification arriving meanwhile cannot make the comparison wrong)."""

    shown: list[int] = [0]

    def probe() -> bool:
        before = unread(stack, persona)
        page = client.get(path)
        assert page.status_code == 200, page.text
        shown[0] = badge(page.text)
        return shown[0] == before == unread(stack, persona)

    eventually(
        probe,
        timeout_s=WORKER_DEADLINE_S,
        every_s=0.2,
        what=f"the badge on {path} to equal notify's unread count",
    )
    return shown[0]


def _requested(stack: dict[str, str], days_ahead: int) -> dict[str, Any]:
    """A request of planner-rotterdam for a free DHC helicopter: a notification for the owner."""
    start, end = window(days_ahead, 10)
    asset = free_helicopters(stack, start, end)[0]
    return request_booking(
        stack, "planner-rotterdam", asset["asset_id"], start, end, purpose="Inbox-test"
    )


def _row(html: str, notification_id: str) -> str:
    start = html.index(f'id="notification-{notification_id}"')
    return html[start : html.index("</tr>", start)]


@pytest.fixture
def owner(portal_stack: dict[str, str]) -> PortalClient:
    client = PortalClient(portal_stack["portal"])
    client.sign_in("owner-dhc")
    return client


def test_a_request_reaches_the_owners_badge_and_inbox_in_dutch_then_english(
    owner: PortalClient, portal_stack: dict[str, str]
) -> None:
    booking = _requested(portal_stack, 60)
    item = notification_about(portal_stack, "owner-dhc", booking["id"])
    expected = unread(portal_stack, "owner-dhc")
    assert expected >= 1 and not item["read"]
    # On every page the header badge is notify's unread count.
    for path in ("/owner/approvals", "/owner/assets", "/notifications"):
        assert settled_badge(owner, portal_stack, "owner-dhc", path) >= 1, path
    inbox = owner.get("/notifications")
    assert inbox.status_code == 200
    assert '<h1 class="utrecht-heading-1">Meldingen</h1>' in inbox.text
    row = _row(inbox.text, item["id"])
    assert "Nieuwe aanvraag" in row and "politie-rotterdam" in row and "Ongelezen" in row
    assert f'href="/owner/bookings/{booking["id"]}"' in row  # what it is about
    # The language switch is notify's language too: the same notification, in English.
    switched = owner.get("/language/en", params={"next": "/notifications"})
    assert switched.status_code == 200 and switched.url.endswith("/notifications")
    assert notify_get(portal_stack, "owner-dhc", "/preferences")["language"] == "en"
    row = _row(switched.text, item["id"])
    assert "New request" in row and "Unread" in row and "Nieuwe aanvraag" not in row
    back = owner.get("/language/nl", params={"next": "/notifications"})
    assert "Nieuwe aanvraag" in _row(back.text, item["id"])
    assert notify_get(portal_stack, "owner-dhc", "/preferences")["language"] == "nl"


def test_a_language_chosen_before_signing_in_is_notifys_too(
    portal_stack: dict[str, str],
) -> None:
    booking = _requested(portal_stack, 61)
    item = notification_about(portal_stack, "owner-dhc", booking["id"])
    client = PortalClient(portal_stack["portal"])
    client.get("/language/en", params={"next": "/sign-in"})  # not signed in: a cookie only
    client.sign_in("owner-dhc")
    inbox = client.get("/notifications").text
    assert "New request" in _row(inbox, item["id"])
    client.get("/language/nl", params={"next": "/"})


def test_mark_read_and_read_all_lower_the_badge(
    owner: PortalClient, portal_stack: dict[str, str]
) -> None:
    first = notification_about(portal_stack, "owner-dhc", _requested(portal_stack, 62)["id"])
    second = notification_about(portal_stack, "owner-dhc", _requested(portal_stack, 63)["id"])
    assert settled_badge(owner, portal_stack, "owner-dhc", "/notifications") >= 2
    inbox = owner.get("/notifications")
    # Without JavaScript: the form posts, the inbox comes back with one fewer.
    before = unread_ids(portal_stack, "owner-dhc")
    done = owner.post(
        f"/notifications/{first['id']}/read",
        {"csrf_token": csrf_token(inbox.text)},
    )
    assert done.status_code == 200 and done.url.endswith("/notifications")
    assert "Gelezen" in _row(done.text, first["id"])
    assert badge(done.text) in lowered_by_one(portal_stack, before, first["id"])
    assert notify_get(portal_stack, "owner-dhc", f"/notifications/{first['id']}")["read"]
    # With htmx: the list, the announcement and the badge come back in one answer.
    before = unread_ids(portal_stack, "owner-dhc")
    swapped = owner.post(
        f"/notifications/{second['id']}/read",
        {"csrf_token": csrf_token(inbox.text)},
        headers={"HX-Request": "true"},
    )
    assert swapped.status_code == 200 and "<html" not in swapped.text
    assert '<div id="inbox-status" hx-swap-oob="innerHTML">Als gelezen gemarkeerd:' in swapped.text
    assert 'id="inbox-link" href="/notifications" hx-swap-oob="true"' in swapped.text
    assert badge(swapped.text) in lowered_by_one(portal_stack, before, second["id"])
    # The unread filter leaves out what was read.
    unread_page = owner.get("/notifications", params={"unread": "1"}).text
    assert f'id="notification-{first["id"]}"' not in unread_page
    assert f'id="notification-{second["id"]}"' not in unread_page
    # Read all: no badge, nothing unread (but what arrived meanwhile).
    before = unread_ids(portal_stack, "owner-dhc")
    cleared = owner.post(
        "/notifications/read-all", {"csrf_token": csrf_token(inbox.text), "unread": "1"}
    )
    assert cleared.status_code == 200
    assert f"{len(before)} melding" in cleared.text  # "N meldingen als gelezen gemarkeerd."
    arrived = unread_ids(portal_stack, "owner-dhc")
    assert not arrived & before
    assert badge(cleared.text) <= len(arrived)
    if not arrived:
        assert "U heeft geen ongelezen meldingen." in cleared.text


def test_another_organisation_sees_none_of_it(
    owner: PortalClient, portal_stack: dict[str, str]
) -> None:
    booking = _requested(portal_stack, 64)
    item = notification_about(portal_stack, "owner-dhc", booking["id"])
    for persona in ("owner-duikgroep", "planner-amsterdam"):
        other = PortalClient(portal_stack["portal"])
        other.sign_in(persona)
        inbox = other.get("/notifications")
        assert inbox.status_code == 200
        assert item["id"] not in inbox.text and booking["id"] not in inbox.text, persona
        # Marking another organisation's notification read: not found, and still unread.
        refused = other.post(
            f"/notifications/{item['id']}/read", {"csrf_token": csrf_token(inbox.text)}
        )
        assert refused.status_code == 404, persona
    assert not notify_get(portal_stack, "owner-dhc", f"/notifications/{item['id']}")["read"]


def test_preferences_are_saved_and_refusals_shown_in_place(
    portal_stack: dict[str, str],
) -> None:
    planner = PortalClient(portal_stack["portal"])
    planner.sign_in("planner-amsterdam")
    page = planner.get("/notifications/preferences")
    assert page.status_code == 200 and "Meldingsvoorkeuren" in page.text
    # Kinds by email without an address: notify refuses, the portal says so at the field.
    refused = planner.post(
        "/notifications/preferences",
        {
            "csrf_token": csrf_token(page.text),
            "language": "nl",
            "email": "",
            "email_kinds": ["booking.approved"],
        },
    )
    assert refused.status_code == 422
    assert 'id="f-email-error"' in refused.text and "adres" in refused.text
    saved = planner.post(
        "/notifications/preferences",
        {
            "csrf_token": csrf_token(page.text),
            "language": "en",
            "email": "meldkamer@politie-amsterdam.example",
            "email_kinds": ["booking.approved", "booking.counter_offered"],
        },
    )
    assert saved.status_code == 200 and saved.url.endswith("/notifications/preferences")
    assert "Your notification preferences have been saved." in saved.text
    assert notify_get(portal_stack, "planner-amsterdam", "/preferences") == {
        "language": "en",
        "email": "meldkamer@politie-amsterdam.example",
        "email_kinds": ["booking.approved", "booking.counter_offered"],
    }
    # The form shows what is stored, and the portal now speaks English.
    assert 'value="booking.approved" checked' in saved.text
    assert 'value="booking.rejected" checked' not in saved.text
    assert '<html lang="en"' in saved.text
    # Back to Dutch and the inbox only, as the other tests expect of this persona.
    back = requests.put(
        f"{portal_stack['notify']}/api/v1/preferences",
        json={"language": "nl", "email": None, "email_kinds": []},
        headers=auth("planner-amsterdam"),
        timeout=TIMEOUT_S,
    )
    assert back.status_code == 200, back.text


def test_an_administrator_registers_a_webhook_and_sees_its_secret_once(
    portal_stack: dict[str, str],
) -> None:
    admin = PortalClient(portal_stack["portal"])
    admin.sign_in("admin")
    page = admin.get("/notifications/webhooks")
    assert page.status_code == 200 and '<h1 class="utrecht-heading-1">Webhooks</h1>' in page.text
    url = "http://127.0.0.1:9/slagkracht-hook"  # loopback: allowed in the stack (development)
    created = admin.post(
        "/notifications/webhooks",
        {
            "csrf_token": csrf_token(page.text),
            "url": url,
            "org": "politie-rotterdam",
            "kinds": ["booking.approved", "booking.rejected"],
        },
    )
    assert created.status_code == 200, created.text
    secret = re.search(r'id="webhook-secret"[^>]*>([^<]+)</code>', created.text)
    assert secret and len(secret.group(1)) >= 32
    hooks = notify_get(portal_stack, "admin", "/webhooks", limit=200)["items"]
    hook = next(h for h in hooks if h["url"] == url)
    assert hook["org"] == "politie-rotterdam" and hook["state"] == "active"
    # Shown once: neither the list nor the webhook's page gives it again.
    listing = admin.get("/notifications/webhooks").text
    detail = admin.get(f"/notifications/webhooks/{hook['id']}")
    assert detail.status_code == 200 and "Afleveringen" in detail.text
    assert secret.group(1) not in listing and secret.group(1) not in detail.text
    assert url in listing
    # A URL notify refuses is said next to the field.
    refused = admin.post(
        "/notifications/webhooks",
        {
            "csrf_token": csrf_token(listing),
            "url": "ftp://example.org/x",
            "kinds": ["booking.approved"],
        },
    )
    assert refused.status_code == 422 and 'id="f-url-error"' in refused.text
    # Removed: gone from notify and from the list.
    removed = admin.post(
        f"/notifications/webhooks/{hook['id']}/delete", {"csrf_token": csrf_token(detail.text)}
    )
    assert removed.status_code == 200 and url not in removed.text
    assert all(
        h["id"] != hook["id"]
        for h in notify_get(portal_stack, "admin", "/webhooks", limit=200)["items"]
    )


def test_webhooks_are_for_administrators_only(owner: PortalClient) -> None:
    refused = owner.get("/notifications/webhooks")
    assert refused.status_code == 403 and "Geen toegang" in refused.text


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[bytes]]]:
    """A control room's system on 127.0.0.1: its URL and the bodies it received."""
    received: list[bytes] = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the http.server hook's name
            received.append(self.rfile.read(int(self.headers.get("Content-Length", 0))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:  # keep the test output quiet
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1})
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/control-room", received
    finally:
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()


def test_the_webhooks_page_shows_each_delivery_and_its_attempts(
    portal_stack: dict[str, str], receiver: tuple[str, list[bytes]]
) -> None:
    url, received = receiver
    admin = PortalClient(portal_stack["portal"])
    admin.sign_in("admin")
    page = admin.get("/notifications/webhooks")
    created = admin.post(
        "/notifications/webhooks",
        {
            "csrf_token": csrf_token(page.text),
            "url": url,
            "org": "politie-rotterdam",
            "kinds": ["booking.approved"],
        },
    )
    assert created.status_code == 200, created.text
    hook = next(
        h
        for h in notify_get(portal_stack, "admin", "/webhooks", limit=200)["items"]
        if h["url"] == url
    )
    booking = _requested(portal_stack, 66)
    act(portal_stack, "owner-dhc", booking["id"], "approve", {})
    eventually(
        lambda: any(booking["id"].encode() in body for body in received),
        timeout_s=WORKER_DEADLINE_S,
        every_s=0.2,
        what="the approval delivered to the receiver",
    )

    def delivered_row() -> str | None:
        detail = admin.get(f"/notifications/webhooks/{hook['id']}").text
        return next(
            (row for row in detail.split("<tr ")[1:] if "Afgeleverd" in row and "HTTP 200" in row),
            None,
        )

    row = eventually(delivered_row, timeout_s=WORKER_DEADLINE_S, every_s=0.2, what="the log")
    assert "Aanvraag goedgekeurd" in row and "afgeleverd (HTTP 200)" in row
    done = admin.post(
        f"/notifications/webhooks/{hook['id']}/delete", {"csrf_token": csrf_token(page.text)}
    )
    assert done.status_code == 200 and url not in done.text
