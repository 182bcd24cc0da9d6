"""My garage in a real browser: the demo owner signs in, opens the garage, the leased Kuga and its lease page, and
reads the projection and the excess-km charge — at 375 px and 1366 px, in English and Chinese. No page may scroll
sideways. Screenshots go to artifacts/screenshots/garage-*.png."""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.orm import Session

from forecourt.accounts.demo import DEMO_PASSWORD
from forecourt.core.clock import utcnow
from forecourt.finance.programs.demo import ensure_finance_demo
from forecourt.ownership.demo import OWNER_EMAIL, load_ownership_demo
from forecourt.ownership.leases import service as leases
from forecourt.ownership.records import service as records
from tests.browser import PHONE, SCREENSHOTS, new_page
from tests.live_server import demo_database, serving_database

pytestmark = pytest.mark.browser
WIDE = {"width": 1366, "height": 900}


def _demo_owners(session: Session) -> dict[str, Any]:
    ensure_finance_demo(session)
    load_ownership_demo(session)
    from forecourt.accounts import repository as accounts

    owner = accounts.get_user_by_email(session, OWNER_EMAIL)
    kuga = next(o for o in records.list_for_owner(session, owner.id) if o.model_code == "kuga")
    projection = leases.lease_view(session, kuga, utcnow()).mileage.projection
    return {"reference": kuga.reference, "charge": projection.excess_charge, "projected": projection.projected_km}


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, Any]]]:
    url, kuga = demo_database(tmp_path_factory.mktemp("garage"), vehicles=800, then=_demo_owners)
    with serving_database(url) as base_url:
        yield base_url, kuga


def _fits(page: Any, viewport: dict[str, int], shot: str) -> None:
    page.screenshot(path=str(SCREENSHOTS / f"{shot}.png"), full_page=True)
    width = page.evaluate("document.documentElement.scrollWidth")
    wide = page.evaluate(
        "[...document.querySelectorAll('main *')].filter(e => e.getBoundingClientRect().right > innerWidth)"
        ".slice(0, 5).map(e => e.tagName + '.' + e.className + '#' + e.id)"
    )
    assert width <= viewport["width"], f"{shot} scrolls sideways: {width}px in {viewport['width']}px: {wide}"


@pytest.mark.parametrize(("lang", "over"), [("en", "over your allowance"), ("zh-Hans", "超出")])
def test_the_demo_owner_reads_the_lease_projection_and_excess_charge(
    browser: Any,
    live: tuple[str, dict[str, Any]],
    lang: str,
    over: str,
) -> None:
    from playwright.sync_api import expect

    server, kuga = live
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    context, page, problems = new_page(browser, lang, PHONE)
    page.goto(f"{server}/garage")
    page.wait_for_url(re.compile(r"/account/sign-in\?next="))
    page.locator("input[name=identifier]").fill(OWNER_EMAIL)
    page.locator("input[name=password]").fill(DEMO_PASSWORD)
    page.locator("main button[type=submit]").click()
    page.wait_for_url(re.compile(r"/garage$"))
    charge = f"{Decimal(kuga['charge']):,.2f}"
    for size, viewport in (("phone", PHONE), ("desktop", WIDE)):
        page.set_viewport_size(viewport)
        page.goto(f"{server}/garage?lang={lang}")
        expect(page.locator(f"#car-{kuga['reference']}")).to_be_visible()
        _fits(page, viewport, f"garage-list-{lang}-{size}")
        page.locator(f"#car-{kuga['reference']} .lease-link").click()
        page.wait_for_url(re.compile(r"/lease$"))
        expect(page.locator("#pace")).to_contain_text(over)
        expect(page.locator("#pace")).to_contain_text(f"{kuga['projected']:,}")
        expect(page.locator("#excess-charge")).to_contain_text(charge)
        expect(page.locator("#step-charge")).to_contain_text(charge)
        expect(page.locator("#option-return")).to_be_visible()
        expect(page.locator("#buy-loan")).to_be_visible()
        _fits(page, viewport, f"garage-lease-{lang}-{size}")
        # Swap: the first car for sale at the store on a loan, with the estimated appraisal: the estimate is the
        # residual, so the equity is negative and cannot be the down payment — refused until cash is added.
        page.locator("#swap-product").select_option("loan")
        page.locator("#swap-form button[type=submit]").click()
        expect(page.locator("#swap-refusal")).to_be_visible()
        page.locator("#swap-cash").fill("40000.00")
        page.locator("#swap-form button[type=submit]").click()
        expect(page.locator("#swap-payment")).to_be_visible()
        expect(page.locator("#swap-equity-goes")).to_contain_text("40,000.00")
        _fits(page, viewport, f"garage-lease-swap-{lang}-{size}")
        page.goto(f"{server}/garage/{kuga['reference']}?lang={lang}")
        expect(page.locator("#next-payment")).to_be_visible()
        _fits(page, viewport, f"garage-car-{lang}-{size}")
    assert not problems, problems
    context.close()
