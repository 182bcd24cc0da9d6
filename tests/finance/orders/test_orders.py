"""Orders through the API, on SQLite and PostgreSQL: reserve with a deposit, one order per VIN, idempotent replay,
confirm (cash directly, financed only when approved), cancel with the refund rules, complete, and who may act.

The clock is pinned (order_factories.NOW); quotes and credit applications are made directly with the ORM.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from forecourt.catalog.models import Vehicle
from forecourt.core import clock
from forecourt.core.errors import Conflict
from forecourt.finance.models import Order, Quote
from forecourt.finance.orders import reservation
from forecourt.payments.models import Payment
from forecourt.payments.providers import DemoPaymentProvider
from tests.backoffice.helpers import events
from tests.finance.orders.factories import (
    NOW,
    ORDERS,
    OrderWorld,
    key,
    make_application,
    make_order_world,
    make_quote,
    reserve,
)

pytestmark = pytest.mark.pinned_clock(NOW)


@pytest.fixture
def world(db_session: Session) -> OrderWorld:
    return make_order_world(db_session)


def _vehicle(session: Session, vehicle_id: int) -> Vehicle:
    session.expire_all()
    return session.get(Vehicle, vehicle_id)


def _order(session: Session, reference: str) -> Order:
    session.expire_all()
    return session.scalars(select(Order).where(Order.reference == reference)).one()


def _quote(session: Session, world: OrderWorld, car=None, user: str = "buyer", **fields) -> Quote:
    quote = make_quote(session, world.users[user] if user else None, car or world.cheap, **fields)
    session.commit()
    return quote


def _searchable_vins(client, store: str = "gz-tianhe") -> set[str]:
    response = client.get(f"/api/v1/vehicles?store={store}&page_size=100")
    assert response.status_code == 200, response.text
    return {item["vin"] for item in response.json()["items"]}


# --- reserve ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("car", "deposit"), [("cheap", "5000.00"), ("mid", "10000.00"), ("luxury", "20000.00")])
def test_reserve_takes_the_deposit_and_the_car_leaves_the_search(client, db_session, world, car, deposit):
    vehicle = getattr(world, car)
    quote = _quote(db_session, world, vehicle)
    assert vehicle.vin in _searchable_vins(client)
    response = reserve(client, world.headers["buyer"], quote)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "reserved" and body["vin"] == vehicle.vin and body["quote_reference"] == quote.reference
    assert body["deposit_amount"] == deposit and body["price"] == str(vehicle.price) and body["product"] == "cash"
    assert body["refund_if_cancelled"] == {"amount": deposit, "forfeited": "0.00", "reason": "cooling_off"}
    assert _vehicle(db_session, vehicle.id).status == "reserved"
    assert vehicle.vin not in _searchable_vins(client)
    order = _order(db_session, body["reference"])
    payment = db_session.get(Payment, order.payment_id)
    assert (payment.amount, payment.purpose, payment.subject, payment.status) == (
        Decimal(deposit),
        "order_deposit",
        order.reference,
        "captured",
    )
    assert [e.object_id for e in events(db_session, "order.reserved")] == [order.reference]
    assert events(db_session, "vehicle.status_changed")[-1].details == {"from": "available", "to": "reserved"}
    mine = client.get(ORDERS, headers=world.headers["buyer"]).json()
    assert [o["reference"] for o in mine] == [order.reference]


def test_a_second_order_for_the_same_car_is_409(client, db_session, world):
    first = reserve(client, world.headers["buyer"], _quote(db_session, world))
    assert first.status_code == 201, first.text
    second = reserve(client, world.headers["other"], _quote(db_session, world, user="other"))
    assert second.status_code == 409, second.text
    assert second.json()["code"] == "vehicle_already_reserved"
    assert db_session.scalar(select(func.count()).select_from(Order).where(Order.vehicle_id == world.cheap.id)) == 1


def test_the_unique_index_refuses_a_second_holding_order_even_when_the_car_looks_available(db_session, world):
    """The application check can be fooled (here: the car's status is set back by hand); the database cannot."""
    provider = DemoPaymentProvider()
    first = reservation.reserve(
        db_session,
        world.users["buyer"].id,
        _quote(db_session, world).reference,
        "demo-card-ok",
        NOW,
        payment_provider=provider,
    )
    db_session.get(Vehicle, world.cheap.id).status = "available"
    db_session.flush()
    other_quote = _quote(db_session, world, user="other")
    with pytest.raises(Conflict) as refused:
        reservation.reserve(
            db_session, world.users["other"].id, other_quote.reference, "demo-card-ok", NOW, payment_provider=provider
        )
    assert refused.value.code == "vehicle_already_reserved" and refused.value.status == 409
    # the savepoint rolled back only the losing insert; the session is still usable
    assert db_session.scalars(select(Order.reference).where(Order.vehicle_id == world.cheap.id)).all() == [
        first.reference
    ]
    # and directly: a second reserved/confirmed row for the VIN is refused, a cancelled one is not
    template = dict(
        user_id=world.users["other"].id,
        vehicle_id=world.cheap.id,
        store_id=world.store.id,
        price=Decimal("1.00"),
        currency="CNY",
        deposit_amount=Decimal("1.00"),
    )
    with pytest.raises(IntegrityError), db_session.begin_nested():
        db_session.add(Order(reference="ORDIRECT01", status="confirmed", **template))
        db_session.flush()
    db_session.add(Order(reference="ORDIRECT02", status="cancelled", **template))
    db_session.flush()


def test_idempotent_replay_returns_the_first_order(client, db_session, world):
    quote = _quote(db_session, world)
    headers = {**world.headers["buyer"], **key()}
    body = {"quote_reference": quote.reference, "payment_method": "demo-card-ok"}
    first = client.post(ORDERS, json=body, headers=headers)
    again = client.post(ORDERS, json=body, headers=headers)
    assert first.status_code == again.status_code == 201, again.text
    assert again.headers["Idempotent-Replayed"] == "true" and again.json()["reference"] == first.json()["reference"]
    reused = client.post(ORDERS, json={**body, "payment_method": "demo-wallet-ok"}, headers=headers)
    assert reused.status_code == 422 and reused.json()["code"] == "idempotency_key_reused"
    missing = client.post(ORDERS, json=body, headers=world.headers["buyer"])
    assert missing.status_code == 422 and missing.json()["code"] == "idempotency_key_missing"
    assert db_session.scalar(select(func.count()).select_from(Order)) == 1
    assert db_session.scalar(select(func.count()).select_from(Payment)) == 1


@pytest.mark.parametrize(
    ("setup", "status", "code"),
    [
        ("expired", 409, "quote_expired"),
        ("someone_elses", 404, "quote_not_found"),
        ("unknown", 404, "quote_not_found"),
        ("sold", 409, "vehicle_not_available"),
        ("declined_card", 402, "card_declined"),
        ("unknown_method", 402, "unknown_payment_method"),
    ],
)
def test_refusals_leave_nothing_behind(client, db_session, world, setup, status, code):
    quote = _quote(
        db_session,
        world,
        user="other" if setup == "someone_elses" else "buyer",
        expires_at=NOW if setup == "expired" else None,
    )
    if setup == "sold":
        world.cheap.status = "sold"
        db_session.commit()
    method = {"declined_card": "demo-card-declined", "unknown_method": "bitcoin"}.get(setup, "demo-card-ok")
    response = reserve(client, world.headers["buyer"], "QTNOSUCH0001" if setup == "unknown" else quote, method)
    assert response.status_code == status, response.text
    assert response.json()["code"] == code
    assert db_session.scalar(select(func.count()).select_from(Order)) == 0
    assert db_session.scalar(select(func.count()).select_from(Payment)) == 0
    assert _vehicle(db_session, world.cheap.id).status == ("sold" if setup == "sold" else "available")


def test_an_anonymous_quote_is_claimed_by_the_buyer_who_reserves(client, db_session, world):
    quote = _quote(db_session, world, user=None)
    response = reserve(client, world.headers["buyer"], quote)
    assert response.status_code == 201, response.text
    db_session.expire_all()
    assert db_session.get(Quote, quote.id).user_id == world.users["buyer"].id


def test_payment_method_and_fields_are_validated(client, db_session, world):
    quote = _quote(db_session, world)
    no_method = client.post(
        ORDERS, json={"quote_reference": quote.reference}, headers={**world.headers["buyer"], **key()}
    )
    assert no_method.status_code == 422 and no_method.json()["errors"][0]["field"] == "payment_method"
    anonymous = client.post(
        ORDERS, json={"quote_reference": quote.reference, "payment_method": "demo-card-ok"}, headers=key()
    )
    assert anonymous.status_code == 401


# --- cancel -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("after", "refund"),
    [
        (timedelta(hours=1), "5000.00"),
        (timedelta(hours=72), "5000.00"),  # the boundary itself is still free
        (timedelta(hours=72, seconds=1), "2500.00"),  # half of the deposit is kept
    ],
)
def test_buyer_cancel_refunds_per_the_rules_and_frees_the_car(client, db_session, world, after, refund):
    reference = reserve(client, world.headers["buyer"], _quote(db_session, world)).json()["reference"]
    with clock.pinned(NOW + after):
        preview = client.get(f"{ORDERS}/{reference}", headers=world.headers["buyer"]).json()["refund_if_cancelled"]
        response = client.post(
            f"{ORDERS}/{reference}/cancel", json={"reason": "changed my mind"}, headers=world.headers["buyer"]
        )
    assert preview["amount"] == refund
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["status"], body["refunded_amount"], body["refund_if_cancelled"]) == ("cancelled", refund, None)
    order = _order(db_session, reference)
    assert order.cancel_reason == "changed my mind" and order.cancelled_at == NOW + after
    payment = db_session.get(Payment, order.payment_id)
    assert payment.refunded_amount == Decimal(refund)
    assert payment.status == ("refunded" if refund == "5000.00" else "partially_refunded")
    assert _vehicle(db_session, world.cheap.id).status == "available"
    assert world.cheap.vin in _searchable_vins(client)
    audit = events(db_session, "order.cancelled")[-1]
    assert audit.details["by_store"] is False and audit.details["refund"] == refund
    # the car can be ordered again: the cancelled order no longer holds it
    again = reserve(client, world.headers["other"], _quote(db_session, world, user="other"))
    assert again.status_code == 201, again.text
    twice = client.post(f"{ORDERS}/{reference}/cancel", json={}, headers=world.headers["buyer"])
    assert twice.status_code == 409 and twice.json()["code"] == "not_cancellable"


