"""The owner's approval queue and decisions through the real portal process over HTTP:
the header badge equals booking's pending count, approve (plain post and htmx row), reject
with a reason, counter-offer that the planner then sees, preempt for an acute request, and
booking's refusals shown as Dutch messages in place."""

from __future__ import annotations

import re
from typing import Any

import pytest
import requests

from tests.portal.client import PortalClient, csrf_token
from tests.portal.journeys import act, free_helicopters, request_booking, window
from tests.portal.owner_support import badge_count, pending_total
from tests.support import auth

pytestmark = [pytest.mark.db, pytest.mark.broker]


def _booking(stack: dict[str, str], persona: str, booking_id: str) -> dict[str, Any]:
    response = requests.get(
        f"{stack['booking']}/api/v1/bookings/{booking_id}", headers=auth(persona), timeout=30
    )
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def _requested(stack: dict[str, str], days_ahead: int, hour: int = 9, **kw: Any) -> dict[str, Any]:
    """A request of planner-rotterdam for a free DHC helicopter, that day at that hour."""
    start, end = window(days_ahead, hour)
    asset = free_helicopters(stack, start, end)[0]
    return request_booking(stack, "planner-rotterdam", asset["asset_id"], start, end, **kw)


def test_the_badge_shows_the_pending_count_on_every_page(
    dhc_owner: PortalClient, portal_stack: dict[str, str]
) -> None:
    _requested(portal_stack, 40)
    expected = pending_total(portal_stack)
    assert expected >= 1
    for path in ("/owner/approvals", "/owner/assets", "/owner/bookings"):
        page = dhc_owner.get(path)
        assert page.status_code == 200, page.text
        assert badge_count(page.text) == expected, path
    queue = dhc_owner.get("/owner/approvals")
    assert "Aanvragen die op uw besluit wachten" in queue.text
    assert len(re.findall(r'<tr id="request-', queue.text)) == expected


def test_acute_requests_come_first_with_their_decision_clock(
    dhc_owner: PortalClient, portal_stack: dict[str, str]
) -> None:
    planned = _requested(portal_stack, 41, priority=3, purpose="Oefening Zeeland")
    acute = _requested(portal_stack, 41, hour=14, priority=1, purpose="Vermiste persoon")
    queue = dhc_owner.get("/owner/approvals").text
    assert queue.index(f'id="request-{acute["id"]}"') < queue.index(f'id="request-{planned["id"]}"')
    row = queue[queue.index(f'id="request-{acute["id"]}"') :]
    row = row[: row.index("</tr>")]
    assert "Acuut" in row and 'class="portal-clock"' in row
    assert re.search(r"over \d+ (minuten|uur)", row), row  # the decision clock, in Dutch


def test_approve_from_the_queue_without_javascript(
    dhc_owner: PortalClient, portal_stack: dict[str, str]
) -> None:
    booking = _requested(portal_stack, 42)
    queue = dhc_owner.get("/owner/approvals")
    before = badge_count(queue.text)
    done = dhc_owner.post(
        f"/owner/approvals/{booking['id']}/approve", {"csrf_token": csrf_token(queue.text)}
    )
    assert done.status_code == 200 and done.url.endswith("/owner/approvals")
    assert "Het verzoek is goedgekeurd." in done.text
    assert f'id="request-{booking["id"]}"' not in done.text
    assert badge_count(done.text) == before - 1 == pending_total(portal_stack)
    assert _booking(portal_stack, "owner-dhc", booking["id"])["state"] == "approved"
    # The same form again (a second tab, a retry): booking's 409, said on the queue page,
    # which no longer has a row for it.
    again = dhc_owner.post(
        f"/owner/approvals/{booking['id']}/approve", {"csrf_token": csrf_token(queue.text)}
    )
    assert again.status_code == 409
    assert 'id="error-summary"' in again.text and "Traceback" not in again.text


