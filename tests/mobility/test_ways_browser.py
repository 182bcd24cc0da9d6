"""Ways to drive and buying a subscription car in a real browser, over the demo data with the mobility demo: a
shopper follows the comparison link from a Kuga's page at the self-service store (which sells, rents and subscribes
Kugas), changes the km and sees the four ways side by side on a desktop and stacked on a phone; the demo subscriber
works out buying their car. Nothing scrolls sideways at 375 px.

Screenshots (375 px in Chinese, 1366 px in English) go to artifacts/screenshots/ways-*.png and convert-*.png.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import pairwise
from typing import Any

import pytest
from sqlalchemy import select

from forecourt.accounts.demo import DEMO_PASSWORD, DEMO_SELF_SERVICE_STORE
from forecourt.accounts.models import User
from forecourt.catalog.models import Store, Trim, VehicleModel
from forecourt.core import clock
from forecourt.core.settings import Settings
from forecourt.finance.programs.demo import ensure_finance_demo
from forecourt.mobility.demo import SUBSCRIBER2_EMAIL, load_mobility_demo
from forecourt.mobility.models import Subscription
from tests.browser import PHONE, SCREENSHOTS, new_page
from tests.factories import make_vehicle
from tests.live_server import demo_database, serving_database
from tests.testdrive.helpers import NOW

pytestmark = pytest.mark.browser
WIDE = {"width": 1366, "height": 900}


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    def mobility(session: Any) -> dict[str, str]:
        ensure_finance_demo(session)
        load_mobility_demo(session, Settings(environment="test", database_url="sqlite://"), now=NOW)
        # The demo's subscription fleet holds Focuses only: a Kuga joins it, and another goes on sale cheaply, so the
        # store sells, leases, subscribes and rents the Kuga.
        store = session.scalars(select(Store).where(Store.code == DEMO_SELF_SERVICE_STORE)).one()
        trim = session.scalars(select(Trim).join(Trim.model).where(VehicleModel.code == "kuga")).first()
        make_vehicle(session, trim, store, pool="subscription")
        kuga = make_vehicle(session, trim, store, price="150000.00").vin
        subscriber = session.scalars(select(User.id).where(User.email == SUBSCRIBER2_EMAIL)).one()
        subscription = session.scalars(
            select(Subscription.reference).where(Subscription.subscriber_user_id == subscriber)
        ).first()
        return {"kuga": kuga, "subscription": subscription or ""}

    url, found = demo_database(tmp_path_factory.mktemp("ways"), vehicles=200, then=mobility)
    with serving_database(url) as base_url:
        yield base_url, found


def _fits(page: Any, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def test_a_shopper_compares_the_ways_to_drive_a_kuga(browser: Any, live: tuple[str, dict[str, str]]) -> None:  # noqa: F811
    from playwright.sync_api import expect

    server, found = live
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with clock.pinned(NOW):
        context, page, problems = new_page(browser, "en", WIDE)
        page.goto(f"{server}/vehicles/{found['kuga']}")
        page.locator("#ways-to-drive").click()
        expect(page.locator("h1")).to_have_text("Ways to drive the Kuga")
        page.locator("#wd-km").fill("1200")
        page.get_by_role("button", name="Compare", exact=True).click()
        expect(page.locator("#wd-summary")).to_contain_text("1,200 km a month")
        cards = page.locator("#wd-ways > li")
        expect(cards).to_have_count(4)
        for way in ("buy", "lease", "subscribe", "rent"):
            expect(page.locator(f"#wd-{way}")).to_have_attribute("data-available", "yes")
        tops = [cards.nth(i).bounding_box()["y"] for i in range(4)]
        assert max(tops) - min(tops) < 2, tops  # side by side on a desktop
        _fits(page, WIDE["width"])
        page.screenshot(path=str(SCREENSHOTS / "ways-kuga-en-wide.png"), full_page=True)
        url = page.url
        context.close()

        context, page, _ = new_page(browser, "zh-Hans", PHONE)
        page.goto(f"{url}&lang=zh-Hans")
        expect(page.locator("h1")).to_have_text("翼虎的用车方式")
        cards = page.locator("#wd-ways > li")
        boxes = [cards.nth(i).bounding_box() for i in range(4)]
        assert all(b["y"] >= a["y"] + a["height"] for a, b in pairwise(boxes)), boxes  # stacked
        _fits(page, PHONE["width"])
        page.screenshot(path=str(SCREENSHOTS / "ways-kuga-zh-Hans-phone.png"), full_page=True)
        context.close()
    assert not problems, problems


def test_the_subscriber_works_out_buying_their_car(browser: Any, live: tuple[str, dict[str, str]]) -> None:  # noqa: F811
    from playwright.sync_api import expect

    server, found = live
    assert found["subscription"], "the mobility demo made no subscription"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with clock.pinned(NOW):
        for lang, viewport, name in (("en", WIDE, "wide"), ("zh-Hans", PHONE, "phone")):
            context, page, _ = new_page(browser, lang, viewport)
            signed_in = context.request.post(
                f"{server}/api/v1/auth/sign-in", data={"identifier": SUBSCRIBER2_EMAIL, "password": DEMO_PASSWORD}
            )
            assert signed_in.ok, signed_in.text()
            page.goto(f"{server}/subscriptions/{found['subscription']}/convert?lang={lang}")
            page.locator("#cv-cash-down").fill("60000")
            page.locator("#cv-requote").click()
            expect(page.locator("#cv-figures")).to_be_visible()
            expect(page.locator("#cv-convert")).to_be_visible()
            _fits(page, viewport["width"])
            page.screenshot(path=str(SCREENSHOTS / f"convert-{lang}-{name}.png"), full_page=True)
            context.close()
