"""The owner registers the start and the completion of a use on the booking page, and the
owner's pages are for owners of the asset's organisation only, through the real portal."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import requests

from services.portal.i18n import local_input_value
from tests.integration.booking_support import backdate
from tests.portal.client import PortalClient, csrf_token
from tests.portal.journeys import act, free_helicopters, request_booking, window
from tests.portal.owner_support import new_asset
from tests.support import auth

pytestmark = [pytest.mark.db, pytest.mark.broker]


def _approved_and_over(stack: dict[str, str], db_urls: dict[str, str], days_ahead: int) -> dict:
    """An approved booking whose planned window ended an hour ago (moved into the past, as
    if the days had gone by: a request must lie in the future, a completion in the past)."""
    start, end = window(days_ahead, 9)
    asset = free_helicopters(stack, start, end)[0]
    booking = request_booking(stack, "planner-rotterdam", asset["asset_id"], start, end)
    act(stack, "owner-dhc", booking["id"], "approve", {})
    ends_in = datetime.fromisoformat(booking["planned_end"]) - datetime.now(UTC)
    backdate(db_urls, booking["id"], ends_in.total_seconds() / 3600 + 1)
    moved = requests.get(
        f"{stack['booking']}/api/v1/bookings/{booking['id']}", headers=auth("owner-dhc"), timeout=30
    ).json()
    assert datetime.fromisoformat(moved["planned_end"]) < datetime.now(UTC)
    return dict(moved)


def test_start_and_complete_a_use_with_the_hours_used(
    dhc_owner: PortalClient,
    rotterdam_planner: PortalClient,
    portal_stack: dict[str, str],
    portal_db_urls: dict[str, str],
) -> None:
    booking = _approved_and_over(portal_stack, portal_db_urls, 47)
    path = f"/owner/bookings/{booking['id']}"
    page = dhc_owner.get(path)
    assert "Gebruik registreren" in page.text and "Aanvraag goedkeuren" not in page.text
    started = dhc_owner.post(f"{path}/start", {"csrf_token": csrf_token(page.text)})
    assert started.status_code == 200 and 'id="booking-state">In gebruik<' in started.text
    assert "Het begin van het gebruik is geregistreerd." in started.text
    actual = {
        "csrf_token": csrf_token(started.text),
        "actual_start": local_input_value(booking["planned_start"]),
        "actual_end": local_input_value(booking["planned_end"]),
    }
    # More hours than the actual window: booking's refusal, in Dutch, next to the field.
    too_many = dhc_owner.post(f"{path}/complete", {**actual, "usage_quantity": "99"})
    assert too_many.status_code == 422
    assert 'id="f-usage_quantity-error"' in too_many.text and "Traceback" not in too_many.text
    assert 'value="99"' in too_many.text  # what the owner typed is kept
    assert 'href="#f-usage_quantity">Gebruikte uren:' in too_many.text  # the summary links it
    not_a_number = dhc_owner.post(f"{path}/complete", {**actual, "usage_quantity": "twee"})
    assert not_a_number.status_code == 422
    assert "Vul een aantal uren in, bijvoorbeeld 2,5." in not_a_number.text
    done = dhc_owner.post(f"{path}/complete", {**actual, "usage_quantity": "2,5"})
    assert done.status_code == 200, done.text
    assert 'id="booking-state">Afgerond<' in done.text
    assert "Het gebruik is als afgerond geregistreerd." in done.text
    stored = requests.get(
        f"{portal_stack['booking']}/api/v1/bookings/{booking['id']}",
        headers=auth("owner-dhc"),
        timeout=30,
    ).json()
    assert stored["state"] == "completed" and stored["usage_quantity"] == "2.50"
    seen = rotterdam_planner.get(f"/planner/bookings/{booking['id']}")
    assert 'id="booking-state">Afgerond<' in seen.text


def test_completing_before_the_use_is_over_is_refused_in_place(
    dhc_owner: PortalClient, portal_stack: dict[str, str]
) -> None:
    start, end = window(48, 9)
    asset = free_helicopters(portal_stack, start, end)[0]
    booking = request_booking(portal_stack, "planner-rotterdam", asset["asset_id"], start, end)
    act(portal_stack, "owner-dhc", booking["id"], "approve", {})
    path = f"/owner/bookings/{booking['id']}"
    page = dhc_owner.get(path)
    refused = dhc_owner.post(
        f"{path}/complete",
        {"csrf_token": csrf_token(page.text), "actual_start": start, "actual_end": end},
    )
    assert refused.status_code == 422
    assert 'id="error-summary"' in refused.text and 'aria-invalid="true"' in refused.text
    assert 'id="booking-state">Goedgekeurd<' in refused.text


@pytest.mark.parametrize("path", ["/owner/approvals", "/owner/assets", "/owner/bookings"])
def test_a_planner_gets_the_403_page_on_owner_pages(
    rotterdam_planner: PortalClient, path: str
) -> None:
    page = rotterdam_planner.get(path)
    assert page.status_code == 403
    assert "Geen toegang" in page.text


def test_a_planner_cannot_post_an_owner_action(
    rotterdam_planner: PortalClient, portal_stack: dict[str, str]
) -> None:
    start, end = window(49, 9)
    asset = free_helicopters(portal_stack, start, end)[0]
    booking = request_booking(portal_stack, "planner-rotterdam", asset["asset_id"], start, end)
    page = rotterdam_planner.get("/planner/bookings")
    refused = rotterdam_planner.post(
        f"/owner/approvals/{booking['id']}/approve", {"csrf_token": csrf_token(page.text)}
    )
    assert refused.status_code == 403


def test_an_owner_of_another_organisation_cannot_see_or_act_on_dhc_assets(
    portal_stack: dict[str, str],
) -> None:
    start, end = window(49, 14)
    asset = free_helicopters(portal_stack, start, end)[0]
    booking = request_booking(portal_stack, "planner-rotterdam", asset["asset_id"], start, end)
    divers = PortalClient(portal_stack["portal"])
    divers.sign_in("owner-duikgroep")
    queue = divers.get("/owner/approvals")
    assert queue.status_code == 200 and booking["id"] not in queue.text
    token = csrf_token(queue.text)
    assert divers.get(f"/owner/bookings/{booking['id']}").status_code == 404
    approve = divers.post(f"/owner/approvals/{booking['id']}/approve", {"csrf_token": token})
    assert approve.status_code == 404 and "Pagina niet gevonden" in approve.text
    assert divers.get(f"/owner/assets/{asset['asset_id']}").status_code == 404
    # The portal's own check aside, catalog refuses another organisation's change (403).
    dhc_asset = new_asset(portal_stack)
    blackout = divers.post(
        f"/owner/assets/{dhc_asset['id']}/blackouts",
        {
            "csrf_token": token,
            "blackout_start": "2027-03-01T08:00",
            "blackout_end": "2027-03-01T12:00",
            "blackout_reason": "Eigen oefening",
        },
    )
    assert blackout.status_code == 403 and "Geen toegang" in blackout.text
    listed = requests.get(
        f"{portal_stack['catalog']}/api/v1/assets/{dhc_asset['id']}/blackouts",
        headers=auth("owner-dhc"),
        timeout=30,
    ).json()
    assert listed == {"items": [], "next_cursor": None}
    still = requests.get(
        f"{portal_stack['booking']}/api/v1/bookings/{booking['id']}",
        headers=auth("owner-dhc"),
        timeout=30,
    ).json()
    assert still["state"] == "requested"
