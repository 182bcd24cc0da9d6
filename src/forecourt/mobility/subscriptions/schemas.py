"""API shapes of subscriptions."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from forecourt.core.params import Day

_STRICT = ConfigDict(extra="forbid")
Code = Field(min_length=1, max_length=40, pattern=r"^[a-z0-9_-]+$")


class SubscribeIn(BaseModel):
    model_config = _STRICT
    store: str = Code
    mobility_class: str = Code
    start: Day
    payment_method: str = Field(min_length=1, max_length=64, description="A reusable payment token; demo: demo-card-ok")
    delivery_address: str | None = Field(
        None,
        min_length=5,
        max_length=200,
        description="Deliver the first car here; leave out to collect it at the store",
    )


class SwapIn(BaseModel):
    model_config = _STRICT
    mobility_class: str = Code
    on: Day | None = None


class ChangeIn(BaseModel):
    model_config = _STRICT
    on: Day | None = None


class SegmentOut(BaseModel):
    mobility_class: str
    first_day: date
    last_day: date | None
    paused: bool
    swap_fee: Decimal
    car: str | None  # the model and the VIN's last six


class InvoiceOut(BaseModel):
    period_first_day: date
    period_last_day: date
    lines: list[dict[str, object]]
    total: Decimal
    km_driven: int
    km_carried_out: int
    paid: bool


class SubscriptionOut(BaseModel):
    reference: str
    status: str
    store: str
    started_on: date
    minimum_until: date
    ends_on: date | None
    km_carried: int
    decision: list[dict[str, str]]
    handover: str  # 'pickup' at the store or 'delivery' (the address is not repeated)
    segments: list[SegmentOut]
    invoices: list[InvoiceOut]
    purchase_credit: Decimal
