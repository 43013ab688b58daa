"""The header's unread-notifications badge as the portal itself behaves, against a stand-in
for the APIs over real HTTP: one notify call per page, the count as notify says it, and a
page that still renders (with the inbox link, without the badge) when notify is down."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient

from services.portal.app import create_app
from services.portal.config import load_config
from shared.runtime import free_port
from tests.portal.fake_api import FakeApi, running_fake_api
from tests.portal.test_inbox_over_http import badge

UNREAD = "/notifications/unread-count"


@pytest.fixture
def fake_api() -> Iterator[FakeApi]:
    with running_fake_api() as fake:
        categories = [{"code": "helicopter", "booking_mode": "slot"}]
        regions = [{"code": "VR17", "name": "Rotterdam-Rijnmond"}]
        fake.answer("GET", "/categories", 200, {"items": categories, "next_cursor": None})
        fake.answer("GET", "/regions", 200, {"items": regions, "next_cursor": None})
        yield fake


def _signed_in(fake_api: FakeApi, notify_url: str) -> FlaskClient:
    urls = {f"{api}_URL": fake_api.url for api in ("CATALOG", "BOOKING", "COSTSHARING")}
    config = load_config({**urls, "NOTIFY_URL": notify_url, "PORTAL_READ_TIMEOUT_S": "0.5"})
    client = create_app({"PORTAL_CONFIG": config, "TESTING": True}).test_client()
    page = client.get("/sign-in")
    token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    signed = client.post(
        "/sign-in/persona", data={"persona": "planner-rotterdam", "csrf_token": token}
    )
    assert signed.status_code == 302
    return client


def test_the_badge_is_notifys_unread_count_with_one_call_per_page(fake_api: FakeApi) -> None:
    fake_api.answer("GET", UNREAD, 200, {"unread_count": 3})
    client = _signed_in(fake_api, fake_api.url)
    page = client.get("/planner/search")
    assert page.status_code == 200
    assert badge(page.text) == 3
    assert "ongelezen: </span>3" in page.text  # said to screen readers, in Dutch
    calls = [seen for seen in fake_api.seen if seen["path"] == f"/api/v1{UNREAD}"]
    assert len(calls) == 1
    assert calls[0]["headers"]["Authorization"].startswith("Bearer ")
    # Nothing unread: the link stays, the badge goes.
    fake_api.answer("GET", UNREAD, 200, {"unread_count": 0})
    assert badge(client.get("/planner/search").text) == 0


@pytest.mark.parametrize("answer", ["down", "error"])
def test_a_page_renders_without_the_badge_when_notify_cannot_tell(
    fake_api: FakeApi, answer: str
) -> None:
    if answer == "down":
        client = _signed_in(fake_api, f"http://127.0.0.1:{free_port()}")
    else:
        fake_api.answer("GET", UNREAD, 500, {"title": "Internal Server Error", "status": 500})
        client = _signed_in(fake_api, fake_api.url)
    page = client.get("/planner/search")
    assert page.status_code == 200
    assert 'id="inbox-link"' in page.text and 'id="unread-notifications-badge"' not in page.text


def test_signed_out_pages_ask_notify_nothing(fake_api: FakeApi) -> None:
    config = load_config({"NOTIFY_URL": fake_api.url, "CATALOG_URL": fake_api.url})
    client = create_app({"PORTAL_CONFIG": config, "TESTING": True}).test_client()
    page = client.get("/sign-in")
    assert page.status_code == 200 and 'id="inbox-link"' not in page.text
    assert not [seen for seen in fake_api.seen if "notifications" in seen["path"]]