def test_approve_with_htmx_swaps_the_row_and_announces_it(
    dhc_owner: PortalClient, portal_stack: dict[str, str]
) -> None:
    booking = _requested(portal_stack, 43)
    queue = dhc_owner.get("/owner/approvals")
    row = dhc_owner.post(
        f"/owner/approvals/{booking['id']}/approve",
        {"csrf_token": csrf_token(queue.text)},
        headers={"HX-Request": "true"},
    )
    assert row.status_code == 200
    assert row.text.lstrip().startswith(f'<tr id="request-{booking["id"]}"')
    assert "<html" not in row.text  # only the row and the out-of-band pieces
    assert 'id="queue-status"' in row.text and 'hx-swap-oob="true"' in row.text
    assert "Het verzoek is goedgekeurd." in row.text and "Goedgekeurd" in row.text
    assert f"</span>{pending_total(portal_stack)}</span>" in row.text  # the badge, recounted


def test_reject_needs_a_reason_and_the_planner_reads_it(
    dhc_owner: PortalClient, rotterdam_planner: PortalClient, portal_stack: dict[str, str]
) -> None:
    booking = _requested(portal_stack, 44)
    queue = dhc_owner.get("/owner/approvals")
    path = f"/owner/approvals/{booking['id']}/reject"
    no_reason = dhc_owner.post(path, {"csrf_token": csrf_token(queue.text), "reject_reason": ""})
    assert no_reason.status_code == 422
    assert "Vul dit in." in no_reason.text
    assert _booking(portal_stack, "owner-dhc", booking["id"])["state"] == "requested"
    # With htmx the refusal is the row again, with its message (htmx swaps only a 2xx).
    in_row = dhc_owner.post(
        path, {"csrf_token": csrf_token(queue.text)}, headers={"HX-Request": "true"}
    )
    assert in_row.status_code == 200 and "Vul dit in." in in_row.text
    assert in_row.text.lstrip().startswith(f'<tr id="request-{booking["id"]}"')
    rejected = dhc_owner.post(
        path,
        {"csrf_token": csrf_token(queue.text), "reject_reason": "Toestel in groot onderhoud"},
    )
    assert "Het verzoek is afgewezen." in rejected.text
    seen = rotterdam_planner.get(f"/planner/bookings/{booking['id']}")
    assert 'id="booking-state">Afgewezen<' in seen.text
    assert "Toestel in groot onderhoud" in seen.text


def test_counter_offer_another_window_and_the_planner_sees_it(
    dhc_owner: PortalClient, rotterdam_planner: PortalClient, portal_stack: dict[str, str]
) -> None:
    booking = _requested(portal_stack, 45)
    path = f"/owner/bookings/{booking['id']}"
    page = dhc_owner.get(path)
    assert page.status_code == 200
    assert "Iets anders aanbieden" in page.text and "politie-rotterdam" in page.text
    later_start, later_end = window(45, 15)
    unchanged_start, unchanged_end = window(45, 9)
    same = dhc_owner.post(
        f"{path}/counter-offer",
        {
            "csrf_token": csrf_token(page.text),
            "counter_asset_id": booking["asset_id"],
            "counter_start": unchanged_start,
            "counter_end": unchanged_end,
            "counter_reason": "Zelfde tijd",
        },
    )
    # booking refuses an offer equal to the request: its Dutch message, next to the field.
    assert same.status_code == 422
    assert 'id="f-counter_start-error"' in same.text and "Traceback" not in same.text
    offered = dhc_owner.post(
        f"{path}/counter-offer",
        {
            "csrf_token": csrf_token(page.text),
            "counter_asset_id": booking["asset_id"],
            "counter_start": later_start,
            "counter_end": later_end,
            "counter_reason": "Ochtend bezet door eigen oefening",
        },
    )
    assert offered.status_code == 200, offered.text
    assert "Uw tegenvoorstel is naar de aanvragende eenheid gestuurd." in offered.text
    assert 'id="booking-state">Tegenvoorstel gedaan<' in offered.text
    seen = rotterdam_planner.get(f"/planner/bookings/{booking['id']}")
    assert "De eigenaar biedt iets anders aan" in seen.text
    assert "15:00" in seen.text and "Ochtend bezet door eigen oefening" in seen.text


