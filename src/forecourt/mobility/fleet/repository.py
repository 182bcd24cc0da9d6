"""Every query of fleet pools, model classes and plans."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from forecourt.mobility.models import MobilityClass, RentalPlan


def classes(session: Session) -> Sequence[MobilityClass]:
    return session.scalars(select(MobilityClass).order_by(MobilityClass.rank, MobilityClass.code)).all()


def class_by_code(session: Session, code: str) -> MobilityClass | None:
    return session.scalars(select(MobilityClass).where(MobilityClass.code == code)).one_or_none()


def rental_plan(session: Session, class_id: int) -> RentalPlan | None:
    return session.scalars(select(RentalPlan).where(RentalPlan.class_id == class_id)).one_or_none()
