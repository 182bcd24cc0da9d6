"""The page that buys a subscription's car, in both languages, on SQLite and PostgreSQL: the figures of the API's
quote (price, final invoice, credit, amount to finance, monthly payment, APR), the buy button only for a priced
loan, a refusal with its next step and nothing written, the conversion redirecting to the order, a double submit
acting once, and nobody but the subscriber."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import select

from forecourt.core import clock
from forecourt.finance.models import Order
from forecourt.mobility.models import Subscription
from tests.backoffice.helpers import sign_in
from tests.mobility.conversion_helpers import CONVERTING, billed, make_world

FORM = {"product": "loan", "term_months": "36", "cash_down": "40000.00"}


@pytest.fixture
def world(client, db_session):
    return make_world(client, db_session)


@pytest.fixture(autouse=True)
def converting():
    with clock.pinned(CONVERTING):
        yield


def _page(client, reference, **params):
    return client.get(f"/subscriptions/{reference}/convert", params={**FORM, **params})


def _hidden(text: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', text)
    assert found, f"no hidden field {name}"
    return html.unescape(found.group(1))


def _buy(client, page_text: str, csrf: str, reference: str, **changes):
    form = {name: _hidden(page_text, name) for name in ("idempotency_key", *FORM)}
    form |= {"csrf_token": csrf, "payment_method": "subscription"} | changes
    return client.post(f"/subscriptions/{reference}/convert", data=form, follow_redirects=False)


def _text(response) -> str:
    return html.unescape(re.sub(r"\s+", " ", response.text))


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("en", ("Buy your subscription car", "Purchase credit", "Amount to finance", "Buy this car")),
        ("zh-Hans", ("购买您的订阅车辆", "购车抵扣额", "融资金额", "购买此车")),
    ],
)
def test_the_page_shows_the_quote_and_offers_to_buy(client, db_session, world, lang, words):
    reference = billed(client, db_session, world)
    sign_in(client, world.users[0])
    api = client.post(
        f"/api/v1/subscriptions/{reference}/conversion-quote",
        json={**FORM, "term_months": 36},
        headers=world.headers[0],
    ).json()
    page = _page(client, reference, lang=lang)
    assert page.status_code == 200, page.text[:500]
    text = _text(page)
    for word in words:
        assert word in text
    for figure in ("179,800.00", "870.97", "1,935.49", "137,864.51", f"{float(api['loan']['monthly_payment']):,.2f}"):
        assert figure in text, figure
    assert f"{api['loan']['apr_percent']}%" in text
    assert 'id="cv-convert"' in page.text


def test_a_down_payment_under_the_minimum_names_it_and_offers_no_buy_button(client, db_session, world):
    reference = billed(client, db_session, world)
    sign_in(client, world.users[0])
    page = _page(client, reference, cash_down="0.00")
    assert page.status_code == 200
    assert 'data-code="down_payment_below_minimum"' in page.text and "35,960.00" in _text(page)
    assert 'id="cv-convert"' not in page.text and 'id="cv-quote-form"' in page.text


def test_buying_redirects_to_the_order_and_a_double_submit_acts_once(client, db_session, world):
    reference = billed(client, db_session, world)
    csrf = sign_in(client, world.users[0])
    page = _page(client, reference)
    done = _buy(client, page.text, csrf, reference)
    assert done.status_code == 303, done.text[:500]
    order = db_session.scalars(select(Order)).one()
    assert done.headers["location"] == f"/orders/{order.reference}?notice=converted"
    again = _buy(client, page.text, csrf, reference)
    assert again.status_code == 303 and again.headers["location"] == done.headers["location"]
    assert len(db_session.scalars(select(Order)).all()) == 1
    shown = client.get(done.headers["location"])
    assert shown.status_code == 200 and 'id="converted"' in shown.text
    # The page now says the car is bought, links to the order and offers no form.
    after = _page(client, reference)
    assert after.status_code == 409
    assert f'href="/orders/{order.reference}"' in after.text and 'id="cv-quote-form"' not in after.text


def test_a_declined_payment_is_shown_with_the_figures_and_writes_nothing(client, db_session, world):
    reference = billed(client, db_session, world)
    csrf = sign_in(client, world.users[0])
    page = _page(client, reference)
    refused = _buy(client, page.text, csrf, reference, payment_method="demo-card-declined")
    assert refused.status_code == 402
    assert 'data-code="final_invoice_declined"' in refused.text and 'id="cv-convert"' in refused.text
    db_session.expire_all()
    row = db_session.scalars(select(Subscription).where(Subscription.reference == reference)).one()
    assert row.status == "active" and db_session.scalars(select(Order)).all() == []


@pytest.mark.parametrize(
    ("params", "field"), [({"term_months": "abc"}, "term_months"), ({"cash_down": "1.001"}, "cash_down")]
)
def test_bad_fields_are_named_on_the_form(client, db_session, world, params, field):
    reference = billed(client, db_session, world)
    sign_in(client, world.users[0])
    page = _page(client, reference, **params)
    assert page.status_code == 422
    assert f'id="cv-{field}-error"' in page.text and 'id="cv-convert"' not in page.text


def test_only_the_subscriber_reaches_the_page(client, db_session, world):
    reference = billed(client, db_session, world)
    anonymous = client.get(f"/subscriptions/{reference}/convert", follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/account/sign-in")
    csrf = sign_in(client, world.users[1])
    assert _page(client, reference).status_code == 404
    posted = client.post(
        f"/subscriptions/{reference}/convert",
        data={**FORM, "csrf_token": csrf, "idempotency_key": "a-key-12345"},
        follow_redirects=False,
    )
    assert posted.status_code == 404 and db_session.scalars(select(Order)).all() == []
