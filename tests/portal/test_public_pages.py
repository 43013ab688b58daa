"""The public register of drone deployments in the portal, read without signing in: the page
/openbaar/drone-inzet and its Atom feed, over HTTP against the real stack."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from xml.etree import ElementTree as ET

import pytest
import requests
from playwright.sync_api import Browser, expect

from shared.auth import OWNER, mint_token
from shared.settings import DEV_JWT_SECRET
from tests.integration.booking_support import backdate
from tests.portal.browser_support import axe_check, new_context, snapshot
from tests.portal.client import PortalClient, csrf_token, hidden_value
from tests.portal.finance_support import completed_use as completed_helicopter_use
from tests.portal.finance_support import new_unit
from tests.portal.journeys import instant, window
from tests.support import auth

pytestmark = pytest.mark.db

TIMEOUT_S = 30
ATOM = "{http://www.w3.org/2005/Atom}"
PURPOSE = "Zoeken naar vermiste wandelaar bij Hoek van Holland"
CONTACT = "Meldkamer Rotterdam 010-7777777"


def owner_headers(org: str) -> dict[str, str]:
    token = mint_token(
        sub=f"owner@{org}", name=f"Owner {org}", org=org, roles=(OWNER,), secret=DEV_JWT_SECRET
    )
    return {"Authorization": f"Bearer {token}"}


def next_weekday(days_ahead: int) -> int:
    """``days_ahead`` or more days from now, landing on a weekday (the drones fly Mon-Fri)."""
    while (datetime.now(UTC) + timedelta(days=days_ahead)).weekday() >= 5:
        days_ahead += 1
    return days_ahead


def request_drone(stack: dict[str, str], days_ahead: int, **body: Any) -> dict[str, Any]:
    """planner-rotterdam requests a free demo drone for 10:00-12:00 that day (Amsterdam)."""
    start, end = window(next_weekday(days_ahead), 10, hours=2)
    found = requests.get(
        f"{stack['booking']}/api/v1/availability",
        params={"start": instant(start), "end": instant(end), "category": "drone"},
        headers=auth("planner-rotterdam"),
        timeout=TIMEOUT_S,
    )
    assert found.status_code == 200 and found.json()["items"], found.text
    created = requests.post(
        f"{stack['booking']}/api/v1/bookings",
        headers={**auth("planner-rotterdam"), "Idempotency-Key": uuid.uuid4().hex},
        json={
            "asset_id": found.json()["items"][0]["asset_id"],
            "start": instant(start),
            "end": instant(end),
            "priority": 2,
            "legal_basis": "bijstand_politiewet",
            "purpose": PURPOSE,
            "contact": CONTACT,
            **body,
        },
        timeout=TIMEOUT_S,
    )
    assert created.status_code == 201, created.text
    booking: dict[str, Any] = created.json()
    return booking


def owner_act(stack: dict[str, str], booking: dict[str, Any], action: str, **body: Any) -> Any:
    response = requests.post(
        f"{stack['booking']}/api/v1/bookings/{booking['id']}/{action}",
        headers=owner_headers(booking["owner_org"]),
        json=body,
        timeout=TIMEOUT_S,
    )
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture(scope="module")
def drone_uses(portal_stack: dict[str, str], portal_db_urls: dict[str, str]) -> dict[str, Any]:
    """A completed drone use (search, VR17), an approved one and one in use (both ahead)."""
    completed = request_drone(portal_stack, 3, purpose_class="search", region="VR17")
    owner_act(portal_stack, completed, "approve")
    ends_in = datetime.fromisoformat(completed["planned_end"]) - datetime.now(UTC)
    backdate(portal_db_urls, completed["id"], ends_in.total_seconds() / 3600 + 1)
    moved = requests.get(
        f"{portal_stack['booking']}/api/v1/bookings/{completed['id']}",
        headers=auth("planner-rotterdam"),
        timeout=TIMEOUT_S,
    ).json()
    owner_act(portal_stack, completed, "start")
    done = owner_act(
        portal_stack,
        completed,
        "complete",
        actual_start=moved["planned_start"],
        actual_end=moved["planned_end"],
    )
    assert done["state"] == "completed"
    approved = request_drone(portal_stack, 5, purpose_class="investigation")
    owner_act(portal_stack, approved, "approve")
    in_use = request_drone(portal_stack, 7)
    owner_act(portal_stack, in_use, "approve")
    owner_act(portal_stack, in_use, "start")
    org, headers = new_unit()
    helicopter = completed_helicopter_use(portal_stack, portal_db_urls, headers, 9, 10)
    return {"completed": done, "not_over": [approved, in_use], "helicopter": helicopter}


def test_the_register_page_shows_completed_drone_uses_without_signing_in(
    portal_stack: dict[str, str], drone_uses: dict[str, Any]
) -> None:
    anonymous = PortalClient(portal_stack["portal"])
    page = anonymous.get("/openbaar/drone-inzet", cookies={"portal_lang": "en"})

    assert page.status_code == 200 and not page.history  # not sent to the sign-in page
    html = page.text
    completed = drone_uses["completed"]
    row = html.split(f'data-deployment="{completed["id"]}"', 1)[1].split("</tr>", 1)[0]
    assert "VR17" in row and "Search operation" in row and "defensie-306sqn" in row
    assert "Rotterdam-Rijnmond" in row  # the region's name, from catalog, beside its code
    assert "Military assistance (Police Act)" in row
    for booking in (*drone_uses["not_over"], drone_uses["helicopter"]):
        assert booking["id"] not in html
    assert PURPOSE not in html and CONTACT not in html and "planner-rotterdam" not in html
    assert 'type="application/atom+xml"' in html  # the feed is announced


def test_a_browser_without_sign_in_sees_the_completed_use_and_nothing_before_its_end(
    browser: Browser, portal_stack: dict[str, str], drone_uses: dict[str, Any]
) -> None:
    context = new_context(browser)
    page = context.new_page()
    try:
        page.goto(f"{portal_stack['portal']}/openbaar/drone-inzet")
        assert "/sign-in" not in page.url
        row = page.locator(f'tr[data-deployment="{drone_uses["completed"]["id"]}"]')
        expect(row).to_contain_text("Rotterdam-Rijnmond")
        expect(row).to_contain_text("Zoekactie")
        for booking in (*drone_uses["not_over"], drone_uses["helicopter"]):
            expect(page.locator(f'tr[data-deployment="{booking["id"]}"]')).to_have_count(0)
        snapshot(page, "public-drone-register")
        axe_check(page)
    finally:
        context.close()


def test_the_register_page_speaks_dutch_and_refuses_bad_filters_in_place(
    portal_stack: dict[str, str], drone_uses: dict[str, Any]
) -> None:
    anonymous = PortalClient(portal_stack["portal"])
    dutch = anonymous.get("/openbaar/drone-inzet", params={"region": "VR17"})
    assert dutch.status_code == 200
    assert "Openbaar register van drone-inzet" in dutch.text
    assert drone_uses["completed"]["id"] in dutch.text
    row = dutch.text.split(f'data-deployment="{drone_uses["completed"]["id"]}"', 1)[1]
    assert "Rotterdam-Rijnmond" in row.split("</tr>", 1)[0]
    other_region = anonymous.get("/openbaar/drone-inzet", params={"region": "VR01"})
    assert drone_uses["completed"]["id"] not in other_region.text
    bad = anonymous.get("/openbaar/drone-inzet", params={"region": "Rotterdam"})
    assert bad.status_code == 200
    assert 'id="error-summary"' in bad.text and 'aria-invalid="true"' in bad.text


def test_the_atom_feed_is_well_formed_and_holds_only_what_is_public(
    portal_stack: dict[str, str], drone_uses: dict[str, Any]
) -> None:
    response = requests.get(
        f"{portal_stack['portal']}/openbaar/drone-inzet.atom", timeout=TIMEOUT_S
    )

    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/atom+xml")
    feed = ET.fromstring(response.content)  # well-formed, or this raises
    assert feed.tag == f"{ATOM}feed"
    assert feed.findtext(f"{ATOM}id") and feed.findtext(f"{ATOM}updated")
    ids = [entry.findtext(f"{ATOM}id") for entry in feed.iter(f"{ATOM}entry")]
    assert f"urn:uuid:{drone_uses['completed']['id']}" in ids
    for booking in (*drone_uses["not_over"], drone_uses["helicopter"]):
        assert f"urn:uuid:{booking['id']}" not in ids
    for entry in feed.iter(f"{ATOM}entry"):
        assert entry.findtext(f"{ATOM}title") and entry.findtext(f"{ATOM}updated")
    text = response.content.decode()
    assert PURPOSE not in text and CONTACT not in text and "planner-rotterdam" not in text


def test_the_planner_names_the_kind_of_purpose_in_the_request_form(
    portal_stack: dict[str, str],
) -> None:
    planner = PortalClient(portal_stack["portal"])
    planner.sign_in("planner-rotterdam")
    start, end = window(next_weekday(14), 10, hours=2)
    found = requests.get(
        f"{portal_stack['booking']}/api/v1/availability",
        params={"start": instant(start), "end": instant(end), "category": "drone"},
        headers=auth("planner-rotterdam"),
        timeout=TIMEOUT_S,
    ).json()["items"]
    form = planner.get(
        "/planner/request", params={"asset_id": found[0]["asset_id"], "start": start, "end": end}
    )
    assert form.status_code == 200
    assert 'name="purpose_class"' in form.text and "Toezicht bij een evenement" in form.text
    sent = planner.post(
        "/planner/request",
        {
            "csrf_token": csrf_token(form.text),
            "asset_id": hidden_value(form.text, "asset_id"),
            "idempotency_key": hidden_value(form.text, "idempotency_key"),
            "start": start,
            "end": end,
            "legal_basis": "bijstand_politiewet",
            "priority": "2",
            "purpose": PURPOSE,
            "purpose_class": "event_surveillance",
            "contact": CONTACT,
            "quantity": "1",
        },
        allow_redirects=False,
    )
    assert sent.status_code == 302, sent.text
    booking_id = sent.headers["Location"].rsplit("/", 1)[1]
    booking = requests.get(
        f"{portal_stack['booking']}/api/v1/bookings/{booking_id}",
        headers=auth("planner-rotterdam"),
        timeout=TIMEOUT_S,
    ).json()
    assert booking["purpose_class"] == "event_surveillance"
