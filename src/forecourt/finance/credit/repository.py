"""Every query of credit applications and consents (and the quote lookup they start from)."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from forecourt.finance.models import Consent, CreditApplication, FinanceProvider, Quote, RateProgram

QUEUE_LIMIT = 200


def get_quote(session: Session, reference: str) -> Quote | None:
    return session.scalars(select(Quote).where(Quote.reference == reference)).one_or_none()


def get_quote_by_id(session: Session, quote_id: int) -> Quote | None:
    return session.get(Quote, quote_id)


def get_program(session: Session, program_id: int) -> RateProgram | None:
    return session.get(RateProgram, program_id)


def get_provider(session: Session, provider_id: int) -> FinanceProvider | None:
    return session.get(FinanceProvider, provider_id)


def get_application(session: Session, reference: str) -> CreditApplication | None:
    return session.scalars(select(CreditApplication).where(CreditApplication.reference == reference)).one_or_none()


def list_for_user(session: Session, user_id: int) -> Sequence[CreditApplication]:
    statement = select(CreditApplication).where(CreditApplication.user_id == user_id)
    return session.scalars(statement.order_by(CreditApplication.created_at.desc(), CreditApplication.id.desc())).all()


def review_queue(
    session: Session,
    *,
    store_ids: Collection[int] | None,
    statuses: Collection[str] | None,
    kind: str | None,
    limit: int = QUEUE_LIMIT,
) -> Sequence[CreditApplication]:
    """Oldest first (first come, first reviewed). `store_ids` None: every store."""
    statement = select(CreditApplication)
    if store_ids is not None:
        statement = statement.where(CreditApplication.store_id.in_(sorted(store_ids)))
    if statuses:
        statement = statement.where(CreditApplication.status.in_(sorted(statuses)))
    if kind:
        statement = statement.where(CreditApplication.kind == kind)
    return session.scalars(statement.order_by(CreditApplication.created_at, CreditApplication.id).limit(limit)).all()


def consents_of(session: Session, application_id: int) -> Sequence[Consent]:
    statement = select(Consent).where(Consent.application_id == application_id)
    return session.scalars(statement.order_by(Consent.id)).all()


def latest_for_quote(
    session: Session, user_id: int, quote_id: int, kind: str = "application"
) -> CreditApplication | None:
    statement = select(CreditApplication).where(
        CreditApplication.user_id == user_id, CreditApplication.quote_id == quote_id, CreditApplication.kind == kind
    )
    return session.scalars(statement.order_by(CreditApplication.id.desc()).limit(1)).one_or_none()


def applications_after(session: Session, after_id: int, limit: int) -> Sequence[CreditApplication]:
    """A batch of applications in id order, for jobs that walk every row (key rotation)."""
    statement = select(CreditApplication).where(CreditApplication.id > after_id).order_by(CreditApplication.id)
    return session.scalars(statement.limit(limit)).all()
