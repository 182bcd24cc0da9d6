"""Order use cases after the reservation: staff confirm (cash, or finance approved) and complete (delivered: the
car is sold and the buyer becomes its owner).

Takes the session first, may flush, never commits; knows nothing of accounts (user ids and store ids in).
Reserving is in `reservation`, cancelling in `cancellation`, finding and listing orders in `lookups`.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy.orm import Session

from forecourt.audit import service as audit
from forecourt.catalog import service as catalog
from forecourt.catalog.lifecycle import VehicleStatus
from forecourt.core.errors import Conflict
from forecourt.finance.models import ApplicationStatus, Order, OrderStatus
from forecourt.finance.orders import repository
from forecourt.finance.orders.lookups import get_store_order, is_financed, quote_of
from forecourt.ownership.records import service as ownership


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
