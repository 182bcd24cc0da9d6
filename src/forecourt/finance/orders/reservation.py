"""Reserving a car with a deposit from a quote.

Takes the session first, may flush, never commits; knows nothing of accounts (user ids and store ids in).

One order per VIN: the unique partial index `uq_orders_holding_vehicle` lets only one reserved-or-confirmed
order hold a vehicle. `reserve` inserts the order in a savepoint *before* any money moves: the loser of a race
gets `IntegrityError` from the index (PostgreSQL waits for the winner's commit, then refuses), which becomes
409 `vehicle_already_reserved`, never a 500. On SQLite the routes begin their transaction IMMEDIATE
(`WriteSession`), so there the loser already sees the car reserved; the index remains the guarantee. Then the
deposit is charged (a declined card raises, and the caller's rollback removes the order again) and the car
moves to `reserved` through the catalog, which takes it out of the default search.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from forecourt.audit import service as audit
from forecourt.catalog import service as catalog
from forecourt.catalog.lifecycle import VehicleStatus
from forecourt.catalog.models import Vehicle
from forecourt.core.errors import Conflict, FieldError, InvalidInput, NotFound
from forecourt.core.outbox import enqueue_event
from forecourt.core.references import new_reference
from forecourt.finance.models import Order, OrderStatus, Quote
from forecourt.finance.orders import repository
from forecourt.finance.orders.lookups import is_financed
from forecourt.finance.orders.rules import DEFAULT_TERMS, OrderTerms, deposit_for
from forecourt.payments import service as payments
from forecourt.payments.providers import PaymentProvider

HOLDING_INDEX = "uq_orders_holding_vehicle"
SQLITE_HOLDING_MESSAGE = "UNIQUE constraint failed: orders.vehicle_id"  # SQLite names the columns, not the index
DEPOSIT_PURPOSE = "order_deposit"
REFERENCE_PREFIX = "OR"


@dataclass(frozen=True)
class QuoteCheck:
    """A quote the user may reserve from, its car and the deposit it takes (the /orders/new summary)."""

    quote: Quote
    vehicle: Vehicle
    deposit: Decimal
    application_status: str | None = None  # the newest credit application on the quote, for a financed one


def reservable_quote(
    session: Session, user_id: int, quote_reference: str, now: datetime, terms: OrderTerms = DEFAULT_TERMS
) -> QuoteCheck:
    """Refuse unless the quote is the user's (an anonymous quote is claimed by the first signed-in user who
    reserves from it: only its creator has seen the reference), unexpired, and its car is available."""
    quote = repository.get_quote(session, quote_reference.strip().upper())
    if quote is None or not quote.usable_by(user_id):
        raise NotFound(f"No quote {quote_reference}", code="quote_not_found")
    vehicle = catalog.get_vehicle_by_id(session, quote.vehicle_id)
    if quote.expires_at <= now:
        raise Conflict(
            f"Quote {quote.reference} expired at {quote.expires_at.isoformat()}; ask for a new quote",
            code="quote_expired",
            extra={"expired_at": quote.expires_at.isoformat(), "vin": vehicle.vin},
        )
    catalog.require_on_sale(vehicle)
    application = repository.latest_application(session, quote.id) if is_financed(quote.product) else None
    return QuoteCheck(
        quote, vehicle, deposit_for(quote.price, quote.currency, terms), application.status if application else None
    )


def _already_reserved(vin: str) -> Conflict:
    return Conflict(
        f"Vehicle {vin} is already reserved by another order",
        code="vehicle_already_reserved",
        extra={"vin": vin, "vehicle_status": "reserved"},
    )


def _is_holding_violation(exc: IntegrityError) -> bool:
    text = str(exc.orig)
    return HOLDING_INDEX in text or SQLITE_HOLDING_MESSAGE in text


def insert_holding_order(session: Session, order: Order) -> bool:
    """Insert `order` in a savepoint; False when the unique partial index says another order holds the car."""
    try:
        with session.begin_nested():
            session.add(order)
            session.flush()
    except IntegrityError as exc:
        if not _is_holding_violation(exc):
            raise
        return False
    return True


def reserve(
    session: Session,
    user_id: int,
    quote_reference: str,
    payment_method: str | None,
    now: datetime,
    *,
    payment_provider: PaymentProvider,
    terms: OrderTerms = DEFAULT_TERMS,
) -> Order:
    if not payment_method or not payment_method.strip():
        raise InvalidInput(
            "Choose a payment method for the deposit",
            code="payment_method_required",
            errors=[FieldError("payment_method", "required for the deposit")],
        )
    check = reservable_quote(session, user_id, quote_reference, now, terms)
    quote, vehicle = check.quote, check.vehicle
    if quote.user_id is None:
        quote.user_id = user_id
        audit.record(session, user_id, "quote.claimed", "quote", quote.reference, quote.store_id)
    order = Order(
        reference=new_reference(REFERENCE_PREFIX),
        user_id=user_id,
        vehicle_id=vehicle.id,
        store_id=vehicle.store_id,
        quote_id=quote.id,
        product=quote.product,
        status=OrderStatus.RESERVED.value,
        price=quote.price,
        currency=quote.currency,
        deposit_amount=check.deposit,
        refunded_amount=Decimal("0.00"),
        cancel_reason="",
        created_at=now,
        updated_at=now,
    )
    if not insert_holding_order(session, order):
        raise _already_reserved(vehicle.vin)
    payment = payments.charge(
        session,
        payment_provider,
        user_id=user_id,
        purpose=DEPOSIT_PURPOSE,
        subject=order.reference,
        amount=order.deposit_amount,
        currency=order.currency,
        method_token=payment_method.strip(),
        idempotency_key=f"{order.reference}:deposit",
    )
    order.payment_id = payment.id
    session.flush()
    try:
        catalog.change_vehicle_status(session, vehicle.vin, VehicleStatus.RESERVED, actor=user_id)
    except Conflict as exc:  # moved by staff since we looked (e.g. to in transit)
        raise Conflict(
            f"Vehicle {vehicle.vin} can no longer be reserved",
            code="vehicle_not_available",
            extra={"vin": vehicle.vin, "vehicle_status": catalog.get_vehicle(session, vehicle.vin).status},
        ) from exc
    enqueue_event(
        session,
        {
            "event_id": f"platform:order:{order.reference}",
            "type": "order",
            "occurred_at": now.isoformat(),
            "user_id": user_id,
            "model_code": vehicle.model.code,
            "city": vehicle.store.city.code,
            "store_code": vehicle.store.code,
            "subject": order.reference,
            "value": str(vehicle.price),
        },
    )
    audit.record(
        session,
        user_id,
        "order.reserved",
        "order",
        order.reference,
        order.store_id,
        vin=vehicle.vin,
        quote=quote.reference,
        product=order.product,
        deposit=str(order.deposit_amount),
    )
    return order
