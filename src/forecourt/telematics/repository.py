"""Every query of the telematics context.

Writes that must happen once whatever the concurrency are single statements the database arbitrates: samples
and dead letters are inserted with ON CONFLICT DO NOTHING on their keys, the latest state is an upsert that only
moves forward in time, and open fault-code intervals are unique per car and code. Both PostgreSQL and SQLite
speak this dialect of INSERT … ON CONFLICT, through SQLAlchemy's per-dialect insert constructs.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Insert, and_, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from forecourt.telematics.models import CarCredential, DeadLetter, FaultCodeInterval, TelemetrySample, VehicleState

STATE_FIELDS = ("odometer_m", "speed_kmh", "fuel_pct", "charge_pct", "ignition", "dtcs")


def _insert(session: Session, table: Any) -> Insert:
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


def is_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


# --- credentials ------------------------------------------------------------------------------------------


def credential_of(session: Session, vehicle_id: int) -> CarCredential | None:
    return session.get(CarCredential, vehicle_id)


def all_credentials(session: Session) -> Sequence[CarCredential]:
    return session.scalars(select(CarCredential).order_by(CarCredential.username)).all()


def vehicle_ids_by_username(session: Session, usernames: Collection[str]) -> dict[str, int]:
    if not usernames:
        return {}
    rows = session.execute(
        select(CarCredential.username, CarCredential.vehicle_id).where(CarCredential.username.in_(sorted(usernames)))
    )
    return {username: vehicle_id for username, vehicle_id in rows}


# --- samples ----------------------------------------------------------------------------------------------


def insert_samples(session: Session, rows: Sequence[dict[str, Any]]) -> int:
    """Insert-or-ignore on (vehicle, seq, ts); returns how many rows were new."""
    if not rows:
        return 0
    statement = _insert(session, TelemetrySample).on_conflict_do_nothing(index_elements=["vehicle_id", "seq", "ts"])
    inserted = session.execute(statement.returning(TelemetrySample.seq), list(rows)).all()
    return len(inserted)


def samples_between(
    session: Session, vehicle_id: int, start: datetime, end: datetime, *, limit: int | None = None, offset: int = 0
) -> Sequence[TelemetrySample]:
    statement = (
        select(TelemetrySample)
        .where(TelemetrySample.vehicle_id == vehicle_id, TelemetrySample.ts >= start, TelemetrySample.ts < end)
        .order_by(TelemetrySample.ts, TelemetrySample.seq)
        .offset(offset)
    )
    if limit is not None:
        statement = statement.limit(limit)
    return session.scalars(statement).all()


def count_samples_between(session: Session, vehicle_id: int, start: datetime, end: datetime) -> int:
    return session.scalar(
        select(func.count())
        .select_from(TelemetrySample)
        .where(TelemetrySample.vehicle_id == vehicle_id, TelemetrySample.ts >= start, TelemetrySample.ts < end)
    )


def delete_samples_before(session: Session, cutoff: datetime) -> int:
    result = session.execute(TelemetrySample.__table__.delete().where(TelemetrySample.ts < cutoff))
    return result.rowcount or 0


# --- latest state -----------------------------------------------------------------------------------------


def lock_states(session: Session, vehicle_ids: Sequence[int]) -> dict[int, VehicleState]:
    """The states of these cars, locked in id order on PostgreSQL so concurrent ingest workers queue per car
    (SQLite's ingest transaction holds the write lock already)."""
    statement = select(VehicleState).where(VehicleState.vehicle_id.in_(sorted(vehicle_ids)))
    if is_postgresql(session):
        statement = statement.order_by(VehicleState.vehicle_id).with_for_update()
    return {state.vehicle_id: state for state in session.scalars(statement)}


def create_states(session: Session, rows: Sequence[dict[str, Any]]) -> set[int]:
    """First states of cars never seen before; returns the cars whose state this call created (a concurrent
    worker's first state wins, and then this one is ignored)."""
    if not rows:
        return set()
    statement = _insert(session, VehicleState).on_conflict_do_nothing(index_elements=["vehicle_id"])
    return set(session.scalars(statement.returning(VehicleState.vehicle_id), list(rows)))


def advance_state(session: Session, vehicle_id: int, values: dict[str, Any]) -> bool:
    """Move the state to a newer sample, keeping what the newer sample did not report; never backwards."""
    newer = or_(
        VehicleState.ts < values["ts"],
        and_(VehicleState.ts == values["ts"], VehicleState.seq < values["seq"]),
    )
    assignments = {
        "ts": values["ts"],
        "seq": values["seq"],
        "updated_at": values["updated_at"],
        **{name: func.coalesce(values[name], getattr(VehicleState, name)) for name in STATE_FIELDS},
    }
    if values.get("latitude") is not None:
        assignments |= {"latitude": values["latitude"], "longitude": values["longitude"], "position_at": values["ts"]}
    if values.get("dtcs") is not None:
        assignments["dtcs"] = values["dtcs"]
    result = session.execute(
        update(VehicleState).where(VehicleState.vehicle_id == vehicle_id, newer).values(assignments)
    )
    return bool(result.rowcount)


def get_state(session: Session, vehicle_id: int) -> VehicleState | None:
    return session.get(VehicleState, vehicle_id)


# --- fault codes ------------------------------------------------------------------------------------------


def open_fault_codes(session: Session, vehicle_id: int) -> set[str]:
    rows = session.scalars(
        select(FaultCodeInterval.code).where(
            FaultCodeInterval.vehicle_id == vehicle_id, FaultCodeInterval.closed_at.is_(None)
        )
    )
    return set(rows)


def open_fault_code(session: Session, vehicle_id: int, code: str, at: datetime) -> None:
    statement = _insert(session, FaultCodeInterval).on_conflict_do_nothing(
        index_elements=["vehicle_id", "code"], index_where=FaultCodeInterval.closed_at.is_(None)
    )
    session.execute(statement, [{"vehicle_id": vehicle_id, "code": code, "opened_at": at}])


def close_fault_code(session: Session, vehicle_id: int, code: str, at: datetime) -> None:
    session.execute(
        update(FaultCodeInterval)
        .where(
            FaultCodeInterval.vehicle_id == vehicle_id,
            FaultCodeInterval.code == code,
            FaultCodeInterval.closed_at.is_(None),
        )
        .values(closed_at=at)
    )


def fault_code_intervals(session: Session, vehicle_id: int, *, open_only: bool = False) -> Sequence[FaultCodeInterval]:
    statement = select(FaultCodeInterval).where(FaultCodeInterval.vehicle_id == vehicle_id)
    if open_only:
        statement = statement.where(FaultCodeInterval.closed_at.is_(None))
    return session.scalars(statement.order_by(FaultCodeInterval.opened_at.desc())).all()


# --- dead letters -----------------------------------------------------------------------------------------


def insert_dead_letters(session: Session, rows: Sequence[dict[str, Any]]) -> int:
    if not rows:
        return 0
    statement = _insert(session, DeadLetter).on_conflict_do_nothing(index_elements=["fingerprint"])
    return len(session.execute(statement.returning(DeadLetter.id), list(rows)).all())


def recent_dead_letters(session: Session, limit: int = 100) -> Sequence[DeadLetter]:
    return session.scalars(select(DeadLetter).order_by(DeadLetter.received_at.desc()).limit(limit)).all()


def count_dead_letters(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(DeadLetter))
