"""The planner's flow through the real portal process over HTTP: sign in as a persona,
search by time, request, see the booking; each refusal is a readable page, never a trace."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta

import pytest
import requests

from services.portal.i18n import AMSTERDAM
from tests.portal.client import PortalClient, csrf_token, hidden_value
from tests.support import auth

pytestmark = [pytest.mark.db, pytest.mark.broker]


def _window(days_ahead: int, hour: int, hours: int = 3) -> tuple[str, str]:
    day = datetime.now(AMSTERDAM).date() + timedelta(days=days_ahead)
    start = datetime.combine(day, time(hour, 0))
    return start.strftime("%Y-%m-%dT%H:%M"), (start + timedelta(hours=hours)).strftime(
        "%Y-%m-%dT%H:%M"
    )


def _request_links(html: str) -> list[str]:
    return [
        link.replace("&amp;", "&") for link in re.findall(r'href="(/planner/request\?[^"]+)"', html)
    ]


@pytest.fixture
def planner(portal_stack: dict[str, str]) -> PortalClient:
    client = PortalClient(portal_stack["portal"])
    client.sign_in("planner-rotterdam")
    return client


def test_search_request_and_see_the_booking(
    planner: PortalClient, portal_stack: dict[str, str]
) -> None:
    start, end = _window(5, 9)
    results = planner.get(
        "/planner/search",
        params={
            "start": start,
            "end": end,
            "category": "helicopter",
            "region": "VR17",
            "quantity": "1",
            "legal_basis": "steunverlening",
        },
    )
    assert results.status_code == 200, results.text
    links = _request_links(results.text)
    assert links, "no free helicopter in the demo data"
    assert "€" in results.text  # the estimate of what the unit would pay
    form = planner.get(links[0])
    assert form.status_code == 200
    key = hidden_value(form.text, "idempotency_key")
    data = {
        "csrf_token": csrf_token(form.text),
        "asset_id": hidden_value(form.text, "asset_id"),
        "idempotency_key": key,
        "start": start,
        "end": end,
        "legal_basis": "steunverlening",
        "priority": "2",
        "purpose": "Hoogwaterbescherming Maasvlakte",
        "contact": "Meldkamer Rotterdam 010-1234567",
        "quantity": "1",
    }
    sent = planner.post("/planner/request", data, allow_redirects=False)
    assert sent.status_code == 302, sent.text
    booking_path = sent.headers["Location"]
    # A double click (the same form again) lands on the same booking, not a second one.
    again = planner.post("/planner/request", data, allow_redirects=False)
    assert again.status_code == 302 and again.headers["Location"] == booking_path
    page = planner.get(booking_path)
    assert page.status_code == 200
    assert "Hoogwaterbescherming Maasvlakte" in page.text
    assert 'id="booking-state">Aangevraagd<' in page.text  # Dutch by default
    listing = planner.get("/planner/bookings", params={"state": "requested"})
    assert booking_path in listing.text


def test_a_field_error_from_the_form_is_shown_next_to_the_input(planner: PortalClient) -> None:
    start, end = _window(6, 10)
    found = planner.get(
        "/planner/search",
        params={"start": start, "end": end, "quantity": "1", "legal_basis": "steunverlening"},
    )
    form = planner.get(_request_links(found.text)[0])
    refused = planner.post(
        "/planner/request",
        {
            "csrf_token": csrf_token(form.text),
            "asset_id": hidden_value(form.text, "asset_id"),
            "idempotency_key": hidden_value(form.text, "idempotency_key"),
            "start": end,  # the end before the start
            "end": start,
            "legal_basis": "steunverlening",
            "priority": "2",
            "purpose": "x",  # too short
            "contact": "Meldkamer",
            "quantity": "1",
        },
    )
    assert refused.status_code == 422
    assert 'id="f-end-error"' in refused.text and 'id="f-purpose-error"' in refused.text
    assert 'href="#f-purpose"' in refused.text  # the error summary links to the field
    assert 'aria-invalid="true"' in refused.text


def test_an_api_refusal_is_a_message_on_the_page(planner: PortalClient) -> None:
    """booking refuses a request in the past (422 with field errors): the portal shows its
    message in place, in Dutch (booking answers Accept-Language), with the form kept."""
    start, end = _window(5, 9)
    found = planner.get(
        "/planner/search",
        params={"start": start, "end": end, "quantity": "1", "legal_basis": "steunverlening"},
    )
    form = planner.get(_request_links(found.text)[0])
    past_start, past_end = _window(-3, 9)
    refused = planner.post(
        "/planner/request",
        {
            "csrf_token": csrf_token(form.text),
            "asset_id": hidden_value(form.text, "asset_id"),
            "idempotency_key": hidden_value(form.text, "idempotency_key"),
            "start": past_start,
            "end": past_end,
            "legal_basis": "steunverlening",
            "priority": "2",
            "purpose": "Oefening in het verleden",
            "contact": "Meldkamer Rotterdam",
            "quantity": "1",
        },
    )
    assert refused.status_code == 422, refused.text
    assert 'id="error-summary"' in refused.text
    # booking's own message, in the user's language, next to the field it names
    assert "Het venster ligt in het verleden." in refused.text
    assert 'id="f-start-error">Mag niet in het verleden liggen.<' in refused.text
    assert "Oefening in het verleden" in refused.text  # what the user typed is kept
    assert "Traceback" not in refused.text


def test_another_units_booking_is_the_404_page(
    planner: PortalClient, portal_stack: dict[str, str]
) -> None:
    start, end = _window(8, 13)
    found = requests.get(
        f"{portal_stack['booking']}/api/v1/availability",
        params={
            "start": datetime.fromisoformat(start).replace(tzinfo=AMSTERDAM).isoformat(),
            "end": datetime.fromisoformat(end).replace(tzinfo=AMSTERDAM).isoformat(),
        },
        headers=auth("planner-amsterdam"),
        timeout=30,
    ).json()["items"]
    created = requests.post(
        f"{portal_stack['booking']}/api/v1/bookings",
        headers={**auth("planner-amsterdam"), "Idempotency-Key": f"portal-{start}"},
        json={
            "asset_id": found[0]["asset_id"],
            "start": datetime.fromisoformat(start).replace(tzinfo=AMSTERDAM).isoformat(),
            "end": datetime.fromisoformat(end).replace(tzinfo=AMSTERDAM).isoformat(),
            "priority": 2,
            "legal_basis": "steunverlening",
            "purpose": "Amsterdamse inzet",
            "contact": "Meldkamer Amsterdam",
        },
        timeout=30,
    )
    assert created.status_code == 201, created.text
    page = planner.get(f"/planner/bookings/{created.json()['id']}")
    assert page.status_code == 404
    assert "Pagina niet gevonden" in page.text
    assert "Amsterdamse inzet" not in page.text
