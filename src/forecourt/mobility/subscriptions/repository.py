"""Every query of subscriptions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from forecourt.mobility.models import Subscription, SubscriptionInvoice, SubscriptionPlan, SubscriptionSegment


def plan(session: Session, class_id: int) -> SubscriptionPlan | None:
    return session.scalars(select(SubscriptionPlan).where(SubscriptionPlan.class_id == class_id)).one_or_none()


def get(session: Session, reference: str, *, for_update: bool = False) -> Subscription | None:
    statement = select(Subscription).where(Subscription.reference == reference)
    if for_update:
        statement = statement.with_for_update()
    return session.scalars(statement).one_or_none()


def of_subscriber(session: Session, user_id: int) -> Sequence[Subscription]:
    statement = (
        select(Subscription)
        .where(Subscription.subscriber_user_id == user_id)
        .order_by(Subscription.started_on.desc(), Subscription.id.desc())
    )
    return session.scalars(statement).all()


def segments(session: Session, subscription_id: int) -> Sequence[SubscriptionSegment]:
    statement = (
        select(SubscriptionSegment)
        .where(SubscriptionSegment.subscription_id == subscription_id)
        .order_by(SubscriptionSegment.first_day, SubscriptionSegment.id)
    )
    return session.scalars(statement).all()


def claim_billable(session: Session, started_before: date, limit: int = 100) -> Sequence[Subscription]:
    """Subscriptions that may have a period to bill, locked for this worker (others skip them)."""
    statement = (
        select(Subscription)
        .where(Subscription.status.notin_(("ended", "converted")), Subscription.started_on < started_before)
        .where(or_(Subscription.billed_until.is_(None), Subscription.billed_until < started_before))
        .order_by(Subscription.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return session.scalars(statement).all()


def invoices(session: Session, subscription_id: int) -> Sequence[SubscriptionInvoice]:
    statement = (
        select(SubscriptionInvoice)
        .where(SubscriptionInvoice.subscription_id == subscription_id)
        .order_by(SubscriptionInvoice.period_first_day)
    )
    return session.scalars(statement).all()
