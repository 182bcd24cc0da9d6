"""Mobility tables: model classes, rental plans and rentals, subscription plans, subscriptions, their segments and
invoices.

A rental's time and car are a reservation of the fleet's one reservation table (`testdrive.reservations`, purpose
'rental'), so the exclusion constraint that keeps test drives apart keeps rentals, subscriptions and test drives of
one car apart too. This table keeps what only a rental has: the plan's rates as they were when it was booked, the
prepaid time charge, and the bill at return.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from forecourt.core.clock import utcnow
from forecourt.core.db import Base, Money, UTCDateTime


class MobilityClass(Base):
    """A class of models priced alike (compact, SUV, large): rental and subscription plans are per class."""

    __tablename__ = "mobility_classes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name_en: Mapped[str] = mapped_column(String(60))
    name_zh: Mapped[str] = mapped_column(String(60))
    model_codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    rank: Mapped[int] = mapped_column(Integer, default=0)  # display order, smallest class first


class RentalPlan(Base):
    """A class's rental rates (`mobility.billing.RentalRates`) and deposit: one plan per class, group-wide."""

    __tablename__ = "rental_plans"
    __table_args__ = (
        CheckConstraint("hourly > 0 AND daily > 0", name="rates_positive"),
        CheckConstraint(
            "per_km_over >= 0 AND late_per_hour >= 0 AND energy_per_percent >= 0 AND deposit >= 0",
            name="amounts_non_negative",
        ),
        CheckConstraint(
            "km_per_hour >= 0 AND km_per_day >= 0 AND late_grace_minutes >= 0 AND free_cancel_hours >= 0",
            name="counts_non_negative",
        ),
        CheckConstraint("late_cancel_keep_percent BETWEEN 0 AND 100", name="keep_percent_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    class_id: Mapped[int] = mapped_column(ForeignKey("mobility_classes.id"), unique=True)
    hourly: Mapped[Decimal] = mapped_column(Money)
    daily: Mapped[Decimal] = mapped_column(Money)
    km_per_hour: Mapped[int] = mapped_column(Integer)
    km_per_day: Mapped[int] = mapped_column(Integer)
    per_km_over: Mapped[Decimal] = mapped_column(Money)
    late_per_hour: Mapped[Decimal] = mapped_column(Money)
    late_grace_minutes: Mapped[int] = mapped_column(Integer)
    energy_per_percent: Mapped[Decimal] = mapped_column(Money)
    deposit: Mapped[Decimal] = mapped_column(Money)
    free_cancel_hours: Mapped[int] = mapped_column(Integer)
    late_cancel_keep_percent: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Rental(Base):
    __tablename__ = "rentals"
    __table_args__ = (
        CheckConstraint(
            "time_charge >= 0 AND extras >= 0 AND balance_due >= 0 AND time_refunded >= 0", name="amounts_non_negative"
        ),
        Index("ix_rentals_renter", "renter_user_id", "created_at"),
        Index("ix_rentals_store", "store_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(12), unique=True)  # the reservation's reference
    renter_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    class_id: Mapped[int] = mapped_column(ForeignKey("mobility_classes.id"))
    rates: Mapped[dict[str, Any]] = mapped_column(JSON)  # the plan's rates when booked: later changes don't apply
    time_charge: Mapped[Decimal] = mapped_column(Money)
    km_included: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    time_payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id"), nullable=True)
    time_refunded: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    bill: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # the lines at return
    extras: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))  # the bill beyond the time charge
    balance_due: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))  # extras the deposit did not cover
    balance_payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id"), nullable=True)
    returned_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class SubscriptionPlan(Base):
    """A class's monthly subscription terms (`mobility.billing.ClassTerms`): one plan per class, group-wide. The
    family's shared terms (rollover cap, minimum term, swap fee, notice, pause fee, purchase credit) are
    `mobility.subscriptions.terms.FAMILY`."""

    __tablename__ = "subscription_plans"
    __table_args__ = (
        CheckConstraint("monthly_price > 0 AND per_km_over >= 0", name="amounts_valid"),
        CheckConstraint("km_per_month >= 0", name="km_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    class_id: Mapped[int] = mapped_column(ForeignKey("mobility_classes.id"), unique=True)
    monthly_price: Mapped[Decimal] = mapped_column(Money)
    km_per_month: Mapped[int] = mapped_column(Integer)
    per_km_over: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")


class Subscription(Base):
    __tablename__ = "subscriptions"
    __table_args__ = (
        CheckConstraint("status IN ('active', 'paused', 'ending', 'ended', 'converted')", name="status_valid"),
        CheckConstraint("km_carried >= 0", name="km_carried_non_negative"),
        CheckConstraint(
            "(handover = 'pickup' AND delivery_address_enc IS NULL) "
            "OR (handover = 'delivery' AND delivery_address_enc IS NOT NULL)",
            name="handover_valid",
        ),
        Index("ix_subscriptions_subscriber", "subscriber_user_id"),
        Index("ix_subscriptions_status", "status", "billed_until"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(12), unique=True)
    subscriber_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    status: Mapped[str] = mapped_column(String(10), default="active")
    started_on: Mapped[date] = mapped_column(Date)  # the first day; periods run month by month from it
    minimum_until: Mapped[date] = mapped_column(Date)  # the minimum term's last day
    ends_on: Mapped[date | None] = mapped_column(Date, nullable=True)  # the last day, once notice is given
    billed_until: Mapped[date | None] = mapped_column(Date, nullable=True)  # the last day invoiced
    km_carried: Mapped[int] = mapped_column(Integer, default=0)  # unused km rolled into the next period
    payment_method: Mapped[str] = mapped_column(String(64))  # the provider's reusable token for monthly billing
    credit_score: Mapped[int | None] = mapped_column(Integer, nullable=True)
    decision: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # the credit check's reasons
    handover: Mapped[str] = mapped_column(String(8), default="pickup")  # the first car: 'pickup' or 'delivery'
    delivery_address_enc: Mapped[str | None] = mapped_column(Text, nullable=True)  # FieldCipher, for 'delivery'
    # Bought by the subscriber (status 'converted'): the order that sells them the car, and the purchase credit in it.
    conversion_order_reference: Mapped[str | None] = mapped_column(String(12), nullable=True)
    conversion_credit: Mapped[Decimal | None] = mapped_column(Money, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class SubscriptionSegment(Base):
    """The days a subscription spent in one class with one car (a swap starts a new one), or paused (no car)."""

    __tablename__ = "subscription_segments"
    __table_args__ = (
        CheckConstraint("last_day IS NULL OR last_day >= first_day", name="days_ordered"),
        CheckConstraint("swap_fee >= 0", name="swap_fee_non_negative"),
        Index("ix_subscription_segments_subscription", "subscription_id", "first_day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("subscriptions.id"))
    class_id: Mapped[int] = mapped_column(ForeignKey("mobility_classes.id"))
    reservation_reference: Mapped[str | None] = mapped_column(String(12), nullable=True)  # None while paused
    first_day: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date | None] = mapped_column(Date, nullable=True)  # None: still running
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    swap_fee: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))  # the fee of the swap that began it


class SubscriptionInvoice(Base):
    """One billing period's invoice; the unique key makes each period billed once, whichever worker gets there."""

    __tablename__ = "subscription_invoices"
    __table_args__ = (
        UniqueConstraint("subscription_id", "period_first_day", name="uq_subscription_invoices_period"),
        CheckConstraint("total >= 0", name="total_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("subscriptions.id"))
    period_first_day: Mapped[date] = mapped_column(Date)
    period_last_day: Mapped[date] = mapped_column(Date)
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    total: Mapped[Decimal] = mapped_column(Money)
    km_driven: Mapped[int] = mapped_column(Integer)
    km_carried_out: Mapped[int] = mapped_column(Integer)
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
