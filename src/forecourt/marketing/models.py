"""Marketing tables: campaigns and their daily spend, visitors (consent, sign-in stitching), events.

A visitor id is the anonymous first-party id of a browser; when the visitor signs in, the visitor row
gets the user id, and every event of that visitor (before and after) counts towards that person. Events
are stored once per event id, whoever sends them twice.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from forecourt.core.clock import utcnow
from forecourt.core.db import Base, Money, UTCDateTime
from forecourt.marketing.vocabulary import CHANNELS, CONSENT_STATES, EVENT_SOURCES, EVENT_TYPES, sql_in


class Campaign(Base):
    __tablename__ = "marketing_campaigns"
    __table_args__ = (
        CheckConstraint(f"channel IN ({sql_in(CHANNELS)})", name="channel_valid"),
        CheckConstraint("budget >= 0", name="budget_not_negative"),
        CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name="dates_ordered"),
        UniqueConstraint("utm_source", "utm_medium", "utm_campaign", name="uq_marketing_campaigns_utm"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(20))
    utm_source: Mapped[str] = mapped_column(String(100))
    utm_medium: Mapped[str] = mapped_column(String(100))
    utm_campaign: Mapped[str] = mapped_column(String(100))
    budget: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    target_models: Mapped[list[str]] = mapped_column(JSON, default=list)  # model codes; empty = all
    target_cities: Mapped[list[str]] = mapped_column(JSON, default=list)  # city names; empty = all
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class CampaignSpend(Base):
    """What a campaign cost on one day; a re-import of the same day replaces the amount."""

    __tablename__ = "marketing_campaign_spend"
    __table_args__ = (
        UniqueConstraint("campaign_id", "day", name="uq_marketing_campaign_spend_day"),
        CheckConstraint("amount >= 0", name="amount_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("marketing_campaigns.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(Money)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Visitor(Base):
    __tablename__ = "marketing_visitors"
    __table_args__ = (
        CheckConstraint(f"consent IS NULL OR consent IN ({sql_in(CONSENT_STATES)})", name="consent_valid"),
    )

    visitor_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True, index=True)
    consent: Mapped[str | None] = mapped_column(String(10), nullable=True)
    consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    stitched_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class MarketingEvent(Base):
    """One touch, engagement or conversion. `channel` is set on touches (from the campaign, else the UTM
    medium or referrer); conversions carry the value of an order and the store, city and model involved."""

    __tablename__ = "marketing_events"
    __table_args__ = (
        CheckConstraint(f"type IN ({sql_in(EVENT_TYPES)})", name="type_valid"),
        CheckConstraint(f"channel IS NULL OR channel IN ({sql_in(CHANNELS)})", name="channel_valid"),
        CheckConstraint(f"source IN ({sql_in(EVENT_SOURCES)})", name="source_valid"),
        CheckConstraint("visitor_id IS NOT NULL OR user_id IS NOT NULL", name="has_person"),
        CheckConstraint("value IS NULL OR value >= 0", name="value_not_negative"),
        Index("ix_marketing_events_type_occurred_at", "type", "occurred_at"),
        Index("ix_marketing_events_visitor_occurred_at", "visitor_id", "occurred_at"),
        Index("ix_marketing_events_user_occurred_at", "user_id", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(String(64), unique=True)
    type: Mapped[str] = mapped_column(String(30))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    source: Mapped[str] = mapped_column(String(10))
    visitor_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    channel: Mapped[str | None] = mapped_column(String(20), nullable=True)
    campaign_id: Mapped[int | None] = mapped_column(
        ForeignKey("marketing_campaigns.id", ondelete="SET NULL"), nullable=True, index=True
    )
    model_code: Mapped[str | None] = mapped_column(String(40), nullable=True)
    city: Mapped[str | None] = mapped_column(String(60), nullable=True)
    store_code: Mapped[str | None] = mapped_column(String(40), nullable=True)
    subject: Mapped[str | None] = mapped_column(String(40), nullable=True)  # booking/application/order ref
    value: Mapped[Decimal | None] = mapped_column(Money, nullable=True)
