"""API shapes of the test-drive context."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from forecourt.core.params import Moment
from forecourt.testdrive.availability import DriveKind

_STRICT = ConfigDict(extra="forbid")
ReferenceText = Field(min_length=10, max_length=10, pattern=r"^[A-Za-z0-9]+$")


class HoldIn(BaseModel):
    model_config = _STRICT
    kind: DriveKind = DriveKind.ACCOMPANIED
    start: Moment = Field(description="Slot start with its UTC offset, as listed by /availability")
    minutes: int = Field(60, ge=15, le=240, description="Accompanied drives: 30 or 60 (per store)")
    days: int = Field(1, ge=1, le=3, description="Self-service drives: 1 to 3")
    vin: str | None = Field(None, min_length=17, max_length=17)
    model: str | None = Field(None, min_length=1, max_length=40, description="Any car of this model (with store)")
    store: str | None = Field(None, min_length=1, max_length=40)

    @model_validator(mode="after")
    def _one_car(self) -> HoldIn:
        if not self.vin and not (self.model and self.store):
            raise ValueError("give a vin, or a model and a store")
        return self


class ConfirmIn(BaseModel):
    model_config = _STRICT
    payment_method: str | None = Field(
        None, min_length=1, max_length=64, description="Payment token for the deposit; demo: demo-card-ok"
    )


class CancelIn(BaseModel):
    model_config = _STRICT
    reason: str = Field("", max_length=200)


class RescheduleIn(BaseModel):
    model_config = _STRICT
    start: Moment


class ReadingIn(BaseModel):
    model_config = _STRICT
    odometer_km: int = Field(ge=0, le=2_000_000)
    energy_percent: int = Field(ge=0, le=100, description="Fuel or charge level")
    damage_notes: str = Field("", max_length=2000)
    photo_urls: list[str] = Field(default_factory=list, max_length=20)


class CheckOutIn(ReadingIn):
    pickup_code: str | None = Field(None, min_length=1, max_length=12, description="Self-service only")


class DepositOut(BaseModel):
    kind: Literal["none", "waived", "deposit"]
    amount: Decimal
    currency: str
    reason: str


class BookingOut(BaseModel):
    reference: str
    status: str
    kind: str
    vin: str
    model: str
    model_name_en: str
    model_name_zh: str
    store: str
    store_name_en: str
    store_name_zh: str
    starts_at: datetime
    ends_at: datetime
    hold_expires_at: datetime | None
    deposit: DepositOut
    refunded_amount: Decimal
    late_fee: Decimal
    checked_out_at: datetime | None
    checked_in_at: datetime | None
    odometer_out_km: int | None
    odometer_in_km: int | None
    salesperson_user_id: int | None = Field(None, description="Accompanied drives: the salesperson riding along")
    pickup_code: str | None = Field(None, description="Only in the answer to confirm (and a re-issue); never again")


class SlotOut(BaseModel):
    start: datetime
    end: datetime
    free_vehicles: int


class StoreSlotsOut(BaseModel):
    store: str
    store_name_en: str
    store_name_zh: str
    time_zone: str
    vins: list[str]
    slots: list[SlotOut]


class AvailabilityOut(BaseModel):
    kind: str
    first_day: date
    last_day: date
    stores: list[StoreSlotsOut]


class FiguresRowOut(BaseModel):
    store: str
    model: str
    bookings: int
    completed: int
    no_shows: int
    cancelled: int
    show_rate: Decimal | None
    no_show_rate: Decimal | None
    average_drive_minutes: Decimal | None
