"""Finance tables: providers and their rate programs and residual tables, stored quotes, credit
applications (personal data encrypted field by field), consents and orders.

One order per VIN: a unique partial index over the vehicle for orders that hold it (reserved, confirmed),
on both PostgreSQL and SQLite.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from forecourt.core.clock import utcnow
from forecourt.core.db import Base, Money, UTCDateTime


class Product(StrEnum):
    CASH = "cash"
    LOAN = "loan"
    BALLOON = "balloon"
    LEASE = "lease"
    LEASE_TO_OWN = "lease_to_own"


class ApplicationStatus(StrEnum):
    APPROVED = "approved"
    CONDITIONAL = "conditional"
    DECLINED = "declined"
    MANUAL_REVIEW = "manual_review"
    WITHDRAWN = "withdrawn"


class OrderStatus(StrEnum):
    RESERVED = "reserved"  # deposit paid, the car is held for the buyer
    CONFIRMED = "confirmed"  # contract signed (cash, or finance approved)
    COMPLETED = "completed"  # delivered
    CANCELLED = "cancelled"


DEFAULT_EXCESS_KM_RATE = Decimal("0.50")  # CNY per km: the fixed figure every lease used before the column
HOLDING_ORDER_SQL = "status IN ('reserved', 'confirmed')"


def _in(column: str, enum: type[StrEnum], name: str | None = None) -> CheckConstraint:
    return CheckConstraint(f"{column} IN ({', '.join(repr(m.value) for m in enum)})", name=name or f"{column}_valid")


class FinanceProvider(Base):
    __tablename__ = "finance_providers"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name_en: Mapped[str] = mapped_column(String(120))
    name_zh: Mapped[str] = mapped_column(String(120))
    # finance.credit.underwriting.RuleSet.to_mapping(); empty means RuleSet.china_default()
    underwriting_rules: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    bureau: Mapped[str] = mapped_column(String(40), default="demo-bureau")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RateProgram(Base):
    """One row per version: editing a program adds a version and retires the old one, so a stored quote
    always points at the exact terms it was made with."""

    __tablename__ = "rate_programs"
    __table_args__ = (
        CheckConstraint("product IN ('loan', 'balloon', 'lease', 'lease_to_own')", name="product_valid"),
        CheckConstraint("term_months BETWEEN 1 AND 120", name="term_range"),
        CheckConstraint("annual_rate >= 0 AND annual_rate < 1", name="rate_range"),
        CheckConstraint("valid_from <= valid_to", name="validity_ordered"),
        UniqueConstraint("provider_id", "code", "version", name="uq_rate_programs_code_version"),
        Index("ix_rate_programs_lookup", "provider_id", "product", "term_months", "is_current"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("finance_providers.id"))
    code: Mapped[str] = mapped_column(String(60))
    version: Mapped[int] = mapped_column(Integer, default=1)
    is_current: Mapped[bool] = mapped_column(Boolean, default=True)
    product: Mapped[str] = mapped_column(String(20))
    name_en: Mapped[str] = mapped_column(String(120))
    name_zh: Mapped[str] = mapped_column(String(120))
    model_code: Mapped[str | None] = mapped_column(String(40), nullable=True)  # None: every model
    trim_code: Mapped[str | None] = mapped_column(String(60), nullable=True)  # None: every trim of the model
    term_months: Mapped[int] = mapped_column(Integer)
    credit_tier: Mapped[str] = mapped_column(String(10), default="*")  # "A", "B", "C" or "*" for any tier
    annual_rate: Mapped[Decimal] = mapped_column(Numeric(9, 6))  # customer rate (after any subvention)
    money_factor: Mapped[Decimal | None] = mapped_column(Numeric(10, 8), nullable=True)  # leases
    subvention_rate: Mapped[Decimal] = mapped_column(Numeric(9, 6), default=Decimal("0"))  # buy-down, informational
    subvention_by: Mapped[str] = mapped_column(String(10), default="")  # "", "dealer" or "oem"
    min_down_percent: Mapped[Decimal] = mapped_column(Numeric(5, 4), default=Decimal("0"))
    max_balloon_percent: Mapped[Decimal] = mapped_column(Numeric(5, 4), default=Decimal("0"))
    fee: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))  # documentation / acquisition fee
    cash_rebate: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    purchase_price: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))  # lease-to-own buy-out
    disposition_fee: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))  # lease end
    # Per km over a lease's allowance; each lease contract keeps the rate it was sold with (ownership_contracts).
    excess_km_rate: Mapped[Decimal] = mapped_column(
        Numeric(6, 4), default=DEFAULT_EXCESS_KM_RATE, server_default=text("0.5")
    )
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)


class ResidualValue(Base):
    __tablename__ = "residual_values"
    __table_args__ = (
        CheckConstraint("residual_percent > 0 AND residual_percent < 1", name="percent_range"),
        UniqueConstraint("provider_id", "model_code", "term_months", "annual_mileage", name="uq_residual_values_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("finance_providers.id"))
    model_code: Mapped[str] = mapped_column(String(40))
    term_months: Mapped[int] = mapped_column(Integer)
    annual_mileage: Mapped[int] = mapped_column(Integer)  # kilometres a year
    residual_percent: Mapped[Decimal] = mapped_column(Numeric(6, 4))


class Quote(Base):
    """A quote as shown to a person: every input, the program version, the figures and the disclosure."""

    __tablename__ = "quotes"
    __table_args__ = (
        _in("product", Product),
        Index("ix_quotes_user_created", "user_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(12), unique=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    vehicle_id: Mapped[int] = mapped_column(ForeignKey("vehicles.id"))
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    product: Mapped[str] = mapped_column(String(20))
    program_id: Mapped[int | None] = mapped_column(ForeignKey("rate_programs.id"), nullable=True)  # None: cash
    price: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))
    monthly_payment: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    inputs: Mapped[dict[str, Any]] = mapped_column(JSON)
    figures: Mapped[dict[str, Any]] = mapped_column(JSON)
    disclosure: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)

    def usable_by(self, user_id: int | None) -> bool:
        """Whether this person may apply for credit or reserve from the quote: its shopper, or anyone for a quote
        made signed out (the first to reserve claims it; only its maker has seen the reference). Staff who may
        read a shopper's quote may not act on it; the quote page offers its actions by this same rule."""
        return self.user_id is None or self.user_id == user_id


