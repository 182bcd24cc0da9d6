"""Recall tables: campaigns and one notice per (campaign, VIN) — the unique key that makes "notified once" true
however many job runners look for affected cars at the same time."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from forecourt.core.clock import utcnow
from forecourt.core.db import Base, UTCDateTime


class RecallCampaign(Base):
    __tablename__ = "recall_campaigns"
    __table_args__ = (CheckConstraint("target_kind IN ('vins', 'vin_range', 'model_year')", name="target_kind_valid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)  # the maker's campaign number, e.g. "S-2026-031"
    title_en: Mapped[str] = mapped_column(String(200))
    title_zh: Mapped[str] = mapped_column(String(200))
    remedy_en: Mapped[str] = mapped_column(Text, default="")
    remedy_zh: Mapped[str] = mapped_column(Text, default="")
    target_kind: Mapped[str] = mapped_column(String(12))
    vins: Mapped[list[str]] = mapped_column(JSON, default=list)
    vin_from: Mapped[str] = mapped_column(String(17), default="")
    vin_to: Mapped[str] = mapped_column(String(17), default="")
    model_code: Mapped[str] = mapped_column(String(40), default="")
    year_from: Mapped[int | None] = mapped_column(Integer, nullable=True)
    year_to: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_by: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RecallNotice(Base):
    __tablename__ = "recall_notices"
    __table_args__ = (
        UniqueConstraint("campaign_id", "vin", name="uq_recall_notices_once"),
        Index("ix_recall_notices_vin", "vin"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("recall_campaigns.id", ondelete="CASCADE"))
    vin: Mapped[str] = mapped_column(String(17))
    owner_user_id: Mapped[int] = mapped_column(Integer)
    store_id: Mapped[int] = mapped_column(Integer)
    notified_at: Mapped[datetime] = mapped_column(UTCDateTime)
    fixed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    fixed_by_job: Mapped[str | None] = mapped_column(String(12), nullable=True)
