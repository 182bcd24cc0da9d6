"""A subscription in a real browser, end to end, at 375 px in Chinese and on a desktop in English.

On a phone, the demo shopper picks the compact class at the self-service store and subscribes (signing in on the
way), is asked to verify a licence first (the credit check reads the bureau's score from it), verifies one with the
demo ID of a good score, and subscribes. On a desktop, the demo renter (verified already) subscribes to the mid-size class with delivery
and then swaps to the large class: the fee and the day it takes effect are shown, and the page then says when the
next swap is possible. The demo subscriber's page (a swap and an invoice) is photographed too.

The live server runs in this process (a uvicorn thread), so pinning `forecourt.core.clock` pins the server's time
too. The demo data get the mobility demo (`mobility.demo`) and one more car of each class in the subscription
fleet on top.
Screenshots (artifacts/screenshots/subscription-*.png): 375 px in Chinese, 1366 px in English.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from forecourt.accounts.demo import DEMO_PASSWORD, DEMO_SELF_SERVICE_STORE, SHOPPER_EMAIL
from forecourt.catalog import service as catalog
from forecourt.catalog.lifecycle import FleetPool
from forecourt.catalog.models import Trim, Vehicle, VehicleModel
from forecourt.core import clock
from forecourt.core.settings import Settings
from forecourt.integrations import DEMO_ID_HIGH_SCORE
from forecourt.mobility.demo import RENTER_EMAIL, SUBSCRIBER_EMAIL, load_mobility_demo
from forecourt.mobility.fleet import service as fleet
from forecourt.mobility.models import Subscription
from tests.browser import PHONE, SCREENSHOTS, new_page
from tests.live_server import demo_database, serving_database
from tests.testdrive.helpers import NOW

pytestmark = pytest.mark.browser
WIDE = {"width": 1366, "height": 900}
CLASS_MODELS = (("escort", "focus", "ecosport"), ("mondeo", "kuga"), ("taurus", "edge", "explorer"))  # mobility.demo


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """A live server over the demo data, its accounts and the mobility demo, with a large car to swap to; the demo
    subscriber's reference."""

    def subscription_fleet(session: Any) -> str:
        load_mobility_demo(session, Settings(environment="test", database_url="sqlite://"), now=NOW)
        store = catalog.get_store(session, DEMO_SELF_SERVICE_STORE)
        for models in CLASS_MODELS:  # one more free car of each class, whatever the demo could move
            car = session.scalars(
                select(Vehicle)
                .join(Trim, Vehicle.trim_id == Trim.id)
                .join(VehicleModel, Trim.model_id == VehicleModel.id)
                .where(Vehicle.store_id == store.id, Vehicle.status == "available", VehicleModel.code.in_(models))
                .order_by(Vehicle.id)
            ).first()
            assert car is not None, f"the demo store has no available {models} to move into the subscription fleet"
            fleet.move_car(session, car.vin, FleetPool.SUBSCRIPTION, actor=None, allowed_store_ids=None, now=NOW)
        return session.scalars(select(Subscription.reference).order_by(Subscription.started_on)).first()

    url, subscriber_reference = demo_database(
        tmp_path_factory.mktemp("subscriptions"), vehicles=200, then=subscription_fleet
    )
    with serving_database(url) as base_url:
        yield base_url, subscriber_reference


def _sign_in(page: Any, email: str) -> None:
    page.locator("input[name=identifier]").fill(email)
    page.locator("input[name=password]").fill(DEMO_PASSWORD)
    page.locator("main button[type=submit]").click()


def _verify_licence(page: Any) -> None:
    page.locator("#full_name").fill("李雷")
    page.locator("#id_number").fill(DEMO_ID_HIGH_SCORE)
    page.locator("#licence_expiry").fill("2030-01-01")
    page.locator("#licence-form button[type=submit]").click()
    page.wait_for_url(re.compile(r"notice=verified"))


