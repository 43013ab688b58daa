"""The portal in a real browser (Debian's chromium through Playwright) against the real stack:
the APIs, workers and portal as processes over HTTP (tests/portal/stack.py), with the demo data.

Locators are roles and accessible names (get_by_role, get_by_label), never CSS classes, so a
passing journey also proves that a screen-reader user can find every control. The visible words
come from the portal's own catalogues (``say``), so the same journey runs in Dutch and English.
axe-core checks every page the journeys visit.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests
from babel.support import Translations
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect

from tests.integration.booking_support import backdate
from tests.portal.browser_support import (
    axe_check,
    new_context,
    sign_in,
    snapshot,
)
from tests.portal.journeys import TIMEOUT_S, free_helicopters, instant, window
from tests.support import auth, eventually

PLANNER = "planner-rotterdam"
OTHER_PLANNER = "planner-amsterdam"
OWNER = "owner-dhc"
JOURNEY_DAYS_AHEAD = 60  # days no other portal test books (tests/portal use 1-56)
CATALOGUES = Path(__file__).resolve().parents[2] / "services" / "portal" / "translations"

pytestmark = [pytest.mark.db, pytest.mark.broker]


def catalogue(language: str) -> Translations:
    found = Translations.load(str(CATALOGUES), [language])
    assert isinstance(found, Translations), f"no {language} catalogue under {CATALOGUES}"
    return found


def say(language: str, message: str, **values: str) -> str:
    """What the portal shows for ``message`` in ``language`` (its own catalogue)."""
    translated: str = catalogue(language).gettext(message)
    return translated % values if values else translated


def exactly(text: str) -> re.Pattern[str]:
    return re.compile(rf"^\s*{re.escape(text)}\s*$")


class Persona:
    """One person's browser (own cookies, so own sign-in and language), one tab reused."""

    def __init__(self, browser: Browser, portal: str, key: str, language: str) -> None:
        self.portal, self.key, self.language = portal, key, language
        self.context: BrowserContext = new_context(browser)
        self.page: Page = self.context.new_page()
        sign_in(self.page, portal, key, screenshot="sign-in" if language == "nl" else "")
        if language != "nl":
            self.page.get_by_role("link", name="English").click()
            expect(self.page.locator("html")).to_have_attribute("lang", language)
        axe_check(self.page)

    def menu(self, item: str) -> Page:
        """Follow a link of the main menu, as a person finds a page."""
        menu = self.page.get_by_role("navigation", name=self.say("Main menu"))
        menu.get_by_role("link", name=re.compile(rf"^\s*{re.escape(self.say(item))}")).click()
        self.page.wait_for_load_state()
        axe_check(self.page)
        return self.page

    def status_line(self) -> Locator:
        """The booking page's "Status: ..." line."""
        return self.page.get_by_text(re.compile(rf"^\s*{re.escape(self.say('Status'))}:"))

    def say(self, message: str, **values: str) -> str:
        return say(self.language, message, **values)

    def open(self, path: str) -> Page:
        self.page.goto(f"{self.portal}{path}")
        axe_check(self.page)
        return self.page

    def snapshot(self, name: str) -> None:
        """A screenshot for docs/screenshots (Dutch pages only)."""
        if self.language == "nl":
            snapshot(self.page, name)

    def close(self) -> None:
        self.context.close()


def helicopters_priced(stack: dict[str, str], days_ahead: int) -> bool:
    """cost-sharing prices every helicopter free in the journey's window (its worker has read
    catalog's tariffs; the stack only waits for booking's read model)."""
    start, end = window(days_ahead, 10)
    items = [
        {"asset_id": row["asset_id"], "start": instant(start), "end": instant(end),
         "quantity": 1, "legal_basis": "steunverlening"}
        for row in free_helicopters(stack, start, end)
    ]  # fmt: skip
    answer = requests.post(
        f"{stack['costsharing']}/api/v1/estimates/batch",
        json={"items": items},
        headers=auth(PLANNER),
        timeout=TIMEOUT_S,
    )
    return bool(items) and answer.ok and all(row["estimate"] for row in answer.json()["items"])


@pytest.fixture
def priced_stack(portal_stack: dict[str, str]) -> dict[str, str]:
    eventually(
        lambda: helicopters_priced(portal_stack, JOURNEY_DAYS_AHEAD),
        timeout_s=60,
        every_s=0.5,
        what="cost-sharing's prices for the demo helicopters",
    )
    return portal_stack


