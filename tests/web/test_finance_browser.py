"""Financing a car in a real browser, end to end: the demo shopper opens a Mondeo, asks the payment widget for
20 % down over 36 months, reads the comparison of cash / loan / balloon / lease / lease-to-own with its disclosure
boxes (the page's monthly loan payment is the API's to the cent), fetches the PDF, pre-qualifies from the loan with
the demo high-score ID, applies, reads the decision and reserves the car with the demo card. A second run shows
the comparison in Simplified Chinese, asserting on numbers and structure rather than words.

The live server runs in this process (a uvicorn thread), so pinning `forecourt.core.clock` pins the server's
time too: the demo programs are valid 2026-01-01 to 2027-12-31, and the quotes are made inside that window
whatever the real date. Screenshots go to artifacts/screenshots/finance-*.png.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from forecourt.accounts.demo import DEMO_PASSWORD, SHOPPER_EMAIL
from forecourt.core import clock
from forecourt.finance.credit.bureau import DEMO_ID_GOOD
from tests.browser import DESKTOP, PHONE, SCREENSHOTS, new_page
from tests.live_server import demo_database, serving_database
from tests.web.finance_widget import MILEAGE, NOW, finance_demo_and_two_mondeos, open_the_widget, submit_the_widget

pytestmark = pytest.mark.browser

PRODUCTS = ["cash", "loan", "balloon", "lease", "lease_to_own"]
PRODUCT_NAMES = {
    "cash": "Cash",
    "loan": "Loan",
    "balloon": "Balloon loan",
    "lease": "Lease",
    "lease_to_own": "Lease-to-own",
}
ROWS = 6  # monthly payment, due at signing, total cost, APR, annualised rate, next step
APPLICANT = {
    "full_name": "Zhang Wei",
    "date_of_birth": "1990-03-07",
    "address": "88 Tianhe Road, Guangzhou",
    "employer": "Pearl River Shipping",
    "employment_months": "48",
    "monthly_income": "40000",
    "monthly_housing_cost": "2000",
    "monthly_other_debts": "0",
}


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, list[str]]]:
    """A live server over the demo cars, accounts and finance programs, and the VINs of two available
    (petrol) Mondeos: one for the English journey, which reserves it, one for the Chinese comparison."""
    url, vins = demo_database(tmp_path_factory.mktemp("finance"), vehicles=300, then=finance_demo_and_two_mondeos)
    assert len(vins) == 2, "the demo should have at least two available petrol Mondeos"
    with serving_database(url) as base_url:
        yield base_url, vins


def _shot(page: Any, name: str) -> None:
    page.screenshot(path=str(SCREENSHOTS / f"finance-{name}.png"), full_page=True)


def _amount(text: str) -> Decimal:
    """The number in a money cell: "CN¥4,310.37" or "¥4,310.37" → Decimal("4310.37")."""
    found = re.search(r"\d[\d,]*(?:\.\d+)?", text)
    assert found, f"no amount in {text!r}"
    return Decimal(found.group(0).replace(",", ""))


def _check_comparison(page: Any, server: str, reference: str, lang: str) -> dict[str, Any]:
    """The comparison table against the API's figures: every product a column in the API's order, each offered
    product's monthly payment, APR and annualised rate to the cent; returns the API's document."""
    from playwright.sync_api import expect

    response = page.request.get(f"{server}/api/v1/quotes/{reference}")
    assert response.status == 200, response.text()
    doc = response.json()
    assert [p["product"] for p in doc["products"]] == PRODUCTS
    inputs = doc["inputs"]
    assert inputs["term_months"] == 36 and Decimal(str(inputs["down_percent"])) == Decimal("0.2"), inputs
    assert inputs["annual_mileage"] == MILEAGE, inputs
    assert all(p["offered"] for p in doc["products"]), [p["reason"] for p in doc["products"] if not p["offered"]]

    table = page.locator("#quote-comparison table.comparison")
    headers = table.locator("thead th")
    expect(headers).to_have_count(1 + len(PRODUCTS))
    expect(table.locator("tbody tr")).to_have_count(ROWS)
    rows = {
        key: table.locator("tbody tr").nth(i)
        for i, key in enumerate(
            ("monthly_payment", "due_at_signing", "total_cost", "apr", "annualised_rate", "next_step")
        )
    }
    for column, product in enumerate(doc["products"]):
        if lang == "en":
            expect(headers.nth(column + 1)).to_have_text(PRODUCT_NAMES[product["product"]])
        cells = {key: row.locator("td").nth(column) for key, row in rows.items()}
        monthly = cells["monthly_payment"].inner_text()
        if product["product"] == "cash":
            assert _amount(monthly) == Decimal(str(product["monthly_payment"]))  # 0.00: cash has no instalments
            assert _amount(cells["total_cost"].inner_text()) == Decimal(str(product["total_cost"]))
            continue
        assert _amount(monthly) == Decimal(str(product["monthly_payment"])), (product["product"], monthly)
        assert _amount(cells["due_at_signing"].inner_text()) == Decimal(str(product["due_at_signing"]))
        for rate in ("apr", "annualised_rate"):
            shown = cells[rate].inner_text().strip()
            if product[rate] is None:
                assert shown == "—", (product["product"], rate, shown)
            else:
                assert shown.endswith("%") and Decimal(shown[:-1]) == Decimal(str(product[rate])), (rate, shown)
        expect(cells["next_step"].locator("a.prequalify")).to_have_attribute(
            "href", f"/finance/apply?quote={product['reference']}"
        )
        # Each financed product has its own section, named by its quote reference, with its disclosure boxes.
        section = page.locator(f"#product-{product['product']}")
        expect(section).to_contain_text(product["reference"])
        assert section.locator(".disclosure-box").count() >= 1
    loan = doc["products"][1]
    assert loan["apr"] is not None and loan["annualised_rate"] is not None
    # The loan's Truth-in-Lending box states the APR and the schedule's monthly amount.
    loan_boxes = page.locator("#product-loan .disclosure-box")
    expect(loan_boxes.first).to_contain_text(f"{Decimal(str(loan['apr']))}%")
    expect(page.locator("#product-loan table.schedule").first).to_be_visible()
    schedule = [
        _amount(t) for t in page.locator("#product-loan table.schedule tbody td:nth-child(2)").all_inner_texts()
    ]
    assert Decimal(str(loan["monthly_payment"])) in schedule, schedule
    return doc


def _fill_applicant(page: Any, consents: tuple[str, ...]) -> None:
    form = page.locator("#apply-form")
    for purpose in consents:
        form.locator(f"#consent_{purpose}").check()
    for name, value in APPLICANT.items():
        form.locator(f"#{name}").fill(value)
    form.locator("#id_type").select_option("resident_id")
    form.locator("#id_number").fill(DEMO_ID_GOOD)


def test_a_shopper_compares_finance_applies_and_reserves_a_mondeo(browser: Any, live: tuple[str, list[str]]) -> None:
    from playwright.sync_api import expect

    server, vins = live
    vin = vins[0]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with clock.pinned(NOW):
        context, page, problems = new_page(browser, "en", DESKTOP)
        page.goto(f"{server}/account/sign-in?next=/vehicles/{vin}")
        page.locator("input[name=identifier]").fill(SHOPPER_EMAIL)
        page.locator("input[name=password]").fill(DEMO_PASSWORD)
        page.locator("main button[type=submit]").click()
        page.wait_for_url(f"{server}/vehicles/{vin}")

        # 1. The payment widget on the vehicle page.
        widget = open_the_widget(page, server, vin, "en")
        expect(widget.locator("#payment-widget-heading")).to_have_text("Finance this car")
        expect(widget.locator("input[name=csrf_token]")).to_have_count(1)  # signed in: the form carries the token
        widget.scroll_into_view_if_needed()
        _shot(page, "vehicle-widget-en-desktop")
        reference = submit_the_widget(page, widget)

        # 2. The comparison, with its disclosures, against the API.
        expect(page.locator("h1")).to_have_text(f"Finance quote {reference}")
        doc = _check_comparison(page, server, reference, "en")
        loan = doc["products"][1]
        table = page.locator("#quote-comparison table.comparison")
        expect(table.locator("tbody tr").nth(3).locator("th")).to_have_text("APR")
        expect(table.locator("tbody tr").nth(4).locator("th")).to_have_text("Annualised rate")
        expect(page.locator("#product-loan")).to_contain_text("Annual percentage rate")
        expect(page.locator("#product-lease")).to_contain_text("Comprehensive annualised rate")
        expect(page.locator("#product-loan")).to_contain_text("Payment schedule")
        loan_cell = table.locator("tbody tr").first.locator("td").nth(1)
        assert _amount(loan_cell.inner_text()) == Decimal(str(loan["monthly_payment"]))
        _shot(page, "comparison-en-desktop")

        # 3. The PDF, through the page's own link (with the page's cookies).
        href = page.locator("#print-pdf").get_attribute("href")
        assert href == f"/quotes/{reference}.pdf?lang=en"
        pdf = page.request.get(f"{server}{href}")
        assert pdf.status == 200
        assert pdf.headers["content-type"].startswith("application/pdf")
        assert pdf.body().startswith(b"%PDF-")

        # One phone-width shot of the comparison: the table scrolls inside its box, not the page.
        page.set_viewport_size(PHONE)
        page.reload()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"the comparison scrolls sideways on a phone: {width}px"
        _shot(page, "comparison-en-phone")
        page.set_viewport_size(DESKTOP)
        page.reload()

        # 4. Pre-qualify from the loan (a soft check).
        table.locator("tbody tr").last.locator("td").nth(1).locator("a.prequalify").click()
        page.wait_for_url(f"{server}/finance/apply?quote={loan['reference']}")
        expect(page.locator("#quote-summary")).to_contain_text(loan["reference"])
        _fill_applicant(page, ("prequalification",))
        _shot(page, "apply-form-en-desktop")
        page.locator("#prequalify").click()
        page.wait_for_url(re.compile(r"/finance/applications/[A-Z0-9]+$"))
        prequalification = page.url.rsplit("/", 1)[1]
        expect(page.locator("#outcome .fin-outcome")).to_have_class(re.compile(r"\bfin-approved\b"))
        expect(page.locator("main")).to_contain_text("Pre-qualification (soft check)")
        expect(page.locator("#id-masked")).to_have_text("4****************1")
        expect(page.locator("main")).not_to_contain_text(DEMO_ID_GOOD)
        _shot(page, "prequalified-en-desktop")

        # 5. Apply (the hard check), from the pre-qualification's "Apply now".
        page.locator("#apply-now").click()
        page.wait_for_url(f"{server}/finance/apply?quote={loan['reference']}")
        _fill_applicant(page, ("credit_check", "share_with_provider"))
        page.locator("#apply").click()
        page.wait_for_url(re.compile(r"/finance/applications/[A-Z0-9]+$"))
        application = page.url.rsplit("/", 1)[1]
        assert application != prequalification
        expect(page.locator("h1")).to_contain_text("Your finance decision")
        expect(page.locator("#verdict")).to_contain_text("Good news: you are approved")
        expect(page.locator("#outcome")).to_have_text("Approved")
        facts = page.locator(".fin-facts").inner_text()
        assert _amount(facts.split("Monthly payment", 1)[1]) == Decimal(str(loan["monthly_payment"])), facts
        for ratio in ("Payment to income", "Debts to income", "Loan to value"):
            assert re.search(rf"{ratio}\s+\d+\.\d\d%", facts), (ratio, facts)
        expect(page.locator("main")).to_contain_text(f"Quote {loan['reference']}")
        expect(page.locator("#reasons")).to_have_count(0)  # an approval has no adverse reasons: the figures say why
        expect(page.locator("#notice")).to_have_count(0)  # nor a notice of action taken
        _shot(page, "decision-en-desktop")

        # 6. Reserve the car from the approved quote with the demo card.
        page.locator("#reserve").click()
        page.wait_for_url(f"{server}/orders/new?quote={loan['reference']}")
        expect(page.locator("#summary")).to_contain_text(vin)
        expect(page.locator("#payment_method")).to_have_value("demo-card-ok")
        deposit = _amount(page.locator("#deposit").inner_text())
        assert deposit > 0
        _shot(page, "reserve-en-desktop")
        page.locator("#reserve-button").click()
        page.wait_for_url(re.compile(r"/orders/[A-Z0-9]+\?notice=reserved$"))
        order = page.url.rsplit("/", 1)[1].split("?")[0]
        expect(page.locator("h1")).to_have_text(f"Order {order}")
        expect(page.locator(".flash")).to_contain_text("The car is reserved for you")
        expect(page.locator("#application")).to_contain_text("Approved")
        assert _amount(page.locator("#deposit").inner_text()) == deposit
        _shot(page, "order-en-desktop")

        assert page.request.get(f"{server}/api/v1/vehicles/{vin}").json()["status"] == "reserved"
        assert not problems, problems
        context.close()


def test_the_comparison_in_chinese(browser: Any, live: tuple[str, list[str]]) -> None:
    """Anonymous, in zh-Hans: the same structure and the API's figures, with yuan amounts."""
    from playwright.sync_api import expect

    server, vins = live
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with clock.pinned(NOW):
        context, page, problems = new_page(browser, "zh-Hans", DESKTOP)
        reference = submit_the_widget(page, open_the_widget(page, server, vins[1], "zh-Hans"))
        expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
        expect(page.locator("h1")).to_contain_text(reference)
        doc = _check_comparison(page, server, reference, "zh-Hans")
        monthly = page.locator("#quote-comparison tbody tr").first.locator("td").nth(1).inner_text()
        assert monthly.strip().startswith("¥") and _amount(monthly) == Decimal(
            str(doc["products"][1]["monthly_payment"])
        )
        expect(page.locator("#print-pdf")).to_have_attribute("href", f"/quotes/{reference}.pdf?lang=zh-Hans")
        pdf = page.request.get(f"{server}/quotes/{reference}.pdf?lang=zh-Hans")
        assert pdf.status == 200 and pdf.headers["content-type"].startswith("application/pdf")
        _shot(page, "comparison-zh-Hans-desktop")
        assert not problems, problems
        context.close()
