"""API shapes of campaigns and the spend import (Pydantic v2). Money is a decimal string in CNY."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from forecourt.core.decimals import decimal_rules
from forecourt.core.params import Day
from forecourt.marketing.vocabulary import CHANNELS

Budget = Annotated[
    Decimal,
    Field(
        **decimal_rules(
            ge=0,
            le=Decimal(10000000000),
            max_digits=14,
            decimal_places=2,
            description='CNY, a decimal string such as "250000.00"',
        )
    ),
]


def _printable(text: str) -> str:
    """No control characters, no lone surrogates (which no database can store), not blank."""
    if not text.strip() or any(ord(c) < 32 or ord(c) == 127 or 0xD800 <= ord(c) <= 0xDFFF for c in text):
        raise ValueError("must be printable text without control characters")
    return text


# What _printable accepts, for the OpenAPI document: a non-blank character, no control characters (lone surrogates are refused too).
_PRINTABLE = {"pattern": "^[^\\x00-\\x1f\\x7f]*[^\\s\\x00-\\x1f\\x7f][^\\x00-\\x1f\\x7f]*$"}
Utm = Annotated[str, Field(min_length=1, max_length=100, json_schema_extra=_PRINTABLE), AfterValidator(_printable)]
Code = Annotated[str, Field(min_length=2, max_length=60, pattern=r"^[A-Za-z0-9][A-Za-z0-9_\-]*$")]
Name = Annotated[str, Field(min_length=1, max_length=200, json_schema_extra=_PRINTABLE), AfterValidator(_printable)]
ModelCode = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9][A-Za-z0-9_\-]*$")]
CityCode = Annotated[str, Field(min_length=1, max_length=60, json_schema_extra=_PRINTABLE), AfterValidator(_printable)]
ChannelName = Literal[CHANNELS]  # type: ignore[valid-type]

EXAMPLE = {
    "code": "baidu-mondeo-2026q4",
    "name": "Mondeo search, Q4 2026",
    "channel": "search",
    "utm_source": "baidu",
    "utm_medium": "cpc",
    "utm_campaign": "mondeo-q4",
    "budget": "250000.00",
    "currency": "CNY",
    "starts_on": "2026-10-01",
    "ends_on": "2026-12-31",
    "target_models": ["mondeo"],
    "target_cities": ["guangzhou", "shanghai"],
}


class CampaignIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [EXAMPLE]})

    code: Code
    name: Name
    channel: ChannelName
    utm_source: Utm
    utm_medium: Utm
    utm_campaign: Utm
    budget: Budget
    starts_on: Day
    ends_on: Day | None = None
    target_models: list[ModelCode] = Field(default_factory=list, max_length=100)
    target_cities: list[CityCode] = Field(default_factory=list, max_length=200)


class CampaignPatch(BaseModel):
    """Only the fields sent change; `ends_on: null` makes the campaign open-ended."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"budget": "300000.00"}]})

    name: Name | None = None
    channel: ChannelName | None = None
    utm_source: Utm | None = None
    utm_medium: Utm | None = None
    utm_campaign: Utm | None = None
    budget: Budget | None = None
    starts_on: Day | None = None
    ends_on: Day | None = None
    target_models: list[ModelCode] | None = Field(default=None, max_length=100)
    target_cities: list[CityCode] | None = Field(default=None, max_length=200)


class CampaignOut(BaseModel):
    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [{**EXAMPLE, "spent": "1200.00"}]})

    code: str
    name: str
    channel: str
    utm_source: str
    utm_medium: str
    utm_campaign: str
    budget: Decimal
    currency: str
    starts_on: date
    ends_on: date | None
    target_models: list[str]
    target_cities: list[str]
    spent: Decimal = Field(description="Sum of the imported daily spend, CNY")
    created_at: datetime
    updated_at: datetime


class SpendProblemOut(BaseModel):
    line: int
    column: str | None
    reason: str


class SpendImportOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"rows": 31, "created": 30, "replaced": 1, "campaigns": ["baidu-mondeo-2026q4"], "total": "36100.00"}
            ]
        }
    )

    rows: int
    created: int = Field(description="Campaign days that had no spend before")
    replaced: int = Field(description="Campaign days whose earlier amount was replaced")
    campaigns: list[str]
    total: Decimal = Field(description="Sum of the amounts in the file, CNY")
