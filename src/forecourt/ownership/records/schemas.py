"""API shapes of the ownership records (staff): register, transfer, end, one ownership, a VIN's history."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from forecourt.core.decimals import decimal_rules
from forecourt.core.params import Day

_STRICT = ConfigDict(extra="forbid")
_ZERO = Decimal(0)
Amount = Annotated[Decimal, Field(**decimal_rules(ge=0, le=Decimal(100000000), max_digits=11, decimal_places=2))]
Rate = Annotated[Decimal, Field(**decimal_rules(ge=0, lt=1, max_digits=7, decimal_places=6))]
MoneyFactor = Annotated[Decimal, Field(**decimal_rules(ge=0, lt=1, max_digits=9, decimal_places=8))]
PerKm = Annotated[Decimal, Field(**decimal_rules(ge=0, le=100, max_digits=7, decimal_places=4))]


class ContractIn(BaseModel):
    """The contract's terms as signed; the monthly payment is priced by finance.calc from them."""

    model_config = _STRICT
    product: Literal["cash", "loan", "balloon", "lease", "lease_to_own"]
    price: Annotated[
        Decimal,
        Field(**decimal_rules(gt=0, le=Decimal(100000000), max_digits=11, decimal_places=2, description="Net price")),
    ]
    down_payment: Amount = _ZERO
    term_months: int = Field(0, ge=0, le=120, description="0 for cash")
    annual_rate: Rate | None = None  # loans and lease-to-own: 0.0399 is 3.99 %
    money_factor: MoneyFactor | None = None  # leases: e.g. 0.0015
    balloon: Amount = _ZERO
    fee: Amount = _ZERO
    residual_value: Amount = _ZERO  # a lease's residual, or a lease-to-own's purchase price (留购价)
    disposition_fee: Amount = _ZERO
    annual_allowance_km: int | None = Field(None, ge=1, le=200_000, description="Leases: km a year")
    excess_km_rate: PerKm | None = None  # leases: per km over the allowance
    delivered_on: Day
    delivery_odometer_km: int = Field(ge=0, le=2_000_000)
    currency: Literal["CNY"] = "CNY"


class RegisterIn(BaseModel):
    model_config = _STRICT
    vin: str = Field(min_length=17, max_length=17)
    owner: str = Field(min_length=3, max_length=254, description="The owner's account: e-mail or mobile")
    store: str = Field(min_length=1, max_length=40, description="The selling or servicing store's code")
    model_code: str | None = Field(None, min_length=1, max_length=40, description="For a VIN not in the catalog")
    contract: ContractIn


class TransferIn(BaseModel):
    model_config = _STRICT
    new_owner: str = Field(min_length=3, max_length=254, description="The buyer's account: e-mail or mobile")
    on: Day
    odometer_km: int = Field(ge=0, le=2_000_000)


class EndIn(BaseModel):
    model_config = _STRICT
    reason: Literal["returned", "sold_back"]
    on: Day
    odometer_km: int = Field(ge=0, le=2_000_000)


class ContractOut(BaseModel):
    product: str
    currency: str
    price: Decimal
    down_payment: Decimal
    term_months: int
    monthly_payment: Decimal
    annual_rate: Decimal | None
    money_factor: Decimal | None
    balloon: Decimal
    fee: Decimal
    residual_value: Decimal
    disposition_fee: Decimal
    annual_allowance_km: int | None
    excess_km_rate: Decimal | None
    delivered_on: date
    delivery_odometer_km: int
    end_day: date | None
    quote_reference: str | None
    program_code: str | None
    program_version: int | None


class OwnershipOut(BaseModel):
    reference: str
    vin: str
    model: str
    store: str
    owner_user_id: int
    status: str
    source: str
    order_reference: str | None
    previous_reference: str | None
    started_on: date
    start_odometer_km: int
    ended_on: date | None
    end_reason: str | None
    end_odometer_km: int | None
    contract: ContractOut | None
