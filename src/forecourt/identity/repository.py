"""Queries of the identity context."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from forecourt.identity.models import DriverVerification


def get_verification(session: Session, user_id: int) -> DriverVerification | None:
    return session.scalars(select(DriverVerification).where(DriverVerification.user_id == user_id)).one_or_none()


def verifications_after(session: Session, last_id: int, limit: int) -> list[DriverVerification]:
    """A batch in id order, for key rotation."""
    statement = select(DriverVerification).where(DriverVerification.id > last_id).order_by(DriverVerification.id)
    return list(session.scalars(statement.limit(limit)))
