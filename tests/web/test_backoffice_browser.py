"""The staff back office in a real browser: a store manager edits a car's offer price and imports a file
with one bad row, in English and in Chinese. Screenshots go to artifacts/screenshots/backoffice-*.png.

Uses the Chromium set-up of tests/browser.py; the server here also holds the demo accounts.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from forecourt.accounts.demo import DEMO_PASSWORD, MANAGER_EMAIL
from forecourt.catalog.inventory_row_types import COLUMNS
from forecourt.catalog.vin import build_vin
from tests.browser import DESKTOP, SCREENSHOTS, new_page
from tests.live_server import demo_database, serving_database

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def backoffice_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url, _ = demo_database(tmp_path_factory.mktemp("backoffice"), vehicles=120)
    with serving_database(url) as base_url:
        yield base_url


def _import_file(trim: str, serial: int) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    good = {
        "vin": build_vin("LVS", "HCAMB", 2018, "Z", serial),
        "trim": trim,
        "store": "gz-tianhe",
        "model_year": "2018",
        "mileage_km": "10",
        "list_price": "199800.00",
    }
    bad = {**good, "vin": build_vin("LVS", "HCAMB", 2018, "Z", serial + 1), "list_price": "lots"}
    writer.writerows([good, bad])
    return buffer.getvalue().encode()


@pytest.mark.parametrize(("lang", "serial"), [("en", 990_001), ("zh-Hans", 990_101)])
def test_staff_edits_a_price_and_imports_a_file(browser: Any, backoffice_server: str, lang: str, serial: int) -> None:
    from playwright.sync_api import expect

    server = backoffice_server
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    context, page, problems = new_page(browser, lang, DESKTOP)
    # The back office sends an anonymous visitor to the sign-in page, which brings them back after.
    page.goto(f"{server}/backoffice/vehicles?lang={lang}")
    page.wait_for_url(re.compile(r"/account/sign-in\?next="))
    page.locator("input[name=identifier]").fill(MANAGER_EMAIL)
    page.locator("input[name=password]").fill(DEMO_PASSWORD)
    page.locator("main button[type=submit]").click()
    page.wait_for_url(re.compile(r"/backoffice/vehicles"))
    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect(page.locator("h1")).to_have_text("Inventory" if lang == "en" else "库存")
    stores = page.locator(".bo-table tbody td:nth-child(6)").all_inner_texts()
    assert stores and len(set(stores)) <= 2, stores  # the manager's own two stores (gz-tianhe, gz-self-service)
    page.screenshot(path=str(SCREENSHOTS / f"backoffice-vehicles-{lang}-desktop.png"), full_page=True)

    vin = page.locator(".bo-table tbody td.vin").first.inner_text()
    page.locator(".bo-table tbody a").first.click()
    page.wait_for_url(re.compile(rf"/backoffice/vehicles/{vin}$"))
    car = page.request.get(f"{server}/api/v1/vehicles/{vin}").json()
    offer = Decimal(car["list_price"]) - 1000
    page.locator("#offer_price").fill(f"{offer:.2f}")
    page.locator(".bo-form button[type=submit]").click()
    page.wait_for_url(re.compile(r"\?saved=1$"))
    expect(page.locator(".flash")).to_be_visible()
    assert Decimal(page.request.get(f"{server}/api/v1/vehicles/{vin}").json()["price"]) == offer
    page.locator("#mileage_km").fill("-5")  # and a mistake is explained beside its field
    page.locator(".bo-form button[type=submit]").click()
    expect(page.locator("#mileage_km-error")).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / f"backoffice-edit-{lang}-desktop.png"), full_page=True)
    problems[:] = [p for p in problems if "422" not in p]  # the invalid edit answers 422 on purpose

    page.goto(f"{server}/backoffice/imports")
    page.locator("#file").set_input_files(
        files=[{"name": "stock.csv", "mimeType": "text/csv", "buffer": _import_file(car["trim"]["code"], serial)}]
    )
    page.locator(".bo-upload button[type=submit]").click()
    expect(page.locator("#created")).to_have_text("1")
    expect(page.locator("#rejected")).to_have_text("1")
    expect(page.locator("#row-errors tbody tr")).to_have_count(1)
    page.screenshot(path=str(SCREENSHOTS / f"backoffice-import-{lang}-desktop.png"), full_page=True)

    page.goto(f"{server}/backoffice/stores/gz-tianhe")
    page.locator("input[name=sun-1-open]").fill("10:00")
    page.locator("input[name=sun-1-close]").fill("09:00")  # closes before it opens: refused beside the day
    page.locator(".bo-form button[type=submit]").click()
    expect(page.locator("#hours-sun-error")).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / f"backoffice-store-{lang}-desktop.png"), full_page=True)
    problems[:] = [p for p in problems if "422" not in p]
    page.goto(f"{server}/backoffice/audit")
    expect(page.locator("#audit-events")).to_contain_text("车辆信息已修改" if lang == "zh-Hans" else "Vehicle changed")
    page.screenshot(path=str(SCREENSHOTS / f"backoffice-audit-{lang}-desktop.png"), full_page=True)
    assert not problems, problems
    context.close()
