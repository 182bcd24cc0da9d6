"""A self-service test drive in a real browser, end to end: the demo shopper opens a fleet car of the
self-service store, picks a time (signing in on the way), verifies a licence with the demo ID that waives
the deposit, confirms and reads the pick-up code; then the demo store manager finds the drive in the
store's calendar, checks the car out with that code and checks it back in.

The live server runs in this process (a uvicorn thread), so pinning `forecourt.core.clock` pins the
server's time too: the drive can be picked up without waiting for it. Screenshots go to
artifacts/screenshots/testdrive-*.png.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from forecourt.accounts.demo import DEMO_PASSWORD, MANAGER_EMAIL, SHOPPER_EMAIL
from forecourt.catalog import service as catalog
from forecourt.core import clock
from forecourt.integrations import DEMO_ID_HIGH_SCORE
from tests.browser import DESKTOP, SCREENSHOTS, new_page
from tests.live_server import demo_database, serving_database
from tests.testdrive.helpers import NOW

pytestmark = pytest.mark.browser
STORE = "gz-self-service"


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """A live server over the demo data with its accounts, and the VIN of a self-service fleet car."""
    url, vin = demo_database(
        tmp_path_factory.mktemp("testdrive"),
        vehicles=200,
        then=lambda session: catalog.list_test_drive_fleet(session, store_code=STORE)[0].vin,
    )
    with serving_database(url) as base_url:
        yield base_url, vin


def _sign_in(page: Any, email: str) -> None:
    page.locator("input[name=identifier]").fill(email)
    page.locator("input[name=password]").fill(DEMO_PASSWORD)
    page.locator("main button[type=submit]").click()


def test_a_shopper_books_a_self_service_drive_and_staff_hand_the_car_over(browser: Any, live: tuple[str, str]) -> None:
    from playwright.sync_api import expect

    server, vin = live
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with clock.pinned(NOW):  # 08:00 on Tuesday 1 December 2026 in Guangzhou, for the server too
        context, page, problems = new_page(browser, "en", DESKTOP)
        page.goto(f"{server}/vehicles/{vin}")
        page.locator("#book-test-drive").click()
        page.wait_for_url(re.compile(rf"/test-drives/book\?vin={vin}$"))
        expect(
            page.locator("input[type=radio][name=kind][value=self_service]")
        ).to_be_checked()  # the store's only kind
        page.screenshot(path=str(SCREENSHOTS / "testdrive-book-en-desktop.png"), full_page=True)

        slot = page.locator('button.td-slot[value^="2026-12-03T"]').first  # the day after tomorrow, first free time
        start = datetime.fromisoformat(slot.get_attribute("value"))
        slot.click()  # anonymous: sent to sign in, and back to the same times
        page.wait_for_url(re.compile(r"/account/sign-in\?next="))
        _sign_in(page, SHOPPER_EMAIL)
        page.wait_for_url(re.compile(r"/test-drives/book\?"))
        page.locator(f'button.td-slot[value="{start.isoformat()}"]').click()
        page.wait_for_url(re.compile(r"/test-drives/TD[0-9A-Z]{8}$"))
        reference = page.url.rsplit("/", 1)[1]
        expect(page.locator("[data-countdown]")).to_be_visible()

        page.locator("#full_name").fill("Li Lei")
        page.locator("#id_number").fill(DEMO_ID_HIGH_SCORE)
        page.locator("#licence_expiry").fill("2030-01-01")
        page.locator(".td-form button[type=submit]").click()
        page.wait_for_url(re.compile(r"notice=verified$"))
        expect(page.locator("#deposit")).to_contain_text("waived")
        page.screenshot(path=str(SCREENSHOTS / "testdrive-hold-en-desktop.png"), full_page=True)
        page.locator("#confirm").click()
        expect(page.locator("h1")).to_have_text("Your test drive is confirmed")
        code = page.locator("#pickup-code").inner_text().strip()
        assert re.fullmatch(r"\d{8}", code), code
        expect(page.locator("main")).to_contain_text("We also sent it by email.")  # the demo shopper has no mobile
        page.screenshot(path=str(SCREENSHOTS / "testdrive-confirmed-en-desktop.png"), full_page=True)
        page.goto(f"{server}/test-drives?lang=zh-Hans")
        expect(page.locator("#my-drives")).to_contain_text(reference)
        page.screenshot(path=str(SCREENSHOTS / "testdrive-mine-zh-Hans-desktop.png"), full_page=True)
        assert not problems, problems
        context.close()

    with clock.pinned(start):  # the drive's start: inside the pick-up window
        context, page, problems = new_page(browser, "en", DESKTOP)
        page.goto(f"{server}/backoffice/test-drives")
        page.wait_for_url(re.compile(r"/account/sign-in\?next="))
        _sign_in(page, MANAGER_EMAIL)
        page.wait_for_url(re.compile(r"/backoffice/test-drives$"))
        page.locator(f'#calendar-stores a[href="/backoffice/stores/{STORE}/test-drives"]').click()
        block = page.locator(f'#calendar a[href="/backoffice/test-drives/{reference}"]')
        expect(block).to_have_class(re.compile("td-confirmed"))
        page.screenshot(path=str(SCREENSHOTS / "testdrive-calendar-en-desktop.png"), full_page=True)
        block.click()
        page.wait_for_url(re.compile(rf"/backoffice/test-drives/{reference}$"))
        page.locator("#out-odometer_km").fill("8200")
        page.locator("#out-energy_percent").fill("90")
        page.locator("#out-pickup_code").fill(code)
        page.locator("#check-out button[type=submit]").click()
        page.wait_for_url(re.compile(r"done=checked_out$"))
        expect(page.locator("#status")).to_contain_text("Out on the drive")
        page.screenshot(path=str(SCREENSHOTS / "testdrive-checked-out-en-desktop.png"), full_page=True)
    with clock.pinned(start + timedelta(hours=5)):
        page.locator("#in-odometer_km").fill("8350")
        page.locator("#in-energy_percent").fill("60")
        page.locator("#in-damage_notes").fill("none")
        page.locator("#check-in button[type=submit]").click()
        page.wait_for_url(re.compile(r"done=checked_in$"))
        expect(page.locator("#status")).to_contain_text("Completed")
        page.goto(f"{server}/backoffice/stores/{STORE}/test-drives?date=2026-12-03&view=week&lang=zh-Hans")
        expect(page.locator(f'#calendar a[href="/backoffice/test-drives/{reference}"]')).to_have_class(
            re.compile("td-completed")
        )
        page.screenshot(path=str(SCREENSHOTS / "testdrive-calendar-week-zh-Hans-desktop.png"), full_page=True)
        assert not problems, problems
        context.close()
