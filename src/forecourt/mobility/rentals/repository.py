"""Every query of rentals."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from forecourt.mobility.models import Rental


def get_rental(session: Session, reference: str, *, for_update: bool = False) -> Rental | None:
    statement = select(Rental).where(Rental.reference == reference)
    if for_update:
        statement = statement.with_for_update()
    return session.scalars(statement).one_or_none()


def renter_rentals(session: Session, user_id: int, limit: int = 50) -> Sequence[Rental]:
    statement = (
        select(Rental)
        .where(Rental.renter_user_id == user_id)
        .order_by(Rental.created_at.desc(), Rental.id.desc())
        .limit(limit)
    )
    return session.scalars(statement).all()


def store_rentals(session: Session, store_ids: Sequence[int] | None, limit: int = 200) -> Sequence[Rental]:
    statement = select(Rental).order_by(Rental.created_at.desc(), Rental.id.desc()).limit(limit)
    if store_ids is not None:
        statement = statement.where(Rental.store_id.in_(list(store_ids)))
    return session.scalars(statement).all()


def by_references(session: Session, references: Sequence[str]) -> Sequence[Rental]:
    if not references:
        return []
    return session.scalars(select(Rental).where(Rental.reference.in_(list(references)))).all()
