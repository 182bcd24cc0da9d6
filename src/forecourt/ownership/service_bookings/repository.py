"""Every query of the service-bookings sub-package."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import Row, and_, func, or_, select, update
from sqlalchemy.orm import Session

from forecourt.ownership.service_bookings.models import (
    HOLDING_STATUSES,
    JobStatus,
    ServiceAdvisor,
    ServiceBay,
    ServiceJob,
    ServiceJobType,
)

_HOLDING = [s.value for s in HOLDING_STATUSES]


def list_job_types(session: Session) -> Sequence[ServiceJobType]:
    return session.scalars(select(ServiceJobType).order_by(ServiceJobType.code)).all()


def get_job_type(session: Session, code: str) -> ServiceJobType | None:
    return session.get(ServiceJobType, code)


def store_ids_with_bays(session: Session) -> set[int]:
    return set(session.scalars(select(ServiceBay.store_id).where(ServiceBay.active.is_(True)).distinct()))


def list_bays(session: Session, store_id: int, *, active_only: bool = True) -> Sequence[ServiceBay]:
    statement = select(ServiceBay).where(ServiceBay.store_id == store_id).order_by(ServiceBay.code)
    if active_only:
        statement = statement.where(ServiceBay.active.is_(True))
    return session.scalars(statement).all()


def get_bay(session: Session, store_id: int, code: str) -> ServiceBay | None:
    return session.scalars(select(ServiceBay).where(ServiceBay.store_id == store_id, ServiceBay.code == code)).first()


def lock_bays(session: Session, bay_ids: Sequence[int]) -> None:
    """Holds for the same bays queue here (PostgreSQL) instead of racing into the exclusion constraint, where two
    inserts that see each other's uncommitted rows can deadlock; the constraint stays the guarantee."""
    if bay_ids:
        session.execute(select(ServiceBay.id).where(ServiceBay.id.in_(list(bay_ids))).with_for_update())


def list_advisors(session: Session, store_id: int) -> Sequence[ServiceAdvisor]:
    statement = select(ServiceAdvisor).where(ServiceAdvisor.store_id == store_id, ServiceAdvisor.active.is_(True))
    return session.scalars(statement.order_by(ServiceAdvisor.name)).all()


def get_advisor(session: Session, store_id: int, name: str) -> ServiceAdvisor | None:
    statement = select(ServiceAdvisor).where(ServiceAdvisor.store_id == store_id, ServiceAdvisor.name == name)
    return session.scalars(statement).first()


def advisor_loads(session: Session, advisor_ids: Collection[int], start: datetime, end: datetime) -> dict[int, int]:
    statement = (
        select(ServiceJob.advisor_id, func.count())
        .where(ServiceJob.advisor_id.in_(list(advisor_ids)), ServiceJob.status == JobStatus.CONFIRMED.value)
        .where(ServiceJob.starts_at >= start, ServiceJob.starts_at < end)
        .group_by(ServiceJob.advisor_id)
    )
    return {advisor_id: int(count) for advisor_id, count in session.execute(statement)}


def get_job(session: Session, reference: str, *, for_update: bool = False) -> ServiceJob | None:
    statement = select(ServiceJob).where(ServiceJob.reference == reference)
    if for_update:
        statement = statement.with_for_update()
    return session.scalars(statement).one_or_none()


def add(session: Session, row: object) -> None:
    session.add(row)


def expire_stale_holds(session: Session, now: datetime, bay_ids: Collection[int] | None = None) -> int:
    statement = update(ServiceJob).where(ServiceJob.status == JobStatus.HELD.value, ServiceJob.hold_expires_at <= now)
    if bay_ids is not None:
        statement = statement.where(ServiceJob.bay_id.in_(list(bay_ids)))
    result = session.execute(statement.values(status=JobStatus.EXPIRED.value, updated_at=now))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def stale_hold_loans(session: Session, now: datetime) -> list[str]:
    """The courtesy-loan references of holds past their expiry (about to be expired with their loans)."""
    statement = select(ServiceJob.courtesy_loan_reference).where(
        ServiceJob.status == JobStatus.HELD.value,
        ServiceJob.hold_expires_at <= now,
        ServiceJob.courtesy_loan_reference.is_not(None),
    )
    return [reference for reference in session.scalars(statement) if reference]


def holding_rows(
    session: Session, bay_ids: Collection[int], start: datetime, end: datetime, now: datetime
) -> Sequence[Row]:
    """(bay_id, starts_at, ends_at) of jobs holding one of the bays at some time in [start, end)."""
    if not bay_ids:
        return []
    live_hold = or_(ServiceJob.status != JobStatus.HELD.value, ServiceJob.hold_expires_at > now)
    statement = (
        select(ServiceJob.bay_id, ServiceJob.starts_at, ServiceJob.ends_at)
        .where(ServiceJob.bay_id.in_(list(bay_ids)), ServiceJob.status.in_(_HOLDING))
        .where(live_hold, and_(ServiceJob.starts_at < end, ServiceJob.ends_at > start))
    )
    return session.execute(statement).all()


def store_jobs(session: Session, store_id: int, start: datetime, end: datetime) -> Sequence[ServiceJob]:
    statement = (
        select(ServiceJob)
        .where(ServiceJob.store_id == store_id, ServiceJob.starts_at < end, ServiceJob.ends_at > start)
        .where(ServiceJob.status != JobStatus.EXPIRED.value)
        .order_by(ServiceJob.bay_id, ServiceJob.starts_at)
    )
    return session.scalars(statement).all()


def owner_jobs(session: Session, user_id: int, limit: int = 100) -> Sequence[ServiceJob]:
    statement = (
        select(ServiceJob)
        .where(ServiceJob.owner_user_id == user_id, ServiceJob.status != JobStatus.EXPIRED.value)
        .order_by(ServiceJob.starts_at.desc(), ServiceJob.id.desc())
        .limit(limit)
    )
    return session.scalars(statement).all()


def completed_jobs_of(session: Session, vin: str) -> Sequence[ServiceJob]:
    statement = (
        select(ServiceJob)
        .where(ServiceJob.vin == vin, ServiceJob.status == JobStatus.COMPLETED.value)
        .order_by(ServiceJob.completed_at.desc(), ServiceJob.id.desc())
    )
    return session.scalars(statement).all()
