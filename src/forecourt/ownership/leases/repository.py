"""Every query of lease mileage: the pace thresholds a lease has reached, and recording new ones exactly once."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from forecourt.ownership.models import LeasePaceWarning


def reached_thresholds(session: Session, ownership_id: int) -> set[int]:
    return set(session.scalars(select(LeasePaceWarning.threshold).where(LeasePaceWarning.ownership_id == ownership_id)))


def record_reached(
    session: Session,
    ownership_id: int,
    thresholds: Collection[int],
    send: int | None,
    at: datetime,
    projected_km: int,
    allowance_km: int,
) -> set[int]:
    """Insert the thresholds with ON CONFLICT DO NOTHING; returns those this statement inserted. A concurrent job
    that inserted one first (PostgreSQL waits for its commit, SQLite's write lock queues it) gets nothing back for
    it, so it never sends that warning too."""
    if not thresholds:
        return set()
    dialect = session.get_bind().dialect.name
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(LeasePaceWarning)
    rows = [
        {
            "ownership_id": ownership_id,
            "threshold": int(t),
            "reached_at": at,
            "projected_km": projected_km,
            "allowance_km": allowance_km,
            "sent": int(t) == send,
        }
        for t in thresholds
    ]
    statement = insert.values(rows).on_conflict_do_nothing(index_elements=["ownership_id", "threshold"])
    return set(session.scalars(statement.returning(LeasePaceWarning.threshold)))
