"""Credit pre-qualification and applications: consent, the bureau, underwriting, and privacy at rest.

`submit` is the one use case for both kinds:

1. the applicant's data is checked (a resident ID by its check character, and its birth date against the
   date of birth given);
2. the quote must be the caller's, financed and unexpired;
3. the consents the kind needs are recorded (purpose, wording version, IP) *before* the bureau is called,
   and a missing one refuses the request (422 `consent_required`, naming it);
4. the bureau is asked: a soft inquiry for a pre-qualification, a hard one for an application;
5. every personal field is encrypted with the app's FieldCipher under the context
   ``credit_application:{id}:{field}``; only masks, the blind index of the ID number and an income band stay
   in clear. The adverse-action notice quotes the applicant's name, so it is encrypted too;
6. `underwriting.decide` gives the outcome, which becomes the status; the decision (tier, payment, ratios,
   bilingual reasons, stipulations) is stored with the ratios and every income-derived figure sealed
   (`decisions`), and a decline gets its notice in the applicant's language;
7. the creation is audited (kind, outcome, inquiry kind; no personal data).

Debts: the larger of the monthly debts the applicant states and those the bureau reports is underwritten,
so neither an omission nor a stale bureau record makes a loan look more affordable than it is.
Reading, reviewing and overriding are in `review`.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from forecourt.audit import service as audit
from forecourt.catalog import service as catalog
from forecourt.core.crypto import FieldCipher
from forecourt.core.errors import Conflict, DomainError, FieldError, InvalidInput, NotFound
from forecourt.core.masking import install_log_redaction, mask_amount_band, mask_id_number, mask_name
from forecourt.core.outbox import enqueue_event
from forecourt.core.references import new_reference
from forecourt.finance.credit import decisions, repository, underwriting
from forecourt.finance.credit.bureau import BureauReport, CreditBureau, bureau_for
from forecourt.finance.credit.underwriting import Applicant, Deal, Decision, RuleSet
from forecourt.finance.models import Consent, CreditApplication, FinanceProvider, Product, Quote
from forecourt.identity.id_number import IdNumberError, parse_resident_id

install_log_redaction("forecourt")  # any ID or mobile number that reaches a forecourt.* log line is masked
log = logging.getLogger(__name__)

KINDS = ("prequalification", "application")
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
INQUIRY = {"prequalification": "soft", "application": "hard"}
ENCRYPTED_FIELDS = (
    "full_name",
    "id_number",
    "date_of_birth",
    "address",
    "employer",
    "monthly_income",
    "monthly_housing",
    "monthly_debts",
)
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


@dataclass(frozen=True)
class Submission:
    kind: str
    user_id: int
    quote_reference: str
    applicant: ApplicantInput
    consents: frozenset[str]
    consent_text_version: str = CONSENT_TEXT_VERSION
    ip: str = ""
    language: str = "zh-Hans"  # for the adverse-action notice


def context(application_id: int, field: str) -> str:
    return f"credit_application:{application_id}:{field}"


def normalise_id_number(text: str) -> str:
    return "".join(text.split()).upper()


def id_index(cipher: FieldCipher, id_type: str, number: str) -> str:
    return cipher.blind_index(f"{id_type}:{normalise_id_number(number)}", purpose="credit_application.id_number")


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


def age_on(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def check_applicable(session: Session, user_id: int, reference: str, now: datetime) -> None:
    """Refuse as `submit` would for the quote alone (not the user's, cash, expired, its car not for sale), so the
    application page offers its form only when the quote can be applied on."""
    _financed_quote(session, user_id, reference, now)


def _financed_quote(session: Session, user_id: int, reference: str, now: datetime) -> Quote:
    quote = repository.get_quote(session, reference.strip().upper())
    if quote is None or not quote.usable_by(user_id):
        raise NotFound(f"No quote {reference}", code="quote_not_found")
    if quote.product == Product.CASH.value or quote.program_id is None:
        raise InvalidInput(
            "A cash quote needs no credit application; choose a finance quote.",
            code="quote_not_financed",
            errors=[FieldError("quote", "choose a finance quote")],
        )
    vehicle = catalog.get_vehicle_by_id(session, quote.vehicle_id)
    if quote.expires_at <= now:
        raise Conflict(
            "The quote has expired; make a new quote first.", code="quote_expired", extra={"vin": vehicle.vin}
        )
    catalog.require_on_sale(vehicle)  # no credit asked for a car that is not for sale
    return quote


def check_consents(kind: str, given: frozenset[str], text_version: str) -> None:
    missing = [purpose for purpose in REQUIRED_CONSENTS[kind] if purpose not in given]
    if missing:
        raise InvalidInput(
            f"Consent is required before the credit bureau is asked: {', '.join(missing)}.",
            code="consent_required",
            extra={"missing_consents": missing},
            errors=[FieldError(f"consents.{purpose}", "consent is required") for purpose in missing],
        )
    if text_version != CONSENT_TEXT_VERSION:
        raise InvalidInput(
            f"The consent wording has changed (now version {CONSENT_TEXT_VERSION}); please read it again.",
            code="consent_text_outdated",
            extra={"current_version": CONSENT_TEXT_VERSION},
        )


def rule_set(provider: FinanceProvider) -> RuleSet:
    """The provider's underwriting rules (its credit tiers, ratios, limits); none stored means the China default."""
    return RuleSet.from_mapping(provider.underwriting_rules) if provider.underwriting_rules else RuleSet.china_default()


def deal_for(session: Session, quote: Quote) -> tuple[Deal, FinanceProvider]:
    """The deal as quoted (price, down payment, term, the program's customer rate, any balloon) and its provider."""
    program = repository.get_program(session, quote.program_id) if quote.program_id else None
    provider = repository.get_provider(session, program.provider_id) if program else None
    if program is None or provider is None:
        raise NotFound("The quote's rate program no longer exists", code="program_not_found")
    inputs = quote.inputs or {}
    vehicle = catalog.get_vehicle_by_id(session, quote.vehicle_id)
    powertrain = vehicle.trim.powertrain if vehicle.trim.powertrain in ("ice", "hybrid", "phev", "bev") else "ice"
    deal = Deal(
        price=quote.price,
        down_payment=Decimal(str(inputs.get("down_payment", "0"))),
        term_months=int(inputs.get("term_months", program.term_months)),
        annual_rate=program.annual_rate,
        balloon=Decimal(str(inputs.get("balloon", "0") or "0")),
        powertrain=powertrain,
    )
    return deal, provider


def submit(
    session: Session, cipher: FieldCipher, submission: Submission, *, now: datetime, bureau: CreditBureau | None = None
) -> CreditApplication:
    """`bureau`: the configured adapter; None asks the quote's provider's bureau (the demo bureau ships)."""
    if submission.kind not in KINDS:
        raise InvalidInput(f"kind must be one of {', '.join(KINDS)}", code="invalid_kind")
    person = submission.applicant
    errors = validate_applicant(person, now.date())
    if errors:
        raise InvalidInput(
            "Some applicant details are missing or wrong; see errors.", code="invalid_applicant", errors=errors
        )
    quote = _financed_quote(session, submission.user_id, submission.quote_reference, now)
    check_consents(submission.kind, submission.consents, submission.consent_text_version)
    consents = [
        Consent(
            user_id=submission.user_id,
            purpose=purpose,
            granted=True,
            created_at=now,
            text_version=submission.consent_text_version,
            ip=submission.ip[:45],
        )
        for purpose in sorted(submission.consents & set(CONSENT_TEXTS))
    ]
    session.add_all(consents)
    session.flush()  # the consents are on record before the bureau is asked

    deal, provider = deal_for(session, quote)
    number = normalise_id_number(person.id_number)
    try:
        adapter = bureau_for(provider.bureau, bureau)
    except LookupError:
        raise DomainError(
            f"The credit bureau {provider.bureau!r} is not available.", code="bureau_unavailable", status=503
        ) from None
    report = adapter.pull(id_type=person.id_type, id_number=number, inquiry=INQUIRY[submission.kind])  # type: ignore[arg-type]
    applicant = Applicant(
        age_years=age_on(person.date_of_birth, now.date()),
        monthly_income=person.monthly_income,
        monthly_debt_payments=max(person.monthly_other_debts, report.monthly_debt_payments),
        monthly_housing_cost=person.monthly_housing_cost,
        credit_score=report.score,
        employment_months=person.employment_months,
        delinquencies_24m=report.delinquencies_24m,
    )
    try:
        decision = underwriting.decide(applicant, deal, rule_set(provider))
    except ValueError as exc:
        raise InvalidInput(f"This quote cannot be underwritten: {exc}", code="quote_not_underwritable") from None

    row = CreditApplication(
        reference=new_reference("CA"),
        kind=submission.kind,
        user_id=submission.user_id,
        store_id=quote.store_id,
        vehicle_id=quote.vehicle_id,
        quote_id=quote.id,
        provider_id=provider.id,
        status=decision.outcome,
        full_name_enc="",
        full_name_masked=mask_name(person.full_name)[:40],
        id_type=person.id_type,
        id_number_enc="",
        id_number_masked=mask_id_number(number)[:24],
        id_number_index=id_index(cipher, person.id_type, number),
        date_of_birth_enc="",
        address_enc="",
        employer_enc="",
        employment_months=person.employment_months,
        monthly_income_enc="",
        monthly_housing_enc="",
        monthly_debts_enc="",
        income_band=mask_amount_band(person.monthly_income)[:40],
        credit_score=report.score,
        bureau=report.bureau,
        bureau_reference=report.reference,
        created_at=now,
        updated_at=now,
        decided_at=now,
    )
    session.add(row)
    session.flush()  # the id binds every token to this row
    _seal(cipher, row, person, number)
    decisions.seal(cipher, row, decision_record(decision, deal, report, submission.language))
    if decision.outcome == "declined":
        notice = underwriting.adverse_action_notice(
            decision,
            applicant_name=person.full_name.strip(),
            provider_name=_provider_name(provider, submission.language),
            bureau_name=report.bureau_name,
            language=submission.language,
        )
        row.adverse_action_notice = cipher.encrypt(notice, context=context(row.id, "adverse_action_notice"))
    for consent in consents:
        consent.application_id = row.id
    session.flush()
    audit.record(
        session,
        submission.user_id,
        "credit_application.created",
        "credit_application",
        row.reference,
        row.store_id,
        kind=row.kind,
        outcome=row.status,
        tier=decision.tier,
        inquiry=report.inquiry,
        quote=quote.reference,
        consents=sorted(submission.consents),
    )
    vehicle = catalog.get_vehicle_by_id(session, quote.vehicle_id)
    enqueue_event(
        session,
        {
            "event_id": f"platform:credit_application:{row.reference}",
            "type": "credit_application",
            "occurred_at": now.isoformat(),
            "user_id": submission.user_id,
            "model_code": vehicle.model.code,
            "city": vehicle.store.city.code,
            "store_code": vehicle.store.code,
            "subject": row.reference,
            "value": None,
        },
    )
    log.info("credit %s %s decided %s", row.kind, row.reference, row.status)
    return row


def _seal(cipher: FieldCipher, row: CreditApplication, person: ApplicantInput, number: str) -> None:
    def seal(field: str, value: str) -> str:
        return cipher.encrypt(value, context=context(row.id, field))

    row.full_name_enc = seal("full_name", person.full_name.strip())
    row.id_number_enc = seal("id_number", number)
    row.date_of_birth_enc = seal("date_of_birth", person.date_of_birth.isoformat())
    row.address_enc = seal("address", person.address.strip())
    row.employer_enc = seal("employer", person.employer.strip())
    row.monthly_income_enc = cipher.encrypt_decimal(person.monthly_income, context=context(row.id, "monthly_income"))
    row.monthly_housing_enc = cipher.encrypt_decimal(
        person.monthly_housing_cost, context=context(row.id, "monthly_housing")
    )
    row.monthly_debts_enc = cipher.encrypt_decimal(person.monthly_other_debts, context=context(row.id, "monthly_debts"))


def _provider_name(provider: FinanceProvider, language: str) -> str:
    return provider.name_zh if language.lower().startswith("zh") else provider.name_en


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def decision_record(decision: Decision, deal: Deal, report: BureauReport, language: str) -> dict[str, Any]:
    """The decision as stored (JSON): figures as decimal strings, reasons and stipulations in both languages."""
    return {
        "outcome": decision.outcome,
        "tier": decision.tier,
        "payment": str(decision.payment),
        "pti": _text(decision.pti),
        "dti": _text(decision.dti),
        "ltv": str(decision.ltv),
        "reasons": [
            {"code": r.code, "message_en": r.message_en, "message_zh": r.message_zh, "detail": dict(r.detail)}
            for r in decision.reasons
        ],
        "stipulations": [
            {
                "code": s.code,
                "message_en": s.message_en,
                "message_zh": s.message_zh,
                "required_down_payment": _text(s.required_down_payment),
                "max_term_months": s.max_term_months,
            }
            for s in decision.stipulations
        ],
        "deal": {
            "price": str(deal.price),
            "down_payment": str(deal.down_payment),
            "term_months": deal.term_months,
            "annual_rate": str(deal.annual_rate),
            "balloon": str(deal.balloon),
        },
        "inquiry": report.inquiry,
        "delinquencies_24m": report.delinquencies_24m,
        "bureau_name": report.bureau_name,
        "language": language,
        "overrides": [],
    }
