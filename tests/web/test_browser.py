"""The storefront in a real browser: Playwright drives Debian's Chromium (set up in tests/browser.py) against a
live uvicorn server. Screenshots go to artifacts/screenshots/ for a person to look at.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from forecourt.app import create_app
from forecourt.catalog.demo import load_demo
from forecourt.core.db import make_engine, make_session_factory, transaction
from forecourt.core.migrate import upgrade
from forecourt.core.outbox import OutboxMessage
from forecourt.core.settings import Settings
from tests.browser import DESKTOP, PHONE, SCREENSHOTS, new_page
from tests.live_server import serving

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server_database(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A migrated SQLite database holding a few hundred demo cars."""
    url = f"sqlite:///{tmp_path_factory.mktemp('browser') / 'forecourt.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with transaction(make_session_factory(engine)) as session:
        load_demo(session, vehicles=300, seed=2018)
    engine.dispose()
    return url


@pytest.fixture(scope="module")
def server(server_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real server on a free port, over `server_database`."""
    outbox = tmp_path_factory.mktemp("outbox")
    app = create_app(Settings(environment="test", database_url=server_database, outbox_dir=outbox))
    with serving(app) as base_url:
        yield base_url


def _wait_for_htmx(page: Any) -> None:
    page.wait_for_function("() => !document.querySelector('.htmx-request, .htmx-settling, .htmx-swapping')")


def test_shopper_searches_filters_opens_a_car_and_switches_to_chinese(browser: Any, server: str) -> None:
    from playwright.sync_api import expect

    context, page, problems = new_page(browser, "en", DESKTOP)
    page.goto(f"{server}/")
    expect(page.locator("h1")).to_have_text("Find your next car")

    page.get_by_label("Search by model or trim").fill("Mondeo")
    page.get_by_role("button", name="Search", exact=True).click()
    page.wait_for_url(re.compile(r"/vehicles\?q=Mondeo$"))
    expect(page.locator("#filters")).to_have_attribute("open", "")  # opened beside the results on a wide screen
    before = page.locator("#result-status").inner_text()

    # Ticking a facet re-runs the search in place (htmx): the URL follows, the page is not reloaded.
    page.evaluate("window.stillTheSamePage = true")
    checkbox = page.locator("#facets input[name=powertrain]").last
    value = checkbox.get_attribute("value")
    with page.expect_response(lambda response: f"powertrain={value}" in response.url):
        checkbox.check()
    _wait_for_htmx(page)
    page.wait_for_url(re.compile(rf"[?&]powertrain={value}(&|$)"))
    expect(page.locator(f"#f-powertrain-{value}")).to_be_checked()
    assert page.evaluate("window.stillTheSamePage") is True
    assert page.evaluate("document.activeElement.id") == f"f-powertrain-{value}"  # keyboard focus kept
    after = page.locator("#result-status").inner_text()
    assert after != before and re.match(r"[\d,]+ cars? found", after)
    expect(page.locator("#lang-switch")).to_have_attribute("href", re.compile(rf"powertrain={value}.*lang=zh-Hans"))

    page.locator("#results .card-title a").first.click()
    page.wait_for_url(re.compile(r"/vehicles/[A-HJ-NPR-Z0-9]{17}$"))
    expect(page.locator(".prices .price").first).to_contain_text("CN¥")

    page.get_by_role("link", name=re.compile("中文")).click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    expect(page.locator("#specs-heading")).to_have_text("规格参数")
    price = page.locator(".prices .price").first.inner_text()
    assert price.startswith("¥"), price

    page.get_by_role("navigation", name="主导航").get_by_role("link", name="门店").click()  # a link without ?lang=
    page.wait_for_url(f"{server}/stores")
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")  # remembered by the cookie
    expect(page.locator("h1")).to_have_text("我们的门店")
    assert not problems, problems
    context.close()


@pytest.mark.parametrize("lang", ["en", "zh-Hans"])
def test_pages_fit_a_phone_and_are_photographed(browser: Any, server: str, lang: str) -> None:
    """No horizontal scrolling at 375 px; screenshots at phone and desktop widths for a person to check."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    context, page, problems = new_page(browser, lang, PHONE)
    cars = page.request.get(f"{server}/api/v1/vehicles?sort=-price&page_size=1&q=Navigator").json()["items"]
    pages = {
        "home": "/",
        "search": "/vehicles?body_type=suv&page_size=6",
        "vehicle": f"/vehicles/{cars[0]['vin']}",
        "store": "/stores/gz-tianhe",
        "account-sign-in": "/account/sign-in",
    }
    for size_name, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        page.set_viewport_size(viewport)
        for name, path in pages.items():
            page.goto(f"{server}{path}")
            expect_lang = page.evaluate("document.documentElement.lang")
            assert expect_lang == lang
            if size_name == "phone":
                width = page.evaluate("document.documentElement.scrollWidth")
                assert width <= PHONE["width"], f"{name} page scrolls sideways on a phone: {width}px"
            if name == "search":
                is_open = page.evaluate("document.getElementById('filters').open")
                assert is_open is (size_name == "desktop"), "filters: folded on phones, open on desktops"
            page.screenshot(path=str(SCREENSHOTS / f"{name}-{lang}-{size_name}.png"), full_page=True)
    assert not problems, problems
    context.close()


def _last_sms_code(database: str, number: str) -> str:
    engine = make_engine(database)
    try:
        with engine.connect() as connection:
            statement = (
                select(OutboxMessage.body)
                .where(OutboxMessage.recipient == number)
                .order_by(OutboxMessage.id.desc())
                .limit(1)
            )
            body = connection.scalar(statement)
    finally:
        engine.dispose()
    return re.search(r"code: (\S+)", body).group(1)


def test_shopper_signs_up_in_chinese_and_signs_out(browser: Any, server: str, server_database: str) -> None:
    """Through the plain HTML forms: a field error first, then the code by SMS, the account, signed in, then
    signed out."""
    from playwright.sync_api import expect

    context, page, problems = new_page(browser, "zh-Hans", PHONE)
    page.goto(f"{server}/stores")
    page.get_by_role("banner").get_by_role("link", name="注册").click()
    page.wait_for_url(f"{server}/account/sign-up")
    expect(page.locator("h1")).to_have_text("创建账户")

    page.get_by_label("电子邮箱或手机号").fill("139 1234 5678")
    page.get_by_label("您的名字").fill("韩梅梅")
    page.get_by_label("密码", exact=True).fill("a-good-password")
    page.get_by_label("再次输入密码").fill("a-different-one")
    page.get_by_role("button", name="创建账户").click()
    expect(page.locator(".error-summary")).to_contain_text("两次输入的密码不一致")
    expect(page.get_by_label("再次输入密码")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("您的名字")).to_have_value("韩梅梅")  # kept
    expect(page.get_by_label("密码", exact=True)).to_have_value("")  # passwords are not sent back
    assert all("422" in problem for problem in problems), problems  # the form's answer, and Chromium's note of it
    problems.clear()

    page.get_by_label("密码", exact=True).fill("a-good-password")
    page.get_by_label("再次输入密码").fill("a-good-password")
    page.get_by_role("button", name="创建账户").click()
    expect(page.locator(".notice")).to_contain_text("请查看您的电子邮件或短信以继续")
    page.get_by_role("link", name="输入确认码").click()
    page.wait_for_url(f"{server}/account/sign-up/confirm")
    page.get_by_label("确认码").fill(_last_sms_code(server_database, "13912345678"))
    page.get_by_role("button", name="创建账户").click()
    page.wait_for_url(f"{server}/")
    header = page.get_by_role("banner")
    expect(header.locator(".who")).to_have_text("当前登录： 韩梅梅")
    header.get_by_role("link", name="我的账户").click()
    page.wait_for_url(f"{server}/account")
    expect(page.locator("main")).to_contain_text("13912345678")
    expect(page.locator("main")).to_contain_text("购车用户")

    header.get_by_role("button", name="退出登录").click()
    page.wait_for_url(f"{server}/")
    expect(header.get_by_role("link", name="登录")).to_be_visible()
    page.goto(f"{server}/account")
    page.wait_for_url(f"{server}/account/sign-in?next=%2Faccount")
    assert not problems, problems
    context.close()
