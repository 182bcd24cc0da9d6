"""Queries of the identity context."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from forecourt.identity.models import DriverVerification


def get_verification(session: Session, user_id: int) -> DriverVerification | None:
    return session.scalars(select(DriverVerification).where(DriverVerification.user_id == user_id)).one_or_none()
