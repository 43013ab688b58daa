"""The inbox in a real browser: marking a notification read swaps the list in place, the
status region announces it and the header badge follows; the inbox, preferences and webhook
pages have no serious or critical axe-core violation."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.portal.browser_support import axe_check, new_context, sign_in, snapshot
from tests.portal.test_inbox_over_http import _requested, notification_about, unread

pytestmark = [pytest.mark.db, pytest.mark.broker]


@pytest.fixture
def owner_page(browser: Browser, portal_stack: dict[str, str]) -> Iterator[Page]:
    context = new_context(browser)
    page = context.new_page()
    sign_in(page, portal_stack["portal"], "owner-dhc")
    yield page
    context.close()


def test_marking_read_swaps_the_list_and_announces_it(
    owner_page: Page, portal_stack: dict[str, str]
) -> None:
    item = notification_about(portal_stack, "owner-dhc", _requested(portal_stack, 65)["id"])
    page = owner_page
    page.goto(f"{portal_stack['portal']}/notifications")
    expect(page.get_by_role("heading", level=1)).to_have_text("Meldingen")
    expect(page.locator("#unread-notifications-badge")).to_be_visible()
    axe_check(page)
    snapshot(page, "inbox")
    row = page.locator(f"#notification-{item['id']}")
    expect(row).to_contain_text("Nieuwe aanvraag")
    row.get_by_role("button", name=re.compile("^Als gelezen markeren")).click()
    expect(page.get_by_role("status").filter(has_text="Als gelezen gemarkeerd")).to_be_visible()
    expect(page.locator(f"#notification-{item['id']}")).to_contain_text("Gelezen")
    assert page.url.endswith("/notifications")  # no page load: htmx swapped the list
    count = unread(portal_stack, "owner-dhc")
    if count:  # the badge follows notify's count (other tests' notifications may remain)
        expect(page.locator("#unread-notifications-badge")).to_be_visible()
    axe_check(page)
    page.goto(f"{portal_stack['portal']}/notifications/preferences")
    expect(page.get_by_role("heading", level=1)).to_have_text("Meldingsvoorkeuren")
    axe_check(page)


def test_the_webhook_pages_pass_axe(browser: Browser, portal_stack: dict[str, str]) -> None:
    context = new_context(browser)
    page = context.new_page()
    try:
        sign_in(page, portal_stack["portal"], "admin")
        page.goto(f"{portal_stack['portal']}/notifications/webhooks")
        expect(page.get_by_role("heading", level=1)).to_have_text("Webhooks")
        axe_check(page)
        page.get_by_label("Adres (URL)").fill("http://127.0.0.1:9/browser-hook")
        page.get_by_label("Aanvraag goedgekeurd").check()
        page.get_by_role("button", name="Webhook registreren").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Webhook geregistreerd")
        expect(page.locator("#webhook-secret")).not_to_be_empty()
        axe_check(page)
        snapshot(page, "webhook-secret")
        page.get_by_role("link", name="Naar de webhook en zijn afleveringen").click()
        expect(page.get_by_role("heading", level=2, name="Afleveringen")).to_be_visible()
        axe_check(page)
        page.get_by_role("button", name="Webhook verwijderen").click()
        expect(page.get_by_role("status")).to_contain_text("De webhook en zijn afleverlogboek")
    finally:
        context.close()
