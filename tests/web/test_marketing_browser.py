"""The marketing dashboard in a real browser: the demo marketer signs in, opens the dashboard on the demo
quarter, switches the attribution model and the conversion type, sees the SVG charts and downloads a CSV.

Screenshots go to artifacts/screenshots/marketing-*.png.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from forecourt.accounts.demo import DEMO_PASSWORD, MARKETER_EMAIL
from forecourt.core import clock
from forecourt.marketing.demo import load_marketing_demo
from tests.browser import DESKTOP, SCREENSHOTS, new_page
from tests.live_server import demo_database, serving_database

pytestmark = pytest.mark.browser
NOW = datetime(2026, 12, 1, 8, tzinfo=UTC)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with clock.pinned(NOW):
        url, _ = demo_database(
            tmp_path_factory.mktemp("marketing"),
            vehicles=50,
            then=lambda session: load_marketing_demo(session, visitors=6_000),
        )
    with serving_database(url) as base_url:
        yield base_url


def test_a_marketer_compares_models_and_downloads_a_csv(browser: Any, live: str) -> None:
    from playwright.sync_api import expect

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    first = (NOW - timedelta(days=84)).date().isoformat()
    last = (NOW - timedelta(days=1)).date().isoformat()
    context, page, problems = new_page(browser, "en", DESKTOP)
    page.goto(f"{live}/backoffice/marketing?from={first}&to={last}")
    page.wait_for_url(re.compile(r"/account/sign-in\?next="))
    page.locator("input[name=identifier]").fill(MARKETER_EMAIL)
    page.locator("input[name=password]").fill(DEMO_PASSWORD)
    page.locator("main button[type=submit]").click()
    page.wait_for_url(re.compile(r"/backoffice/marketing\?from="))
    expect(page.locator("h1")).to_have_text("Marketing")
    expect(page.locator("nav.bo-nav a[aria-current=page]")).to_have_text("Marketing")
    for chart in (
        "#funnel-chart",
        "#model-chart",
        "#drive-cost-chart",
        "#sale-cost-chart",
        "#conversion-chart",
        "#spend-chart",
    ):
        expect(page.locator(chart)).to_be_visible()
        assert page.locator(f"{chart} rect, {chart} polyline").count() > 0, chart
    expect(page.locator("#model-chart")).to_have_attribute("role", "img")
    expect(page.locator("#attribution-table tbody tr")).to_have_count(10)  # every channel
    expect(page.locator("#cost-table tbody tr")).to_have_count(10)  # and what each cost
    expect(page.locator("#cost-table tfoot")).to_contain_text("¥")
    page.screenshot(path=str(SCREENSHOTS / "marketing-dashboard-en-desktop.png"), full_page=True)

    # Switch the model and the conversion type: the filters travel in the query string.
    page.locator("#model").select_option("shapley")
    page.locator("#conversion").select_option("order")
    page.locator("#dimension").select_option("city")
    page.locator("#filters button[type=submit]").click()
    page.wait_for_url(re.compile(r"model=shapley.*conversion=order|conversion=order.*model=shapley"))
    expect(page.locator("#attribution-heading")).to_contain_text("Orders")
    expect(page.locator("#funnel-table thead th").first).to_have_text("City")
    expect(page.locator("#funnel-table tbody")).to_contain_text("Guangzhou")
    expect(page.locator("#attribution-table th[aria-current=true]")).to_have_text("Shapley value")
    page.locator("#attribution").screenshot(path=str(SCREENSHOTS / "marketing-attribution-orders-en.png"))
    page.locator("#costs").screenshot(path=str(SCREENSHOTS / "marketing-costs-orders-en.png"))

    with page.expect_download() as caught:
        page.locator("#attribution-csv").click()
    download = caught.value
    assert re.fullmatch(r"marketing-attribution-\d{4}-\d{2}-\d{2}-\d{4}-\d{2}-\d{2}\.csv", download.suggested_filename)
    data = Path(download.path()).read_bytes()
    assert data.startswith(b"\xef\xbb\xbfchannel,first_touch,")
    assert b"\r\nsearch," in data

    # The same page in Chinese.
    page.goto(page.url + "&lang=zh-Hans")
    expect(page.locator("#funnel-chart")).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "marketing-dashboard-zh-desktop.png"), full_page=True)
    assert not problems, problems
    context.close()
