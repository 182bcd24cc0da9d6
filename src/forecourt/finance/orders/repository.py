"""Every query of the orders use cases (orders, and the quotes and credit applications they are made from)."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from forecourt.finance.models import CreditApplication, Order, Quote

APPLICATION_KIND = "application"  # not a prequalification


def get_order(session: Session, reference: str, *, for_update: bool = False) -> Order | None:
    statement = select(Order).where(Order.reference == reference)
    if for_update:
        statement = statement.with_for_update()
    return session.scalars(statement).one_or_none()


def list_user_orders(session: Session, user_id: int) -> Sequence[Order]:
    statement = select(Order).where(Order.user_id == user_id).order_by(Order.created_at.desc(), Order.id.desc())
    return session.scalars(statement).all()


def list_store_orders(
    session: Session, store_ids: Collection[int] | None, statuses: Collection[str] = (), limit: int = 200
) -> Sequence[Order]:
    """Newest first; `store_ids` None means every store."""
    statement = select(Order)
    if store_ids is not None:
        statement = statement.where(Order.store_id.in_(list(store_ids)))
    if statuses:
        statement = statement.where(Order.status.in_(list(statuses)))
    return session.scalars(statement.order_by(Order.created_at.desc(), Order.id.desc()).limit(limit)).all()


def get_quote(session: Session, reference: str, *, for_update: bool = False) -> Quote | None:
    statement = select(Quote).where(Quote.reference == reference)
    if for_update:
        statement = statement.with_for_update()
    return session.scalars(statement).one_or_none()


def get_quote_by_id(session: Session, quote_id: int) -> Quote | None:
    return session.get(Quote, quote_id)


def latest_application(session: Session, quote_id: int) -> CreditApplication | None:
    """The newest credit application (not a prequalification) made for the quote."""
    statement = (
        select(CreditApplication)
        .where(CreditApplication.quote_id == quote_id, CreditApplication.kind == APPLICATION_KIND)
        .order_by(CreditApplication.created_at.desc(), CreditApplication.id.desc())
        .limit(1)
    )
    return session.scalars(statement).first()


def get_application_by_id(session: Session, application_id: int) -> CreditApplication | None:
    return session.get(CreditApplication, application_id)
