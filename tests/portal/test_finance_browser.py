"""Finance and the administrator in Debian's chromium against the real stack: police finance
approves one allocation and disputes another, Defence finance resolves it, police finance
closes the statement and downloads its CSV; the administrator previews an agreement and saves
it. Every page passed through has no serious or critical axe-core violation."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.portal.browser_support import axe_check, new_context, sign_in, snapshot
from tests.portal.finance_support import allocation_api, allocation_of, completed_use, new_unit

pytestmark = [pytest.mark.db, pytest.mark.broker]


@pytest.fixture
def signed_in(browser: Browser, portal_stack: dict[str, str]) -> Iterator[Callable[[str], Page]]:
    """A page signed in as the persona, each in a browser context of its own."""
    contexts: list[BrowserContext] = []

    def open_as(persona: str) -> Page:
        context = new_context(browser)
        contexts.append(context)
        page = context.new_page()
        sign_in(page, portal_stack["portal"], persona)
        return page

    yield open_as
    for context in contexts:
        context.close()


def test_finance_reviews_disputes_resolves_and_closes_in_the_browser(
    signed_in: Callable[[str], Page],
    portal_stack: dict[str, str],
    portal_db_urls: dict[str, str],
) -> None:
    unit, unit_headers = new_unit()
    first = completed_use(portal_stack, portal_db_urls, unit_headers, 84, 9)
    second = completed_use(portal_stack, portal_db_urls, unit_headers, 84, 13)
    approve_id = allocation_of(portal_stack, first["id"])["id"]
    dispute_id = allocation_of(portal_stack, second["id"])["id"]
    period = allocation_api(portal_stack, approve_id)["used_on"][:7]
    portal = portal_stack["portal"]

    police = signed_in("finance-politie")
    expect(police.get_by_role("heading", level=1)).to_have_text("Kostentoedelingen beoordelen")
    police.goto(f"{portal}/finance/allocations?org={unit}&period={period}")
    axe_check(police)
    snapshot(police, "finance-queue")
    police.locator(f"#allocation-{approve_id}").get_by_role(
        "button", name=re.compile("^Goedkeuren")
    ).click()
    expect(police.get_by_role("status")).to_contain_text("De kostentoedeling is goedgekeurd.")
    police.locator(f"#allocation-{dispute_id}").get_by_role(
        "link", name=re.compile("^Betwisten of oplossen")
    ).click()
    axe_check(police)
    police.get_by_label("Reden van betwisting").fill("De uren kloppen niet")
    police.get_by_role("button", name="De kostentoedeling betwisten").click()
    expect(police.locator("#allocation-state")).to_have_text("Betwist")
    expect(police.locator("#may-not-resolve")).to_be_visible()
    axe_check(police)
    snapshot(police, "finance-allocation-disputed")

    defence = signed_in("finance-defensie")
    defence.goto(f"{portal}/finance/allocations/{dispute_id}")
    defence.get_by_label("Aanvrager betaalt (€)").fill("500,00")
    defence.get_by_label("Reden voor de nieuwe bedragen").fill("Afgestemd met de eenheid")
    defence.get_by_role("button", name="De kostentoedeling oplossen").click()
    expect(defence.locator("#allocation-state")).to_have_text("Opgelost")
    axe_check(defence)

    police.goto(f"{portal}/finance/statements?org={unit}&period={period}")
    axe_check(police)
    with police.expect_download() as download:
        police.get_by_role("link", name="Downloaden als CSV (spreadsheet)").click()
    assert download.value.suggested_filename == f"slagkracht-{unit}-{period}.csv"
    police.get_by_role("button", name=f"Het overzicht voor {period} afsluiten").click()
    expect(police.get_by_role("status")).to_contain_text("is afgesloten")
    expect(police.locator("#statement-status")).to_contain_text("Afgesloten op")
    axe_check(police)
    snapshot(police, "finance-statement-closed")


def test_the_administrator_previews_and_saves_an_agreement_in_the_browser(
    signed_in: Callable[[str], Page], portal_stack: dict[str, str]
) -> None:
    portal = portal_stack["portal"]
    admin = signed_in("admin")
    expect(admin.get_by_role("heading", level=1)).to_have_text("Afspraken")
    axe_check(admin)
    admin.get_by_role("link", name="Nieuwe afspraak").click()
    name = "Oefenterreinen — kosteloos voor Eenheid Amsterdam"
    admin.get_by_label("Naam", exact=True).fill(name)
    admin.get_by_label("Grondslag", exact=True).select_option("joint_exercise")
    admin.get_by_label("Categorie").select_option("terrain")
    admin.get_by_label("Aanvragende eenheid").select_option("politie-amsterdam")
    admin.get_by_label("Geldig vanaf").fill("2026-01-01")
    admin.get_by_label("Prijsgrondslag").select_option("free")
    admin.get_by_label("Aandeel van de aanvrager in procenten").fill("0")
    admin.get_by_role("button", name="Bekijk wat ze dekt").click()
    expect(admin.get_by_role("heading", name="Voorbeeld")).to_be_visible()
    axe_check(admin)
    snapshot(admin, "admin-agreement-preview")
    admin.get_by_role("button", name="De afspraak opslaan").click()
    expect(admin.get_by_role("status")).to_contain_text("De afspraak is vastgelegd.")
    expect(admin.get_by_role("heading", level=1)).to_have_text(name)
    axe_check(admin)
    for path in ("/admin/organisations", "/admin/regions"):
        admin.goto(f"{portal}{path}")
        expect(admin.locator("#history-heading")).to_be_visible()
        axe_check(admin)
