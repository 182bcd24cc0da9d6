"""Payments taken through a provider (test-drive deposits now, order deposits later)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from forecourt.core.clock import utcnow
from forecourt.core.db import Base, Money, UTCDateTime


class Payment(Base):
    __tablename__ = "payments"
    __table_args__ = (
        CheckConstraint("status IN ('captured', 'partially_refunded', 'refunded')", name="status_valid"),
        CheckConstraint("amount > 0 AND refunded_amount >= 0 AND refunded_amount <= amount", name="amounts_valid"),
        UniqueConstraint("provider", "provider_reference", name="uq_payments_provider_reference"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(40))  # e.g. test_drive_deposit
    subject: Mapped[str] = mapped_column(String(40))  # what it pays for, e.g. a booking reference
    provider: Mapped[str] = mapped_column(String(40))
    provider_reference: Mapped[str] = mapped_column(String(80))
    amount: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(20), default="captured")
    refunded_amount: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    refund_reference: Mapped[str] = mapped_column(String(80), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
