"""Orders API: reserve a car from a quote with a deposit (Idempotency-Key), my orders, confirm / cancel / complete.

Writes take `WriteSession` first (BEGIN IMMEDIATE on SQLite); the unique partial index on holding orders keeps
one order per VIN on PostgreSQL whatever the interleaving. Who may act: the buyer sees and cancels their own
orders (another shopper's reference answers 404); staff of the order's store (or an admin) see, confirm,
cancel and complete it (staff of another store get 403).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from forecourt.accounts.principal import Principal
from forecourt.accounts.security import RequiredUser, StaffUser, managed_store_ids
from forecourt.catalog import service as catalog
from forecourt.core.clock import utcnow
from forecourt.core.errors import NotFound
from forecourt.core.http import DbSession, IdempotencyKey, WriteSession, run_idempotent
from forecourt.finance.models import Order, OrderStatus
from forecourt.finance.orders import cancellation, reservation
from forecourt.finance.orders import lookups as order_lookups
from forecourt.finance.orders import service as orders
from forecourt.payments.providers import PaymentProvider

router = APIRouter(prefix="/api/v1", tags=["orders"])


class OrderIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    quote_reference: str = Field(min_length=1, max_length=12, examples=["QT7K2M9P4X"])
    payment_method: str = Field(min_length=1, max_length=64, examples=["demo-card-ok"])


class CancelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(default="", max_length=200)


class RefundPreviewOut(BaseModel):
    amount: Decimal
    forfeited: Decimal
    reason: str  # store_cancelled, finance_declined, cooling_off or forfeit


class OrderOut(BaseModel):
    reference: str
    status: str
    product: str
    quote_reference: str | None
    application_reference: str | None
    vin: str
    model: str
    model_name_en: str
    model_name_zh: str
    store: str
    store_name_en: str
    store_name_zh: str
    price: Decimal
    currency: str
    deposit_amount: Decimal
    refunded_amount: Decimal
    refund_if_cancelled: RefundPreviewOut | None  # what the buyer's own cancel would refund now
    cancel_reason: str
    created_at: datetime
    confirmed_at: datetime | None
    cancelled_at: datetime | None


def _payments(request: Request) -> PaymentProvider:
    return request.app.state.integrations.payments


def order_out(session: Session, order: Order) -> OrderOut:
    vehicle = catalog.get_vehicle_by_id(session, order.vehicle_id)
    quote = order_lookups.quote_of(session, order)
    application = order_lookups.application_of(session, order)
    preview = cancellation.cancellation_preview(session, order, utcnow())
    return OrderOut(
        reference=order.reference,
        status=order.status,
        product=order.product,
        quote_reference=quote.reference if quote else None,
        application_reference=application.reference if application else None,
        vin=vehicle.vin,
        model=vehicle.model.code,
        model_name_en=vehicle.model.name_en,
        model_name_zh=vehicle.model.name_zh,
        store=vehicle.store.code,
        store_name_en=vehicle.store.name_en,
        store_name_zh=vehicle.store.name_zh,
        price=order.price,
        currency=order.currency,
        deposit_amount=order.deposit_amount,
        refunded_amount=order.refunded_amount,
        refund_if_cancelled=RefundPreviewOut(
            amount=preview.amount, forfeited=preview.forfeited, reason=preview.reason.value
        )
        if preview
        else None,
        cancel_reason=order.cancel_reason,
        created_at=order.created_at,
        confirmed_at=order.confirmed_at,
        cancelled_at=order.cancelled_at,
    )


def _visible_order(session: Session, user: Principal, reference: str) -> Order:
    order = order_lookups.get_order(session, reference)
    if order.user_id == user.user_id:
        return order
    if user.has_role("store_staff", "admin"):
        order_lookups.check_store_access(order, managed_store_ids(user))
        return order
    raise NotFound(f"No order {reference}", code="order_not_found")


@router.post(
    "/orders",
    status_code=201,
    response_model=OrderOut,
    summary="Reserve a car from a quote with a deposit",
    responses={404: {"description": "No such quote of yours"}},
)
def create_order(
    session: WriteSession, request: Request, user: RequiredUser, body: OrderIn, idempotency_key: IdempotencyKey = None
) -> JSONResponse:
    """The deposit depends on the quoted price (CNY 5,000 under 200,000; 10,000 under 500,000; 20,000 above) and
    is charged through the payment provider. A car already held by another order answers 409
    `vehicle_already_reserved`."""

    def run() -> tuple[int, Any]:
        order = reservation.reserve(
            session,
            user.user_id,
            body.quote_reference,
            body.payment_method,
            utcnow(),
            payment_provider=_payments(request),
        )
        return 201, order_out(session, order).model_dump(mode="json")

    return run_idempotent(
        session,
        request,
        scope=f"user:{user.user_id}",
        key=idempotency_key,
        payload=body.model_dump(mode="json"),
        run=run,
    )


@router.get("/orders", response_model=list[OrderOut], summary="My orders")
def my_orders(session: DbSession, user: RequiredUser) -> list[OrderOut]:
    return [order_out(session, o) for o in order_lookups.list_my_orders(session, user.user_id)]


@router.get("/orders/{reference}", response_model=OrderOut, summary="One order (its buyer, or staff of its store)")
def get_order(session: DbSession, user: RequiredUser, reference: str) -> OrderOut:
    return order_out(session, _visible_order(session, user, reference))


@router.post("/orders/{reference}/confirm", response_model=OrderOut, summary="Confirm an order (store staff)")
def confirm_order(session: WriteSession, user: StaffUser, reference: str) -> OrderOut:
    """Cash orders confirm directly; financed orders need an approved credit application for their quote
    (409 `finance_not_approved` otherwise)."""
    order = orders.confirm(session, reference, user.user_id, allowed_store_ids=managed_store_ids(user), now=utcnow())
    return order_out(session, order)


@router.post("/orders/{reference}/cancel", response_model=OrderOut, summary="Cancel an order (buyer or store staff)")
def cancel_order(
    session: WriteSession, request: Request, user: RequiredUser, reference: str, body: CancelIn | None = None
) -> OrderOut:
    """The deposit comes back in full within 72 hours of reserving, when the store cancels, or when finance
    declined the buyer; otherwise half of it is kept. The car goes back on sale."""
    order = _visible_order(session, user, reference)
    by_store = order.user_id != user.user_id
    order = cancellation.cancel(
        session,
        order.reference,
        user.user_id,
        by_store,
        body.reason if body else "",
        utcnow(),
        payment_provider=_payments(request),
    )
    return order_out(session, order)


@router.post("/orders/{reference}/complete", response_model=OrderOut, summary="Hand the car over (store staff)")
def complete_order(session: WriteSession, user: StaffUser, reference: str) -> OrderOut:
    order = orders.complete(session, reference, user.user_id, allowed_store_ids=managed_store_ids(user), now=utcnow())
    return order_out(session, order)


@router.get("/stores/{code}/orders", response_model=list[OrderOut], summary="A store's orders (store staff)")
def store_orders(
    session: DbSession, user: StaffUser, code: str, status: Annotated[list[OrderStatus] | None, Query()] = None
) -> list[OrderOut]:
    store = catalog.get_store_for_staff(session, code, allowed_store_ids=managed_store_ids(user))
    rows = order_lookups.list_store_orders(session, [store.id], [s.value for s in status or ()])
    return [order_out(session, o) for o in rows]
