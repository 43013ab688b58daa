"""The owner's pages in Debian's chromium against the real stack: deciding in the queue with
htmx swaps just the row, announces the outcome in the live region and recounts the header
badge; the same works by keyboard; every owner page has no serious or critical axe-core
violation."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.portal.browser_support import axe_check, new_context, sign_in
from tests.portal.journeys import free_helicopters, request_booking, window
from tests.portal.owner_support import new_asset, pending_total

pytestmark = [pytest.mark.db, pytest.mark.broker]


def _request(stack: dict[str, str], days_ahead: int, hour: int, purpose: str) -> dict[str, Any]:
    start, end = window(days_ahead, hour)
    asset = free_helicopters(stack, start, end)[0]
    return request_booking(
        stack, "planner-rotterdam", asset["asset_id"], start, end, purpose=purpose
    )


@pytest.fixture
def owner_page(browser: Browser, portal_stack: dict[str, str]) -> Iterator[Page]:
    context = new_context(browser)
    page = context.new_page()
    sign_in(page, portal_stack["portal"], "owner-dhc")
    yield page
    context.close()


def test_deciding_in_the_queue_swaps_the_row_and_announces_it(
    owner_page: Page, portal_stack: dict[str, str]
) -> None:
    approved = _request(portal_stack, 55, 9, "Grensbewaking Zeeland")
    rejected = _request(portal_stack, 55, 14, "Oefening Biesbosch")
    page = owner_page
    page.goto(f"{portal_stack['portal']}/owner/approvals")
    expect(page.get_by_role("heading", level=1)).to_have_text("Aanvragen die op uw besluit wachten")
    axe_check(page)
    badge = page.locator("#pending-approvals-badge")
    expect(badge).to_contain_text(str(pending_total(portal_stack)))
    row = page.locator(f"#request-{approved['id']}")
    row.get_by_role("button", name=re.compile("^Goedkeuren")).click()
    expect(row).to_contain_text("Goedgekeurd")
    expect(
        page.get_by_role("status").filter(has_text="Het verzoek is goedgekeurd.")
    ).to_be_visible()
    expect(badge).to_contain_text(str(pending_total(portal_stack)))
    assert page.url.endswith("/owner/approvals")  # no page load: htmx swapped the row
    # Rejecting by keyboard: open the row's "Afwijzen", type the reason, press Enter.
    row = page.locator(f"#request-{rejected['id']}")
    summary = row.locator("summary")
    summary.focus()
    page.keyboard.press("Enter")
    row.get_by_label("Reden van afwijzing").fill("Toestel elders ingezet")
    page.keyboard.press("Enter")
    expect(row).to_contain_text("Afgewezen")
    expect(page.get_by_role("status")).to_contain_text("Het verzoek is afgewezen.")
    axe_check(page)


def test_the_owner_pages_pass_axe(owner_page: Page, portal_stack: dict[str, str]) -> None:
    page = owner_page
    booking = _request(portal_stack, 56, 9, "Zoekactie Veluwe")
    asset = new_asset(portal_stack)
    portal = portal_stack["portal"]
    for path, heading in (
        (f"/owner/bookings/{booking['id']}", None),
        ("/owner/bookings", "Boekingen van mijn middelen"),
        ("/owner/assets", "Mijn middelen"),
        (f"/owner/assets/{asset['id']}", asset["name"]),
        (f"/owner/assets/{asset['id']}/availability", f"Beschikbaarheid van {asset['name']}"),
        (f"/owner/assets/{asset['id']}/retire", f"{asset['name']} uit dienst nemen"),
    ):
        page.goto(f"{portal}{path}")
        if heading:
            expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        axe_check(page)
    # A form refused in place keeps passing: the error summary and the field messages.
    page.goto(f"{portal}/owner/assets/{asset['id']}/availability")
    page.get_by_label("Dagelijks vanaf").fill("09:00")
    page.get_by_label("Dagelijks tot").fill("17:00")
    page.get_by_label("Eerste dag").fill("2027-01-04")
    page.get_by_label("Laatste dag").fill("2027-01-29")
    page.get_by_role("button", name="Wekelijkse regel publiceren").click()  # no day chosen
    expect(page.get_by_role("alert")).to_contain_text("Kies minstens één dag.")
    axe_check(page)
