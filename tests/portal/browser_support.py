"""What the portal's browser tests share: Debian's chromium driven by Playwright, axe-core checks,
and signing in as a demo persona the way a person does (by the persona's button).

Playwright cannot download its own browser here, so it drives the distribution's chromium
(deploy/ci-packages.txt; .ci/run installs it). A missing chromium fails the run, in CI and
everywhere else, with how to install it. axe-playwright-python ships axe.min.js, so the
accessibility checks work on an isolated network.

tests/portal/conftest.py provides the ``browser`` fixture (imported there once: a fixture
imported into each test module would be a separate "session" fixture per module, and a
second Playwright cannot start while the first runs).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Page,
    ViewportSize,
    expect,
    sync_playwright,
)

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
# No sandbox: CI runs as root. Nothing in the background may reach for the network.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
# Wide enough for the desktop layout the screenshots show; the journeys do not depend on it.
VIEWPORT: ViewportSize = {"width": 1280, "height": 900}
BLOCKING_IMPACTS = ("serious", "critical")
# How long a locator or an expectation waits: a page that needs several API calls can take
# seconds on a busy machine; a control that is missing still fails, only later.
WAIT_MS = 15_000
expect.set_options(timeout=WAIT_MS)
# `make screenshots` names a folder here; the journeys then save the pages they pass through.
SCREENSHOTS = os.environ.get("PORTAL_SCREENSHOTS", "")
SCREENSHOT_MAX_HEIGHT = 1400


def launch_chromium(playwright: Any) -> Browser:
    """Debian's chromium, headless. Raises FileNotFoundError when it is not installed."""
    if not Path(CHROMIUM).exists():
        raise FileNotFoundError(
            f"chromium not found at {CHROMIUM}: install Debian's package "
            "(`apt-get install chromium`, listed in deploy/ci-packages.txt which .ci/run "
            "installs) or set CHROMIUM_PATH"
        )
    browser: Browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    return browser


@pytest.fixture(scope="session", name="browser")
def browser_fixture() -> Iterator[Browser]:
    """One chromium for the whole session; tests open contexts (one per persona) on it."""
    with sync_playwright() as playwright:
        try:
            launched = launch_chromium(playwright)
        except FileNotFoundError as exc:
            # Never a skip, as for PostgreSQL and the broker: a missing part fails the run.
            pytest.fail(f"the browser tests need chromium: {exc}", pytrace=False)
        yield launched
        launched.close()


def new_context(browser: Browser, locale: str = "nl-NL") -> BrowserContext:
    """A fresh profile (own cookies, so own sign-in); the language the browser asks for."""
    context = browser.new_context(locale=locale, timezone_id="Europe/Amsterdam", viewport=VIEWPORT)
    context.set_default_timeout(WAIT_MS)
    return context


def sign_in(page: Page, portal: str, persona: str, screenshot: str = "") -> None:
    """Open the portal signed out, and press the sign-in button whose accessible name names
    the persona (the development sign-in page has one per demo persona)."""
    page.goto(f"{portal}/")
    if screenshot:
        snapshot(page, screenshot)
    page.get_by_role("button", name=re.compile(re.escape(persona))).click()
    page.wait_for_load_state()


def snapshot(page: Page, name: str) -> None:
    """Save the page as ``<name>.png`` when screenshots are asked for (``make screenshots``):
    the whole width, and the page's length up to SCREENSHOT_MAX_HEIGHT (a long results list
    would make an unreadable strip)."""
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        height = min(page.evaluate("document.documentElement.scrollHeight"), SCREENSHOT_MAX_HEIGHT)
        # A taller window for the picture, then the usual one back. (Playwright's full_page
        # screenshot clipped to that height left the next click below the fold without effect.)
        page.set_viewport_size({"width": VIEWPORT["width"], "height": max(height, 1)})
        page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"))
        page.set_viewport_size(VIEWPORT)


# -- accessibility ----------------------------------------------------------------------------
def blocking_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page as it is now."""
    result = Axe().run(page)
    return [v for v in result.response["violations"] if v.get("impact") in BLOCKING_IMPACTS]


def describe_violations(url: str, violations: list[dict[str, Any]]) -> str:
    lines = [f"{len(violations)} serious or critical axe-core violations on {url}:"]
    for violation in violations:
        lines.append(f"- [{violation['impact']}] {violation['id']}: {violation['help']}")
        lines.append(f"  {violation['helpUrl']}")
        for node in violation["nodes"][:5]:
            lines.append(f"    at {' '.join(map(str, node['target']))}: {node['html'][:160]}")
            summary = (node.get("failureSummary") or "").replace("\n", " / ")
            if summary:
                lines.append(f"      {summary[:300]}")
        if len(violation["nodes"]) > 5:
            lines.append(f"    ... and {len(violation['nodes']) - 5} more elements")
    return "\n".join(lines)


def axe_check(page: Page) -> None:
    """WCAG: the page as shown has no serious or critical axe-core violation."""
    violations = blocking_violations(page)
    assert not violations, describe_violations(page.url, violations)


# -- keyboard -----------------------------------------------------------------------------------
def focused_element(page: Page) -> dict[str, Any]:
    """What has the keyboard focus: its tag, its text (a form field's is its label), and
    whether a focus indicator (outline or box shadow) is drawn around it."""
    info: dict[str, Any] = page.evaluate(
        """() => {
            const el = document.activeElement;
            if (!el || el === document.body) return {tag: 'body', text: '', visible: false};
            const style = getComputedStyle(el);
            const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
            const shadow = style.boxShadow && style.boxShadow !== 'none';
            // On a date/time field's own calendar button (inside the field's shadow DOM) the
            // field is not :focus-visible; chromium rings that button itself.
            const pickerButton = ['date', 'datetime-local', 'time', 'month', 'week']
                .includes(el.type) && !el.matches(':focus-visible');
            const label = el.labels && el.labels.length ? el.labels[0].innerText : '';
            return {
                tag: el.tagName.toLowerCase(),
                id: el.id,
                text: (el.getAttribute('aria-label') || label || el.innerText || '').trim(),
                href: el.getAttribute('href'),
                visible: outline || shadow || pickerButton,
            };
        }"""
    )
    return info


def tab_to(page: Page, name: str | re.Pattern[str], limit: int = 60) -> dict[str, Any]:
    """Press Tab until the focused element's text matches ``name``; each stop on the way
    must show a focus indicator. Fails after ``limit`` presses."""
    pattern = name if isinstance(name, re.Pattern) else re.compile(re.escape(name))
    seen = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = focused_element(page)
        seen.append(focused.get("text", "")[:40])
        assert focused["visible"], f"no visible focus indicator on {focused}"
        if pattern.search(focused.get("text", "")):
            return focused
    raise AssertionError(f"Tab never reached {pattern.pattern!r}; focus went over {seen}")
