"""API shapes of credit pre-qualification and applications. Answers carry masks and bands only; the officer's
record (`ReviewDetailOut`) is the one place decrypted fields appear, and the ID number only when revealed."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from forecourt.core.decimals import decimal_rules
from forecourt.core.params import BirthDay
from forecourt.finance.credit.service import CONSENT_TEXT_VERSION

Purpose = Literal["credit_check", "prequalification", "share_with_provider"]
Amount = Decimal
_MONTHLY_AMOUNT = decimal_rules(ge=0, lt=100_000_000, max_digits=10, decimal_places=2, description="CNY a month")


class ApplicantIn(BaseModel):
    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)

    full_name: str = Field(max_length=60)
    id_type: Literal["resident_id", "passport"] = "resident_id"
    id_number: str = Field(max_length=32)
    date_of_birth: BirthDay
    address: str = Field(max_length=200)
    employer: str = Field(max_length=120)
    employment_months: int = Field(ge=0, le=1200)
    monthly_income: Amount = Field(**_MONTHLY_AMOUNT)
    monthly_housing_cost: Amount = Field(default=Decimal("0"), **_MONTHLY_AMOUNT)
    monthly_other_debts: Amount = Field(default=Decimal("0"), **_MONTHLY_AMOUNT)


class ApplicationIn(BaseModel):
    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)

    quote: str = Field(max_length=12, description="The reference of a finance quote of yours")
    consents: list[Purpose] = Field(
        default_factory=list,
        description=(
            "The purposes you agree to: a pre-qualification needs `prequalification`; an application needs "
            "`credit_check` and `share_with_provider`. The wording is at GET /api/v1/finance/consent-texts."
        ),
    )
    consent_text_version: str = Field(default=CONSENT_TEXT_VERSION, max_length=20)
    applicant: ApplicantIn


class ConsentTextOut(BaseModel):
    purpose: str
    version: str
    text_en: str
    text_zh: str


class ReasonOut(BaseModel):
    code: str
    message_en: str
    message_zh: str


class StipulationOut(BaseModel):
    code: str
    message_en: str
    message_zh: str
    required_down_payment: Decimal | None = None
    additional_down_payment: Decimal | None = None  # on top of the quote's down payment
    max_term_months: int | None = None


class DecisionOut(BaseModel):
    outcome: str
    tier: str | None
    monthly_payment: Decimal
    pti: Decimal | None
    dti: Decimal | None
    ltv: Decimal
    reasons: list[ReasonOut]
    stipulations: list[StipulationOut]
    decided_by_officer: bool
    masked: bool = Field(
        default=False,
        description="True: PTI, DTI and the down payment a stipulation needs are left out (they reveal the income); "
        "the applicant and finance officers (in the audited record) see them",
    )


class ApplicantOut(BaseModel):
    full_name: str  # masked
    id_type: str
    id_number: str  # masked
    income_band: str
    employment_months: int


class ApplicationOut(BaseModel):
    reference: str
    kind: str
    status: str
    quote: str
    store: str
    vin: str
    inquiry: str  # soft (pre-qualification) or hard (application)
    created_at: datetime
    decided_at: datetime | None
    applicant: ApplicantOut
    decision: DecisionOut
    has_adverse_action_notice: bool


class OverrideOut(BaseModel):
    from_status: str
    to_status: str
    by: int
    at: str
    reason: str


class ReviewDetailOut(ApplicationOut):
    """The finance officer's record: decrypted fields (and the audit event that says so); None for store staff."""

    full_record: bool
    full_name_plain: str | None = None
    id_number_shown: str | None = None  # masked unless ?reveal=id_number
    id_number_revealed: bool = False
    date_of_birth: str | None = None
    address: str | None = None
    employer: str | None = None
    monthly_income: Decimal | None = None
    monthly_housing_cost: Decimal | None = None
    monthly_other_debts: Decimal | None = None
    credit_score: int | None = None
    delinquencies_24m: int | None = None
    bureau: str = ""
    bureau_reference: str = ""
    override_reason: str = ""
    overrides: list[OverrideOut] = Field(default_factory=list)


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    outcome: Literal["approved", "conditional", "declined"]
    reason: str = Field(min_length=5, max_length=500)
