"""The request flow with the keyboard alone (WCAG 2.1.1 and 2.4.7): sign in, skip to the
content, search, choose a result and send the request with Tab, typing and Enter; every stop
shows a focus indicator, and the skip link is the first stop and moves focus to the content."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.portal.browser_support import (
    axe_check,
    focused_element,
    new_context,
    tab_to,
)

pytestmark = [pytest.mark.db, pytest.mark.broker]


def press_on(page: Page, name: str | re.Pattern[str], key: str = "Enter") -> None:
    tab_to(page, name)
    page.keyboard.press(key)
    page.wait_for_load_state()


def test_a_planner_requests_an_asset_with_the_keyboard_only(
    browser: Browser, portal_stack: dict[str, str]
) -> None:
    context = new_context(browser)
    page = context.new_page()
    try:
        page.goto(f"{portal_stack['portal']}/")
        axe_check(page)
        press_on(page, "Inloggen als planner-rotterdam")
        expect(page.get_by_role("heading", level=1)).to_have_text(
            "Wat is er vrij, wanneer en waar?"
        )
        axe_check(page)

        # The skip link is the first stop; Enter puts the focus on the main content.
        page.keyboard.press("Tab")
        first = focused_element(page)
        assert first["text"] == "Direct naar de inhoud" and first["visible"], first
        page.keyboard.press("Enter")
        assert focused_element(page)["id"] == "main"

        # Search: the window is filled in (tomorrow); choose the region and the category
        # by typing on the focused select, as a keyboard user does.
        tab_to(page, "Veiligheidsregio")
        page.keyboard.type("Rotterdam")
        tab_to(page, re.compile("^Wat$"))
        page.keyboard.type("Helikopter")
        press_on(page, re.compile("^Zoeken$"))
        expect(page.get_by_role("heading", level=2)).to_contain_text("vrij")
        axe_check(page)

        press_on(page, re.compile(r" aanvragen$"))
        expect(page.get_by_role("heading", level=1)).to_contain_text("aanvragen")
        axe_check(page)
        tab_to(page, re.compile("^Doel$"))
        page.keyboard.type("Zoekactie met alleen het toetsenbord")
        tab_to(page, re.compile("^Contactpersoon$"))
        page.keyboard.type("OvD Rotterdam 010-0000000")
        press_on(page, "Aanvraag versturen")

        expect(page.get_by_role("status")).to_contain_text("Uw aanvraag is naar de eigenaar")
        expect(page.get_by_text(re.compile(r"^\s*Status:"))).to_contain_text("Aangevraagd")
        axe_check(page)
    finally:
        context.close()
