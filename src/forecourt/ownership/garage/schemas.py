"""API shapes of My garage and of a lease's mileage and lease-end options (the owner's own cars)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel

from forecourt.ownership.records.schemas import ContractOut


class PaymentOut(BaseModel):
    number: int
    due_on: date
    amount: Decimal
    balance_after: Decimal


class StandingOut(BaseModel):
    payments_made: int
    payments_left: int
    next_payment: PaymentOut | None
    balance: Decimal  # loans: principal still owed; leases: payments still to come
    final_amount: Decimal  # the balloon, or a lease's purchase price at the end
    end_day: date | None


class FaultCodeOut(BaseModel):
    code: str
    en: str
    zh: str
    severe: bool


class ConnectedOut(BaseModel):
    reported_at: datetime
    odometer_km: int | None
    level_percent: int | None
    electric: bool
    fault_codes: list[FaultCodeOut]


class DocumentOut(BaseModel):
    kind: str
    url: str


class GarageCardOut(BaseModel):
    reference: str
    vin: str
    model: str
    model_name_en: str
    model_name_zh: str
    model_year: int | None
    store: str
    started_on: date
    contract: ContractOut | None
    standing: StandingOut | None
    schedule: list[PaymentOut] | None  # one car's card only
    connected: ConnectedOut | None
    documents: list[DocumentOut]
    sections: dict[str, dict[str, Any]]  # service_status, service_history, recalls: when provided
    lease_url: str | None
