"""The telemetry pages in a real browser: the back-office telemetry page of a demo self-service car (the demo's
recorded drives) and the demo shopper's completed test drive with its route, at 375 px and 1366 px in English and
Chinese. Neither page may scroll sideways, and the route map must be drawn. Screenshots go to
artifacts/screenshots/telematics-*.png and testdrive-route-*.png."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy.orm import Session

from forecourt.accounts.demo import DEMO_PASSWORD, MANAGER_EMAIL, SHOPPER_EMAIL
from forecourt.catalog import service as catalog
from forecourt.telematics.demo import load_telematics_demo
from forecourt.testdrive.demo import OUT_NOW, TAKEN_YESTERDAY, load_test_drive_demo
from tests.browser import PHONE, SCREENSHOTS, new_page
from tests.live_server import demo_database, serving_database

pytestmark = pytest.mark.browser
STORE = "gz-self-service"
WIDE = {"width": 1366, "height": 900}


def _demo_drives(session: Session) -> str:
    """The demo's recorded drives and today's test drives: TDDEMODONE01 was taken yesterday over a recorded trip
    (the shopper's page has a route to show) and TDDEMOOUT001 is out, past the geofence."""
    load_telematics_demo(session)
    load_test_drive_demo(session)
    return catalog.list_test_drive_fleet(session, store_code=STORE)[0].vin


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    url, vin = demo_database(tmp_path_factory.mktemp("telematics"), vehicles=120, then=_demo_drives)
    with serving_database(url) as base_url:
        yield base_url, vin


def _sign_in(page: Any, server: str, email: str, path: str) -> None:
    page.goto(f"{server}{path}")
    page.wait_for_url(re.compile(r"/account/sign-in\?next="))
    page.locator("input[name=identifier]").fill(email)
    page.locator("input[name=password]").fill(DEMO_PASSWORD)
    page.locator("main button[type=submit]").click()
    page.wait_for_url(re.compile(re.escape(path) + "$"))


def _check_layout(page: Any, viewport: dict[str, int], shot: str) -> None:
    from playwright.sync_api import expect

    expect(page.locator("svg.route-map")).to_be_visible()
    box = page.locator("svg.route-map").bounding_box()
    assert box and box["width"] > 200 and box["x"] + box["width"] <= viewport["width"], box
    page.screenshot(path=str(SCREENSHOTS / f"{shot}.png"), full_page=True)  # before the checks: shows a failure
    width = page.evaluate("document.documentElement.scrollWidth")
    wide = page.evaluate(
        "[...document.querySelectorAll('main *')].filter(e => e.getBoundingClientRect().right > innerWidth)"
        ".slice(0, 5).map(e => e.tagName + '.' + e.className + '#' + e.id)"
    )
    assert width <= viewport["width"], f"{shot} scrolls sideways: {width}px in {viewport['width']}px: {wide}"


@pytest.mark.parametrize("lang", ["en", "zh-Hans"])
def test_the_telemetry_page_and_the_shoppers_route_fit_a_phone_and_a_desktop(
    browser: Any,
    live: tuple[str, str],
    lang: str,
) -> None:
    from playwright.sync_api import expect

    server, vin = live
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = f"/backoffice/vehicles/{vin}/telemetry"
    context, page, problems = new_page(browser, lang, PHONE)
    _sign_in(page, server, MANAGER_EMAIL, path)
    for size, viewport in (("phone", PHONE), ("desktop", WIDE)):
        page.set_viewport_size(viewport)
        page.goto(f"{server}{path}?lang={lang}")
        expect(page.locator("#tm-state")).to_be_visible()
        expect(page.locator("#trips tbody tr").first).to_be_visible()
        _check_layout(page, viewport, f"telematics-vehicle-{lang}-{size}")
    page.locator("#trips tbody tr").first.locator("a").click()  # another trip on the map
    page.wait_for_url(re.compile(r"trip=1$"))
    expect(page.locator("#trips tbody tr").first).to_have_attribute("aria-current", "true")
    assert not problems, problems
    context.close()

    context, page, problems = new_page(browser, lang, PHONE)
    _sign_in(page, server, SHOPPER_EMAIL, f"/test-drives/{TAKEN_YESTERDAY}")
    for size, viewport in (("phone", PHONE), ("desktop", WIDE)):
        page.set_viewport_size(viewport)
        page.goto(f"{server}/test-drives/{TAKEN_YESTERDAY}?lang={lang}")
        expect(page.locator("#distance-driven")).to_be_visible()
        _check_layout(page, viewport, f"testdrive-route-{lang}-{size}")
    assert not problems, problems
    context.close()


@pytest.mark.parametrize(("lang", "alert"), [("en", "Left the area"), ("zh-Hans", "驶出电子围栏")])
def test_the_store_watches_a_drive_that_is_out(
    browser: Any,
    live: tuple[str, str],
    lang: str,
    alert: str,
) -> None:
    """The demo's "done when": the store manager opens the self-service drive that is out and sees where the car is,
    how far it went, and the alert it raised when it left the geofence — on a phone and on a desktop."""
    from playwright.sync_api import expect

    server, _ = live
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = f"/backoffice/test-drives/{OUT_NOW}"
    context, page, problems = new_page(browser, lang, PHONE)
    _sign_in(page, server, MANAGER_EMAIL, path)
    for size, viewport in (("phone", PHONE), ("desktop", WIDE)):
        page.set_viewport_size(viewport)
        page.goto(f"{server}{path}?lang={lang}")
        expect(page.locator("#car-alerts .td-alert-geofence_exit")).to_contain_text(alert)
        expect(page.locator("#drive-distance")).to_be_visible()
        expect(page.locator("#tm-state")).to_be_visible()
        expect(page.locator("#check-in input[name=odometer_km]")).not_to_have_value("")  # filled in from the car
        _check_layout(page, viewport, f"testdrive-watched-{lang}-{size}")
    calendar = f"/backoffice/stores/{STORE}/test-drives?lang={lang}"
    page.goto(f"{server}{calendar}")
    expect(page.locator(".td-alert-badge").first).to_be_visible()
    assert not problems, problems
    context.close()
