"""The national pages in a real browser: the dashboard's charts are drawn from its tables
without breaking the CSP, the evaluation page and its map render all 25 regions and print
without the portal's header, and axe-core finds no serious violation on either page."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page

from tests.portal.browser_support import axe_check, new_context, sign_in, snapshot
from tests.portal.national_support import SEEDED_BASELINE, SEEDED_PERIOD

pytestmark = [pytest.mark.db, pytest.mark.broker]


@pytest.fixture
def controller_page(browser: Browser, portal_stack: dict[str, str]) -> Iterator[Page]:
    context = new_context(browser)
    page = context.new_page()
    sign_in(page, portal_stack["portal"], "controller")
    yield page
    context.close()


def test_the_dashboard_draws_a_chart_per_table(
    controller_page: Page, portal_stack: dict[str, str], national_seeded: None
) -> None:
    page = controller_page
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: refused.append(str(error)))
    page.goto(f"{portal_stack['portal']}/national/efficiency?period={SEEDED_PERIOD}")
    page.wait_for_selector(".portal-chart__canvas canvas")
    # A chart for every table with rows (a grouping with nothing in the period has none).
    assert page.locator("table[data-chart=bar]").count() == 5
    with_rows = page.locator("table[data-chart=bar]:has(tbody tr[data-key])").count()
    assert with_rows >= 2  # the quarters, and the categories of the demo assets
    assert page.locator(".portal-chart__canvas canvas").count() == with_rows
    # The charts are pictures of their tables: hidden from screen readers, tables kept.
    assert page.locator(".portal-chart__canvas[aria-hidden=true]").count() == with_rows
    assert not refused, refused
    snapshot(page, "efficiency-dashboard")
    axe_check(page)


def test_the_evaluation_page_maps_every_region_and_prints(
    controller_page: Page, portal_stack: dict[str, str], national_seeded: None
) -> None:
    page = controller_page
    page.goto(
        f"{portal_stack['portal']}/national/evaluation"
        f"?baseline={SEEDED_BASELINE}&period={SEEDED_PERIOD}&figure=fulfilled"
    )
    regions = page.locator("svg.portal-map__svg path[data-region]")
    assert regions.count() == 25
    codes = {regions.nth(i).get_attribute("data-region") for i in range(25)}
    assert codes == {f"VR{n:02d}" for n in range(1, 26)}
    assert page.locator("svg.portal-map__svg path[data-class=c4]").count() == 1  # Zuid-Limburg
    box = page.locator("svg.portal-map__svg").bounding_box()
    assert box and box["width"] > 200 and box["height"] > 200
    snapshot(page, "evaluation-map")
    axe_check(page)
    page.emulate_media(media="print")
    assert not page.locator(".portal-header").is_visible()
    assert not page.locator("form.portal-no-print").is_visible()
    assert page.locator("svg.portal-map__svg").is_visible()
