"""Service-booking tables: bays and advisors per store, job types with durations, and the jobs.

No two jobs in one bay at once: on PostgreSQL the migration adds an exclusion constraint over
(bay_id, [starts_at, ends_at)) for every row whose status holds the bay (btree_gist), exactly as test drives
hold cars; on SQLite the use case checks for an overlap inside a transaction begun IMMEDIATE (one writer at a time).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from forecourt.core.clock import utcnow
from forecourt.core.db import Base, Money, UTCDateTime


class JobStatus(StrEnum):
    HELD = "held"
    CONFIRMED = "confirmed"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


HOLDING_STATUSES = (JobStatus.HELD, JobStatus.CONFIRMED)  # the exclusion constraint's WHERE lists the same
OVERLAP_CONSTRAINT = "ex_service_jobs_no_overlap"


class JobKind(StrEnum):
    PERIODIC_SERVICE = "periodic_service"
    REPAIR = "repair"
    TYRES = "tyres"
    RECALL = "recall"


class ServiceBay(Base):
    __tablename__ = "service_bays"
    __table_args__ = (UniqueConstraint("store_id", "code", name="uq_service_bays_store_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(60))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class ServiceAdvisor(Base):
    __tablename__ = "service_advisors"
    __table_args__ = (UniqueConstraint("store_id", "name", name="uq_service_advisors_store_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    name: Mapped[str] = mapped_column(String(60))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class ServiceJobType(Base):
    __tablename__ = "service_job_types"
    __table_args__ = (CheckConstraint("minutes > 0 AND minutes <= 600", name="minutes_valid"),)

    code: Mapped[str] = mapped_column(String(20), primary_key=True)
    name_en: Mapped[str] = mapped_column(String(60))
    name_zh: Mapped[str] = mapped_column(String(60))
    minutes: Mapped[int] = mapped_column(Integer)


def _in(column: str, enum: type[StrEnum]) -> CheckConstraint:
    return CheckConstraint(f"{column} IN ({', '.join(repr(m.value) for m in enum)})", name=f"{column}_valid")


class ServiceJob(Base):
    __tablename__ = "service_jobs"
    __table_args__ = (
        _in("status", JobStatus),
        CheckConstraint("starts_at < ends_at", name="times_ordered"),
        CheckConstraint("drop_off_at <= starts_at AND pick_up_at >= ends_at", name="hand_over_around_work"),
        CheckConstraint("cost >= 0", name="cost_non_negative"),
        Index("ix_service_jobs_bay_time", "bay_id", "starts_at"),
        Index("ix_service_jobs_store_time", "store_id", "starts_at"),
        Index("ix_service_jobs_owner", "owner_user_id", "starts_at"),
        Index("ix_service_jobs_vin", "vin", "starts_at"),
        Index("ix_service_jobs_held", "status", "hold_expires_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(12), unique=True)
    vin: Mapped[str] = mapped_column(String(17))
    owner_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    bay_id: Mapped[int] = mapped_column(ForeignKey("service_bays.id"))
    advisor_id: Mapped[int | None] = mapped_column(ForeignKey("service_advisors.id"), nullable=True)
    job_type: Mapped[str] = mapped_column(ForeignKey("service_job_types.code"))
    recall_campaign_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    status: Mapped[str] = mapped_column(String(20), default=JobStatus.HELD.value)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)  # the bay is held over [starts_at, ends_at)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    drop_off_at: Mapped[datetime] = mapped_column(UTCDateTime)  # when the owner leaves the car
    pick_up_at: Mapped[datetime] = mapped_column(UTCDateTime)  # when it is ready for them
    hold_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    contact_email: Mapped[str] = mapped_column(String(254), default="")
    contact_mobile: Mapped[str] = mapped_column(String(11), default="")
    language: Mapped[str] = mapped_column(String(10), default="zh-Hans")
    notes: Mapped[str] = mapped_column(String(500), default="")
    # The courtesy car lent from drop-off to pick-up: a booking of the test-drive engine, known here by reference only.
    courtesy_loan_reference: Mapped[str | None] = mapped_column(String(12), nullable=True)
    odometer_km: Mapped[int | None] = mapped_column(Integer, nullable=True)
    work_done: Mapped[str] = mapped_column(Text, default="")
    parts: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    cost: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    next_due_km: Mapped[int | None] = mapped_column(Integer, nullable=True)
    next_due_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    completed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
