"""API shapes of subscriptions."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from forecourt.core.decimals import decimal_rules
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


class ConversionIn(BaseModel):
    """Buy the subscription's car: a loan (or balloon loan) for the price less the purchase credit and cash."""

    model_config = _STRICT
    product: Literal["loan", "balloon"] = "loan"
    term_months: int = Field(36, ge=1, le=120)
    cash_down: Decimal = Field(
        Decimal("0.00"),
        **decimal_rules(
            ge=0, le=Decimal("10000000.00"), max_digits=10, decimal_places=2, description="Cash beside the credit"
        ),
    )
    balloon_percent: Decimal | None = Field(
        None,
        **decimal_rules(
            gt=0, lt=1, max_digits=7, decimal_places=6, description="Balloon loans only; default: the maximum"
        ),
    )


class ConvertIn(ConversionIn):
    payment_method: str | None = Field(
        None,
        min_length=1,
        max_length=64,
        description="For the final invoice and the deposit; default the subscription's",
    )


class FinalInvoiceOut(BaseModel):
    period_first_day: date
    period_last_day: date  # the conversion day in the last period
    total: Decimal


class ConversionLoanOut(BaseModel):
    """The finance engine's figures for the amount left to finance (finance.quotes, as its comparison stores them)."""

    program: str
    rebate: Decimal
    net_price: Decimal
    fee: Decimal
    amount_financed: Decimal
    monthly_payment: Decimal
    term_months: int
    balloon: Decimal
    apr_percent: Decimal
    annualised_rate_percent: Decimal
    finance_charge: Decimal
    total_of_payments: Decimal


class NotOfferedOut(BaseModel):
    code: str
    message: str
    details: dict[str, object]


class ConversionQuoteOut(BaseModel):
    reference: str
    vin: str
    model: str
    conversion_day: date
    product: str
    car_price: Decimal
    final_invoices: list[FinalInvoiceOut]
    final_invoice: Decimal  # charged on converting
    fees_paid_before: Decimal
    credit_percent: int
    credit_cap: Decimal
    purchase_credit: Decimal
    cash_down: Decimal
    down_payment: Decimal  # credit + cash
    amount_to_finance: Decimal | None
    loan: ConversionLoanOut | None
    not_offered: NotOfferedOut | None  # why the engine offers no loan for these figures (and what cures it)


class ConversionOut(BaseModel):
    reference: str
    status: str
    order: str  # the order that sells the car: GET /api/v1/orders/{order}
    quote: str
    purchase_credit: Decimal
    final_invoice: Decimal