def _shot(page: Any, name: str) -> None:
    width = page.viewport_size["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width, (name, width)
    page.screenshot(path=str(SCREENSHOTS / f"subscription-{name}.png"), full_page=True)


def test_a_shopper_subscribes_on_a_phone_in_chinese(browser: Any, live: tuple[str, str]) -> None:  # noqa: F811
    from playwright.sync_api import expect

    server, _ = live
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with clock.pinned(NOW):  # 08:00 on Tuesday 1 December 2026 in Guangzhou, for the server too
        context, page, problems = new_page(browser, "zh-Hans", PHONE)
        page.goto(f"{server}/subscribe?lang=zh-Hans")
        expect(page.locator("h1")).to_have_text("订阅汽车")
        _shot(page, "plans-zh-Hans-phone")
        page.locator("label[for=class-compact]").click()
        page.locator("#subscribe").click()  # signed out: sent to sign in, and back to the same choice
        page.wait_for_url(re.compile(r"/account/sign-in\?next="))
        _sign_in(page, SHOPPER_EMAIL)
        page.wait_for_url(re.compile(r"/subscribe\?"))
        expect(page.locator("#credit-declined")).to_have_attribute("data-code", "identity_not_verified")
        expect(page.locator("#plans-to-read")).to_be_visible()  # the plans to read: no form before the check passes
        expect(page.locator("#subscribe")).to_have_count(0)
        _shot(page, "verify-zh-Hans-phone")
        _verify_licence(page)
        expect(page.locator("#credit-approved")).to_contain_text("780")
        expect(page.locator("#class-compact")).to_be_checked()
        page.locator("#subscribe").click()
        page.wait_for_url(re.compile(r"/subscriptions/SB[0-9A-Z]+\?notice=subscribed$"))
        expect(page.locator("#notice")).to_contain_text("订阅成功")
        expect(page.locator("#car")).to_contain_text("紧凑型")
        _shot(page, "mine-zh-Hans-phone")
        assert not problems, problems
        context.close()


def test_a_renter_subscribes_with_delivery_and_swaps_on_a_desktop(browser: Any, live: tuple[str, str]) -> None:  # noqa: F811
    from playwright.sync_api import expect

    server, demo_reference = live
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with clock.pinned(NOW):
        context, page, problems = new_page(browser, "en", WIDE)
        page.goto(f"{server}/account/sign-in?next=/subscribe")
        _sign_in(page, RENTER_EMAIL)  # verified by the mobility demo, with a good score
        page.wait_for_url(re.compile(r"/subscribe$"))
        expect(page.locator("#credit-approved")).to_be_visible()
        page.locator("label[for=class-mid]").click()
        page.locator("#handover-delivery").check()
        page.locator("#delivery_address").fill("88 Tianhe Road, Guangzhou")
        _shot(page, "plans-en-wide")
        page.locator("#subscribe").click()
        page.wait_for_url(re.compile(r"/subscriptions/SB[0-9A-Z]+\?notice=subscribed$"))
        expect(page.locator("#handover")).to_have_text("Delivered to 88 Tianhe Road, Guangzhou")
        expect(page.locator("#swap-fee")).to_contain_text("CN¥699.00")
        page.locator("#swap_class").select_option("large")
        expect(page.locator("#swap_on")).to_have_value("2026-12-03")  # the day after the first day, at the earliest
        page.locator("#swap").click()
        page.wait_for_url(re.compile(r"notice=swap$"))
        expect(page.locator("#upcoming")).to_contain_text("From December 3, 2026: Large")
        expect(page.locator("#next-swap")).to_contain_text("January 1, 2027")
        expect(page.locator("#swap-form")).to_have_count(0)
        _shot(page, "swapped-en-wide")
        assert not problems, problems
        context.close()

        for lang, viewport, size in (("en", WIDE, "wide"), ("zh-Hans", PHONE, "phone")):
            context, page, problems = new_page(browser, lang, viewport)
            page.goto(f"{server}/account/sign-in?next=/subscriptions/{demo_reference}")
            _sign_in(page, SUBSCRIBER_EMAIL)
            page.wait_for_url(re.compile(rf"/subscriptions/{demo_reference}$"))
            expect(page.locator("#invoices .sb-invoice")).to_have_count(1)
            _shot(page, f"demo-subscriber-{lang}-{size}")
            assert not problems, problems
            context.close()