def test_store_cancel_and_finance_decline_refund_in_full_after_72_hours(client, db_session, world):
    late = NOW + timedelta(days=10)
    by_store = reserve(client, world.headers["buyer"], _quote(db_session, world)).json()["reference"]
    financed_quote = _quote(db_session, world, world.mid, product="loan")
    financed = reserve(client, world.headers["buyer"], financed_quote).json()["reference"]
    make_application(db_session, financed_quote, "declined")
    db_session.commit()
    with clock.pinned(late):
        store_cancel = client.post(f"{ORDERS}/{by_store}/cancel", headers=world.headers["staff"])
        declined_cancel = client.post(f"{ORDERS}/{financed}/cancel", headers=world.headers["buyer"])
    assert store_cancel.status_code == 200 and store_cancel.json()["refunded_amount"] == "5000.00"
    assert declined_cancel.status_code == 200 and declined_cancel.json()["refunded_amount"] == "10000.00"
    assert [e.details["refund_reason"] for e in events(db_session, "order.cancelled")] == [
        "store_cancelled",
        "finance_declined",
    ]


# --- confirm, complete --------------------------------------------------------------------------------------------


def test_cash_orders_confirm_directly_and_complete_sells_the_car(client, db_session, world):
    reference = reserve(client, world.headers["buyer"], _quote(db_session, world)).json()["reference"]
    early = client.post(f"{ORDERS}/{reference}/complete", headers=world.headers["staff"])
    assert early.status_code == 409 and early.json()["code"] == "not_completable"
    confirmed = client.post(f"{ORDERS}/{reference}/confirm", headers=world.headers["staff"])
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["status"] == "confirmed" and confirmed.json()["confirmed_at"]
    again = client.post(f"{ORDERS}/{reference}/confirm", headers=world.headers["staff"])
    assert again.status_code == 409 and again.json()["code"] == "not_confirmable"
    # a confirmed order still holds the car
    second = reserve(client, world.headers["other"], _quote(db_session, world, user="other"))
    assert second.status_code == 409 and second.json()["code"] == "vehicle_already_reserved"
    completed = client.post(f"{ORDERS}/{reference}/complete", headers=world.headers["staff"])
    assert completed.status_code == 200 and completed.json()["status"] == "completed"
    assert _vehicle(db_session, world.cheap.id).status == "sold"
    gone = client.post(f"{ORDERS}/{reference}/cancel", headers=world.headers["buyer"])
    assert gone.status_code == 409 and gone.json()["code"] == "not_cancellable"
    assert [e.action for e in events(db_session, "order.completed")] == ["order.completed"]


