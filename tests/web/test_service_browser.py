"""The service pages in a real browser, on the demo workshop: the demo shopper books a service slot for their
Mondeo (hold → confirm), the store manager opens the store's service calendar, finds the job and completes it, and
the owner's service history shows the work — in English and Chinese, at 375 px and 1366 px. No page may scroll
sideways. Screenshots go to artifacts/screenshots/service-*.png.

The owned cars come from the demo's `demo_cars` through a fixed source (the ownership records install theirs)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy.orm import Session

from forecourt.accounts.demo import DEMO_PASSWORD, DEMO_STORE, MANAGER_EMAIL, SHOPPER_EMAIL
from forecourt.core.clock import utcnow
from forecourt.ownership import owned_cars
from forecourt.ownership.owned_cars import FixedCars, OwnedCar
from forecourt.ownership.service_bookings.demo import demo_cars, load_service_demo
from tests.live_server import demo_database, serving_database
from tests.web.test_browser import PHONE, SCREENSHOTS, _new_page, browser  # noqa: F401 - `browser` is a fixture

pytestmark = pytest.mark.browser
WIDE = {"width": 1366, "height": 900}
SIZES = (("phone", PHONE), ("desktop", WIDE))


def _demo_workshop(session: Session) -> list[OwnedCar]:
    load_service_demo(session)
    return demo_cars(session, utcnow())


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, OwnedCar]]:
    url, cars = demo_database(tmp_path_factory.mktemp("service"), vehicles=120, then=_demo_workshop)
    previous = owned_cars.use_source(FixedCars(cars))
    try:
        with serving_database(url) as base_url:
            yield base_url, next(c for c in cars if c.model_code == "mondeo")
    finally:
        owned_cars.use_source(previous)


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
    browser: Any,  # noqa: F811
    live: tuple[str, OwnedCar],
    lang: str,
) -> None:
    from playwright.sync_api import expect

    server, car = live
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    service = f"/garage/cars/{car.vin}/service"
    owner, page, problems = _new_page(browser, lang, PHONE)
    _sign_in(page, server, SHOPPER_EMAIL, f"{service}?lang={lang}")
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

    staff, desk, staff_problems = _new_page(browser, lang, PHONE)
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
    desk.locator("#odometer_km").fill("5230")
    desk.locator("#work_done").fill(f"Periodic service ({lang}): oil and filter")
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
        expect(page.locator("#history")).to_contain_text(f"Periodic service ({lang}): oil and filter")
        _fits(page, viewport, f"service-owner-history-{lang}-{size}")
    assert not problems, problems
    owner.close()
