"""The service pages in a real browser, on the demo: the demo owner opens their leased Kuga in the garage, sees its
next service and open recall there, follows "Book a service", holds and confirms a slot; the store manager finds
the job on the store's service calendar and completes it; the garage card and the service page show it in the
history — in English and Chinese, at 375 px and 1366 px. No page may scroll sideways. Screenshots go to
artifacts/screenshots/service-*.png."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy.orm import Session

from forecourt.accounts.demo import DEMO_PASSWORD, DEMO_STORE, MANAGER_EMAIL
from forecourt.catalog import service as catalog
from forecourt.core.clock import utcnow
from forecourt.finance.programs.demo import ensure_finance_demo
from forecourt.ownership.demo import OWNER_EMAIL, load_ownership_demo
from forecourt.ownership.records.repository import current_of_vin
from forecourt.ownership.service_bookings.demo import demo_cars, load_service_demo
from forecourt.telematics import query_service as telemetry
from tests.browser import PHONE, SCREENSHOTS, new_page
from tests.live_server import demo_database, serving_database

pytestmark = pytest.mark.browser
WIDE = {"width": 1366, "height": 900}
SIZES = (("phone", PHONE), ("desktop", WIDE))


def _demo_workshop(session: Session) -> dict[str, Any]:
    ensure_finance_demo(session)
    load_ownership_demo(session)
    load_service_demo(session)
    kuga = next(c for c in demo_cars(session, utcnow())[OWNER_EMAIL] if c.model_code == "kuga")
    reading = telemetry.car_reading(session, catalog.get_vehicle(session, kuga.vin).id)
    ownership = current_of_vin(session, kuga.vin)
    return {"vin": kuga.vin, "reference": ownership.reference, "km": reading.odometer_km}


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, Any]]]:
    url, kuga = demo_database(tmp_path_factory.mktemp("service"), vehicles=300, then=_demo_workshop)
    with serving_database(url) as base_url:
        yield base_url, kuga


def _sign_in(page: Any, server: str, email: str, path: str) -> None:
    page.goto(f"{server}{path}")
    page.wait_for_url(re.compile(r"/account/sign-in\?next="))
    page.locator("input[name=identifier]").fill(email)
    page.locator("input[name=password]").fill(DEMO_PASSWORD)
    page.locator("main button[type=submit]").click()
    page.wait_for_url(re.compile(re.escape(path.split("?")[0])))


def _fits(page: Any, viewport: dict[str, int], shot: str) -> None:
    page.screenshot(path=str(SCREENSHOTS / f"{shot}.png"), full_page=True)  # before the check: shows a failure
    width = page.evaluate("document.documentElement.scrollWidth")
    wide = page.evaluate(
        "[...document.querySelectorAll('main *')].filter(e => e.getBoundingClientRect().right > innerWidth)"
        ".slice(0, 5).map(e => e.tagName + '.' + e.className + '#' + e.id)"
    )
    assert width <= viewport["width"], f"{shot} scrolls sideways: {width}px in {viewport['width']}px: {wide}"


@pytest.mark.parametrize("lang", ["en", "zh-Hans"])
def test_owner_books_staff_complete_and_the_history_shows_it(
    browser: Any,
    live: tuple[str, dict[str, Any]],
    lang: str,
) -> None:
    from playwright.sync_api import expect

    server, kuga = live
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    service = f"/garage/cars/{kuga['vin']}/service"
    card = f"/garage/{kuga['reference']}?lang={lang}"
    owner, page, problems = new_page(browser, lang, PHONE)
    _sign_in(page, server, OWNER_EMAIL, card)
    for size, viewport in SIZES:
        page.set_viewport_size(viewport)
        page.goto(f"{server}{card}")
        expect(page.locator("#garage-next-service")).not_to_be_empty()
        _fits(page, viewport, f"service-garage-card-{lang}-{size}")
    if lang == "en":  # the first run books the recall work, which closes it
        expect(page.locator("#garage-recalls")).to_contain_text("R-KUGA-HOSE-01")
    page.locator("#book-service").click()
    page.wait_for_url(re.compile(re.escape(service)))
    for size, viewport in SIZES:
        page.set_viewport_size(viewport)
        page.goto(f"{server}{service}?lang={lang}")
        expect(page.locator("#next-service")).not_to_be_empty()
        expect(page.locator("#slots button.td-slot").first).to_be_visible()
        _fits(page, viewport, f"service-owner-car-{lang}-{size}")
    slot = page.locator("#slots button.td-slot").last  # the last shown: the other language's run took an earlier one
    day = slot.get_attribute("value")[:10]
    slot.click()
    page.wait_for_url(re.compile(r"/garage/service-jobs/SV"))
    reference = page.url.rsplit("/", 1)[1].split("?")[0]
    page.locator("#confirm").click()
    page.wait_for_url(re.compile(r"notice=confirmed$"))
    expect(page.locator("#status .td-confirmed")).to_be_visible()
    page.set_viewport_size(PHONE)
    _fits(page, PHONE, f"service-owner-confirmed-{lang}-phone")

    staff, desk, staff_problems = new_page(browser, lang, PHONE)
    calendar = f"/backoffice/stores/{DEMO_STORE}/service?date={day}&lang={lang}"
    _sign_in(desk, server, MANAGER_EMAIL, calendar)
    for size, viewport in SIZES:
        desk.set_viewport_size(viewport)
        desk.goto(f"{server}{calendar}")
        expect(desk.locator(f"#service-calendar a[href$='{reference}']")).to_be_visible()
        _fits(desk, viewport, f"service-calendar-{lang}-{size}")
    desk.locator(f"#service-calendar a[href$='{reference}']").click()
    desk.wait_for_url(re.compile(reference))
    _fits(desk, desk.viewport_size, f"service-job-{lang}-desktop")
    desk.set_viewport_size(PHONE)
    _fits(desk, PHONE, f"service-job-{lang}-phone")
    desk.locator("#odometer_km").fill(str(kuga["km"] + (10 if lang == "en" else 30)))
    desk.locator("#work_done").fill(f"Brake hoses, oil and filter ({lang})")
    desk.locator("#part_name_1").fill("Oil filter")
    desk.locator("#part_quantity_1").fill("1")
    desk.locator("#part_price_1").fill("60.00")
    desk.locator("#cost").fill("480.00")
    desk.locator("#complete-job").click()
    desk.wait_for_url(re.compile(r"done=completed$"))
    expect(desk.locator("#status .td-completed")).to_be_visible()
    expect(desk.locator("#next-due")).not_to_have_text("–")
    _fits(desk, PHONE, f"service-job-done-{lang}-phone")
    assert not staff_problems, staff_problems
    staff.close()

    for size, viewport in SIZES:
        page.set_viewport_size(viewport)
        page.goto(f"{server}{service}?lang={lang}")
        expect(page.locator("#history")).to_contain_text(f"Brake hoses, oil and filter ({lang})")
        _fits(page, viewport, f"service-owner-history-{lang}-{size}")
    page.goto(f"{server}{card}")
    expect(page.locator("#garage-history")).to_contain_text(f"Brake hoses, oil and filter ({lang})")
    if lang == "en":
        expect(page.locator("#garage-recalls")).to_have_count(0)
    assert not problems, problems
    owner.close()
