"""Every query of the ownership records."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from forecourt.ownership.models import Ownership, OwnershipContract, OwnershipStatus


def get_by_reference(session: Session, reference: str, *, for_update: bool = False) -> Ownership | None:
    statement = select(Ownership).where(Ownership.reference == reference)
    if for_update:
        statement = statement.with_for_update()
    return session.scalars(statement).one_or_none()


def get_by_id(session: Session, ownership_id: int) -> Ownership | None:
    return session.get(Ownership, ownership_id)


def contract_of(session: Session, ownership_id: int) -> OwnershipContract | None:
    return session.get(OwnershipContract, ownership_id)


def current_of_vin(session: Session, vin: str) -> Ownership | None:
    return session.scalars(
        select(Ownership).where(Ownership.vin == vin, Ownership.status == OwnershipStatus.CURRENT.value)
    ).one_or_none()


def history_of_vin(session: Session, vin: str) -> Sequence[Ownership]:
    return session.scalars(
        select(Ownership).where(Ownership.vin == vin).order_by(Ownership.started_on, Ownership.id)
    ).all()


def current_of_user(session: Session, user_id: int) -> Sequence[Ownership]:
    return session.scalars(
        select(Ownership)
        .where(Ownership.user_id == user_id, Ownership.status == OwnershipStatus.CURRENT.value)
        .order_by(Ownership.started_on.desc(), Ownership.id)
    ).all()


def of_stores(
    session: Session, store_ids: Collection[int] | None, *, current_only: bool, limit: int
) -> Sequence[Ownership]:
    statement = select(Ownership)
    if store_ids is not None:
        statement = statement.where(Ownership.store_id.in_(store_ids))
    if current_only:
        statement = statement.where(Ownership.status == OwnershipStatus.CURRENT.value)
    return session.scalars(statement.order_by(Ownership.started_on.desc(), Ownership.id.desc()).limit(limit)).all()


def current_leases(session: Session) -> Sequence[tuple[Ownership, OwnershipContract]]:
    rows = session.execute(
        select(Ownership, OwnershipContract)
        .join(OwnershipContract, OwnershipContract.ownership_id == Ownership.id)
        .where(
            Ownership.status == OwnershipStatus.CURRENT.value,
            OwnershipContract.product.in_(("lease", "lease_to_own")),
        )
        .order_by(Ownership.id)
    ).all()
    return [(row[0], row[1]) for row in rows]


def all_current(session: Session) -> Sequence[Ownership]:
    return session.scalars(
        select(Ownership).where(Ownership.status == OwnershipStatus.CURRENT.value).order_by(Ownership.id)
    ).all()
