"""The browser helpers themselves: the accessibility check fails on a page with a serious
violation and passes on a clean one, and the keyboard helper sees focus indicators. These need
no portal, so a broken chromium or axe install shows up here first."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser

from tests.portal.browser_support import (
    axe_check,
    new_context,
    tab_to,
)

CLEAN = """<!doctype html><html lang="nl"><head><title>Proef</title></head><body>
<main><h1>Proef</h1><form><label for="q">Zoekterm</label><input id="q" name="q">
<button type="submit">Zoeken</button></form></main></body></html>"""

UNLABELLED_INPUT = CLEAN.replace('<label for="q">Zoekterm</label>', "")

NO_FOCUS_RING = CLEAN.replace(
    "</title>", "</title><style>*:focus { outline: none !important; }</style>"
)


def test_axe_check_passes_a_clean_page_and_names_the_violation_on_a_broken_one(
    browser: Browser,
) -> None:
    context = new_context(browser)
    page = context.new_page()
    try:
        page.set_content(CLEAN)
        axe_check(page)

        page.set_content(UNLABELLED_INPUT)
        with pytest.raises(AssertionError, match=r"critical\] label"):
            axe_check(page)
    finally:
        context.close()


def test_tab_to_requires_a_visible_focus_indicator(browser: Browser) -> None:
    context = new_context(browser)
    page = context.new_page()
    try:
        page.set_content(CLEAN)
        assert tab_to(page, "Zoeken")["tag"] == "button"

        page.set_content(NO_FOCUS_RING)
        with pytest.raises(AssertionError, match="no visible focus indicator"):
            tab_to(page, "Zoeken")
    finally:
        context.close()
