"""Headless Chromium (Debian's) driven by Playwright against the live test server."""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import require_tool

# Flags that keep Chromium quiet on a machine with no outside network, running as root.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.path):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser() -> Iterator:
    from playwright.sync_api import sync_playwright

    chromium = require_tool("chromium")  # Debian's, not a downloaded Playwright build
    # Playwright's sync API keeps an event loop in this thread for the session; the ORM calls
    # that fixtures and test bodies make between page actions are still synchronous and safe.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium, headless=True, args=[*CHROMIUM_ARGS]
        )
        yield browser
        browser.close()
    del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]


@pytest.fixture
def page(browser, live_server) -> Iterator:
    context = browser.new_context(base_url=live_server.url, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def log_in(page, email: str, password: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


# -- accessibility checks and README screenshots (issue 11) ----------------------------------

AXE_JS = Path(__file__).parent / "vendor" / "axe.min.js"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@pytest.fixture
def ui_page(browser, live_server) -> Iterator:
    """A page for the issue 11 tests (axe-core is injected without lifting the app's CSP)."""
    context = browser.new_context(base_url=live_server.url, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def axe_violations(page) -> list[str]:
    """Serious and critical axe-core violations on the page, one line each."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # Evaluated through the DevTools protocol, which the page's Content-Security-Policy
        # does not govern: the flow tests keep the real CSP and are checked all the same.
        page.evaluate(AXE_JS.read_text() + "\n;undefined")
    found = page.evaluate(
        """async () => {
            const result = await axe.run(document, {resultTypes: ["violations"]});
            return result.violations
              .filter((v) => v.impact === "serious" || v.impact === "critical")
              .map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`);
        }"""
    )
    return list(found)


def assert_accessible(page) -> None:
    violations = axe_violations(page)
    assert violations == [], f"{page.url}:\n" + "\n".join(violations)


def screenshot(page, name: str) -> None:
    """Save docs/screenshots/<name>.png for the README, only when SAS2_SCREENSHOTS=1."""
    if os.environ.get("SAS2_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def page_scroll_width(page) -> int:
    return page.evaluate("() => document.scrollingElement.scrollWidth")


def line_count(locator) -> int:
    """How many lines the text of an element is laid out on (a word split in two makes two)."""
    return locator.evaluate(
        """(element) => {
            const tops = new Set();
            const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
            for (let node = walker.nextNode(); node; node = walker.nextNode()) {
                if (!node.textContent.trim()) continue;
                const range = document.createRange();
                range.selectNodeContents(node);
                for (const rect of range.getClientRects()) tops.add(Math.round(rect.top));
            }
            return tops.size;
        }"""
    )
