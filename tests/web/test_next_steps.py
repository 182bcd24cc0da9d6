"""No journey ends in a dead end (issue 13, finding 4): "Buy for cash" reserves the car for cash; a car that is not
on sale (in transit, reserved, sold) is offered no quote, credit or reserve action anywhere, the use cases behind
those actions refuse it up front with a stable 409 code, and every page that can show such a refusal (or an
expired or unknown quote) offers the next step."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from forecourt.catalog.lifecycle import ON_SALE, VehicleStatus, is_on_sale
from forecourt.core import clock
from forecourt.finance.models import Order
from tests.backoffice.helpers import sign_in
from tests.finance.credit.helpers import PREQUALIFY, body, key
from tests.finance.quotes.helpers import NOW, QUOTES
from tests.web.action_world import ActionWorld, make_action_world

NOT_ON_SALE = ("in_transit", "reserved", "sold")
CODE = {"in_transit": "vehicle_not_available", "reserved": "vehicle_already_reserved", "sold": "vehicle_not_available"}


@pytest.fixture
def world(db_session: Session) -> Iterator[ActionWorld]:
    with clock.pinned(NOW):
        yield make_action_world(db_session)


def _hidden(page: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert found, f"no hidden field {name}"
    return html.unescape(found.group(1))


def _href(page: str, element_id: str) -> str:
    found = re.search(rf'id="{element_id}" href="([^"]*)"', page) or re.search(
        rf'href="([^"]*)"[^>]*id="{element_id}"', page
    )
    assert found, f"no link #{element_id}"
    return html.unescape(found.group(1))


def test_only_an_available_car_is_on_sale():
    assert ON_SALE == {VehicleStatus.AVAILABLE}
    assert [s.value for s in VehicleStatus if is_on_sale(s.value)] == ["available"]


# --- 1. "Buy for cash" reserves the car for cash ----------------------------------------------------------------


def test_buy_for_cash_leads_to_reserving_the_car_for_cash(client, db_session, world):
    sign_in(client, world.users["shopper"])
    with clock.pinned(NOW):
        page = client.get(f"/quotes/{world.shopper_quote}?lang=en")
        assert page.status_code == 200
        link = _href(page.text, "buy-cash")
        assert link == f"/orders/new?quote={world.cash_quote}"  # the cash row's own quote, not the car's page
        summary = client.get(link + "&lang=en")
        assert summary.status_code == 200 and 'id="reserve"' in summary.text
        assert "Cash purchase" in summary.text and world.cars["available"].vin in summary.text
        data = {
            "csrf_token": _hidden(summary.text, "csrf_token"),
            "idempotency_key": _hidden(summary.text, "idempotency_key"),
            "quote": _hidden(summary.text, "quote"),
            "payment_method": "demo-card-ok",
        }
        reserved = client.post("/orders/new", data=data, follow_redirects=False)
    assert reserved.status_code == 303 and reserved.headers["location"].endswith("?notice=reserved")
    db_session.expire_all()
    order = db_session.scalars(select(Order).where(Order.vehicle_id == world.cars["available"].id)).one()
    assert order.product == "cash" and order.status == "reserved" and order.user_id == world.users["shopper"].id
    db_session.refresh(world.cars["available"])
    assert world.cars["available"].status == "reserved"


def test_buy_for_cash_from_a_quote_made_signed_out_asks_to_sign_in_then_reserves(client, world):
    with clock.pinned(NOW):
        link = _href(client.get(f"/quotes/{world.open_quote}").text, "buy-cash")
        asked = client.get(link, follow_redirects=False)
    assert asked.status_code == 303 and asked.headers["location"].startswith("/account/sign-in?next=/orders/new")
    sign_in(client, world.users["shopper"])
    with clock.pinned(NOW):
        summary = client.get(link)
    assert summary.status_code == 200 and 'id="reserve-button"' in summary.text


def test_the_financed_rows_offer_pre_qualification_and_the_cash_row_buying(client, world):
    with clock.pinned(NOW):
        page = client.get(f"/quotes/{world.open_quote}?lang=en").text
    assert page.count('class="buy-cash"') == 1 and page.count('class="prequalify"') >= 2
    assert 'id="not-on-sale"' not in page and "Change the choices" in page


# --- 2. a car not on sale ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", NOT_ON_SALE)
@pytest.mark.parametrize("lang", ["en", "zh-Hans"])
def test_the_vehicle_page_offers_the_next_step_instead_of_finance(client, world, status, lang):
    car = world.cars[status]
    page = client.get(f"/vehicles/{car.vin}?lang={lang}")
    assert page.status_code == 200
    text = page.text
    assert 'action="/quotes"' not in text and "/finance/apply" not in text and "/orders/new" not in text
    assert f'id="not-on-sale" data-status="{status}"' in text
    assert f'href="/vehicles?model={car.model.code}"' in text  # cars of the model that can be bought
    if status == "in_transit":
        assert 'href="#ask-about-car"' in text and 'id="ask-about-car"' in text  # ask the store, on this page
    if lang == "en":
        sentence = {
            "in_transit": "It can be quoted, financed and reserved once it has arrived.",
            "reserved": "If the order is cancelled, the car goes back on sale.",
            "sold": "this car has found its owner.",
        }[status]
        assert sentence in html.unescape(text)
    else:
        assert {"in_transit": "到店后即可报价", "reserved": "车辆将重新开售", "sold": "这辆车已有车主"}[status] in text


def test_an_available_car_offers_the_finance_widget(client, world):
    text = client.get(f"/vehicles/{world.cars['available'].vin}").text
    assert 'action="/quotes"' in text and 'id="not-on-sale"' not in text


@pytest.mark.parametrize("status", NOT_ON_SALE)
def test_quoting_a_car_not_on_sale_is_refused_with_a_stable_code(client, world, status):
    car = world.cars[status]
    with clock.pinned(NOW):
        api = client.post(QUOTES, json={"vin": car.vin, "down_percent": "0.2", "term_months": 36})
        form = client.get(f"/quotes/new?vin={car.vin}&lang=en")
        posted = client.post(
            "/quotes?lang=en",
            data={"vin": car.vin, "down_percent": "20", "term_months": "36", "annual_mileage": "15000"},
        )
    assert api.status_code == 409 and api.json()["code"] == CODE[status]
    assert api.json()["vehicle_status"] == status and api.json()["vin"] == car.vin
    assert form.status_code == 200 and 'action="/quotes"' not in form.text and 'id="not-on-sale"' in form.text
    assert posted.status_code == 409 and 'action="/quotes"' not in posted.text
    assert "This car is not for sale at the moment." in posted.text and 'id="next-step"' in posted.text
    assert f'href="/vehicles/{car.vin}"' in posted.text and 'href="/vehicles"' in posted.text


def test_a_quote_whose_car_was_reserved_since_offers_no_action(client, db_session, world):
    sign_in(client, world.users["shopper"])
    with clock.pinned(NOW):
        page = client.get(f"/quotes/{world.quote_of_reserved_car}?lang=en")
    text = page.text
    assert page.status_code == 200 and 'id="not-on-sale" data-status="reserved"' in text
    assert 'class="prequalify"' not in text and 'class="buy-cash"' not in text and "Change the choices" not in text
    assert 'id="print-pdf"' in text  # the quote itself stays readable


def test_an_expired_quote_offers_a_new_quote_instead_of_its_actions(client, world):
    with clock.pinned(NOW):
        page = client.get(f"/quotes/{world.expired_quote}?lang=en")
    text = html.unescape(page.text)
    assert (
        'id="quote-expired"' in text and f'href="/quotes/new?vin={world.cars["available"].vin}&term_months=36"' in text
    )
    assert 'class="prequalify"' not in text and 'class="buy-cash"' not in text


@pytest.mark.parametrize("status", ["reserved", "in_transit", "sold"])
def test_credit_on_a_car_no_longer_on_sale_is_refused_before_the_bureau(client, db_session, world, status):
    """The shopper's loan quote was made while the car was on sale; then the car changed status."""
    world.cars["available"].status = status
    db_session.commit()
    headers = {"Authorization": "Bearer " + _token(db_session, world.users["shopper"])}
    with clock.pinned(NOW):
        api = client.post(PREQUALIFY, json=body(world.loan_quote), headers={**headers, **key()})
    assert api.status_code == 409 and api.json()["code"] == CODE[status]
    sign_in(client, world.users["shopper"])
    with clock.pinned(NOW):
        page = client.get(f"/finance/apply?quote={world.loan_quote}&lang=en")
        reserve = client.get(f"/orders/new?quote={world.cash_quote}&lang=en")
    assert page.status_code == 409 and 'id="apply-form"' not in page.text
    assert f'data-code="{CODE[status]}"' in page.text and 'id="next-step"' in page.text
    assert "This car is not for sale at the moment, so no credit can be asked for it." in page.text
    assert reserve.status_code == 409 and 'id="reserve"' not in reserve.text
    assert f'href="/vehicles/{world.cars["available"].vin}"' in reserve.text