def test_preempt_for_an_acute_request_shows_who_is_displaced_and_the_alternatives(
    dhc_owner: PortalClient, portal_stack: dict[str, str]
) -> None:
    start, end = window(46, 9)
    asset_id = free_helicopters(portal_stack, start, end)[0]["asset_id"]
    planned = request_booking(
        portal_stack, "planner-amsterdam", asset_id, start, end, purpose="Evenement Amsterdam"
    )
    act(portal_stack, "owner-dhc", planned["id"], "approve", {})
    acute = request_booking(
        portal_stack, "planner-rotterdam", asset_id, start, end, priority=1, purpose="Ramp"
    )
    assert acute["needs_preemption"] is True
    queue = dhc_owner.get("/owner/approvals")
    # Approving it as if nothing overlapped: booking's 409, in Dutch, in the row.
    refused = dhc_owner.post(
        f"/owner/approvals/{acute['id']}/approve", {"csrf_token": csrf_token(queue.text)}
    )
    assert refused.status_code == 409
    assert 'role="alert"' in refused.text and "Traceback" not in refused.text
    page = dhc_owner.get(f"/owner/bookings/{acute['id']}")
    assert "Verdringen voor deze acute aanvraag" in page.text
    assert f'value="{planned["id"]}"' in page.text and "politie-amsterdam" in page.text
    assert "Evenement Amsterdam" in page.text  # who is displaced, and for what
    done = dhc_owner.post(
        f"/owner/bookings/{acute['id']}/preempt",
        {
            "csrf_token": csrf_token(page.text),
            "displaced_id": planned["id"],
            "preempt_reason": "Levensreddende inzet",
        },
    )
    assert done.status_code == 200, done.text
    assert done.url.endswith(f"/owner/bookings/{planned['id']}")
    assert "Verdrongen door een acute aanvraag" in done.text
    displaced = _booking(portal_stack, "owner-dhc", planned["id"])
    assert displaced["state"] == "preempted"
    for alternative in displaced["alternatives"] or []:
        assert alternative["name"] in done.text
    assert _booking(portal_stack, "owner-dhc", acute["id"])["state"] == "approved"


def test_counter_offer_another_asset_of_the_owner(
    dhc_owner: PortalClient, rotterdam_planner: PortalClient, portal_stack: dict[str, str]
) -> None:
    start, end = window(50, 9)
    asked, offered_asset = free_helicopters(portal_stack, start, end)[:2]
    booking = request_booking(portal_stack, "planner-rotterdam", asked["asset_id"], start, end)
    path = f"/owner/bookings/{booking['id']}"
    page = dhc_owner.get(path)
    # The owner's own helicopters are offered, and nobody else's.
    assert f'<option value="{offered_asset["asset_id"]}"' in page.text
    assert "defensie-duikgroep" not in page.text
    offered = dhc_owner.post(
        f"{path}/counter-offer",
        {
            "csrf_token": csrf_token(page.text),
            "counter_asset_id": offered_asset["asset_id"],
            "counter_start": start,
            "counter_end": end,
            "counter_reason": "Deze Chinook staat in onderhoud",
        },
    )
    assert offered.status_code == 200, offered.text
    assert offered_asset["name"] in offered.text  # "your counter-offer" names what is offered
    seen = rotterdam_planner.get(f"/planner/bookings/{booking['id']}")
    assert "De eigenaar biedt iets anders aan" in seen.text
    changed = re.findall(r'class="portal-changed">([^<]+)<', seen.text)
    assert changed == [offered_asset["name"]]  # only the asset changed


def test_the_queue_in_english(portal_stack: dict[str, str]) -> None:
    owner = PortalClient(portal_stack["portal"])
    owner.sign_in("owner-dhc")
    owner.get("/language/en")
    queue = owner.get("/owner/approvals")
    assert '<html lang="en"' in queue.text
    assert "Requests waiting for your decision" in queue.text
    assert "Aanvragen die op uw besluit wachten" not in queue.text
    assert badge_count(queue.text) == pending_total(portal_stack)