@pytest.mark.parametrize(
    ("applications", "confirmable"),
    [
        ((), False),
        (("manual_review",), False),
        (("conditional",), False),  # conditions not yet met
        (("declined",), False),
        (("approved",), True),
        (("conditional", "approved"), True),  # the newest decision counts (overridden to approved)
        (("approved", "withdrawn"), False),
    ],
)
def test_financed_orders_need_an_approved_application(client, db_session, world, applications, confirmable):
    quote = _quote(db_session, world, world.mid, product="loan")
    reference = reserve(client, world.headers["buyer"], quote).json()["reference"]
    for i, status in enumerate(applications):
        make_application(db_session, quote, status, created_at=NOW + timedelta(minutes=i))
    make_application(db_session, quote, "approved", kind="prequalification", created_at=NOW + timedelta(hours=1))
    db_session.commit()
    response = client.post(f"{ORDERS}/{reference}/confirm", headers=world.headers["staff"])
    if confirmable:
        assert response.status_code == 200, response.text
        assert response.json()["application_reference"] is not None
    else:
        assert response.status_code == 409, response.text
        assert response.json()["code"] == "finance_not_approved"
        assert response.json()["application_status"] == (applications[-1] if applications else None)


# --- who may act ----------------------------------------------------------------------------------------------------


