"""The owner's assets through the real portal process over HTTP: the list, a weekly rule and
a one-off window with the preview of the coming weeks, blackouts, tariffs, a stale edit told
(If-Match), and retirement refused while a future booking holds the asset. Each test works on
a fresh asset of its own, so nothing the other tests book is touched."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
import requests
from sqlalchemy import text

from services.portal.i18n import AMSTERDAM
from tests.integration.booking_support import engine_for
from tests.portal.client import PortalClient, csrf_token, hidden_value
from tests.portal.journeys import instant, request_booking
from tests.portal.owner_support import input_value, new_asset
from tests.support import auth, eventually

pytestmark = [pytest.mark.db, pytest.mark.broker]


def _preview_rows(html: str) -> list[str]:
    """The rows of the availability preview table ([] when nothing is bookable)."""
    found = re.search(r'<table[^>]*id="availability-preview".*?<tbody>(.*?)</tbody>', html, re.S)
    return re.findall(r"<tr>.*?</tr>", found.group(1), re.S) if found else []


def _today() -> date:
    return datetime.now(AMSTERDAM).date()


def _publish(stack: dict[str, str], asset_id: str, body: dict[str, Any]) -> None:
    response = requests.post(
        f"{stack['catalog']}/api/v1/assets/{asset_id}/availability",
        headers=auth("owner-dhc"),
        json=body,
        timeout=30,
    )
    assert response.status_code == 201, response.text


def _stored(stack: dict[str, str], asset_id: str) -> requests.Response:
    """The asset as catalog has it now (with its ETag)."""
    response = requests.get(
        f"{stack['catalog']}/api/v1/assets/{asset_id}", headers=auth("owner-dhc"), timeout=30
    )
    assert response.status_code == 200, response.text
    return response


def test_my_assets_are_my_organisations_own(
    dhc_owner: PortalClient, portal_stack: dict[str, str]
) -> None:
    divers = requests.get(
        f"{portal_stack['catalog']}/api/v1/assets",
        params={"owner": "defensie-duikgroep"},
        headers=auth("owner-dhc"),
        timeout=30,
    ).json()["items"]
    page = dhc_owner.get("/owner/assets")
    assert page.status_code == 200
    assert "Middelen van defensie-dhc" in page.text and "CH-47F Chinook D-101" in page.text
    assert divers and not any(asset["name"] in page.text for asset in divers)
    link = re.search(r'href="(/owner/assets/[0-9a-f-]{36})"', page.text)
    assert link
    detail = dhc_owner.get(link.group(1))
    assert detail.status_code == 200
    assert "Tarieven" in detail.text and "Gegevens wijzigen" in detail.text


def test_a_weekly_rule_and_a_one_off_window_show_in_the_preview(
    dhc_owner: PortalClient, portal_stack: dict[str, str]
) -> None:
    asset = new_asset(portal_stack)
    path = f"/owner/assets/{asset['id']}/availability"
    page = dhc_owner.get(path)
    assert page.status_code == 200
    assert "Niet boekbaar in deze periode." in page.text and not _preview_rows(page.text)
    first, last = _today() + timedelta(days=1), _today() + timedelta(days=20)
    rule = {
        "csrf_token": csrf_token(page.text),
        "start_time": "09:00",
        "end_time": "17:00",
        "valid_from": first.isoformat(),
        "valid_to": last.isoformat(),
    }
    no_days = dhc_owner.post(f"{path}/rules", rule)
    assert no_days.status_code == 422 and "Kies minstens één dag." in no_days.text
    backwards = dhc_owner.post(
        f"{path}/rules",
        {**rule, "weekdays": ["2"], "valid_to": first.isoformat(), "valid_from": last.isoformat()},
    )
    # catalog refuses a rule ending before it starts: its Dutch message next to the field.
    assert backwards.status_code == 422 and 'id="f-valid_to-error"' in backwards.text
    published = dhc_owner.post(f"{path}/rules", {**rule, "weekdays": ["2", "4"]})
    assert published.status_code == 200
    assert "De wekelijkse regel is gepubliceerd." in published.text
    assert "dinsdag, donderdag, 09:00–17:00" in published.text
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    expected = [d for d in days if d.isoweekday() in (2, 4)]
    rows = _preview_rows(published.text)
    assert len(rows) == len(expected)
    assert all("09:00" in row and "17:00" in row for row in rows)
    saturday = next(d for d in days if d.isoweekday() == 6)
    one_off = dhc_owner.post(
        f"{path}/windows",
        {
            "csrf_token": csrf_token(published.text),
            "window_start": f"{saturday.isoformat()}T10:00",
            "window_end": f"{saturday.isoformat()}T12:00",
        },
    )
    assert "Het venster is gepubliceerd." in one_off.text
    rows = _preview_rows(one_off.text)
    assert len(rows) == len(expected) + 1
    assert any("zaterdag" in row and "10:00" in row and "12:00" in row for row in rows)
    one_off_row = re.search(
        r'<th scope="row">Eenmalig</th>.*?action="([^"]+/withdraw)"', one_off.text, re.S
    )
    assert one_off_row
    withdrawn = dhc_owner.post(one_off_row.group(1), {"csrf_token": csrf_token(one_off.text)})
    assert "Het venster is ingetrokken." in withdrawn.text
    assert len(_preview_rows(withdrawn.text)) == len(expected)


def test_a_blackout_takes_its_day_out_of_the_preview_until_removed(
    dhc_owner: PortalClient, portal_stack: dict[str, str]
) -> None:
    asset = new_asset(portal_stack)
    first, last = _today() + timedelta(days=1), _today() + timedelta(days=7)
    _publish(
        portal_stack,
        asset["id"],
        {
            "kind": "recurring",
            "weekdays": [1, 2, 3, 4, 5, 6, 7],
            "start_time": "08:00",
            "end_time": "18:00",
            "valid_from": first.isoformat(),
            "valid_to": last.isoformat(),
        },
    )
    path = f"/owner/assets/{asset['id']}/availability"
    page = dhc_owner.get(path)
    assert len(_preview_rows(page.text)) == 7
    blocked = first + timedelta(days=2)
    blackout = {
        "csrf_token": csrf_token(page.text),
        "blackout_start": f"{blocked.isoformat()}T00:00",
        "blackout_end": f"{(blocked + timedelta(days=1)).isoformat()}T00:00",
        "blackout_reason": "Eigen oefening Peel",
    }
    backwards = dhc_owner.post(
        f"/owner/assets/{asset['id']}/blackouts",
        {**blackout, "blackout_end": f"{blocked.isoformat()}T00:00"},
    )
    assert backwards.status_code == 422 and 'id="f-blackout_end-error"' in backwards.text
    added = dhc_owner.post(f"/owner/assets/{asset['id']}/blackouts", blackout)
    assert "De blokkade is toegevoegd." in added.text and "Eigen oefening Peel" in added.text
    assert len(_preview_rows(added.text)) == 6
    remove = re.search(r'action="(/owner/assets/[^"]+/blackouts/[^"]+/remove)"', added.text)
    assert remove
    removed = dhc_owner.post(remove.group(1), {"csrf_token": csrf_token(added.text)})
    assert "De blokkade is verwijderd." in removed.text
    assert len(_preview_rows(removed.text)) == 7


def test_a_stale_edit_is_told_and_not_saved(
    dhc_owner: PortalClient, portal_stack: dict[str, str]
) -> None:
    asset = new_asset(portal_stack)
    path = f"/owner/assets/{asset['id']}"
    page = dhc_owner.get(path)
    form = {
        "csrf_token": csrf_token(page.text),
        "etag": hidden_value(page.text, "etag"),
        "name": "Zoekteam Mijn wijziging",
        "home_base": input_value(page.text, "home_base"),
        "readiness_notice": "PT2H",
        "capacity": "1",
        "status": "active",
    }
    # A colleague changes the asset after the page was opened.
    current = _stored(portal_stack, asset["id"])
    colleague = requests.patch(
        f"{portal_stack['catalog']}/api/v1/assets/{asset['id']}",
        headers={**auth("owner-dhc"), "If-Match": current.headers["ETag"]},
        json={"name": "Zoekteam van een collega"},
        timeout=30,
    )
    assert colleague.status_code == 200, colleague.text
    stale = dhc_owner.post(path, form)
    assert stale.status_code == 412
    assert "Iemand heeft dit middel gewijzigd nadat u de pagina opende" in stale.text
    assert input_value(stale.text, "name") == "Zoekteam van een collega"  # as it is now
    stored = _stored(portal_stack, asset["id"]).json()
    assert stored["name"] == "Zoekteam van een collega" and stored["readiness_notice"] == "PT1H"
    again = dhc_owner.post(path, {**form, "etag": hidden_value(stale.text, "etag")})
    assert again.status_code == 200 and "Het middel is opgeslagen." in again.text
    assert "Zoekteam Mijn wijziging" in again.text


def test_tariffs_are_listed_and_a_new_period_added(
    dhc_owner: PortalClient, portal_stack: dict[str, str]
) -> None:
    asset = new_asset(portal_stack, valid_to=date(2030, 12, 31))
    path = f"/owner/assets/{asset['id']}"
    page = dhc_owner.get(path)
    tariff = {
        "csrf_token": csrf_token(page.text),
        "unit": "hour",
        "full_cost_rate": "450,00",
        "marginal_cost_rate": "160.00",
        "market_reference_price": "650.00",
        "valid_from": "2030-06-01",
    }
    overlapping = dhc_owner.post(f"{path}/tariffs", tariff)
    assert overlapping.status_code in (409, 422), overlapping.text
    assert 'id="error-summary"' in overlapping.text and "Traceback" not in overlapping.text
    added = dhc_owner.post(f"{path}/tariffs", {**tariff, "valid_from": "2031-01-01"})
    assert added.status_code == 200 and "Het tarief is toegevoegd." in added.text
    assert re.search(r"€\s450,00", added.text) and "onbepaalde tijd" in added.text


def _searchable(stack: dict[str, str], asset_id: str, start: str, end: str) -> bool:
    found = requests.get(
        f"{stack['booking']}/api/v1/availability",
        params={"start": instant(start), "end": instant(end), "category": "search_team"},
        headers=auth("planner-rotterdam"),
        timeout=30,
    )
    return found.status_code == 200 and any(
        a["asset_id"] == asset_id for a in found.json()["items"]
    )


def _committed(db_urls: dict[str, str], booking_id: str) -> bool:
    """catalog has heard of the booking (its events), so a retirement sees it."""
    with engine_for(db_urls["catalog"]).connect() as conn:
        return bool(
            conn.execute(
                text(
                    "SELECT 1 FROM asset_commitments WHERE booking_id = :id AND state = 'requested'"
                ),
                {"id": booking_id},
            ).first()
        )


def test_retiring_is_confirmed_and_refused_while_a_future_booking_holds_it(
    dhc_owner: PortalClient, portal_stack: dict[str, str], portal_db_urls: dict[str, str]
) -> None:
    asset = new_asset(portal_stack)
    day = _today() + timedelta(days=50)
    opens = datetime.combine(day, time(0), AMSTERDAM)
    _publish(
        portal_stack,
        asset["id"],
        {
            "kind": "one_off",
            "start_at": opens.isoformat(),
            "end_at": (opens + timedelta(days=1)).isoformat(),
        },
    )
    start, end = f"{day.isoformat()}T09:00", f"{day.isoformat()}T12:00"
    eventually(
        lambda: _searchable(portal_stack, asset["id"], start, end), what="the asset in booking"
    )
    booking = request_booking(portal_stack, "planner-rotterdam", asset["id"], start, end)
    eventually(lambda: _committed(portal_db_urls, booking["id"]), what="the booking in catalog")
    path = f"/owner/assets/{asset['id']}/retire"
    confirm = dhc_owner.get(path)
    assert confirm.status_code == 200 and "definitief" in confirm.text
    unconfirmed = dhc_owner.post(
        path, {"csrf_token": csrf_token(confirm.text), "reason": "Afgestoten"}
    )
    assert unconfirmed.status_code == 422
    assert "Bevestig dat het middel definitief uit dienst gaat." in unconfirmed.text
    refused = dhc_owner.post(
        path, {"csrf_token": csrf_token(confirm.text), "reason": "Afgestoten", "confirm": "yes"}
    )
    assert refused.status_code == 409
    assert 'id="error-summary"' in refused.text and asset["name"] in refused.text
    stored = _stored(portal_stack, asset["id"]).json()
    assert stored["status"] == "active"
