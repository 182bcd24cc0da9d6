"""Every query of the telematics context.

Writes that must happen once whatever the concurrency are single statements the database arbitrates: samples
and dead letters are inserted with ON CONFLICT DO NOTHING on their keys, the latest state is an upsert that only
moves forward in time, and open fault-code intervals are unique per car and code. Both PostgreSQL and SQLite
speak this dialect of INSERT … ON CONFLICT, through SQLAlchemy's per-dialect insert constructs.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Insert, and_, bindparam, func, or_, select, text, update
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


SAMPLE_COLUMNS = (
    "vehicle_id",
    "seq",
    "ts",
    "received_at",
    "odometer_m",
    "latitude",
    "longitude",
    "speed_kmh",
    "fuel_pct",
    "charge_pct",
    "ignition",
    "dtcs",
    "signals",
)
_SAMPLE_RECORD = (
    "vehicle_id int, seq bigint, ts timestamptz, received_at timestamptz, odometer_m bigint, latitude float8, "
    "longitude float8, speed_kmh float8, fuel_pct float8, charge_pct float8, ignition text, dtcs json, signals json"
)
# PostgreSQL: the whole batch travels as one JSON document that the server unpacks with json_to_recordset into one
# INSERT. The statement text is the same whatever the batch size (planned once, parsed once by the driver), and
# the driver adapts one string instead of escaping thousands of values; a multi-row VALUES list or per-column
# arrays cost more to build and to adapt than the server took to insert them.
_INSERT_SAMPLES_POSTGRESQL = text(
    f"WITH new AS (INSERT INTO telemetry_samples ({', '.join(SAMPLE_COLUMNS)}) "
    f"SELECT {', '.join(SAMPLE_COLUMNS)} FROM json_to_recordset(CAST(:batch AS json)) AS batch({_SAMPLE_RECORD}) "
    "ON CONFLICT (vehicle_id, seq, ts) DO NOTHING RETURNING 1) SELECT count(*) FROM new"
)


def _batch_json(rows: Sequence[dict[str, Any]]) -> str:
    # orjson writes datetimes as RFC 3339 itself, several times faster than `json` calling back for each. What it
    # refuses (integers beyond 64 bits, nesting deeper than 254) the standard library writes as before. It writes a
    # non-finite float as null: only `json` decodes one (1e400, in a signal Forecourt keeps without interpreting),
    # and its `Infinity` is not JSON to PostgreSQL, which would refuse the whole batch again and again.
    try:
        return orjson.dumps(rows).decode()
    except orjson.JSONEncodeError:
        return json.dumps(list(rows), default=_isoformat, separators=(",", ":"))


def _isoformat(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")


def insert_samples(session: Session, rows: Sequence[dict[str, Any]]) -> int:
    """Insert-or-ignore on (vehicle, seq, ts); returns how many rows were new."""
    if not rows:
        return 0
    if is_postgresql(session):
        batch = _batch_json(rows)
        return session.execute(_INSERT_SAMPLES_POSTGRESQL, {"batch": batch}).scalar_one()
    # SQLite: one executemany of a prepared INSERT OR IGNORE, counted by the connection's change counter.
    connection = session.connection()
    before = connection.exec_driver_sql("SELECT total_changes()").scalar_one()
    connection.execute(sqlite.insert(TelemetrySample.__table__).prefix_with("OR IGNORE"), list(rows))
    return connection.exec_driver_sql("SELECT total_changes()").scalar_one() - before


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


def positions_between(session: Session, vehicle_id: int, start: datetime, end: datetime) -> list[tuple[float, float]]:
    """Only the fixes (latitude, longitude) of a window, in time order: a route needs nothing else of the rows."""
    rows = session.execute(
        select(TelemetrySample.latitude, TelemetrySample.longitude)
        .where(
            TelemetrySample.vehicle_id == vehicle_id,
            TelemetrySample.ts >= start,
            TelemetrySample.ts < end,
            TelemetrySample.latitude.is_not(None),
            TelemetrySample.longitude.is_not(None),
        )
        .order_by(TelemetrySample.ts, TelemetrySample.seq)
    )
    return [(latitude, longitude) for latitude, longitude in rows]


def count_samples_between(session: Session, vehicle_id: int, start: datetime, end: datetime) -> int:
    return session.scalar(
        select(func.count())
        .select_from(TelemetrySample)
        .where(TelemetrySample.vehicle_id == vehicle_id, TelemetrySample.ts >= start, TelemetrySample.ts < end)
    )


def daily_max_odometer(
    session: Session, vehicle_id: int, start: datetime, end: datetime, utc_offset_minutes: int
) -> list[tuple[str, int]]:
    """(local day as YYYY-MM-DD, highest odometer in metres that day) of a window, days ascending: one query
    grouped in the database, so a lease's three years of samples are never read row by row. The local day is the
    UTC time shifted by a fixed offset (the caller's zone's; China keeps one offset all year)."""
    if is_postgresql(session):
        shifted = TelemetrySample.ts + text(f"interval '{int(utc_offset_minutes)} minutes'")
        day = func.to_char(func.timezone("UTC", shifted), "YYYY-MM-DD")
    else:
        day = func.date(TelemetrySample.ts, f"{int(utc_offset_minutes):+d} minutes")
    rows = session.execute(
        select(day.label("day"), func.max(TelemetrySample.odometer_m))
        .where(
            TelemetrySample.vehicle_id == vehicle_id,
            TelemetrySample.ts >= start,
            TelemetrySample.ts < end,
            TelemetrySample.odometer_m.is_not(None),
        )
        .group_by(day)
        .order_by(day)
    )
    return [(str(d), int(metres)) for d, metres in rows]


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


def advance_states(session: Session, rows: Sequence[dict[str, Any]]) -> int:
    """Move each car's state to a newer sample, keeping what that sample did not report; never backwards.
    One executemany of one UPDATE (pipelined by psycopg, prepared by sqlite3); returns how many states moved."""
    if not rows:
        return 0
    statement = _advance_statement()
    parameters = [
        {"state_vehicle_id": row["vehicle_id"], **{f"new_{name}": row[name] for name in _STATE_PARAMETERS}}
        for row in rows
    ]
    result = session.connection().execute(statement, parameters)
    for row in rows:  # the Core UPDATE bypassed the ORM: states loaded in this session must be read again
        state = session.identity_map.get(session.identity_key(VehicleState, row["vehicle_id"]))
        if state is not None:
            session.expire(state)
    return result.rowcount if result.rowcount is not None and result.rowcount >= 0 else len(rows)


_KEPT_UNLESS_REPORTED = ("latitude", "longitude", "position_at", *STATE_FIELDS)
_STATE_PARAMETERS = ("ts", "seq", "updated_at", *_KEPT_UNLESS_REPORTED)


@functools.cache
def _advance_statement() -> Any:
    """Built once: constructing it took longer than the executemany it sends (every batch runs it)."""
    table = VehicleState.__table__
    columns = table.c

    def new(name: str) -> Any:
        return bindparam(f"new_{name}", type_=columns[name].type)

    newer = or_(columns.ts < new("ts"), and_(columns.ts == new("ts"), columns.seq < new("seq")))
    return (
        table.update()
        .where(columns.vehicle_id == bindparam("state_vehicle_id"), newer)
        .values(
            ts=new("ts"),
            seq=new("seq"),
            updated_at=new("updated_at"),
            **{name: func.coalesce(new(name), columns[name]) for name in _KEPT_UNLESS_REPORTED},
        )
    )


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