def test_access(client, db_session, world):
    reference = reserve(client, world.headers["buyer"], _quote(db_session, world)).json()["reference"]
    url = f"{ORDERS}/{reference}"
    assert client.get(url, headers=world.headers["buyer"]).status_code == 200
    assert client.get(url, headers=world.headers["staff"]).status_code == 200
    assert client.get(url, headers=world.headers["admin"]).status_code == 200
    assert client.get(url).status_code == 401
    other = client.get(url, headers=world.headers["other"])
    assert other.status_code == 404 and other.json()["code"] == "order_not_found"
    assert client.get(url, headers=world.headers["outsider"]).status_code == 403
    for action in ("confirm", "complete"):
        assert client.post(f"{url}/{action}", headers=world.headers["buyer"]).status_code == 403  # staff only
        assert client.post(f"{url}/{action}", headers=world.headers["outsider"]).status_code == 403
        assert client.post(f"{url}/{action}", headers=world.headers["other"]).status_code == 403
    assert client.post(f"{url}/cancel", headers=world.headers["other"]).status_code == 404
    assert client.post(f"{url}/cancel", headers=world.headers["outsider"]).status_code == 403
    assert client.get(ORDERS, headers=world.headers["other"]).json() == []
    assert _order(db_session, reference).status == "reserved"
    store = client.get("/api/v1/stores/gz-tianhe/orders", headers=world.headers["staff"])
    assert [o["reference"] for o in store.json()] == [reference]
    filtered = client.get("/api/v1/stores/gz-tianhe/orders?status=cancelled", headers=world.headers["staff"])
    assert filtered.status_code == 200 and filtered.json() == []
    assert client.get("/api/v1/stores/gz-tianhe/orders", headers=world.headers["outsider"]).status_code == 403
    assert client.get("/api/v1/stores/gz-tianhe/orders", headers=world.headers["buyer"]).status_code == 403
    assert client.get("/api/v1/stores/sh-pudong/orders", headers=world.headers["outsider"]).json() == []
    assert client.get(f"{ORDERS}/ORNOSUCH01", headers=world.headers["staff"]).status_code == 404
