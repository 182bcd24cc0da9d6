"""Credit pre-qualification and applications: consent, the bureau, underwriting, and privacy at rest.

`submit` is the one use case for both kinds:

1. the applicant's data is checked (a resident ID by its check character, and its birth date against the
   date of birth given); a refusal names every wrong field and every missing consent at once;
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
from forecourt.finance.credit.applicant import (  # noqa: F401 - the pages and the API use these from here
    CONSENT_TEXT_VERSION,
    CONSENT_TEXTS,
    ID_TYPES,
    REQUIRED_CONSENTS,
    ApplicantInput,
    consent_errors,
    missing_consents,
    normalise_id_number,
    submission_errors,
    validate_applicant,
)
from forecourt.finance.credit.bureau import BureauReport, CreditBureau, bureau_for
from forecourt.finance.credit.underwriting import Applicant, Deal, Decision, RuleSet
from forecourt.finance.models import Consent, CreditApplication, FinanceProvider, Product, Quote

install_log_redaction("forecourt")  # any ID or mobile number that reaches a forecourt.* log line is masked
log = logging.getLogger(__name__)

KINDS = ("prequalification", "application")
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


def id_index(cipher: FieldCipher, id_type: str, number: str) -> str:
    return cipher.blind_index(f"{id_type}:{normalise_id_number(number)}", purpose="credit_application.id_number")


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
    missing = missing_consents(kind, given)
    if missing:
        raise InvalidInput(
            f"Consent is required before the credit bureau is asked: {', '.join(missing)}.",
            code="consent_required",
            extra={"missing_consents": missing},
            errors=consent_errors(missing),
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
    if errors:  # the missing consents come with them: one refusal names every field to correct
        missing = missing_consents(submission.kind, submission.consents)
        raise InvalidInput(
            "Some applicant details are missing or wrong; see errors.",
            code="invalid_applicant",
            errors=errors + consent_errors(missing),
            extra={"missing_consents": missing} if missing else {},
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
