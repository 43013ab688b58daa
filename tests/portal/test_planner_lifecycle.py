"""What a planner does with a booking after requesting it, through the real portal process:
accept or decline a counter-offer, cancel, request an alternative after a preemption;
recurring series, orders, the calendar; CSRF and the language switch over HTTP."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest

from tests.portal.client import PortalClient, csrf_token, hidden_value
from tests.portal.journeys import (
    act,
    free_helicopters,
    instant,
    request_booking,
    unit_bookings,
    window,
)

pytestmark = [pytest.mark.db, pytest.mark.broker]


@pytest.fixture
def planner(portal_stack: dict[str, str]) -> PortalClient:
    client = PortalClient(portal_stack["portal"])
    client.sign_in("planner-rotterdam")
    return client


def test_accepting_a_counter_offer_shows_what_changed_and_approves(
    planner: PortalClient, portal_stack: dict[str, str]
) -> None:
    start, end = window(15, 9)
    asset = free_helicopters(portal_stack, start, end)[0]
    booking = request_booking(portal_stack, "planner-rotterdam", asset["asset_id"], start, end)
    later_start, later_end = window(15, 13)
    act(
        portal_stack,
        "owner-dhc",
        booking["id"],
        "counter-offer",
        {"start": instant(later_start), "end": instant(later_end), "reason": "Ochtend bezet"},
    )
    page = planner.get(f"/planner/bookings/{booking['id']}")
    assert "De eigenaar biedt iets anders aan" in page.text
    assert len(re.findall(r'class="portal-changed"', page.text)) == 2  # start and end
    assert "13:00" in page.text and "Ochtend bezet" in page.text
    accepted = planner.post(
        f"/planner/bookings/{booking['id']}/accept-counter-offer",
        {"csrf_token": csrf_token(page.text)},
    )
    assert accepted.status_code == 200
    assert 'id="booking-state">Goedgekeurd<' in accepted.text
    assert "U hebt het tegenvoorstel aanvaard." in accepted.text


def test_declining_a_counter_offer_needs_a_reason_and_withdraws_the_request(
    planner: PortalClient, portal_stack: dict[str, str]
) -> None:
    start, end = window(16, 9)
    asset = free_helicopters(portal_stack, start, end)[0]
    booking = request_booking(portal_stack, "planner-rotterdam", asset["asset_id"], start, end)
    later_start, later_end = window(16, 15)
    act(
        portal_stack,
        "owner-dhc",
        booking["id"],
        "counter-offer",
        {"start": instant(later_start), "end": instant(later_end), "reason": "Middag vrij"},
    )
    path = f"/planner/bookings/{booking['id']}"
    page = planner.get(path)
    no_reason = planner.post(
        f"{path}/decline-counter-offer", {"csrf_token": csrf_token(page.text), "decline_reason": ""}
    )
    assert no_reason.status_code == 422 and 'id="f-decline_reason-error"' in no_reason.text
    declined = planner.post(
        f"{path}/decline-counter-offer",
        {"csrf_token": csrf_token(page.text), "decline_reason": "Middag past niet"},
    )
    assert declined.status_code == 200 and 'id="booking-state">Geannuleerd<' in declined.text


def test_cancel_with_a_reason_shows_in_the_timeline(
    planner: PortalClient, portal_stack: dict[str, str]
) -> None:
    start, end = window(17, 9)
    asset = free_helicopters(portal_stack, start, end)[0]
    booking = request_booking(portal_stack, "planner-rotterdam", asset["asset_id"], start, end)
    path = f"/planner/bookings/{booking['id']}"
    page = planner.get(path)
    cancelled = planner.post(
        f"{path}/cancel", {"csrf_token": csrf_token(page.text), "reason": "Inzet afgeblazen"}
    )
    assert cancelled.status_code == 200
    assert 'id="booking-state">Geannuleerd<' in cancelled.text
    assert "Inzet afgeblazen" in cancelled.text  # the timeline shows the reason


def _preempted(stack: dict[str, str], days_ahead: int) -> dict[str, object]:
    """An approved exercise of planner-rotterdam displaced by an acute request."""
    start, end = window(days_ahead, 9)
    asset = free_helicopters(stack, start, end)[0]
    displaced = request_booking(
        stack, "planner-rotterdam", asset["asset_id"], start, end, priority=3
    )
    act(stack, "owner-dhc", displaced["id"], "approve", {})
    acute = request_booking(stack, "planner-amsterdam", asset["asset_id"], start, end, priority=1)
    act(
        stack,
        "owner-dhc",
        displaced["id"],
        "preempt",
        {"by_booking_id": acute["id"], "reason": "Acute zoekactie"},
    )
    return displaced


def test_after_a_preemption_one_click_requests_an_alternative(
    planner: PortalClient, portal_stack: dict[str, str]
) -> None:
    displaced = _preempted(portal_stack, 18)
    page = planner.get(f"/planner/bookings/{displaced['id']}")
    assert "Uw boeking is verdrongen" in page.text
    alternative = hidden_value(page.text, "asset_id")
    requested = planner.post(
        f"/planner/bookings/{displaced['id']}/alternatives",
        {
            "csrf_token": csrf_token(page.text),
            "asset_id": alternative,
            "idempotency_key": hidden_value(page.text, "idempotency_key"),
        },
        allow_redirects=False,
    )
    assert requested.status_code == 302, requested.text
    new_page = planner.get(requested.headers["Location"])
    assert 'id="booking-state">Aangevraagd<' in new_page.text
    mine = [
        b for b in unit_bookings(portal_stack, "planner-rotterdam") if b["asset_id"] == alternative
    ]
    assert [b["planned_start"] for b in mine if b["state"] == "requested"]


def test_the_alternative_held_after_a_preemption_is_confirmed_in_one_click(
    planner: PortalClient, portal_stack: dict[str, str]
) -> None:
    displaced = _preempted(portal_stack, 19)
    page = planner.get(f"/planner/bookings/{displaced['id']}")
    hold = re.search(r'<div class="portal-card" id="hold">(.*?)</div>\s*</div>', page.text, re.S)
    assert hold, "booking holds the best alternative for the displaced unit"
    confirm = re.search(r'action="(/planner/bookings/[^"]+/confirm-hold)"', hold.group(1))
    assert confirm
    confirmed = planner.post(confirm.group(1), {"csrf_token": csrf_token(page.text)})
    assert confirmed.status_code == 200
    assert 'id="booking-state">Aangevraagd<' in confirmed.text
    assert "Vasthouden bevestigd als aanvraag" in confirmed.text  # in the timeline
    held = [b for b in unit_bookings(portal_stack, "planner-rotterdam") if b["state"] == "held"]
    assert not [b for b in held if b.get("held_for") == displaced["id"]]


def test_a_held_alternative_can_be_released(
    planner: PortalClient, portal_stack: dict[str, str]
) -> None:
    displaced = _preempted(portal_stack, 21)
    page = planner.get(f"/planner/bookings/{displaced['id']}")
    release = re.search(r'action="(/planner/bookings/[^"]+/release-hold)"', page.text)
    assert release
    released = planner.post(release.group(1), {"csrf_token": csrf_token(page.text)})
    assert released.status_code == 200 and 'id="booking-state">Geannuleerd<' in released.text
    again = planner.get(f"/planner/bookings/{displaced['id']}")
    assert 'id="hold"' not in again.text  # nothing is held for it any more


def test_a_recurring_series_lists_the_occurrences_that_conflict(
    planner: PortalClient, portal_stack: dict[str, str]
) -> None:
    start, end = window(20, 10, hours=2)
    asset = free_helicopters(portal_stack, start, end)[0]
    # Another unit already holds the second week's slot.
    week2 = datetime.fromisoformat(start) + timedelta(days=7)
    request_booking(
        portal_stack,
        "planner-amsterdam",
        asset["asset_id"],
        week2.strftime("%Y-%m-%dT%H:%M"),
        (week2 + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
    )
    choose = planner.get("/planner/series")  # from the menu: choose the asset first
    assert f'<option value="{asset["asset_id"]}"' in choose.text
    form = planner.get("/planner/series", params={"asset_id": asset["asset_id"]})
    assert form.status_code == 200
    result = planner.post(
        "/planner/series",
        {
            "csrf_token": csrf_token(form.text),
            "asset_id": asset["asset_id"],
            "idempotency_key": hidden_value(form.text, "idempotency_key"),
            "start": start,
            "end": end,
            "frequency": "weekly",
            "interval": "1",
            "count": "3",
            "legal_basis": "joint_exercise",
            "priority": "3",
            "purpose": "Wekelijkse oefening",
            "contact": "Opleidingscentrum",
            "quantity": "1",
        },
    )
    assert result.status_code == 200, result.text
    assert "2 keer aangevraagd" in result.text
    conflicts = re.search(
        r'<ul class="utrecht-unordered-list" id="series-conflicts">(.*?)</ul>', result.text, re.S
    )
    assert conflicts and conflicts.group(1).count("<li>") == 1


def test_a_call_off_on_a_framework_contract(
    planner: PortalClient, portal_stack: dict[str, str]
) -> None:
    page = planner.get("/planner/contracts")
    assert page.status_code == 200 and "Resterend volume" in page.text
    contract_id = hidden_value(page.text, "contract_id")
    item_id = re.search(r'<select[^>]*name="item_id"[^>]*>\s*<option value="([^"]+)"', page.text)
    assert item_id
    delivery = (datetime.now() + timedelta(days=30)).date().isoformat()
    placed = planner.post(
        "/planner/orders",
        {
            "csrf_token": csrf_token(page.text),
            "contract_id": contract_id,
            "idempotency_key": hidden_value(page.text, "idempotency_key"),
            "item_id": item_id.group(1),
            "quantity": "25",
            "delivery_date": delivery,
            "purpose": "Nieuwe uitrusting ME",
        },
    )
    assert placed.status_code == 200, placed.text
    assert "Uw afroep is geplaatst." in placed.text
    orders = placed.text.split('id="orders"')[1]
    assert "<td>25</td>" in orders


def test_the_calendar_page_gives_the_units_feed(planner: PortalClient) -> None:
    page = planner.get("/planner/calendar")
    assert page.status_code == 200
    assert re.search(r"/api/v1/calendar/politie-rotterdam\.ics\?key=", page.text)
    assert re.search(
        r'href="webcal://127\.0\.0\.1:\d+/api/v1/calendar/politie-rotterdam\.ics', page.text
    )


def test_a_request_without_the_csrf_token_writes_nothing(
    planner: PortalClient, portal_stack: dict[str, str]
) -> None:
    start, end = window(22, 9)
    asset = free_helicopters(portal_stack, start, end)[0]
    before = len(unit_bookings(portal_stack, "planner-rotterdam"))
    refused = planner.post(
        "/planner/request",
        {
            "asset_id": asset["asset_id"],
            "start": start,
            "end": end,
            "legal_basis": "steunverlening",
            "priority": "2",
            "purpose": "Zonder token",
            "contact": "Meldkamer",
            "quantity": "1",
        },
    )
    assert refused.status_code == 400
    assert len(unit_bookings(portal_stack, "planner-rotterdam")) == before


def test_pages_in_english_after_the_switch(
    planner: PortalClient, portal_stack: dict[str, str]
) -> None:
    planner.get("/language/en")
    page = planner.get("/planner/bookings")
    assert '<html lang="en"' in page.text and "My unit's bookings</h1>" in page.text
    for header in ("Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy"):
        assert header in page.headers  # served by gunicorn too
    planner.get("/language/nl")


def test_an_acute_request_shows_the_owners_decision_clock(
    planner: PortalClient, portal_stack: dict[str, str]
) -> None:
    start, end = window(23, 9)
    asset = free_helicopters(portal_stack, start, end)[0]
    acute = request_booking(
        portal_stack, "planner-rotterdam", asset["asset_id"], start, end, priority=1
    )
    page = planner.get(f"/planner/bookings/{acute['id']}")
    assert "Acuut: de eigenaar besluit uiterlijk" in page.text
    assert "1 – acuut (leven, veiligheid, crisis)" in page.text
