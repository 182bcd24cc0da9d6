"""API shapes of service bookings."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from forecourt.core.decimals import decimal_rules
from forecourt.core.params import Moment

Amount = Annotated[Decimal, Field(**decimal_rules(ge=0, le=Decimal(1000000), max_digits=9, decimal_places=2))]

_STRICT = ConfigDict(extra="forbid")
Code = Field(min_length=1, max_length=20, pattern=r"^[A-Za-z0-9_-]+$")


class JobTypeOut(BaseModel):
    code: str
    name_en: str
    name_zh: str
    minutes: int


class BayIn(BaseModel):
    model_config = _STRICT
    code: str = Code
    name: str = Field(min_length=1, max_length=60)


class BayOut(BaseModel):
    code: str
    name: str


class AdvisorIn(BaseModel):
    model_config = _STRICT
    name: str = Field(min_length=1, max_length=60)


class AdvisorOut(BaseModel):
    name: str


class SlotOut(BaseModel):
    start: datetime
    end: datetime
    free_bays: int


class ServiceSlotsOut(BaseModel):
    store: str
    time_zone: str
    job_type: str
    minutes: int
    bays: int
    slots: list[SlotOut]


class ServiceHoldIn(BaseModel):
    model_config = _STRICT
    vin: str = Field(min_length=17, max_length=17, pattern=r"^[A-Za-z0-9]+$")
    store: str = Field(min_length=1, max_length=40)
    job_type: str = Field(min_length=1, max_length=20, description="periodic_service, repair, tyres or recall")
    start: Moment = Field(description="Slot start with its UTC offset, as listed by /service-bookings/availability")
    drop_off: Moment | None = Field(None, description="When the car is left: the start or up to 12 hours before")
    recall_code: str | None = Field(None, max_length=20, description="For a recall job: the open recall's code")
    notes: str = Field("", max_length=500)
    courtesy_car: bool = Field(
        False,
        strict=True,
        description="Lend me a car of the store's fleet from drop-off to pick-up (409 `no_courtesy_car` if none is "
        "free; 422 `courtesy_outside_hours` unless both fall within the store's opening hours)",
    )


class PartIn(BaseModel):
    model_config = _STRICT
    name: str = Field(min_length=1, max_length=100)
    quantity: int = Field(1, ge=1, le=1000)
    unit_price: Amount


class CompleteIn(BaseModel):
    model_config = _STRICT
    odometer_km: int = Field(ge=0, le=2_000_000)
    work_done: str = Field(min_length=1, max_length=4000)
    parts: list[PartIn] = Field(default_factory=list, max_length=100)
    cost: Amount = Field(description="Total, CNY")


class PartOut(BaseModel):
    name: str
    quantity: int
    unit_price: Decimal


class CourtesyCarOut(BaseModel):
    reference: str
    status: str
    model_en: str
    model_zh: str
    vin: str = Field(description="The car's VIN, masked to its last six characters")
    starts_at: datetime
    ends_at: datetime


class ServiceJobOut(BaseModel):
    reference: str
    status: str
    vin: str
    store: str
    bay: str
    advisor: str | None
    job_type: str
    recall_code: str | None
    starts_at: datetime
    ends_at: datetime
    drop_off_at: datetime
    pick_up_at: datetime
    hold_expires_at: datetime | None
    odometer_km: int | None
    work_done: str
    parts: list[PartOut]
    cost: Decimal
    currency: str
    next_due_km: int | None
    next_due_on: date | None
    completed_at: datetime | None
    courtesy_car: CourtesyCarOut | None = None