class CreditApplication(Base):
    """Personal data is stored only as core.crypto tokens (`*_enc`, bound to the row and field), plus masks
    and bands for lists; `id_number_index` is a keyed digest to find the same person without decrypting."""

    __tablename__ = "credit_applications"
    __table_args__ = (
        CheckConstraint("kind IN ('prequalification', 'application')", name="kind_valid"),
        CheckConstraint(
            "status IN ('approved', 'conditional', 'declined', 'manual_review', 'withdrawn')", name="status_valid"
        ),
        CheckConstraint("id_type IN ('resident_id', 'passport')", name="id_type_valid"),
        Index("ix_credit_applications_store_status", "store_id", "status"),
        Index("ix_credit_applications_user", "user_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(12), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    vehicle_id: Mapped[int] = mapped_column(ForeignKey("vehicles.id"))
    quote_id: Mapped[int] = mapped_column(ForeignKey("quotes.id"))
    provider_id: Mapped[int] = mapped_column(ForeignKey("finance_providers.id"))
    status: Mapped[str] = mapped_column(String(20))
    full_name_enc: Mapped[str] = mapped_column(Text)
    full_name_masked: Mapped[str] = mapped_column(String(40))
    id_type: Mapped[str] = mapped_column(String(12))
    id_number_enc: Mapped[str] = mapped_column(Text)
    id_number_masked: Mapped[str] = mapped_column(String(24))
    id_number_index: Mapped[str] = mapped_column(String(64), index=True)
    date_of_birth_enc: Mapped[str] = mapped_column(Text)
    address_enc: Mapped[str] = mapped_column(Text)
    employer_enc: Mapped[str] = mapped_column(Text)
    employment_months: Mapped[int] = mapped_column(Integer)
    monthly_income_enc: Mapped[str] = mapped_column(Text)
    monthly_housing_enc: Mapped[str] = mapped_column(Text)
    monthly_debts_enc: Mapped[str] = mapped_column(Text)
    income_band: Mapped[str] = mapped_column(String(40))  # core.masking.mask_amount_band, for staff lists
    credit_score: Mapped[int | None] = mapped_column(Integer, nullable=True)
    bureau: Mapped[str] = mapped_column(String(40), default="")
    bureau_reference: Mapped[str] = mapped_column(String(80), default="")
    # outcome, tier, payment, LTV, deal, reason and stipulation codes: finance.credit.decisions.split
    decision: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    decision_private_enc: Mapped[str | None] = mapped_column(Text, nullable=True)  # PTI, DTI, figures from income
    adverse_action_notice: Mapped[str | None] = mapped_column(Text, nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)  # None: automatic
    override_reason: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Consent(Base):
    __tablename__ = "consents"
    __table_args__ = (
        CheckConstraint(
            "purpose IN ('credit_check', 'prequalification', 'share_with_provider', 'marketing')", name="purpose_valid"
        ),
        Index("ix_consents_user_purpose", "user_id", "purpose", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    application_id: Mapped[int | None] = mapped_column(ForeignKey("credit_applications.id"), nullable=True)
    purpose: Mapped[str] = mapped_column(String(30))
    granted: Mapped[bool] = mapped_column(Boolean)
    text_version: Mapped[str] = mapped_column(String(20))  # which wording the person agreed to
    ip: Mapped[str] = mapped_column(String(45), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (
        _in("status", OrderStatus),
        CheckConstraint("deposit_amount >= 0 AND refunded_amount >= 0", name="amounts_non_negative"),
        # One order holding a vehicle at a time, whatever the application does.
        Index(
            "uq_orders_holding_vehicle",
            "vehicle_id",
            unique=True,
            postgresql_where=text(HOLDING_ORDER_SQL),
            sqlite_where=text(HOLDING_ORDER_SQL),
        ),
        Index("ix_orders_user", "user_id", "created_at"),
        Index("ix_orders_store_status", "store_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(12), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    vehicle_id: Mapped[int] = mapped_column(ForeignKey("vehicles.id"))
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    quote_id: Mapped[int | None] = mapped_column(ForeignKey("quotes.id"), nullable=True)
    application_id: Mapped[int | None] = mapped_column(ForeignKey("credit_applications.id"), nullable=True)
    product: Mapped[str] = mapped_column(String(20), default=Product.CASH.value)
    status: Mapped[str] = mapped_column(String(20), default=OrderStatus.RESERVED.value)
    price: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))
    deposit_amount: Mapped[Decimal] = mapped_column(Money)
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id"), nullable=True)
    refunded_amount: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    cancel_reason: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
