"""Every query of watching."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from forecourt.telematics.watching.models import VehicleWatch, WatchAlert


def by_subject(session: Session, subject: str) -> VehicleWatch | None:
    return session.scalar(select(VehicleWatch).where(VehicleWatch.subject == subject))


def by_subjects(session: Session, subjects: Collection[str]) -> Sequence[VehicleWatch]:
    if not subjects:
        return []
    return session.scalars(select(VehicleWatch).where(VehicleWatch.subject.in_(sorted(subjects)))).all()


def open_watch_of_vehicle(session: Session, vehicle_id: int) -> VehicleWatch | None:
    return session.scalar(
        select(VehicleWatch).where(VehicleWatch.vehicle_id == vehicle_id, VehicleWatch.closed_at.is_(None))
    )


def open_watches_of(session: Session, vehicle_ids: Collection[int]) -> Sequence[VehicleWatch]:
    if not vehicle_ids:
        return []
    statement = select(VehicleWatch).where(
        VehicleWatch.vehicle_id.in_(sorted(vehicle_ids)), VehicleWatch.closed_at.is_(None)
    )
    return session.scalars(statement).all()


def open_watches_due_before(session: Session, now: datetime) -> Sequence[VehicleWatch]:
    statement = select(VehicleWatch).where(
        VehicleWatch.closed_at.is_(None), VehicleWatch.return_due_at.is_not(None), VehicleWatch.return_due_at < now
    )
    return session.scalars(statement.order_by(VehicleWatch.id)).all()


def raised_keys(session: Session, watch_ids: Collection[int]) -> dict[int, set[str]]:
    keys: dict[int, set[str]] = defaultdict(set)
    if watch_ids:
        rows = session.execute(select(WatchAlert.watch_id, WatchAlert.key).where(WatchAlert.watch_id.in_(watch_ids)))
        for watch_id, key in rows:
            keys[watch_id].add(key)
    return keys


def insert_alert(session: Session, row: dict[str, Any]) -> bool:
    """Store the alert unless this watch already has one with this key; True if this call stored it."""
    insert = (postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert)(WatchAlert)
    statement = insert.on_conflict_do_nothing(index_elements=["watch_id", "key"]).returning(WatchAlert.id)
    return session.execute(statement, row).first() is not None


def alerts_of(session: Session, watch_ids: Collection[int]) -> dict[int, list[WatchAlert]]:
    found: dict[int, list[WatchAlert]] = defaultdict(list)
    if watch_ids:
        statement = select(WatchAlert).where(WatchAlert.watch_id.in_(watch_ids)).order_by(WatchAlert.raised_at)
        for alert in session.scalars(statement):
            found[alert.watch_id].append(alert)
    return found
