"""Order use cases: reserve a car with a deposit from a quote, confirm (cash, or finance approved), cancel with the
refund rules of `rules`, complete (delivered: the car is sold).

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

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from forecourt.audit import service as audit
from forecourt.catalog import service as catalog
from forecourt.catalog.lifecycle import VehicleStatus
from forecourt.catalog.models import Vehicle
from forecourt.core.errors import Conflict, FieldError, Forbidden, InvalidInput, NotFound
from forecourt.core.outbox import enqueue_event
from forecourt.core.references import new_reference
from forecourt.finance.models import ApplicationStatus, CreditApplication, Order, OrderStatus, Product, Quote
from forecourt.finance.orders import repository
from forecourt.finance.orders.rules import DEFAULT_TERMS, OrderTerms, RefundDecision, cancellation_refund, deposit_for
from forecourt.ownership.records import service as ownership
from forecourt.payments import service as payments
from forecourt.payments.providers import PaymentProvider

HOLDING_INDEX = "uq_orders_holding_vehicle"
SQLITE_HOLDING_MESSAGE = "UNIQUE constraint failed: orders.vehicle_id"  # SQLite names the columns, not the index
DEPOSIT_PURPOSE = "order_deposit"
REFERENCE_PREFIX = "OR"
HOLDING = (OrderStatus.RESERVED.value, OrderStatus.CONFIRMED.value)


def is_financed(product: str) -> bool:
    return product != Product.CASH.value


# --- reading ------------------------------------------------------------------------------------------------------


def get_order(session: Session, reference: str, *, for_update: bool = False) -> Order:
    order = repository.get_order(session, reference.strip().upper(), for_update=for_update)
    if order is None:
        raise NotFound(f"No order {reference}", code="order_not_found")
    return order


def get_own_order(session: Session, user_id: int, reference: str, *, for_update: bool = False) -> Order:
    order = get_order(session, reference, for_update=for_update)
    if order.user_id != user_id:
        raise NotFound(f"No order {reference}", code="order_not_found")  # another's order: not even its existence
    return order


def check_store_access(order: Order, allowed_store_ids: Collection[int] | None) -> None:
    if allowed_store_ids is not None and order.store_id not in allowed_store_ids:
        raise Forbidden(f"Order {order.reference} belongs to a store that is not one of yours", code="store_forbidden")


def get_store_order(
    session: Session, reference: str, allowed_store_ids: Collection[int] | None, *, for_update: bool = False
) -> Order:
    order = get_order(session, reference, for_update=for_update)
    check_store_access(order, allowed_store_ids)
    return order


def list_my_orders(session: Session, user_id: int) -> Sequence[Order]:
    return repository.list_user_orders(session, user_id)


def list_store_orders(
    session: Session, store_ids: Collection[int] | None, statuses: Collection[str] = ()
) -> Sequence[Order]:
    return repository.list_store_orders(session, store_ids, statuses)


def quote_of(session: Session, order: Order) -> Quote | None:
    return repository.get_quote_by_id(session, order.quote_id) if order.quote_id else None


def application_of(session: Session, order: Order) -> CreditApplication | None:
    """The application the order was confirmed with, else the newest one for its quote."""
    if order.application_id:
        return repository.get_application_by_id(session, order.application_id)
    return repository.latest_application(session, order.quote_id) if order.quote_id else None


# --- reserve -------------------------------------------------------------------------------------------------------


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


# --- confirm, cancel, complete ---------------------------------------------------------------------------------------


def confirm_refusal(session: Session, order: Order) -> Conflict | None:
    """Why staff cannot confirm the order now (None: they can). `confirm` raises it, and the back-office order
    page offers the confirm button only when it is None, so the button never leads to this refusal."""
    if order.status != OrderStatus.RESERVED.value:
        return Conflict(
            f"Order {order.reference} is {order.status} and cannot be confirmed",
            code="not_confirmable",
            extra={"order_status": order.status},
        )
    if is_financed(order.product):
        application = repository.latest_application(session, order.quote_id) if order.quote_id else None
        if application is None or application.status != ApplicationStatus.APPROVED.value:
            status = application.status if application else None
            return Conflict(
                f"Order {order.reference} is financed ({order.product}); it needs an approved credit "
                f"application first (now: {status or 'none'})",
                code="finance_not_approved",
                extra={"application_status": status},
            )
    return None


def confirm(
    session: Session,
    order_reference: str,
    actor: int,
    *,
    allowed_store_ids: Collection[int] | None = None,
    now: datetime,
) -> Order:
    """Staff confirm a reserved order: a cash order directly; a financed one needs the newest credit application
    for its quote to be approved (a conditional decision counts once finance overrides it to approved)."""
    order = get_store_order(session, order_reference, allowed_store_ids, for_update=True)
    refusal = confirm_refusal(session, order)
    if refusal is not None:
        raise refusal
    if is_financed(order.product):
        application = repository.latest_application(session, order.quote_id)
        assert application is not None  # confirm_refusal: approved
        order.application_id = application.id
    order.status = OrderStatus.CONFIRMED.value
    order.confirmed_at = order.updated_at = now
    session.flush()
    audit.record(
        session,
        actor,
        "order.confirmed",
        "order",
        order.reference,
        order.store_id,
        product=order.product,
        application=order.application_id,
    )
    return order


def _finance_declined(session: Session, order: Order) -> bool:
    if not is_financed(order.product) or not order.quote_id:
        return False
    application = repository.latest_application(session, order.quote_id)
    return application is not None and application.status == ApplicationStatus.DECLINED.value


def refund_decision(
    session: Session, order: Order, now: datetime, *, by_store: bool, terms: OrderTerms = DEFAULT_TERMS
) -> RefundDecision:
    return cancellation_refund(
        order.deposit_amount,
        order.created_at,
        now,
        by_store=by_store,
        finance_declined=_finance_declined(session, order),
        currency=order.currency,
        terms=terms,
    )


def cancellation_preview(
    session: Session, order: Order, now: datetime, *, by_store: bool = False, terms: OrderTerms = DEFAULT_TERMS
) -> RefundDecision | None:
    """What a cancel at `now` would refund (None once the order can no longer be cancelled)."""
    if order.status not in HOLDING:
        return None
    return refund_decision(session, order, now, by_store=by_store, terms=terms)


def cancel(
    session: Session,
    reference: str,
    actor: int,
    by_store: bool,
    reason: str,
    now: datetime,
    *,
    payment_provider: PaymentProvider,
    terms: OrderTerms = DEFAULT_TERMS,
) -> Order:
    """Cancel a reserved or confirmed order (the caller checked that `actor` is its buyer, or staff of its store:
    `by_store`), refund per `rules`, and put the car back on sale."""
    order = get_order(session, reference, for_update=True)
    if order.status not in HOLDING:
        raise Conflict(
            f"Order {order.reference} is {order.status} and cannot be cancelled",
            code="not_cancellable",
            extra={"order_status": order.status},
        )
    decision = refund_decision(session, order, now, by_store=by_store, terms=terms)
    refunded = Decimal("0.00")
    payment = payments.get_payment(session, order.payment_id) if order.payment_id else None
    if payment is not None and decision.amount > 0:
        refunded = payments.refund(session, payment_provider, payment, decision.amount, f"{order.reference}:cancel")
    order.refunded_amount = refunded
    order.status = OrderStatus.CANCELLED.value
    order.cancelled_at = order.updated_at = now
    order.cancel_reason = (reason or "").strip()[:200]
    session.flush()  # the order stops holding the car (the partial index) before the car is released
    vehicle = catalog.get_vehicle_by_id(session, order.vehicle_id)
    if vehicle.status == VehicleStatus.RESERVED.value:
        catalog.change_vehicle_status(session, vehicle.vin, VehicleStatus.AVAILABLE, actor=actor)
    audit.record(
        session,
        actor,
        "order.cancelled",
        "order",
        order.reference,
        order.store_id,
        by_store=by_store,
        refund=str(refunded),
        refund_reason=decision.reason.value,
        forfeited=str(decision.forfeited),
    )
    return order


def complete(
    session: Session,
    reference: str,
    actor: int,
    *,
    allowed_store_ids: Collection[int] | None = None,
    now: datetime,
) -> Order:
    """Staff hand over a confirmed order's car: the order is completed, the car sold, and the buyer becomes its
    owner on the accepted quote's contract (ownership.records, in this transaction: no owner, no hand-over)."""
    order = get_store_order(session, reference, allowed_store_ids, for_update=True)
    if order.status != OrderStatus.CONFIRMED.value:
        raise Conflict(
            f"Order {order.reference} is {order.status}; only a confirmed order can be completed",
            code="not_completable",
            extra={"order_status": order.status},
        )
    order.status = OrderStatus.COMPLETED.value
    order.updated_at = now
    session.flush()
    vehicle = catalog.get_vehicle_by_id(session, order.vehicle_id)
    catalog.change_vehicle_status(session, vehicle.vin, VehicleStatus.SOLD, actor=actor)
    quote = quote_of(session, order)
    ownership.record_sale(
        session,
        ownership.CompletedSale(
            order_reference=order.reference,
            user_id=order.user_id,
            vehicle_id=order.vehicle_id,
            store_id=order.store_id,
            product=order.product,
            currency=order.currency,
            price=order.price,
            quote_reference=quote.reference if quote else None,
            quote_inputs=quote.inputs if quote else {},
            quote_figures=quote.figures if quote else {},
        ),
        actor=actor,
        now=now,
    )
    audit.record(session, actor, "order.completed", "order", order.reference, order.store_id, vin=vehicle.vin)
    return order