def _token(session: Session, user) -> str:
    from tests.factories import make_token

    token = make_token(session, user)
    session.commit()
    return token


@pytest.mark.parametrize("lang", ["en", "zh-Hans"])
def test_every_refusal_of_the_reserve_and_apply_pages_offers_the_next_step(client, db_session, world, lang):
    sign_in(client, world.users["shopper"])
    with clock.pinned(NOW + timedelta(days=8)):  # every quote has expired
        reserve = client.get(f"/orders/new?quote={world.cash_quote}&lang={lang}")
        apply = client.get(f"/finance/apply?quote={world.loan_quote}&lang={lang}")
    with clock.pinned(NOW):
        cash_apply = client.get(f"/finance/apply?quote={world.cash_quote}&lang={lang}")
        no_quote = client.get(f"/orders/new?lang={lang}")
    vin = world.cars["available"].vin
    for page in (reserve, apply):
        assert page.status_code == 409 and 'data-code="quote_expired"' in page.text
        assert f'href="/quotes/new?vin={vin}"' in page.text  # make a new quote of the same car
    assert 'id="apply-form"' not in apply.text and 'id="reserve"' not in reserve.text
    assert cash_apply.status_code == 422 and 'id="apply-form"' not in cash_apply.text
    assert f'href="/quotes/{world.cash_quote}"' in cash_apply.text  # back to the quote, where cash is bought
    assert no_quote.status_code == 404 and 'id="next-step"' in no_quote.text and 'href="/vehicles"' in no_quote.text


def test_staff_reading_a_shoppers_quote_are_not_offered_the_shoppers_actions(client, world):
    sign_in(client, world.users["store_staff"])
    with clock.pinned(NOW):
        page = client.get(f"/quotes/{world.shopper_quote}?lang=en")
        refused = client.get(f"/orders/new?quote={world.cash_quote}")
    assert page.status_code == 200 and 'id="not-yours"' in page.text
    assert 'class="prequalify"' not in page.text and 'class="buy-cash"' not in page.text
    assert refused.status_code == 404  # what the link would have led to