@pytest.fixture
def people(
    browser: Browser,
    priced_stack: dict[str, str],
    request: pytest.FixtureRequest,
    tmp_path: Path,
) -> Iterator[Callable[..., Persona]]:
    opened: list[Persona] = []
    failures_before = request.session.testsfailed

    def person(key: str, language: str = "nl") -> Persona:
        opened.append(Persona(browser, priced_stack["portal"], key, language))
        return opened[-1]

    yield person
    if request.session.testsfailed > failures_before:
        for one in opened:  # what each person saw last, to tell why
            shot = tmp_path / f"{one.key}-{one.language}.png"
            one.page.screenshot(path=str(shot), full_page=True)
            print(f"{one.key} ({one.language}) was at {one.page.url}; screenshot {shot}")
    for one in opened:
        one.close()


def search_and_request(planner: Persona, days_ahead: int, purpose: str) -> tuple[str, str]:
    """The planner's main flow: search by time, see the price, request the first helicopter.
    Returns the asset's name and the booking page's path."""
    page = planner.menu("Search")
    start, end = window(days_ahead, 10)
    page.get_by_label(planner.say("From"), exact=True).fill(start)
    page.get_by_label(planner.say("Until"), exact=True).fill(end)
    region = page.get_by_label(planner.say("Safety region"), exact=True)
    region.select_option(label="Rotterdam-Rijnmond")
    page.get_by_label(planner.say("What"), exact=True).select_option(
        label=planner.say("Helicopter")
    )
    page.get_by_role("button", name=planner.say("Search"), exact=True).click()

    results = page.get_by_role("listitem").filter(has=page.get_by_role("heading", level=3))
    expect(results.first).to_be_visible()
    first = results.first
    # The estimate: what the unit would pay, split between police and Defence.
    expect(first).to_contain_text(planner.say("Your unit pays"))
    expect(first).to_contain_text("€")
    name = first.get_by_role("heading", level=3).inner_text().strip()
    axe_check(page)
    planner.snapshot("search-results")

    first.get_by_role("link", name=planner.say("Request %(name)s", name=name)).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        planner.say("Request %(name)s", name=name)
    )
    axe_check(page)
    page.get_by_label(planner.say("Purpose"), exact=True).fill(purpose)
    page.get_by_label(planner.say("Contact"), exact=True).fill("OvD Rotterdam 010-0000000")
    planner.snapshot("request-form")
    page.get_by_role("button", name=planner.say("Send request")).click()

    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    expect(page.get_by_role("status")).to_contain_text(
        planner.say("Your request has been sent to the owner.")
    )
    axe_check(page)
    return name, page.url.removeprefix(planner.portal)


def owner_queue_row(owner: Persona, purpose: str) -> Locator:
    """The owner's queue, reached through the main menu, and the row of the request whose
    purpose is ``purpose``; the menu's badge counts what the queue lists."""
    menu = owner.page.get_by_role("navigation", name=owner.say("Main menu"))
    approvals = menu.get_by_role("link", name=re.compile(rf"^\s*{owner.say('Approvals')}"))
    badge = re.search(rf"{re.escape(owner.say('waiting:'))}\s*(\d+)", approvals.inner_text())
    assert badge, f"no count badge in {approvals.inner_text()!r}"
    page = owner.menu("Approvals")
    count = int(badge.group(1))
    waiting = catalogue(owner.language).ngettext(
        "%(num)d request waiting", "%(num)d requests waiting", count
    ) % {"num": count}
    expect(page.get_by_text(waiting)).to_be_visible()
    row = page.get_by_role("row").filter(has_text=purpose)
    expect(row).to_have_count(1)
    return row


