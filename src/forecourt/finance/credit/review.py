"""Reading credit applications (masked), the finance officer's full record (decrypted, audited) and the manual
override (audited with before and after).

Who may see what is decided by the caller's store scope, handed in as plain ids (`allowed_store_ids`; None for
every store) — this module knows nothing of accounts. An application outside the scope answers 404, like one
that does not exist, so a reference cannot be probed across stores.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from forecourt.audit import service as audit
from forecourt.core.crypto import FieldCipher
from forecourt.core.errors import Conflict, FieldError, InvalidInput, NotFound
from forecourt.finance.credit import decisions, repository, underwriting
from forecourt.finance.credit.service import context
from forecourt.finance.credit.underwriting import Decision, Reason
from forecourt.finance.models import ApplicationStatus, CreditApplication, FinanceProvider

OVERRIDE_OUTCOMES = ("approved", "conditional", "declined")
QUEUE_STATUSES = tuple(s.value for s in ApplicationStatus)
DETAIL_FIELDS = (
    "full_name",
    "date_of_birth",
    "address",
    "employer",
    "monthly_income",
    "monthly_housing",
    "monthly_debts",
)


def _missing(reference: str) -> NotFound:
    return NotFound(f"No credit application {reference}", code="application_not_found")


def get_own(session: Session, user_id: int, reference: str) -> CreditApplication:
    row = repository.get_application(session, reference)
    if row is None or row.user_id != user_id:
        raise _missing(reference)
    return row


def list_own(session: Session, user_id: int) -> Sequence[CreditApplication]:
    return repository.list_for_user(session, user_id)


def get_in_scope(session: Session, reference: str, allowed_store_ids: Collection[int] | None) -> CreditApplication:
    row = repository.get_application(session, reference)
    if row is None or (allowed_store_ids is not None and row.store_id not in allowed_store_ids):
        raise _missing(reference)
    return row


def review_queue(
    session: Session,
    allowed_store_ids: Collection[int] | None,
    *,
    statuses: Collection[str] = (),
    kind: str | None = None,
) -> Sequence[CreditApplication]:
    unknown = [s for s in statuses if s not in QUEUE_STATUSES]
    if unknown:
        raise InvalidInput(
            f"Unknown status {unknown[0]!r}; use {', '.join(QUEUE_STATUSES)}",
            code="invalid_status",
            errors=[FieldError("status", f"one of {', '.join(QUEUE_STATUSES)}")],
        )
    if kind not in (None, "prequalification", "application"):
        raise InvalidInput("kind must be prequalification or application", code="invalid_kind")
    return repository.review_queue(session, store_ids=allowed_store_ids, statuses=statuses, kind=kind)


def adverse_action_notice(cipher: FieldCipher, row: CreditApplication) -> str | None:
    """The notice as sent to the applicant (stored encrypted: it names them)."""
    if not row.adverse_action_notice:
        return None
    return cipher.decrypt(row.adverse_action_notice, context=context(row.id, "adverse_action_notice"))


@dataclass(frozen=True)
class FullRecord:
    application: CreditApplication
    full_name: str
    id_number: str  # masked unless revealed
    id_number_revealed: bool
    date_of_birth: str
    address: str
    employer: str
    monthly_income: Decimal
    monthly_housing: Decimal
    monthly_debts: Decimal

    def __repr__(self) -> str:
        return f"FullRecord({self.application.reference}, <redacted>)"


def open_full_record(
    session: Session,
    cipher: FieldCipher,
    reference: str,
    *,
    actor_user_id: int,
    allowed_store_ids: Collection[int] | None,
    reveal_id: bool = False,
) -> FullRecord:
    """Decrypt the applicant's details for a finance officer; every opening is audited with the fields shown."""
    row = get_in_scope(session, reference, allowed_store_ids)

    def text(field: str) -> str:
        return cipher.decrypt(getattr(row, f"{field}_enc"), context=context(row.id, field))

    def amount(field: str) -> Decimal:
        return cipher.decrypt_decimal(getattr(row, f"{field}_enc"), context=context(row.id, field))

    shown = [*DETAIL_FIELDS, *(["id_number"] if reveal_id else [])]
    audit.record(
        session,
        actor_user_id,
        "credit_application.viewed",
        "credit_application",
        row.reference,
        row.store_id,
        fields=shown,
        id_number_revealed=reveal_id,
    )
    return FullRecord(
        row,
        text("full_name"),
        text("id_number") if reveal_id else row.id_number_masked,
        reveal_id,
        text("date_of_birth"),
        text("address"),
        text("employer"),
        amount("monthly_income"),
        amount("monthly_housing"),
        amount("monthly_debts"),
    )


