"""API shapes of the ways-to-drive comparison."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field


class UnavailableOut(BaseModel):
    code: str = Field(description="no_car_for_sale, finance_not_offered, no_plan or not_at_store")
    message: str
    stores: list[str] = Field(description="Stores (codes) where this way is offered for the model: the next step")
    details: dict[str, Any]


class WayOut(BaseModel):
    way: str = Field(description="buy, lease, subscribe or rent")
    available: bool
    months: int | None = Field(description="Months paid for (a subscription: at least its minimum term)")
    up_front: Decimal | None
    monthly: Decimal | None = Field(description="A typical month, km charges included")
    km_charges: Decimal | None = Field(description="Km beyond the allowance, over the horizon")
    total: Decimal | None = Field(description="Everything paid over the horizon")
    value_kept: Decimal | None = Field(description="Buying: the car's estimated value at the end")
    net_cost: Decimal | None = Field(description="Total less the value kept")
    per_km: Decimal | None
    included: dict[str, Any] = Field(description="The rates and allowances behind the figures")
    unavailable: UnavailableOut | None


class WaysToDriveOut(BaseModel):
    model: str
    store: str
    currency: str
    months: int
    km_per_month: int
    rental_days: int
    vin: str | None = Field(description="The car buying and leasing are priced on: the cheapest for sale at the store")
    mobility_class: str | None
    cheapest: str | None
    ways: list[WayOut]
