"""Ownership tables: who owns which car (history per VIN), the contract they hold it on, and the lease pace
warnings already sent.

One current ownership per VIN: the unique partial index `uq_ownerships_current_vin` over the VIN of the rows whose
status is `current`, on PostgreSQL and SQLite alike, so two staff registering the same car (or an order completing
while it is registered) cannot both succeed whatever the interleaving. A transfer ends the seller's row (flushed)
before it inserts the buyer's, inside one transaction.

Each pace warning is sent at most once per ownership and threshold: `lease_pace_warnings` has that pair as its
primary key and the job inserts with ON CONFLICT DO NOTHING, sending only for the rows it inserted.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Index, Integer, Numeric, String, text
from sqlalchemy.orm import Mapped, mapped_column

from forecourt.core.clock import utcnow
from forecourt.core.db import Base, Money, UTCDateTime


class OwnershipStatus(StrEnum):
    CURRENT = "current"
    TRANSFERRED = "transferred"  # sold privately: the buyer's ownership follows (previous_id)
    ENDED = "ended"  # returned at lease end, or sold back to the dealer


class OwnershipSource(StrEnum):
    ORDER = "order"  # a Forecourt order completed (the car was handed over)
    REGISTERED = "registered"  # staff registered a car sold outside Forecourt
    TRANSFER = "transfer"  # bought privately from the previous owner


class EndReason(StrEnum):
    TRANSFERRED = "transferred"
    RETURNED = "returned"
    SOLD_BACK = "sold_back"


CURRENT_SQL = "status = 'current'"


def _in(column: str, enum: type[StrEnum]) -> CheckConstraint:
    return CheckConstraint(f"{column} IN ({', '.join(repr(m.value) for m in enum)})", name=f"{column}_valid")


class Ownership(Base):
    __tablename__ = "ownerships"
    __table_args__ = (
        _in("status", OwnershipStatus),
        _in("source", OwnershipSource),
        CheckConstraint(
            "end_reason IS NULL OR end_reason IN ('transferred', 'returned', 'sold_back')", name="end_valid"
        ),
        CheckConstraint("start_odometer_km >= 0", name="odometer_non_negative"),
        Index(
            "uq_ownerships_current_vin",
            "vin",
            unique=True,
            postgresql_where=text(CURRENT_SQL),
            sqlite_where=text(CURRENT_SQL),
        ),
        Index("ix_ownerships_vin", "vin", "started_on"),
        Index("ix_ownerships_user", "user_id", "status"),
        Index("ix_ownerships_store", "store_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(12), unique=True)
    vin: Mapped[str] = mapped_column(String(17))
    vehicle_id: Mapped[int | None] = mapped_column(ForeignKey("vehicles.id"), nullable=True)  # None: not in stock here
    model_code: Mapped[str] = mapped_column(String(40))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))  # the owner
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))  # the selling or servicing store: staff scope
    status: Mapped[str] = mapped_column(String(12), default=OwnershipStatus.CURRENT.value)
    source: Mapped[str] = mapped_column(String(12))
    order_reference: Mapped[str | None] = mapped_column(String(12), nullable=True)
    previous_id: Mapped[int | None] = mapped_column(ForeignKey("ownerships.id"), nullable=True)
    started_on: Mapped[date] = mapped_column(Date)
    start_odometer_km: Mapped[int] = mapped_column(Integer)
    ended_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    end_reason: Mapped[str | None] = mapped_column(String(12), nullable=True)
    end_odometer_km: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class OwnershipContract(Base):
    """The terms the car is held on, copied when the ownership starts: every figure, the program version, and what
    regenerates the payment schedule exactly with finance.calc (ownership.records.contracts)."""

    __tablename__ = "ownership_contracts"
    __table_args__ = (
        CheckConstraint("product IN ('cash', 'loan', 'balloon', 'lease', 'lease_to_own')", name="product_valid"),
        CheckConstraint("term_months BETWEEN 0 AND 120", name="term_range"),
    )

    ownership_id: Mapped[int] = mapped_column(ForeignKey("ownerships.id"), primary_key=True)
    product: Mapped[str] = mapped_column(String(20))
    currency: Mapped[str] = mapped_column(String(3))
    price: Mapped[Decimal] = mapped_column(Money)  # the net price the figures are on
    down_payment: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    term_months: Mapped[int] = mapped_column(Integer, default=0)
    monthly_payment: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    annual_rate: Mapped[Decimal | None] = mapped_column(Numeric(9, 6), nullable=True)  # loans, lease-to-own
    money_factor: Mapped[Decimal | None] = mapped_column(Numeric(10, 8), nullable=True)  # leases
    balloon: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    fee: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))  # financed (loans) or capitalised (leases)
    residual_value: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))  # lease residual / 留购价
    disposition_fee: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    purchase_option_fee: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    annual_allowance_km: Mapped[int | None] = mapped_column(Integer, nullable=True)  # leases and lease-to-own
    excess_km_rate: Mapped[Decimal | None] = mapped_column(Numeric(6, 4), nullable=True)  # the rate it was sold with
    delivered_on: Mapped[date] = mapped_column(Date)
    delivery_odometer_km: Mapped[int] = mapped_column(Integer)
    quote_reference: Mapped[str | None] = mapped_column(String(12), nullable=True)
    program: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)  # the program version's snapshot
    figures: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # every figure as quoted or computed


class LeasePaceWarning(Base):
    """A pace threshold (10 or 20 % over) reached by a lease; `sent` says whether this row's warning went out
    (only the highest threshold reached at one evaluation is sent)."""

    __tablename__ = "lease_pace_warnings"
    __table_args__ = (CheckConstraint("threshold IN (10, 20)", name="threshold_valid"),)

    ownership_id: Mapped[int] = mapped_column(ForeignKey("ownerships.id"), primary_key=True)
    threshold: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    reached_at: Mapped[datetime] = mapped_column(UTCDateTime)
    projected_km: Mapped[int] = mapped_column(Integer)
    allowance_km: Mapped[int] = mapped_column(Integer)
    sent: Mapped[bool] = mapped_column(default=False)
