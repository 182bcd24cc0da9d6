"""API shapes of rentals (the fleet's: `mobility.fleet.schemas`)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from forecourt.core.params import Moment
from forecourt.testdrive.schemas import CheckOutIn, ReadingIn

_STRICT = ConfigDict(extra="forbid")
Code = Field(min_length=1, max_length=40, pattern=r"^[a-z0-9_-]+$")
PaymentToken = Field(min_length=1, max_length=64, description="Payment token; demo: demo-card-ok")


class RentalIn(BaseModel):
    model_config = _STRICT
    store: str = Code
    model: str = Code
    start: Moment
    end: Moment


class RentalConfirmIn(BaseModel):
    model_config = _STRICT
    payment_method: str | None = Field(None, min_length=1, max_length=64, description="Demo: demo-card-ok")


class RentalPayIn(BaseModel):
    model_config = _STRICT
    payment_method: str = PaymentToken


class RentalReturnIn(BaseModel):
    """Staff's return: the readings (or none, to take the car's own) and any damage charge."""

    model_config = _STRICT
    reading: ReadingIn | None = None
    damage_charge: Decimal = Field(Decimal("0.00"), ge=0, le=200_000, max_digits=9, decimal_places=2)


class QuoteOut(BaseModel):
    mobility_class: str
    class_name_en: str
    class_name_zh: str
    days: int
    hours: int
    time_charge: Decimal
    km_included: int
    per_km_over: Decimal
    deposit: Decimal
    currency: str
    cars: int


class BillLineOut(BaseModel):
    code: str
    quantity: int
    unit: str
    amount: Decimal


class RentalOut(BaseModel):
    reference: str
    status: str
    store: str
    mobility_class: str
    model: str
    model_name_en: str
    model_name_zh: str
    vin: str
    starts_at: datetime
    ends_at: datetime
    hold_expires_at: datetime | None
    currency: str
    time_charge: Decimal
    time_refunded: Decimal
    km_included: int
    deposit_kind: str
    deposit_reason: str
    deposit: Decimal
    deposit_refunded: Decimal
    odometer_out_km: int | None
    odometer_in_km: int | None
    bill: list[BillLineOut]
    extras: Decimal
    balance_due: Decimal
    pickup_code: str | None = None


__all__ = ["CheckOutIn", "ReadingIn"]