def override(
    session: Session,
    cipher: FieldCipher,
    provider: FinanceProvider | None,
    reference: str,
    *,
    actor_user_id: int,
    allowed_store_ids: Collection[int] | None,
    outcome: str,
    reason: str,
    now: datetime,
) -> CreditApplication:
    """A finance officer's decision in place of the automatic one. A decline gets an adverse-action notice with
    the automatic reasons (or, if there were none, the officer's reason) in the applicant's language."""
    reason = reason.strip()
    errors = []
    if outcome not in OVERRIDE_OUTCOMES:
        errors.append(FieldError("outcome", f"one of {', '.join(OVERRIDE_OUTCOMES)}"))
    if not 5 <= len(reason) <= 500:
        errors.append(FieldError("reason", "give the reason for the decision (5–500 characters)"))
    if errors:
        raise InvalidInput(
            "An override needs an outcome and a reason; see errors.", code="invalid_override", errors=errors
        )
    row = get_in_scope(session, reference, allowed_store_ids)
    if row.kind != "application":
        raise Conflict(
            "A pre-qualification is an estimate; only an application can be decided by hand.", code="not_an_application"
        )
    if row.status == ApplicationStatus.WITHDRAWN.value:
        raise Conflict("The application was withdrawn.", code="application_withdrawn")
    before = {"status": row.status, "decided_by": row.decided_by, "override_reason": row.override_reason}
    record = dict(row.decision or {})
    record["overrides"] = [
        *record.get("overrides", []),
        {"from": row.status, "to": outcome, "by": actor_user_id, "at": now.isoformat(), "reason": reason},
    ]
    record["outcome"] = outcome
    row.decision = record
    row.status, row.decided_by, row.decided_at, row.override_reason = outcome, actor_user_id, now, reason
    row.updated_at = now
    if outcome == "declined":
        row.adverse_action_notice = cipher.encrypt(
            _notice(cipher, row, provider, record, reason), context=context(row.id, "adverse_action_notice")
        )
    else:
        row.adverse_action_notice = None
    session.flush()
    after = {"status": row.status, "decided_by": row.decided_by, "override_reason": row.override_reason}
    audit.record(
        session,
        actor_user_id,
        "credit_application.overridden",
        "credit_application",
        row.reference,
        row.store_id,
        before=before,
        after=after,
        reason=reason,
    )
    return row


def _notice(
    cipher: FieldCipher,
    row: CreditApplication,
    provider: FinanceProvider | None,
    record: dict[str, Any],
    officer_reason: str,
) -> str:
    # The notice goes to the applicant, so it quotes the reasons with their figures (the sealed part).
    reasons = tuple(
        Reason(r["code"], r["message_en"], r["message_zh"], r.get("detail", {}))
        for r in decisions.opened(cipher, row).get("reasons", [])
    )
    if not reasons:
        reasons = (Reason("manual_decision", officer_reason, officer_reason, {}),)
    decision = Decision(
        "declined",
        record.get("tier"),
        Decimal(record.get("payment", "0")),
        None,
        None,
        Decimal(record.get("ltv", "0")),
        reasons,
        (),
    )
    language = record.get("language", "zh-Hans")
    name = cipher.decrypt(row.full_name_enc, context=context(row.id, "full_name"))
    provider_name = (
        "" if provider is None else (provider.name_zh if language.lower().startswith("zh") else provider.name_en)
    )
    return underwriting.adverse_action_notice(
        decision,
        applicant_name=name,
        provider_name=provider_name,
        bureau_name=record.get("bureau_name", row.bureau),
        language=language,
    )


def provider_of(session: Session, row: CreditApplication) -> FinanceProvider | None:
    return repository.get_provider(session, row.provider_id)


def quote_reference(session: Session, row: CreditApplication) -> str:
    quote = repository.get_quote_by_id(session, row.quote_id)
    return quote.reference if quote else ""


def approved_application_for_quote(session: Session, user_id: int, quote_id: int) -> CreditApplication | None:
    """For the order work: the user's latest application on this quote, if it is approved or conditional."""
    row = repository.latest_for_quote(session, user_id, quote_id)
    return row if row is not None and row.status in ("approved", "conditional") else None
