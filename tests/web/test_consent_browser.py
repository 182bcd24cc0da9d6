"""Tracking consent in a real browser: nothing is measured before *Accept*; a decline (also a late one, after
accepting) leaves no visitor's events behind; the choice can be changed from every storefront page."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import create_engine, func, select

from forecourt.catalog.models import Vehicle
from forecourt.marketing.models import MarketingEvent, Visitor
from tests.browser import DESKTOP, new_page
from tests.live_server import demo_database, serving_database

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, str]]:
    url, vin = demo_database(
        tmp_path_factory.mktemp("consent"),
        vehicles=30,
        then=lambda session: session.scalars(select(Vehicle.vin).limit(1)).one(),
    )
    with serving_database(url) as base_url:
        yield base_url, url, vin


def _count(url: str, statement: Any) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return int(connection.scalar(statement) or 0)
    finally:
        engine.dispose()


def _eventually(probe: Callable[[], int], wanted: Callable[[int], bool], seconds: float = 10) -> int:
    """The tracker posts with fetch(keepalive) after the page's own work: poll for what it stored."""
    deadline = time.monotonic() + seconds
    value = probe()
    while not wanted(value) and time.monotonic() < deadline:
        time.sleep(0.1)
        value = probe()
    return value


def _cookie(context: Any, name: str) -> str | None:
    return next((c["value"] for c in context.cookies() if c["name"] == name), None)


def test_nothing_is_measured_before_accept_and_a_late_decline_deletes_it(browser: Any, live) -> None:
    from playwright.sync_api import expect

    base_url, database, vin = live
    events = select(func.count()).select_from(MarketingEvent)
    context, page, problems = new_page(browser, "en", DESKTOP)
    page.goto(f"{base_url}/vehicles/{vin}?utm_source=baidu&utm_medium=cpc&utm_campaign=spring")
    banner = page.locator("#consent-banner")
    expect(banner).to_be_visible()
    expect(page.locator("#consent-settings")).to_be_hidden()
    assert _cookie(context, "fc_vid") is None  # no visitor id before a choice

    banner.get_by_role("button", name="Decline").click()
    expect(banner).to_be_hidden()
    assert _cookie(context, "fc_consent") == "declined" and _cookie(context, "fc_vid") is None
    page.reload()
    expect(banner).to_be_hidden()
    time.sleep(0.5)
    assert _count(database, events) == 0  # a declined visitor is never measured

    page.get_by_role("button", name="Change my tracking choice").click()
    banner.get_by_role("button", name="Accept").click()
    assert _eventually(lambda: int(_cookie(context, "fc_vid") is not None), bool)  # issued by the server
    visitor = _cookie(context, "fc_vid")
    assert visitor and _cookie(context, "fc_consent") == "granted"
    proof = next(c for c in context.cookies() if c["name"] == "fc_vid_proof")
    assert proof["httpOnly"] and proof["sameSite"] == "Strict"  # the tracker cannot read what proves the id
    mine = select(func.count()).select_from(MarketingEvent).where(MarketingEvent.visitor_id == visitor)
    assert _eventually(lambda: _count(database, mine), lambda n: n >= 2) >= 2  # the visit and the car viewed
    searched = mine.where(MarketingEvent.type == "visit", MarketingEvent.channel == "search")
    assert _count(database, searched) == 1  # the ad click's UTM tags name the channel

    page.get_by_role("button", name="Change my tracking choice").click()
    banner.get_by_role("button", name="Decline").click()
    assert _eventually(lambda: _count(database, mine), lambda n: n == 0) == 0  # measured events deleted
    declined = (
        select(func.count()).select_from(Visitor).where(Visitor.visitor_id == visitor, Visitor.consent == "declined")
    )
    assert _eventually(lambda: _count(database, declined), lambda n: n == 1) == 1
    assert problems == []
    context.close()


def test_an_id_the_browser_made_up_is_replaced_and_cannot_decline_for_another(browser: Any, live) -> None:
    """A visitor id from before ids were issued (or someone else's, copied into the cookie) proves nothing: the
    tracker gets a server-issued id instead, and the other visitor's events stay."""
    from playwright.sync_api import expect

    base_url, database, vin = live
    context, page, problems = new_page(browser, "en", DESKTOP)
    page.goto(f"{base_url}/vehicles/{vin}")
    page.locator("#consent-banner").get_by_role("button", name="Accept").click()
    assert _eventually(lambda: int(_cookie(context, "fc_vid") is not None), bool)
    victim = _cookie(context, "fc_vid")
    mine = select(func.count()).select_from(MarketingEvent).where(MarketingEvent.visitor_id == victim)
    assert _eventually(lambda: _count(database, mine), lambda n: n >= 2) >= 2
    context.close()

    context, page, problems = new_page(browser, "en", DESKTOP)
    host = base_url.split("//", 1)[1].split(":")[0]
    context.add_cookies(
        [
            {"name": "fc_vid", "value": victim, "domain": host, "path": "/"},
            {"name": "fc_consent", "value": "granted", "domain": host, "path": "/"},
        ]
    )
    page.goto(f"{base_url}/vehicles/{vin}")
    assert _eventually(lambda: int(_cookie(context, "fc_vid") != victim), bool)  # replaced by an issued id
    page.get_by_role("button", name="Change my tracking choice").click()
    page.locator("#consent-banner").get_by_role("button", name="Decline").click()
    expect(page.locator("#consent-settings")).to_be_visible()
    time.sleep(0.5)
    assert _count(database, mine) >= 2  # the victim's events are untouched
    assert problems == []
    context.close()
