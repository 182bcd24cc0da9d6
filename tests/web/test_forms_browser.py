"""The forms of issue 13, finding 3, in a real browser at 375 px and 1366 px, in English and Chinese:

- the vehicle page's "Ask about this car": the consent checkbox is a small box on its label's line (not a big
  empty box above it), the question box is as wide as the other fields;
- the credit application form: text inputs look like the selects beside them (the same height and width), and
  an empty submit marks every field and consent at once.

Screenshots go to artifacts/screenshots/forms-*.png for a person to look at.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from forecourt.accounts.demo import DEMO_PASSWORD, SHOPPER_EMAIL
from forecourt.core import clock
from tests.browser import PHONE, SCREENSHOTS, new_page
from tests.live_server import demo_database, serving_database
from tests.web.finance_widget import NOW, finance_demo_and_two_mondeos, open_the_widget, submit_the_widget

pytestmark = pytest.mark.browser

WIDE = {"width": 1366, "height": 900}
VIEWPORTS = {"phone": PHONE, "wide": WIDE}


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    url, vins = demo_database(tmp_path_factory.mktemp("forms"), vehicles=120, then=finance_demo_and_two_mondeos)
    with serving_database(url) as base_url:
        yield base_url, vins[0]


def _box(page: Any, selector: str) -> dict[str, float]:
    box = page.locator(selector).bounding_box()
    assert box, f"{selector} is not shown"
    return box


def _shot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"forms-{name}.png"), full_page=True)


def _no_sideways_scroll(page: Any, viewport: dict[str, int]) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= viewport["width"], f"the page scrolls sideways: {width}px"


@pytest.mark.parametrize("lang", ["en", "zh-Hans"])
@pytest.mark.parametrize("size", ["phone", "wide"])
def test_the_question_form_lines_up(browser: Any, live: tuple[str, str], lang: str, size: str) -> None:
    from playwright.sync_api import expect

    server, vin = live
    viewport = VIEWPORTS[size]
    context, page, _ = new_page(browser, lang, viewport)
    page.goto(f"{server}/vehicles/{vin}?lang={lang}")
    page.locator("#contact-submit").click()  # empty: every problem at once
    page.wait_for_url(re.compile(rf"/vehicles/{vin}/contact"))
    expect(page.locator("#cf-name-error")).to_be_visible()
    expect(page.locator("#cf-mobile-error")).to_be_visible()
    expect(page.locator("#cf-consent-error")).to_be_visible()

    name, question = _box(page, "#cf-name"), _box(page, "#cf-message")
    assert abs(question["width"] - name["width"]) <= 1, (question, name)
    assert abs(question["x"] - name["x"]) <= 1
    box, label = _box(page, "#cf-consent"), _box(page, "label[for=cf-consent]")
    assert box["width"] <= 24 and box["height"] <= 24, f"the checkbox is drawn as a large box: {box}"
    assert box["x"] + box["width"] <= label["x"], "the checkbox is not left of its label"
    assert abs(box["y"] - label["y"]) <= 8, "the checkbox is not on its label's first line"
    error = _box(page, "#cf-consent-error")
    assert error["y"] >= label["y"] + label["height"] - 1, "the consent error is not below the label"
    _no_sideways_scroll(page, viewport)
    page.locator("#ask-about-car").scroll_into_view_if_needed()
    page.locator("#ask-about-car").screenshot(path=str(SCREENSHOTS / f"forms-question-{lang}-{size}.png"))
    context.close()


@pytest.mark.parametrize("size", ["phone", "wide"])
def test_the_application_form_is_styled_and_reports_everything_at_once(
    browser: Any,
    live: tuple[str, str],
    size: str,
) -> None:
    from playwright.sync_api import expect

    server, vin = live
    viewport = VIEWPORTS[size]
    with clock.pinned(NOW):
        context, page, _ = new_page(browser, "en", viewport)
        page.goto(f"{server}/account/sign-in?next=/vehicles/{vin}")
        page.locator("input[name=identifier]").fill(SHOPPER_EMAIL)
        page.locator("input[name=password]").fill(DEMO_PASSWORD)
        page.locator("main button[type=submit]").click()
        page.wait_for_url(f"{server}/vehicles/{vin}")
        submit_the_widget(page, open_the_widget(page, server, vin, "en"))
        page.locator("a.prequalify").first.click()
        page.wait_for_url(re.compile(r"/finance/apply\?quote="))

        # The inputs look like the selects: the same height, and as wide as the other fields of their column.
        select, name, months = _box(page, "#id_type"), _box(page, "#full_name"), _box(page, "#employment_months")
        assert name["height"] >= 44 and abs(name["height"] - select["height"]) <= 1, (name, select)
        assert abs(name["width"] - select["width"]) <= 1 and abs(months["width"] - select["width"]) <= 1
        border = page.eval_on_selector("#full_name", "e => getComputedStyle(e).borderTopColor")
        assert border == page.eval_on_selector("#id_type", "e => getComputedStyle(e).borderTopColor")
        consent, words = _box(page, "#consent_credit_check"), _box(page, "label[for=consent_credit_check]")
        assert consent["width"] <= 24 and consent["x"] + consent["width"] <= words["x"]
        _no_sideways_scroll(page, viewport)
        _shot(page, f"apply-{size}")

        page.locator("#apply").click()  # empty
        page.wait_for_url(f"{server}/finance/apply")
        expect(page.locator("#form-errors")).to_be_visible()
        wrong = [
            "credit_check",
            "share_with_provider",
            "full_name",
            "id_number",
            "date_of_birth",
            "address",
            "employer",
            "employment_months",
            "monthly_income",
        ]
        expect(page.locator("#form-errors li")).to_have_count(len(wrong))
        for field in wrong:
            expect(page.locator(f"#{field}-error")).to_be_visible()
        _no_sideways_scroll(page, viewport)
        _shot(page, f"apply-refused-{size}")

        # One fixed, resubmitted: the others are still marked, the typed values kept, the secret cleared and said.
        page.locator("#full_name").fill("Zhang Wei")
        page.locator("#id_number").fill("not an id")
        page.locator("#apply").click()
        page.wait_for_url(f"{server}/finance/apply")
        expect(page.locator("#full_name")).to_have_value("Zhang Wei")
        expect(page.locator("#id_number")).to_have_value("")
        expect(page.locator("#secrets-cleared")).to_be_visible()
        expect(page.locator("#form-errors li")).to_have_count(len(wrong) - 1)
        context.close()
