"""A shopper's verified driving licence. The ID number itself is never stored: only a mask for people and a
keyed hash (HMAC with the secret key) that recognises the same person across accounts."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from forecourt.core.clock import utcnow
from forecourt.core.db import Base, UTCDateTime


class DriverVerification(Base):
    __tablename__ = "driver_verifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    full_name: Mapped[str] = mapped_column(String(40))
    id_number_masked: Mapped[str] = mapped_column(String(18))
    id_number_digest: Mapped[str] = mapped_column(String(64), index=True)
    date_of_birth: Mapped[date] = mapped_column(Date)
    licence_class: Mapped[str] = mapped_column(String(4))
    licence_expiry: Mapped[date] = mapped_column(Date)
    verified: Mapped[bool] = mapped_column(Boolean, default=False)
    provider: Mapped[str] = mapped_column(String(40))
    provider_reference: Mapped[str] = mapped_column(String(80), default="")
    refusal_reasons: Mapped[str] = mapped_column(String(200), default="")  # comma-separated codes
    credit_score: Mapped[int | None] = mapped_column(Integer, nullable=True)
    credit_provider: Mapped[str] = mapped_column(String(40), default="")
    premium_member: Mapped[bool] = mapped_column(Boolean, default=False)
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
