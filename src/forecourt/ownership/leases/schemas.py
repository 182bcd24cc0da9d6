"""API shapes of a lease's mileage (with its arithmetic as steps) and its lease-end options."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field


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


class SwapRefusalOut(BaseModel):
    code: str = Field(
        description="finance's reason (down_payment_below_minimum, nothing_to_finance, ...) or cannot_price"
    )
    message: str


class SwapNewCarOut(BaseModel):
    vin: str
    model: str
    model_name_en: str
    model_name_zh: str
    trim: str
    trim_name_en: str
    trim_name_zh: str
    model_year: int
    price: Decimal
    quote_url: str = Field(description="The car's page, where it can be quoted and bought")


class SwapOut(BaseModel):
    reference: str
    currency: str
    new_car: SwapNewCarOut
    product: str
    term_months: int
    annual_mileage: int
    program: str | None = Field(description="The finance program the new car is priced on")
    net_price: Decimal | None = Field(description="The new car's price less the program's rebate")
    appraisal: Decimal
    appraisal_estimated: bool = Field(description="True: no appraisal given, so the contract's residual value")
    payoff: Decimal = Field(description="residual + purchase-option fee + payments still due × monthly payment")
    payoff_residual_value: Decimal
    payoff_purchase_option_fee: Decimal
    payoff_payments_left: int
    payoff_monthly_payment: Decimal
    equity: Decimal = Field(description="appraisal − payoff; negative when more is owed than the car is worth")
    equity_goes_to: str = Field(
        description="down_payment, cap_cost_reduction (positive), added_to_price, prior_lease_balance (negative), none"
    )
    cash_down: Decimal
    request: dict[str, Any] | None = Field(description="The new car's finance.calc request with the equity in it")
    offered: bool
    monthly_payment: Decimal | None
    amount_financed: Decimal | None = Field(
        description="Loans: the Regulation Z amount financed; leases: the adjusted capitalized cost; 直租: financed"
    )
    apr_percent: Decimal | None = Field(description="Loans only: the Regulation Z APR, percent")
    annualised_rate_percent: Decimal | None = Field(description="综合年化利率, percent")
    refusal: SwapRefusalOut | None
