"""Cancelling an order: what a cancel would refund under `rules`, and the cancel itself, which refunds the
deposit and puts the car back on sale.

Takes the session first, may flush, never commits.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from forecourt.audit import service as audit
from forecourt.catalog import service as catalog
from forecourt.catalog.lifecycle import VehicleStatus
from forecourt.core.errors import Conflict
from forecourt.finance.models import ApplicationStatus, Order, OrderStatus
from forecourt.finance.orders import repository
from forecourt.finance.orders.lookups import HOLDING, get_order, is_financed
from forecourt.finance.orders.rules import DEFAULT_TERMS, OrderTerms, RefundDecision, cancellation_refund
from forecourt.payments import service as payments
from forecourt.payments.providers import PaymentProvider


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
