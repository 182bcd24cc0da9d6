"""Servicing tables: the schedule table, services done, reminders sent and fault-code visits suggested.

Keyed by VIN and plain owner/store ids, not by ownership rows, so a car's service history survives a change of
owner. Exactly-once is the database's job: a reminder is one row per (VIN, service, stage) and a fault visit one
row per (VIN, code, the moment the fault opened), each inserted with ON CONFLICT DO NOTHING; only the transaction
whose insert took the row writes the outbox message, however many job runners race.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, CheckConstraint, Date, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from forecourt.core.clock import utcnow
from forecourt.core.db import Base, UTCDateTime

EVERY = ""  # an empty model code or powertrain: the plan is for every model or powertrain (NULL is not unique)


class ServiceSchedulePlan(Base):
    __tablename__ = "service_schedule_plans"
    __table_args__ = (
        UniqueConstraint("model_code", "powertrain", name="uq_service_schedule_plans_key"),
        CheckConstraint(
            "first_km > 0 AND every_km > 0 AND first_months > 0 AND every_months > 0", name="intervals_positive"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    model_code: Mapped[str] = mapped_column(String(40), default=EVERY)
    powertrain: Mapped[str] = mapped_column(String(10), default=EVERY)
    first_km: Mapped[int] = mapped_column(Integer)
    first_months: Mapped[int] = mapped_column(Integer)
    every_km: Mapped[int] = mapped_column(Integer)
    every_months: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ServiceRecord(Base):
    """A service done: what the next one counts from. `periodic` services reset the schedule; a repair does not."""

    __tablename__ = "service_records"
    __table_args__ = (Index("ix_service_records_vin_day", "vin", "done_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    vin: Mapped[str] = mapped_column(String(17))
    reference: Mapped[str] = mapped_column(String(20), unique=True)  # the service job's reference
    done_on: Mapped[date] = mapped_column(Date)
    odometer_km: Mapped[int] = mapped_column(Integer)
    periodic: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ServiceReminder(Base):
    __tablename__ = "service_reminders"
    __table_args__ = (
        UniqueConstraint("vin", "service_key", "stage", name="uq_service_reminders_once"),
        CheckConstraint("stage IN ('notice', 'soon', 'due')", name="stage_valid"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    vin: Mapped[str] = mapped_column(String(17))
    service_key: Mapped[str] = mapped_column(String(40))  # the service's counting point: "2026-03-01@12000"
    stage: Mapped[str] = mapped_column(String(10))
    owner_user_id: Mapped[int] = mapped_column(Integer)
    store_id: Mapped[int] = mapped_column(Integer)
    sent: Mapped[bool] = mapped_column(Boolean)  # False: passed over in one step, recorded but not sent late
    reached_at: Mapped[datetime] = mapped_column(UTCDateTime)


class FaultVisit(Base):
    __tablename__ = "service_fault_visits"
    __table_args__ = (UniqueConstraint("vin", "code", "fault_opened_at", name="uq_service_fault_visits_once"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    vin: Mapped[str] = mapped_column(String(17))
    code: Mapped[str] = mapped_column(String(5))
    fault_opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    owner_user_id: Mapped[int] = mapped_column(Integer)
    suggested_at: Mapped[datetime] = mapped_column(UTCDateTime)
