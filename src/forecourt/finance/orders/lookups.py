"""Order look-ups: one order by reference (the buyer's own, or a store's), order lists, and the quote and credit
application an order goes with.

Takes the session first, never writes; another user's order answers as a missing one.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from sqlalchemy.orm import Session

from forecourt.core.errors import Forbidden, NotFound
from forecourt.finance.models import CreditApplication, Order, OrderStatus, Product, Quote
from forecourt.finance.orders import repository

HOLDING = (OrderStatus.RESERVED.value, OrderStatus.CONFIRMED.value)


def is_financed(product: str) -> bool:
    return product != Product.CASH.value


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
