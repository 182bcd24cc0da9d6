"""Quote pages through the TestClient: the payment widget on the vehicle page, the quote page with its
disclosure boxes in English and Chinese, the PDF, refusals on the page and the search by monthly payment."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from forecourt.core import clock
from forecourt.finance.models import Quote
from tests.finance.quotes.helpers import NOW, Lot, make_lot


@pytest.fixture
def lot(db_session: Session) -> Iterator[Lot]:
    with clock.pinned(NOW):
        yield make_lot(db_session)


def _no_inline_code(page: str) -> None:
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page)
    assert not re.search(r"\son[a-z]+\s*=", page)
    assert not re.search(r"\sstyle\s*=", page) and "<style" not in page


def _post_quote(client, vin: str, **fields: str):
    data = {"vin": vin, "down_percent": "20", "term_months": "36", "annual_mileage": "15000", **fields}
    return client.post("/quotes", data=data, follow_redirects=False)


@pytest.mark.parametrize(
    ("lang", "heading", "button"), [("en", "Finance this car", "Compare finance options"), ("zh-Hans", None, None)]
)
def test_the_vehicle_page_has_the_payment_widget(client, lot, lang, heading, button):
    response = client.get(f"/vehicles/{lot.mondeo.vin}?lang={lang}")
    assert response.status_code == 200
    page = response.text
    assert 'action="/quotes" method="post"' in page and f'name="vin" value="{lot.mondeo.vin}"' in page
    assert 'name="down_percent"' in page and 'name="term_months"' in page and 'name="annual_mileage"' in page
    if heading:
        assert heading in page and button in page
    _no_inline_code(page)


def test_posting_the_widget_creates_a_quote_and_shows_it(client, lot, db_session):
    response = _post_quote(client, lot.mondeo.vin)
    assert response.status_code == 303
    location = response.headers["location"]
    reference = location.rsplit("/", 1)[1]
    db_session.expire_all()
    assert db_session.scalars(select(Quote).where(Quote.reference == reference)).one().product == "cash"

    page = client.get(f"{location}?lang=en")
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    text = html.unescape(page.text)
    assert f"Finance quote {reference}" in text
    for product in ("Cash", "Loan", "Balloon loan", "Lease", "Lease-to-own"):
        assert f">{product}<" in text
    assert "Loan disclosure (Loan)" in text and "Annual percentage rate" in text and "4.99%" in text
    assert "Lease disclosure" in text and "Federal" not in text and "Comprehensive annualised rate" in text
    assert "Payment schedule" in text and "¥4,310.37" in text
    assert f'href="/quotes/{reference}.pdf?lang=en"' in page.text
    loan = db_session.scalars(select(Quote).where(Quote.product == "loan")).one()
    assert f'href="/finance/apply?quote={loan.reference}"' in page.text
    _no_inline_code(page.text)

    chinese = client.get(f"{location}?lang=zh-Hans")
    assert chinese.status_code == 200
    assert "年化百分率（APR）" in chinese.text and "综合年化利率" in chinese.text and "租赁信息披露" in chinese.text

    pdf = client.get(f"/quotes/{reference}.pdf?lang=zh-Hans")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")


def test_a_product_not_offered_is_explained_on_the_page(client, lot):
    location = _post_quote(client, lot.mondeo.vin, term_months="48").headers["location"]
    text = html.unescape(client.get(f"{location}?lang=en").text)
    assert "Not offered for this term. Terms offered: 36 months." in text


def test_a_refused_quote_shows_the_form_again_with_the_minimum(client, lot):
    response = _post_quote(client, lot.kuga.vin, down_percent="0")
    assert response.status_code == 422
    text = html.unescape(response.text)
    assert "We couldn't make this quote" in text or "无法生成报价" in text  # the default language is zh-Hans
    assert "¥24,980.00" in text and 'action="/quotes"' in text
    zh = client.post("/quotes?lang=zh-Hans", data={"vin": lot.kuga.vin, "down_percent": "0", "term_months": "36"})
    assert zh.status_code == 422 and "¥24,980.00" in zh.text


def test_a_term_nothing_is_offered_for_is_explained(client, lot):
    response = _post_quote(client, lot.mondeo.vin, term_months="37")
    assert response.status_code == 422 and "12, 24, 36, 48, 60" in response.text


def test_a_signed_in_shoppers_quote_is_theirs(client, lot, db_session):
    from tests.backoffice.helpers import PASSWORD, sign_in
    from tests.factories import make_user

    shopper = make_user(db_session, roles=[("shopper", None)], email="quoter@example.test", password=PASSWORD)
    db_session.commit()
    csrf = sign_in(client, shopper)
    vehicle_page = client.get(f"/vehicles/{lot.mondeo.vin}").text
    assert f'name="csrf_token" value="{csrf}"' in vehicle_page
    assert _post_quote(client, lot.mondeo.vin).status_code == 403  # a signed-in form needs its CSRF token
    response = _post_quote(client, lot.mondeo.vin, csrf_token=csrf)
    assert response.status_code == 303
    reference = response.headers["location"].rsplit("/", 1)[1]
    db_session.expire_all()
    assert db_session.scalars(select(Quote).where(Quote.reference == reference)).one().user_id == shopper.id
    assert client.get(f"/quotes/{reference}").status_code == 200
    client.cookies.clear()
    signed_out = client.get(f"/quotes/{reference}?lang=en", follow_redirects=False)
    assert signed_out.status_code == 303 and signed_out.headers["location"].startswith("/account/sign-in?next=/quotes/")


@pytest.mark.parametrize("lang", ["en", "zh-Hans"])
def test_the_search_by_monthly_payment_page(client, lot, lang):
    empty = client.get(f"/finance/payment-search?lang={lang}")
    assert empty.status_code == 200 and 'name="monthly_max"' in empty.text
    response = client.get(f"/finance/payment-search?lang={lang}&monthly_max=5000&term_months=36&down_percent=20")
    assert response.status_code == 200
    assert lot.mondeo.vin in response.text and "¥4,310.37" in response.text
    assert lot.navigator.vin not in response.text
    _no_inline_code(response.text)


def test_the_search_page_explains_bad_input(client, lot):
    response = client.get("/finance/payment-search?lang=en&monthly_max=lots&term_months=36&down_percent=20")
    assert response.status_code == 422 and "Enter a monthly budget" in response.text
    response = client.get("/finance/payment-search?lang=en&monthly_max=3000&term_months=37&down_percent=20")
    assert response.status_code == 422 and "No loan is offered for this term." in response.text


def test_unknown_quote_is_a_404_page(client, lot):
    response = client.get("/quotes/QZZZZZZZZ?lang=en", headers={"accept": "text/html"})
    assert response.status_code == 404 and "text/html" in response.headers["content-type"]
