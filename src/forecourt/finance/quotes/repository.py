"""Queries of stored quotes."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from forecourt.finance.models import Quote


def add(session: Session, quotes: Sequence[Quote]) -> None:
    session.add_all(quotes)
    session.flush()


def get_by_reference(session: Session, reference: str) -> Quote | None:
    return session.scalars(select(Quote).where(Quote.reference == reference)).one_or_none()


def by_references(session: Session, references: Collection[str]) -> Sequence[Quote]:
    if not references:
        return []
    return session.scalars(select(Quote).where(Quote.reference.in_(sorted(references))).order_by(Quote.id)).all()