@pytest.mark.parametrize(
    ("language", "days_ahead"),
    [("nl", JOURNEY_DAYS_AHEAD), ("en", JOURNEY_DAYS_AHEAD + 2)],
    ids=["nl", "en"],  # `make screenshots` runs the Dutch one by its id
)
def test_a_request_from_search_to_completion_in_the_browser(
    people: Callable[..., Persona], portal_db_urls: dict[str, str], language: str, days_ahead: int
) -> None:
    """Planner and owner, each in their own browser: search, request and see the price; the
    owner sees the badge and counter-offers; the planner accepts; a second request the owner
    approves from the queue; the first is started and completed; the planner sees it
    completed. Another unit's planner gets the 404 page for it."""
    planner = people(PLANNER, language)
    offered_purpose = f"Zoekactie Maasvlakte ({language})"
    name, offered_path = search_and_request(planner, days_ahead, offered_purpose)
    expect(planner.status_line()).to_contain_text(planner.say("Requested"))
    planner.snapshot("booking-requested")
    approved_purpose = f"Grootschalige evenementenbeveiliging ({language})"
    _, approved_path = search_and_request(planner, days_ahead + 1, approved_purpose)

    # The owner: the badge, the queue, a counter-offer for the first request.
    owner = people(OWNER, language)
    row = owner_queue_row(owner, offered_purpose)
    owner.snapshot("approval-queue")
    context = owner.say("request for %(asset)s from %(unit)s", asset=name, unit="politie-rotterdam")
    row.get_by_role("link", name=f"{owner.say('Counter-offer')} – {context}").click()
    page = owner.page
    axe_check(page)
    later_start, later_end = window(days_ahead, 14)
    page.get_by_label(owner.say("Offered from"), exact=True).fill(later_start)
    page.get_by_label(owner.say("Offered until"), exact=True).fill(later_end)
    reason = page.get_by_label(owner.say("Reason for the counter-offer"), exact=True)
    reason.fill("Ochtend is bezet: middag")
    page.get_by_role("button", name=owner.say("Send the counter-offer")).click()
    expect(owner.status_line()).to_contain_text(owner.say("Counter-offer made"))
    axe_check(page)

    # The planner sees what changed and accepts: the booking is approved.
    page = planner.open(offered_path)
    expect(page.get_by_role("heading", name=planner.say("The owner offers something else")))
    planner.snapshot("booking-counter-offer")
    page.get_by_role("button", name=planner.say("Accept the counter-offer")).click()
    expect(planner.status_line()).to_contain_text(planner.say("Approved"))
    axe_check(page)

    # The owner approves the second request from the queue (htmx replaces the row).
    row = owner_queue_row(owner, approved_purpose)
    row.get_by_role("button", name=re.compile(rf"^{owner.say('Approve')} ")).click()
    announced = owner.page.get_by_role("status").filter(
        has_text=owner.say("The request has been approved.")
    )
    expect(announced).to_contain_text("politie-rotterdam")
    axe_check(owner.page)
    page = planner.open(approved_path)
    expect(planner.status_line()).to_contain_text(planner.say("Approved"))

    # The owner registers the start, then (once the use is over) the completion.
    page = owner.open(offered_path.replace("/planner/", "/owner/"))
    page.get_by_role("button", name=owner.say("Register the start of use now")).click()
    expect(owner.status_line()).to_contain_text(owner.say("In use"))
    axe_check(page)
    owner.snapshot("booking-owner")
    # Only a use that is over can be completed: move the booking into the past, as if the
    # days had gone by (the actual window may start at most a day before the planned one).
    backdate(portal_db_urls, offered_path.rsplit("/", 1)[1], (days_ahead + 1) * 24)
    used_start, used_end = window(-1, 14)
    page.reload()
    page.get_by_label(owner.say("Actual start"), exact=True).fill(used_start)
    page.get_by_label(owner.say("Actual end"), exact=True).fill(used_end)
    page.get_by_role("button", name=owner.say("Register the completion")).click()
    expect(owner.status_line()).to_contain_text(owner.say("Completed"))
    axe_check(page)

    page = planner.menu("My unit's bookings")
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=name))
    expect(row.first).to_contain_text(planner.say("Completed"))
    planner.snapshot("my-bookings")
    page = planner.open(offered_path)
    expect(planner.status_line()).to_contain_text(planner.say("Completed"))
    planner.snapshot("booking")

    # The owner's assets: the list, and the page of the asset just used.
    page = owner.menu("My assets")
    owner.snapshot("my-assets")
    page.get_by_role("link", name=name, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    axe_check(page)
    owner.snapshot("asset")

    stranger = people(OTHER_PLANNER, language)
    page = stranger.open(offered_path)
    expect(page.get_by_role("heading", level=1)).to_have_text(stranger.say("Page not found"))
