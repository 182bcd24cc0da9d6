"""API shapes of a lease's mileage (with its arithmetic as steps) and its lease-end options."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import BaseModel


class StepOut(BaseModel):
    kind: str
    inputs: dict[str, Any]
    result: Any


class ProjectionOut(BaseModel):
    as_of: date
    end_day: date
    days_left: int
    months_left: int
    extra_days_left: int
    window_first_day: date
    window_km: int
    window_days: int
    since_delivery: bool
    km_per_day: Decimal
    projected_km: int
    excess_km: int
    excess_charge: Decimal
    percent_over: Decimal


class ExtensionOut(BaseModel):
    months: int
    end_day: date
    payments_total: Decimal
    allowance_km: int
    excess_km: int | None
    excess_charge: Decimal | None


class LeaseEndOut(BaseModel):
    end_day: date
    days_to_end: int
    return_excess_km: int | None
    return_excess_charge: Decimal | None
    return_disposition_fee: Decimal
    return_total_due: Decimal | None
    buy_price: Decimal
    buy_payments_left_total: Decimal
    buy_loan_program: str | None
    buy_loan_monthly_payment: Decimal | None
    buy_loan_term_months: int | None
    buy_loan_apr_percent: Decimal | None
    buy_loan_annualised_rate: Decimal | None
    extend_monthly_payment: Decimal
    extend_allowance_km_per_month: Decimal
    extend_months: list[ExtensionOut]
    swap_payoff: Decimal  # equity = the dealer's appraisal − this


class LeaseOut(BaseModel):
    reference: str
    vin: str
    currency: str
    end_day: date
    ended: bool
    annual_allowance_km: int
    term_months: int
    excess_km_rate: Decimal
    allowance_km: int
    delivery_km: int
    latest_km: int
    driven_km: int
    days_of_readings: int
    days_of_readings_needed: int
    hidden_because: str | None
    ignored_readings: int
    projection: ProjectionOut | None
    steps: list[StepOut]
    options_due: bool
    options: LeaseEndOut | None
