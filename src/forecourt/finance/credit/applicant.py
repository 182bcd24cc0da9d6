"""What an applicant gives: their details, the consents the consent wording asks for, and the checks of both.

Split from `service` so the checks a form needs (every wrong field and every missing consent, at once) sit apart
from the use case that calls the bureau. Standard library and `core.errors` only, plus the ID-number parser.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from forecourt.core.errors import FieldError
from forecourt.identity.id_number import IdNumberError, parse_resident_id

ID_TYPES = ("resident_id", "passport")
CONSENT_TEXT_VERSION = "2026-12"
# purpose: (English, Simplified Chinese); the version above names this wording.
CONSENT_TEXTS: dict[str, tuple[str, str]] = {
    "prequalification": (
        "I agree that Forecourt may make a soft inquiry with a credit bureau to estimate whether I qualify. "
        "A soft inquiry is not shown to lenders and does not affect my credit score.",
        "本人同意 Forecourt 向征信机构进行软查询，以评估本人是否符合贷款条件。软查询不会向贷款机构展示，也不影响本人的信用评分。",
    ),
    "credit_check": (
        "I authorise Forecourt and the finance provider to obtain my credit report from a credit bureau to "
        "decide on this application (a hard inquiry, which other lenders can see).",
        "本人授权 Forecourt 及金融机构向征信机构查询本人信用报告，用于审批本次申请（硬查询，其他贷款机构可见）。",
    ),
    "share_with_provider": (
        "I agree that the information in this application may be shared with the finance provider named on "
        "the quote, for the purpose of this application only.",
        "本人同意将本申请中的信息提供给报价中所列的金融机构，仅用于本次申请。",
    ),
}
REQUIRED_CONSENTS = {"prequalification": ("prequalification",), "application": ("credit_check", "share_with_provider")}
PASSPORT_PATTERN = re.compile(r"[A-Z0-9]{5,20}")
MAX_AMOUNT = Decimal("100000000")


@dataclass(frozen=True)
class ApplicantInput:
    full_name: str
    id_type: str
    id_number: str
    date_of_birth: date
    address: str
    employer: str
    employment_months: int
    monthly_income: Decimal
    monthly_housing_cost: Decimal
    monthly_other_debts: Decimal

    def __repr__(self) -> str:  # never print the personal data (tracebacks, debuggers, logs)
        return "ApplicantInput(<redacted>)"


def normalise_id_number(text: str) -> str:
    return "".join(text.split()).upper()


def validate_applicant(applicant: ApplicantInput, today: date) -> list[FieldError]:
    """Every problem at once, by field; the messages never repeat the ID number."""
    errors: list[FieldError] = []
    if not 2 <= len(applicant.full_name.strip()) <= 60:
        errors.append(FieldError("full_name", "Give your full name as on your ID (2–60 characters)."))
    number = normalise_id_number(applicant.id_number)
    if applicant.id_type == "resident_id":
        try:
            resident = parse_resident_id(number, today=today)
        except IdNumberError as exc:
            errors.append(FieldError("id_number", f"This is not a valid resident ID number: {exc}."))
        else:
            if resident.birth_date != applicant.date_of_birth:
                errors.append(
                    FieldError("date_of_birth", "The date of birth does not match the one in your ID number.")
                )
    elif applicant.id_type == "passport":
        if not PASSPORT_PATTERN.fullmatch(number):
            errors.append(FieldError("id_number", "A passport number has 5–20 letters and digits."))
    else:
        errors.append(FieldError("id_type", "Choose resident_id or passport."))
    if not date(1900, 1, 1) <= applicant.date_of_birth <= today:
        errors.append(FieldError("date_of_birth", "Give a date of birth in the past."))
    if not 5 <= len(applicant.address.strip()) <= 200:
        errors.append(FieldError("address", "Give your home address (5–200 characters)."))
    if not 1 <= len(applicant.employer.strip()) <= 120:
        errors.append(FieldError("employer", "Give your employer (or 'self-employed'), up to 120 characters."))
    if not 0 <= applicant.employment_months <= 1200:
        errors.append(FieldError("employment_months", "Give the months in your current employment (0–1200)."))
    for name in ("monthly_income", "monthly_housing_cost", "monthly_other_debts"):
        amount = getattr(applicant, name)
        if (
            not isinstance(amount, Decimal)
            or not amount.is_finite()
            or not 0 <= amount < MAX_AMOUNT
            or amount != amount.quantize(Decimal("0.01"))
        ):
            errors.append(FieldError(name, "Give an amount in yuan, at least 0, with at most two decimals."))
    return errors


def missing_consents(kind: str, given: frozenset[str]) -> list[str]:
    """The consents `kind` needs that were not given, in the order of REQUIRED_CONSENTS (none for an unknown kind)."""
    return [purpose for purpose in REQUIRED_CONSENTS.get(kind, ()) if purpose not in given]


def consent_errors(missing: list[str]) -> list[FieldError]:
    return [FieldError(f"consents.{purpose}", "consent is required") for purpose in missing]


def submission_errors(kind: str, applicant: ApplicantInput, consents: frozenset[str], today: date) -> list[FieldError]:
    """Every field problem of a submission at once: the applicant's details, then the consents `kind` needs."""
    return validate_applicant(applicant, today) + consent_errors(missing_consents(kind, consents))
