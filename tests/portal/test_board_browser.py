"""The live capacity board in a real browser: the board says
"live" and its table follows a request made through the API and, within 5 s, its approval
by the owner in another browser context, without a reload; axe-core finds no serious
violation. (The public drone register in a browser: tests/portal/test_public_pages.py.)"""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
import requests
from playwright.sync_api import Browser, Page, expect

from tests.portal.browser_support import axe_check, new_context, sign_in, snapshot
from tests.portal.journeys import free_helicopters, instant, window
from tests.support import auth

pytestmark = [pytest.mark.db, pytest.mark.broker]

TIMEOUT_S = 30
FOLLOW_MS = 60_000  # a bounded wait for the event to travel, not a claim about speed
APPROVAL_SHOWN_MS = 5_000  # issue 12: the board shows an approval within 5 s
REGION = "VR17"


def requested_cell(page: Page) -> Any:
    # Columns: region (th), free now, free in 24 h, requested, in use.
    return page.locator(f'#board-table tr[data-region="{REGION}"] td').nth(2)


def test_the_board_follows_a_request_and_its_approval_without_reload(
    browser: Browser, portal_stack: dict[str, str]
) -> None:
    context = new_context(browser)
    page = context.new_page()
    try:
        sign_in(page, portal_stack["portal"], "finance-politie")
        page.goto(f"{portal_stack['portal']}/board?category=helicopter")
        expect(page.locator("#board-status.portal-live--live")).to_be_visible(timeout=FOLLOW_MS)
        before = int(requested_cell(page).inner_text())
        page.evaluate("document.body.setAttribute('data-not-reloaded', 'yes')")

        start, end = window(16, 9, hours=2)
        asset = free_helicopters(portal_stack, start, end)[0]
        created = requests.post(
            f"{portal_stack['booking']}/api/v1/bookings",
            headers={**auth("planner-rotterdam"), "Idempotency-Key": uuid.uuid4().hex},
            json={
                "asset_id": asset["asset_id"],
                "start": instant(start),
                "end": instant(end),
                "priority": 2,
                "legal_basis": "steunverlening",
                "purpose": "Het bord volgt deze aanvraag",
                "contact": "Meldkamer 0800-1234",
                "region": REGION,
            },
            timeout=TIMEOUT_S,
        )
        assert created.status_code == 201, created.text
        expect(requested_cell(page)).to_have_text(str(before + 1), timeout=FOLLOW_MS)

        owner_context = new_context(browser)  # the owner, in a browser of their own
        try:
            owner = owner_context.new_page()
            sign_in(owner, portal_stack["portal"], "owner-dhc")
            owner.goto(f"{portal_stack['portal']}/owner/approvals")
            row = owner.locator(f"#request-{created.json()['id']}")
            row.get_by_role("button", name=re.compile("^Goedkeuren")).click()
            expect(row).to_contain_text("Goedgekeurd")
            expect(requested_cell(page)).to_have_text(str(before), timeout=APPROVAL_SHOWN_MS)
        finally:
            owner_context.close()
        assert page.evaluate("document.body.getAttribute('data-not-reloaded')") == "yes"
        expect(page.locator("#board-status")).to_have_text(re.compile("Live"))
        snapshot(page, "capacity-board")
        axe_check(page)
    finally:
        context.close()
