"""Tables of the telematics context: car credentials, samples, latest state, fault-code intervals, dead letters.

`telemetry_samples` is the big one: on PostgreSQL it is partitioned by month of `ts` (the migration creates the
parent; the ingest creates a month's partition the first time a sample of that month arrives), so retention
drops whole partitions instead of deleting rows (Traccar #5065). Its key is (vehicle, seq, ts): a partitioned
table's unique key must contain the partition column, and a redelivered sample repeats its `ts`, so the key
stores each sample once however often the broker delivers it (a car that reuses a counter value for another
moment in time is a different sample).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from forecourt.core.db import Base, UTCDateTime


class CarCredential(Base):
    """A car's MQTT identity: its username is its VIN; only a hash the broker can check is kept."""

    __tablename__ = "telematics_credentials"

    vehicle_id: Mapped[int] = mapped_column(ForeignKey("vehicles.id", ondelete="CASCADE"), primary_key=True)
    username: Mapped[str] = mapped_column(String(17), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))  # Mosquitto's PBKDF2-SHA512 format ($7$…)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    rotated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class TelemetrySample(Base):
    __tablename__ = "telemetry_samples"

    vehicle_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    ts: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    odometer_m: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    latitude: Mapped[float | None] = mapped_column(Float, nullable=True)
    longitude: Mapped[float | None] = mapped_column(Float, nullable=True)
    speed_kmh: Mapped[float | None] = mapped_column(Float, nullable=True)
    fuel_pct: Mapped[float | None] = mapped_column(Float, nullable=True)
    charge_pct: Mapped[float | None] = mapped_column(Float, nullable=True)
    ignition: Mapped[str | None] = mapped_column(String(10), nullable=True)
    dtcs: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    signals: Mapped[dict[str, object]] = mapped_column(JSON)

    __table_args__ = (Index("ix_telemetry_samples_vehicle_ts", "vehicle_id", "ts"),)


class VehicleState(Base):
    """The newest thing each car said. It only moves forward in time: a late sample never overwrites it."""

    __tablename__ = "vehicle_states"

    vehicle_id: Mapped[int] = mapped_column(ForeignKey("vehicles.id", ondelete="CASCADE"), primary_key=True)
    ts: Mapped[datetime] = mapped_column(UTCDateTime)
    seq: Mapped[int] = mapped_column(BigInteger)
    odometer_m: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    latitude: Mapped[float | None] = mapped_column(Float, nullable=True)
    longitude: Mapped[float | None] = mapped_column(Float, nullable=True)
    position_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    speed_kmh: Mapped[float | None] = mapped_column(Float, nullable=True)
    fuel_pct: Mapped[float | None] = mapped_column(Float, nullable=True)
    charge_pct: Mapped[float | None] = mapped_column(Float, nullable=True)
    ignition: Mapped[str | None] = mapped_column(String(10), nullable=True)
    dtcs: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class FaultCodeInterval(Base):
    """A diagnostic trouble code from the sample that first reported it to the first that no longer did."""

    __tablename__ = "fault_code_intervals"
    __table_args__ = (
        # At most one open interval per car and code, whatever the concurrency of the ingest workers.
        Index(
            "uq_fault_code_intervals_open",
            "vehicle_id",
            "code",
            unique=True,
            postgresql_where=text("closed_at IS NULL"),
            sqlite_where=text("closed_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    vehicle_id: Mapped[int] = mapped_column(ForeignKey("vehicles.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(5))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class DeadLetter(Base):
    """A message or sample the ingest refused, with its reason; stored once per (message, sample index)."""

    __tablename__ = "telemetry_dead_letters"

    id: Mapped[int] = mapped_column(primary_key=True)
    # sha256 of topic, payload and sample index: a redelivered bad message is one dead letter, not several
    fingerprint: Mapped[str] = mapped_column(String(64), unique=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    topic: Mapped[str] = mapped_column(String(200))
    vin: Mapped[str | None] = mapped_column(String(17), nullable=True)
    code: Mapped[str] = mapped_column(String(30))
    detail: Mapped[str] = mapped_column(Text)
    sample_index: Mapped[int | None] = mapped_column(Integer, nullable=True)
    payload: Mapped[bytes] = mapped_column(LargeBinary)  # the first 4 KiB as received
    payload_bytes: Mapped[int] = mapped_column(Integer)
