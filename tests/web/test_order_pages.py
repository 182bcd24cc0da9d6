"""Order pages through the TestClient, in English and 简体中文: reserve from a quote (double submit = one order),
the order page with the refund shown before the cancel button, my orders; the back office list and detail with
confirm, complete and cancel; refusals shown on the page; other people refused.

The clock is pinned (order_factories.NOW). People sign in with the session cookie, so every form post carries
the CSRF token (and the reserve form its idempotency key) the page rendered.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from forecourt.catalog.models import Vehicle
from forecourt.core import clock
from forecourt.finance.models import Order
from tests.backoffice.helpers import sign_in
from tests.finance.orders.factories import NOW, OrderWorld, make_application, make_order_world, make_quote


@pytest.fixture
def world(db_session: Session) -> Iterator[OrderWorld]:
    with clock.pinned(NOW):
        yield make_order_world(db_session)


def _hidden(page: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert found, f"no hidden field {name}"
    return html.unescape(found.group(1))


def _quote(session: Session, world: OrderWorld, car=None, user: str = "buyer", **fields):
    quote = make_quote(session, world.users[user], car or world.cheap, **fields)
    session.commit()
    return quote


def _orders(session: Session) -> list[Order]:
    session.expire_all()
    return list(session.scalars(select(Order)))


def _reserve_form(client, quote_reference: str, lang: str = "en") -> dict[str, str]:
    page = client.get(f"/orders/new?quote={quote_reference}&lang={lang}")
    assert page.status_code == 200, page.text[:800]
    return {
        "csrf_token": _hidden(page.text, "csrf_token"),
        "idempotency_key": _hidden(page.text, "idempotency_key"),
        "quote": _hidden(page.text, "quote"),
        "payment_method": "demo-card-ok",
    }


@pytest.mark.parametrize(
    ("lang", "heading", "deposit"), [("en", "Reserve this car", "CN¥5,000.00"), ("zh-Hans", None, "¥5,000.00")]
)
def test_the_reserve_page_shows_the_deposit_and_terms(client, db_session, world, lang, heading, deposit):
    quote = _quote(db_session, world)
    sign_in(client, world.users["buyer"])
    with clock.pinned(NOW):
        response = client.get(f"/orders/new?quote={quote.reference}&lang={lang}")
    assert response.status_code == 200, response.text[:800]
    text = response.text
    assert f'<html lang="{lang}">' in text and world.cheap.vin in text
    assert f"<strong>{deposit}</strong>" in text
    assert 'id="terms"' in text and 'name="idempotency_key"' in text and 'value="demo-card-declined"' in text
    assert response.headers["cache-control"] == "no-store"
    if heading:
        assert f"<h1>{heading}</h1>" in text and "72 hours" in text and "50 %" in text


def test_reserve_double_submit_makes_one_order_and_shows_it(client, db_session, world):
    quote = _quote(db_session, world)
    sign_in(client, world.users["buyer"])
    with clock.pinned(NOW):
        data = _reserve_form(client, quote.reference)
        first = client.post("/orders/new", data=data, follow_redirects=False)
        second = client.post("/orders/new", data=data, follow_redirects=False)
        assert first.status_code == second.status_code == 303, first.text[:800]
        assert first.headers["location"] == second.headers["location"]
        assert first.headers["location"].endswith("?notice=reserved")
        page = client.get(first.headers["location"] + "&lang=en")
        mine = client.get("/orders?lang=en")
    rows = _orders(db_session)
    assert len(rows) == 1 and rows[0].status == "reserved"
    assert page.status_code == 200 and 'id="status"' in page.text and "Reserved" in page.text
    assert "The car is reserved for you" in page.text
    refund_at, button_at = page.text.index('id="refund"'), page.text.index('id="cancel-button"')
    assert refund_at < button_at  # the refund is shown before the cancel button
    assert "If you cancel now you get your whole deposit of CN¥5,000.00 back." in page.text
    assert rows[0].reference in mine.text
    with clock.pinned(NOW):  # without the form's CSRF token nothing happens
        forged = client.post(
            "/orders/new",
            data={**data, "csrf_token": "forged", "idempotency_key": "another-key-1"},
            follow_redirects=False,
        )
    assert forged.status_code == 403 and len(_orders(db_session)) == 1


@pytest.mark.parametrize("lang", ["en", "zh-Hans"])
def test_refusals_are_shown_on_the_page(client, db_session, world, lang):
    taken = _quote(db_session, world)
    mine = _quote(db_session, world, user="other")
    expired = _quote(db_session, world, world.mid, user="other", expires_at=NOW - timedelta(minutes=1))
    sign_in(client, world.users["buyer"])
    with clock.pinned(NOW):
        client.post("/orders/new", data=_reserve_form(client, taken.reference), follow_redirects=False)
    client.cookies.clear()
    sign_in(client, world.users["other"])
    with clock.pinned(NOW):
        shown = client.get(f"/orders/new?quote={mine.reference}&lang={lang}")
        gone = client.get(f"/orders/new?quote={expired.reference}&lang={lang}")
        unknown = client.get(f"/orders/new?quote={taken.reference}&lang={lang}")  # the buyer's quote: not found
        nothing = client.get(f"/orders/new?lang={lang}")
    assert shown.status_code == 409 and 'data-code="vehicle_already_reserved"' in shown.text
    assert 'id="reserve"' not in shown.text
    assert gone.status_code == 409 and 'data-code="quote_expired"' in gone.text
    assert unknown.status_code == 404 and 'data-code="quote_not_found"' in unknown.text
    assert nothing.status_code == 404
    if lang == "en":
        assert "Sorry, this car has just been reserved by someone else." in shown.text


def test_a_declined_card_is_explained_and_nothing_is_kept(client, db_session, world):
    quote = _quote(db_session, world)
    sign_in(client, world.users["buyer"])
    with clock.pinned(NOW):
        data = {**_reserve_form(client, quote.reference), "payment_method": "demo-card-declined"}
        response = client.post("/orders/new?lang=en", data=data, follow_redirects=False)
    assert response.status_code == 402 and "The payment was declined" in response.text
    assert 'value="demo-card-declined" selected' in response.text
    assert _orders(db_session) == []
    db_session.expire_all()
    assert db_session.get(Vehicle, world.cheap.id).status == "available"


def test_the_buyer_cancels_after_the_cooling_off_and_sees_the_refund(client, db_session, world):
    quote = _quote(db_session, world)
    sign_in(client, world.users["buyer"])
    with clock.pinned(NOW):
        location = client.post(
            "/orders/new", data=_reserve_form(client, quote.reference), follow_redirects=False
        ).headers["location"]
    reference = location.split("/")[2].split("?")[0]
    with clock.pinned(NOW + timedelta(days=4)):
        page = client.get(f"/orders/{reference}?lang=en")
        assert "you get CN¥2,500.00 of your CN¥5,000.00 deposit back; CN¥2,500.00 is kept" in page.text
        cancelled = client.post(
            f"/orders/{reference}/cancel",
            follow_redirects=False,
            data={"csrf_token": _hidden(page.text, "csrf_token"), "reason": "found another"},
        )
        assert cancelled.status_code == 303 and cancelled.headers["location"].endswith("notice=cancelled")
        after = client.get(f"/orders/{reference}?lang=zh-Hans")
    assert after.status_code == 200 and 'id="refunded">¥2,500.00' in after.text and 'id="cancel"' not in after.text
    order = _orders(db_session)[0]
    assert (order.status, order.cancel_reason) == ("cancelled", "found another")
    assert db_session.get(Vehicle, world.cheap.id).status == "available"


def test_shopper_pages_are_for_the_buyer_only(client, db_session, world):
    quote = _quote(db_session, world)
    with clock.pinned(NOW):
        for path in ("/orders", f"/orders/new?quote={quote.reference}", "/orders/ORANYTHING"):
            response = client.get(path, follow_redirects=False)
            assert response.status_code == 303 and response.headers["location"].startswith(
                "/account/sign-in?next=/orders"
            )
    sign_in(client, world.users["buyer"])
    with clock.pinned(NOW):
        location = client.post(
            "/orders/new", data=_reserve_form(client, quote.reference), follow_redirects=False
        ).headers["location"]
    reference = location.split("/")[2].split("?")[0]
    client.cookies.clear()
    csrf = sign_in(client, world.users["other"])
    with clock.pinned(NOW):
        assert client.get(f"/orders/{reference}").status_code == 404
        assert client.post(f"/orders/{reference}/cancel", data={"csrf_token": csrf}).status_code == 404
        assert reference not in client.get("/orders").text
    assert _orders(db_session)[0].status == "reserved"


# --- back office ---------------------------------------------------------------------------------------------------


def _reserved(client, db_session, world, car=None, product: str = "cash") -> tuple[str, object]:
    quote = _quote(db_session, world, car, product=product)
    sign_in(client, world.users["buyer"])
    with clock.pinned(NOW):
        client.post("/orders/new", data=_reserve_form(client, quote.reference), follow_redirects=False)
    client.cookies.clear()
    return _orders(db_session)[-1].reference, quote


@pytest.mark.parametrize("lang", ["en", "zh-Hans"])
def test_staff_list_confirm_and_complete_an_order(client, db_session, world, lang):
    reference, _ = _reserved(client, db_session, world)
    sign_in(client, world.users["staff"])
    with clock.pinned(NOW):
        listing = client.get(f"/backoffice/orders?store=gz-tianhe&lang={lang}")
        assert listing.status_code == 200 and f'href="/backoffice/orders/{reference}"' in listing.text
        assert f'<html lang="{lang}">' in listing.text
        assert reference not in client.get("/backoffice/orders?status=cancelled").text
        detail = client.get(f"/backoffice/orders/{reference}")
        csrf = _hidden(detail.text, "csrf_token")
        assert 'id="confirm"' in detail.text and 'id="refund"' in detail.text
        confirmed = client.post(
            f"/backoffice/orders/{reference}/confirm", data={"csrf_token": csrf}, follow_redirects=False
        )
        assert confirmed.status_code == 303 and confirmed.headers["location"].endswith("done=confirmed")
        page = client.get(confirmed.headers["location"])
        assert 'id="complete"' in page.text and 'id="confirm"' not in page.text
        completed = client.post(
            f"/backoffice/orders/{reference}/complete", data={"csrf_token": csrf}, follow_redirects=False
        )
        assert completed.status_code == 303
        done = client.get(completed.headers["location"])
    assert 'id="complete"' not in done.text and 'id="cancel"' not in done.text
    assert _orders(db_session)[0].status == "completed"
    assert db_session.get(Vehicle, world.cheap.id).status == "sold"


def test_staff_see_why_a_financed_order_cannot_be_confirmed_and_cancel_it_in_full(client, db_session, world):
    reference, quote = _reserved(client, db_session, world, world.mid, product="loan")
    make_application(db_session, quote, "manual_review")
    db_session.commit()
    sign_in(client, world.users["staff"])
    with clock.pinned(NOW + timedelta(days=5)):
        detail = client.get(f"/backoffice/orders/{reference}?lang=en")
        assert "Under review" in detail.text
        assert 'id="confirm"' not in detail.text and 'id="confirm-later"' in detail.text  # no button to refuse
        assert "When the store cancels, the whole deposit of CN¥10,000.00 is refunded." in detail.text
        csrf = _hidden(detail.text, "csrf_token")
        refused = client.post(f"/backoffice/orders/{reference}/confirm?lang=en", data={"csrf_token": csrf})
        assert refused.status_code == 409 and 'data-code="finance_not_approved"' in refused.text
        cancelled = client.post(
            f"/backoffice/orders/{reference}/cancel",
            data={"csrf_token": csrf, "reason": "stock"},
            follow_redirects=False,
        )
        assert cancelled.status_code == 303 and cancelled.headers["location"].endswith("done=cancelled")
    order = _orders(db_session)[0]
    assert (order.status, order.refunded_amount, order.cancel_reason) == ("cancelled", 10000, "stock")


def test_other_stores_staff_and_shoppers_are_refused(client, db_session, world):
    reference, _ = _reserved(client, db_session, world)
    csrf = sign_in(client, world.users["outsider"])
    with clock.pinned(NOW):
        assert client.get(f"/backoffice/orders/{reference}").status_code == 403
        assert client.get("/backoffice/orders?store=gz-tianhe").status_code == 403
        assert reference not in client.get("/backoffice/orders").text
        for action in ("confirm", "complete", "cancel"):
            assert client.post(f"/backoffice/orders/{reference}/{action}", data={"csrf_token": csrf}).status_code == 403
    client.cookies.clear()
    sign_in(client, world.users["other"])
    assert client.get("/backoffice/orders").status_code == 403
    assert _orders(db_session)[0].status == "reserved"


@pytest.mark.parametrize(
    ("status", "says", "apply_link"),
    [
        (None, "once your credit application for this quote is approved", True),
        ("manual_review", "is being reviewed", False),
        ("conditional", "approved on conditions", False),
        ("approved", "is approved: the store confirms your order once you have paid the deposit", False),
        ("declined", "was declined", True),
        ("withdrawn", "once your credit application for this quote is approved", True),
    ],
)
def test_the_reserve_page_says_where_the_credit_application_stands(client, db_session, world, status, says, apply_link):
    quote = _quote(db_session, world, product="loan")
    if status:
        make_application(db_session, quote, status)
        db_session.commit()
    sign_in(client, world.users["buyer"])
    with clock.pinned(NOW):
        text = html.unescape(client.get(f"/orders/new?quote={quote.reference}&lang=en").text)
    step = text[text.index('id="credit-step"') :].split("</p>")[0]
    assert says in step
    assert ("/finance/apply?quote=" in step) is apply_link


def test_a_cash_reserve_page_mentions_no_credit_application(client, db_session, world):
    quote = _quote(db_session, world, product="cash")
    sign_in(client, world.users["buyer"])
    with clock.pinned(NOW):
        text = client.get(f"/orders/new?quote={quote.reference}&lang=en").text
    assert 'id="credit-step"' not in text and "credit application" not in text
