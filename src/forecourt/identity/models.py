"""A shopper's verified driving licence. The ID number itself is never stored: only a mask for people (first and
last character) and a keyed hash (HMAC with the secret key) that recognises the same person across accounts. The
name and the date of birth are AES-GCM tokens (core.crypto, bound to the row and field): together with the mask
they would narrow the ID number down to a few dozen candidates, so nothing of them stays in clear but the masked
name."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from forecourt.core.clock import utcnow
from forecourt.core.db import Base, UTCDateTime


class DriverVerification(Base):
    __tablename__ = "driver_verifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    full_name_enc: Mapped[str] = mapped_column(Text)
    full_name_masked: Mapped[str] = mapped_column(String(40))
    id_number_masked: Mapped[str] = mapped_column(String(18))
    id_number_digest: Mapped[str] = mapped_column(String(64), index=True)
    date_of_birth_enc: Mapped[str] = mapped_column(Text)  # the test-drive age rules decrypt it
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
