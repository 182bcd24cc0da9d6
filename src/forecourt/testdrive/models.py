"""Test-drive tables: per-store settings and bookings.

No double booking: on PostgreSQL the migration adds an exclusion constraint over
(vehicle_id, [starts_at, blocks_until)) for every row whose status holds the vehicle; on SQLite the
service checks for an overlap inside a write transaction that began IMMEDIATE (one writer at a time).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from forecourt.core.clock import utcnow
from forecourt.core.db import Base, Money, UTCDateTime


class BookingStatus(StrEnum):
    HELD = "held"
    CONFIRMED = "confirmed"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"
    EXPIRED = "expired"


# The states that keep a vehicle from anyone else; the exclusion constraint's WHERE clause lists the same.
HOLDING_STATUSES = (BookingStatus.HELD, BookingStatus.CONFIRMED, BookingStatus.IN_PROGRESS)
HOLDING_SQL = "status IN ('held', 'confirmed', 'in_progress')"


class BookingPurpose(StrEnum):
    """Why a car is booked. Every use of a car is a row of this table (see `testdrive.reservations`), so that one
    exclusion constraint keeps test drives, courtesy loans (a service customer's car while theirs is in the
    workshop), rentals and subscription cars of one car apart; everything that speaks of test-drive shoppers (their
    lists, limits, reminders, the figures) reads test drives only."""

    TEST_DRIVE = "test_drive"
    COURTESY = "courtesy"
    RENTAL = "rental"
    SUBSCRIPTION = "subscription"


class DepositKind(StrEnum):
    NONE = "none"  # not decided yet (a hold)
    WAIVED = "waived"
    DEPOSIT = "deposit"


def _in(column: str, enum: type[StrEnum]) -> CheckConstraint:
    return CheckConstraint(f"{column} IN ({', '.join(repr(m.value) for m in enum)})", name=f"{column}_valid")


class TestDriveSettings(Base):
    """A store's test-drive policy (`testdrive.rules.StorePolicy` as JSON); stores without a row use defaults."""

    __tablename__ = "test_drive_settings"
    __test__ = False  # not a pytest class

    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"), primary_key=True)
    policy: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class TestDriveBooking(Base):
    __tablename__ = "test_drive_bookings"
    __test__ = False
    __table_args__ = (
        _in("status", BookingStatus),
        _in("deposit_kind", DepositKind),
        _in("purpose", BookingPurpose),
        CheckConstraint("kind IN ('accompanied', 'self_service')", name="kind_valid"),
        CheckConstraint("starts_at < ends_at AND ends_at <= blocks_until", name="times_ordered"),
        CheckConstraint("deposit_amount >= 0 AND late_fee >= 0", name="amounts_non_negative"),
        Index("ix_test_drive_bookings_vehicle_time", "vehicle_id", "starts_at"),
        Index("ix_test_drive_bookings_store_time", "store_id", "starts_at"),
        Index("ix_test_drive_bookings_shopper", "shopper_user_id", "starts_at"),
        Index("ix_test_drive_bookings_ip_created", "client_ip", "created_at"),
        Index("ix_test_drive_bookings_held", "status", "hold_expires_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(12), unique=True)  # shown to people and used in URLs
    shopper_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    vehicle_id: Mapped[int] = mapped_column(ForeignKey("vehicles.id"))
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    model_id: Mapped[int] = mapped_column(ForeignKey("vehicle_models.id"))
    kind: Mapped[str] = mapped_column(String(20))  # a courtesy loan is self_service: the borrower drives alone
    purpose: Mapped[str] = mapped_column(String(12), default=BookingPurpose.TEST_DRIVE.value)
    status: Mapped[str] = mapped_column(String(20), default=BookingStatus.HELD.value)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)  # drive end (self-service: the return deadline)
    blocks_until: Mapped[datetime] = mapped_column(UTCDateTime)  # ends_at + the store's buffer
    hold_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    salesperson_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    client_ip: Mapped[str] = mapped_column(String(45), default="")
    contact_mobile: Mapped[str] = mapped_column(String(11), default="")
    contact_email: Mapped[str] = mapped_column(String(254), default="")
    language: Mapped[str] = mapped_column(String(10), default="zh-Hans")

    deposit_kind: Mapped[str] = mapped_column(String(10), default=DepositKind.NONE.value)
    deposit_reason: Mapped[str] = mapped_column(String(40), default="")
    deposit_amount: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    credit_score: Mapped[int | None] = mapped_column(Integer, nullable=True)
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id"), nullable=True)

    # Only an HMAC of the pick-up code is kept; the code itself goes to the shopper once.
    pickup_code_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    pickup_code_failures: Mapped[int] = mapped_column(Integer, default=0)

    checked_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    checked_out_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    odometer_out_km: Mapped[int | None] = mapped_column(Integer, nullable=True)
    energy_out_percent: Mapped[int | None] = mapped_column(Integer, nullable=True)
    damage_out: Mapped[str] = mapped_column(Text, default="")
    photos_out: Mapped[list[str]] = mapped_column(JSON, default=list)
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    checked_in_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    odometer_in_km: Mapped[int | None] = mapped_column(Integer, nullable=True)
    energy_in_percent: Mapped[int | None] = mapped_column(Integer, nullable=True)
    damage_in: Mapped[str] = mapped_column(Text, default="")
    photos_in: Mapped[list[str]] = mapped_column(JSON, default=list)
    late_fee: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    refunded_amount: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))

    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    cancel_reason: Mapped[str] = mapped_column(String(200), default="")
    reminder_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    follow_up_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
