"""Store staff work their leads in a real browser: open the list, open a lead, log the first contact, complete
a task. Screenshots go to artifacts/screenshots/leads-*.png. Uses the Chromium set-up of tests/browser.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from forecourt.accounts.demo import DEMO_PASSWORD, MANAGER_EMAIL
from forecourt.marketing.leads.demo import load_lead_demo
from tests.browser import DESKTOP, SCREENSHOTS, new_page
from tests.live_server import demo_database, serving_database

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def leads_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url, _ = demo_database(tmp_path_factory.mktemp("leads"), vehicles=120, then=load_lead_demo)
    with serving_database(url) as base_url:
        yield base_url


def test_staff_works_a_lead(browser: Any, leads_server: str) -> None:
    from playwright.sync_api import expect

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    context, page, problems = new_page(browser, "en", DESKTOP)
    page.goto(f"{leads_server}/backoffice/leads?lang=en")
    page.wait_for_url(re.compile(r"/account/sign-in\?next="))
    page.locator("input[name=identifier]").fill(MANAGER_EMAIL)
    page.locator("input[name=password]").fill(DEMO_PASSWORD)
    page.locator("main button[type=submit]").click()
    page.wait_for_url(re.compile(r"/backoffice/leads"))
    expect(page.locator("h1")).to_have_text("Leads")
    expect(page.locator("#lead-list tbody tr").first).to_be_visible()
    expect(page.locator("#lead-tasks tbody tr").first).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "leads-list-en-desktop.png"), full_page=True)

    new_row = page.locator("#lead-list tbody tr", has=page.locator("td:nth-child(2)", has_text="New")).first
    reference = new_row.locator("td a").first.inner_text()
    new_row.locator("td a").first.click()
    page.wait_for_url(re.compile(rf"/backoffice/leads/{reference}$"))
    expect(page.locator("#lead-status")).to_have_text("New")
    expect(page.locator("#lead-score")).to_be_visible()
    page.locator("#contact-note").fill("Called, will visit on Saturday")
    page.locator("#mark-contacted").click()
    page.wait_for_url(re.compile(rf"/backoffice/leads/{reference}$"))
    expect(page.locator("#lead-status")).to_have_text("Contacted")
    expect(page.locator("#lead-task-list")).to_contain_text("Propose a test drive")
    page.locator(".complete-task").first.click()
    page.wait_for_url(re.compile(rf"/backoffice/leads/{reference}$"))
    expect(page.locator(".complete-task")).to_have_count(0)
    expect(page.locator("#lead-timeline")).to_contain_text("Task done")
    page.screenshot(path=str(SCREENSHOTS / "leads-detail-en-desktop.png"), full_page=True)
    assert not problems, problems
    context.close()
