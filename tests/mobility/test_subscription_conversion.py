"""Buying the subscription's car through the API, on SQLite and PostgreSQL: the purchase credit to the cent (the
fees paid, the final pro-rated invoice included, half up), loan figures equal to finance's own comparison for the
price less credit and cash, every refusal with nothing written, the conversion all at once (final invoice, the
reservation finished, the car in the sale pool and reserved by an order of the subscriber's), an idempotent retry,
and a second conversion refused."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from forecourt.audit.models import AuditEvent
from forecourt.catalog.models import Vehicle
from forecourt.core import clock
from forecourt.finance.models import Order, Quote, RateProgram
from forecourt.finance.quotes import service as quotes
from forecourt.mobility.models import Subscription, SubscriptionInvoice
from forecourt.mobility.subscriptions import billing_run
from forecourt.testdrive.models import TestDriveBooking
from tests.mobility.conversion_helpers import CONVERTING, PAYMENTS, SUBS, D, billed, make_world, subscribe
from tests.testdrive.helpers import key

ASK = {"product": "loan", "term_months": 36, "cash_down": "40000.00"}


@pytest.fixture
def world(client, db_session):
    return make_world(client, db_session)


def quote(client, world, reference, body=None, who=0):
    with clock.pinned(CONVERTING):
        return client.post(f"{SUBS}/{reference}/conversion-quote", json=body or ASK, headers=world.headers[who])


def convert(client, world, reference, body=None, idempotency=None, who=0):
    headers = {**world.headers[who], **(idempotency or key())}
    with clock.pinned(CONVERTING):
        return client.post(f"{SUBS}/{reference}/convert", json=body or ASK, headers=headers)


def subscription(db_session, reference) -> Subscription:
    db_session.expire_all()
    return db_session.scalars(select(Subscription).where(Subscription.reference == reference)).one()


# --- the figures -------------------------------------------------------------------------------------------------


def test_the_credit_is_half_the_fees_paid_with_the_final_invoice_to_the_cent(client, db_session, world):
    reference = billed(client, db_session, world)
    got = quote(client, world, reference)
    assert got.status_code == 200, got.text
    body = got.json()
    # Paid: December, 3,000.00. Final invoice: 1-9 January of a 31-day period, 3,000.00 × 9/31 = 870.967… → 870.97,
    # no km reported. Credit: 50 % of 3,870.97 = 1,935.485 → 1,935.49 (half up; half-even would give 1,935.48).
    assert body["fees_paid_before"] == "3000.00"
    assert body["final_invoices"] == [
        {"period_first_day": "2027-01-01", "period_last_day": "2027-01-09", "total": "870.97"}
    ]
    assert (body["final_invoice"], body["purchase_credit"]) == ("870.97", "1935.49")
    assert (body["credit_percent"], body["credit_cap"]) == (50, "30000.00")
    assert body["car_price"] == "179800.00" and body["conversion_day"] == "2027-01-09"
    assert (body["cash_down"], body["down_payment"]) == ("40000.00", "41935.49")
    # No rebate on these programs: 179,800.00 − 41,935.49.
    assert body["amount_to_finance"] == body["loan"]["amount_financed"] == "137864.51"
    assert body["not_offered"] is None


@pytest.mark.parametrize(("product", "extra"), [("loan", {}), ("balloon", {"balloon_percent": "0.3"})])
def test_the_loan_is_finances_own_comparison_of_the_reduced_amount(client, db_session, world, product, extra):
    reference = billed(client, db_session, world)
    got = quote(client, world, reference, {**ASK, "product": product, **extra}).json()
    loan = got["loan"]
    # finance's comparison of a car on sale at the same price, with credit + cash as the down payment, stores
    # exactly these figures.
    with clock.pinned(CONVERTING):
        inputs = quotes.QuoteInputs(
            36, down_payment=D("41935.49"), balloon_percent=D(extra.get("balloon_percent", "0.3"))
        )
        stored = quotes.compare(db_session, world.twin.vin, inputs, date(2027, 1, 9)).quote_for(product)
    assert stored is not None
    for name in (
        "monthly_payment",
        "amount_financed",
        "net_price",
        "fee",
        "balloon",
        "finance_charge",
        "total_of_payments",
    ):
        assert loan[name] == stored.figures[name], name
    assert (loan["apr_percent"], loan["annualised_rate_percent"]) == (
        stored.figures["apr"],
        stored.figures["annualised_rate"],
    )
    assert loan["term_months"] == 36 and loan["program"] == stored.inputs["program"]["code"]
    db_session.rollback()


def test_a_down_payment_under_the_minimum_is_an_answer_with_the_minimum(client, db_session, world):
    reference = billed(client, db_session, world)
    got = quote(client, world, reference, {**ASK, "cash_down": "0.00"})
    assert got.status_code == 200
    body = got.json()
    assert body["loan"] is None and body["amount_to_finance"] is None
    assert body["not_offered"]["code"] == "down_payment_below_minimum"
    assert body["not_offered"]["details"]["minimum_down_payment"] == "35960.00"  # 20 % of 179,800.00
    refused = convert(client, world, reference, {**ASK, "cash_down": "0.00"})
    assert refused.status_code == 422 and refused.json()["code"] == "down_payment_below_minimum"
    assert subscription(db_session, reference).status == "active"


# --- the conversion ------------------------------------------------------------------------------------------------


def test_converting_ends_the_subscription_and_orders_the_car_for_the_subscriber(client, db_session, world):
    reference = billed(client, db_session, world)
    done = convert(client, world, reference)
    assert done.status_code == 201, done.text
    body = done.json()
    assert (body["status"], body["purchase_credit"], body["final_invoice"]) == ("converted", "1935.49", "870.97")
    row = subscription(db_session, reference)
    assert (row.status, row.ends_on, row.billed_until) == ("converted", date(2027, 1, 9), date(2027, 1, 9))
    assert (row.conversion_order_reference, row.conversion_credit) == (body["order"], D("1935.49"))
    final = db_session.scalars(
        select(SubscriptionInvoice).where(
            SubscriptionInvoice.subscription_id == row.id, SubscriptionInvoice.period_first_day == date(2027, 1, 1)
        )
    ).one()
    assert (final.period_last_day, final.total, final.payment_id is not None) == (date(2027, 1, 9), D("870.97"), True)
    booking = db_session.scalars(select(TestDriveBooking).where(TestDriveBooking.purpose == "subscription")).one()
    assert booking.status == "completed" and booking.blocks_until == booking.ends_at == CONVERTING
    car = db_session.get(Vehicle, world.car.id)
    assert (car.fleet_pool, car.status) == ("sale", "reserved")
    order = db_session.scalars(select(Order).where(Order.reference == body["order"])).one()
    assert (order.user_id, order.vehicle_id, order.product, order.status) == (
        world.users[0].id,
        car.id,
        "loan",
        "reserved",
    )
    assert order.deposit_amount == D("5000.00") and order.payment_id is not None
    loan = db_session.get(Quote, order.quote_id)
    assert loan.reference == body["quote"] and loan.user_id == world.users[0].id
    assert loan.inputs["down_payment"] == "41935.49"
    assert client.get(f"/api/v1/orders/{order.reference}", headers=world.headers[0]).status_code == 200
    event = db_session.scalars(select(AuditEvent).where(AuditEvent.action == "mobility.subscription_converted")).one()
    assert event.details["order"] == order.reference and event.details["purchase_credit"] == "1935.49"
    # The billing run has nothing left to bill.
    assert billing_run.bill_due(db_session, PAYMENTS, now=datetime(2027, 2, 2, tzinfo=UTC)) == 0


def test_a_retry_with_the_same_key_replays_and_a_second_conversion_is_refused(client, db_session, world):
    reference = billed(client, db_session, world)
    attempt = key()
    first = convert(client, world, reference, idempotency=attempt)
    again = convert(client, world, reference, idempotency=attempt)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again.headers.get("Idempotent-Replayed") == "true"
    second = convert(client, world, reference)
    assert second.status_code == 409 and second.json()["code"] == "subscription_not_active"
    assert second.json()["order"] == first.json()["order"]
    assert len(db_session.scalars(select(Order)).all()) == 1


def test_a_declined_final_charge_refuses_and_writes_nothing(client, db_session, world):
    reference = billed(client, db_session, world)
    refused = convert(client, world, reference, {**ASK, "payment_method": "demo-card-declined"})
    assert refused.status_code == 402 and refused.json()["code"] == "final_invoice_declined"
    row = subscription(db_session, reference)
    assert (row.status, row.ends_on, row.payment_method, row.billed_until) == (
        "active",
        None,
        "demo-card-ok",
        date(2026, 12, 31),
    )
    car = db_session.get(Vehicle, world.car.id)
    assert (car.fleet_pool, car.status) == ("subscription", "in_service")
    assert db_session.scalars(select(Order)).all() == []


# --- refusals ------------------------------------------------------------------------------------------------------


def _paused(client, db_session, world, reference):
    with clock.pinned(CONVERTING):
        assert client.post(f"{SUBS}/{reference}/pause", json={}, headers=world.headers[0]).status_code == 200


def _swap_booked_ahead(client, db_session, world, reference):
    body = {"mobility_class": "suv", "on": "2027-01-20"}
    with clock.pinned(CONVERTING):
        assert client.post(f"{SUBS}/{reference}/swap", json=body, headers=world.headers[0]).status_code == 200


def _moved_to_rentals(client, db_session, world, reference):
    db_session.get(Vehicle, world.car.id).fleet_pool = "rental"  # still in service, no longer a subscription car
    db_session.commit()


def _cheap(client, db_session, world, reference):
    db_session.get(Vehicle, world.car.id).price = D("1935.49")  # the credit covers the price exactly
    db_session.commit()


def _balloons_retired(client, db_session, world, reference):
    for program in db_session.scalars(select(RateProgram).where(RateProgram.product == "balloon")):
        program.is_current = False
    db_session.commit()


@pytest.mark.parametrize(
    ("prepare", "body", "status", "code"),
    [
        (_paused, ASK, 409, "subscription_not_active"),
        (_swap_booked_ahead, ASK, 409, "subscription_change_pending"),
        (_moved_to_rentals, ASK, 409, "car_not_convertible"),
        (_cheap, ASK, 409, "credit_exceeds_price"),
        (_balloons_retired, {**ASK, "product": "balloon"}, 422, "product_not_offered"),
        (None, {**ASK, "term_months": 18}, 422, "term_not_offered"),
        (None, {**ASK, "balloon_percent": "0.3"}, 422, "invalid_conversion"),  # a balloon share on a plain loan
        (None, {**ASK, "term_months": 0}, 422, "validation_error"),
        (None, {**ASK, "cash_down": "-1.00"}, 422, "validation_error"),
        (None, {**ASK, "cash_down": "1.001"}, 422, "validation_error"),
        (None, {**ASK, "product": "lease"}, 422, "validation_error"),
    ],
)
def test_refusals_name_their_code_and_write_nothing(client, db_session, world, prepare, body, status, code):
    reference = billed(client, db_session, world)
    if prepare is not None:
        prepare(client, db_session, world, reference)
    before = subscription(db_session, reference).status
    for answer in (quote(client, world, reference, body), convert(client, world, reference, body)):
        assert (answer.status_code, answer.json()["code"]) == (status, code), answer.text
    row = subscription(db_session, reference)
    assert row.status == before and row.conversion_order_reference is None
    assert row.billed_until == date(2026, 12, 31)
    assert db_session.scalars(select(Order)).all() == []


def test_a_subscription_that_has_not_started_cannot_convert(client, db_session, world):
    reference = subscribe(client, world, start="2027-01-20")
    answer = quote(client, world, reference)
    assert (answer.status_code, answer.json()["code"]) == (409, "subscription_not_started")
    assert answer.json()["from"] == "2027-01-20"


def test_someone_elses_subscription_is_not_found(client, db_session, world):
    reference = billed(client, db_session, world)
    assert quote(client, world, reference, who=1).status_code == 404
    refused = convert(client, world, reference, who=1)
    assert (refused.status_code, refused.json()["code"]) == (404, "subscription_not_found")
    assert subscription(db_session, reference).status == "active"
