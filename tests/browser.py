"""The Chromium set-up every browser test shares: Playwright driving Debian's Chromium, headless.

`tests/conftest.py` registers this module as a plugin, so the `browser` fixture reaches every test module without
an import; the modules import the viewports, the screenshot folder and `new_page` from here. The browser is
skipped when Playwright or /usr/bin/chromium is missing, unless FORECOURT_TEST_REQUIRE_BROWSER=1 (CI), which turns
that into a failure. Screenshots go to artifacts/screenshots/ for a person to look at.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
REQUIRE_BROWSER = os.environ.get("FORECOURT_TEST_REQUIRE_BROWSER") == "1"
SCREENSHOTS = Path(__file__).resolve().parents[1] / "artifacts" / "screenshots"
PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 800}
BROWSER_LOCALES = {"en": "en-US", "zh-Hans": "zh-CN"}


def _unavailable(reason: str) -> None:
    if REQUIRE_BROWSER:
        pytest.fail(f"{reason} (required because FORECOURT_TEST_REQUIRE_BROWSER=1)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One Chromium per test module (a module's tests share it; each opens its own context)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright is not installed: pip install -e '.[dev]'")
    if not CHROMIUM.exists():
        _unavailable(f"Chromium not found at {CHROMIUM}: apt-get install chromium")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def new_page(browser: Any, lang: str, viewport: dict[str, int]) -> tuple[Any, Any, list[str]]:
    """A fresh context and page in `lang`, and the list that collects its problems: page errors, console errors
    and every response of 400 or above (a test asserts the list is empty, or names what it expected)."""
    context = browser.new_context(locale=BROWSER_LOCALES[lang], viewport=viewport)
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on(
        "response",
        lambda response: problems.append(f"{response.status} {response.url}") if response.status >= 400 else None,
    )
    return context, page, problems
