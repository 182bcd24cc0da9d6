"""Driver verification use cases: check a licence with the identity provider, record the outcome and the
credit score; the ID number is used in memory and only its mask and keyed digest are stored."""

from __future__ import annotations

import hashlib
import hmac
from datetime import date

from sqlalchemy.orm import Session

from forecourt.audit import service as audit
from forecourt.core.clock import utcnow
from forecourt.core.errors import Conflict, FieldError, InvalidInput
from forecourt.identity import repository
from forecourt.identity.credit import CreditScoreProvider
from forecourt.identity.id_number import IdNumberError, mask_id_number, parse_resident_id
from forecourt.identity.models import DriverVerification
from forecourt.identity.providers import IdentityClaim, IdentityProvider
from forecourt.testdrive.rules import DriverRecord


def id_number_digest(secret_key: str, id_number: str) -> str:
    return hmac.new(secret_key.encode(), f"id-number:{id_number}".encode(), hashlib.sha256).hexdigest()


def get_verification(session: Session, user_id: int) -> DriverVerification | None:
    return repository.get_verification(session, user_id)


def driver_record(session: Session, user_id: int) -> DriverRecord | None:
    verification = get_verification(session, user_id)
    if verification is None:
        return None
    return DriverRecord(verification.verified, verification.date_of_birth, verification.licence_expiry)


def verify_driver(
    session: Session,
    user_id: int,
    claim: IdentityClaim,
    *,
    identity: IdentityProvider,
    credit: CreditScoreProvider,
    secret_key: str,
    today: date,
) -> DriverVerification:
    """Check the claim and record the outcome (verified or not, with the provider's reasons). A failed check
    is recorded too, so staff can see why a shopper could not book; it never holds the ID number."""
    try:
        resident = parse_resident_id(claim.id_number)
    except IdNumberError as exc:
        raise InvalidInput(str(exc), code="id_number_invalid", errors=[FieldError("id_number", str(exc))]) from exc
    claim = IdentityClaim(claim.full_name.strip(), resident.number, claim.licence_expiry, claim.licence_class)
    check = identity.verify(claim, today=today)
    verification = get_verification(session, user_id) or DriverVerification(user_id=user_id)
    verification.full_name = claim.full_name[:40]
    verification.id_number_masked = mask_id_number(resident.number)
    verification.id_number_digest = id_number_digest(secret_key, resident.number)
    verification.date_of_birth = check.date_of_birth or resident.birth_date
    verification.licence_class = claim.licence_class
    verification.licence_expiry = claim.licence_expiry
    verification.verified = check.verified
    verification.provider = check.provider
    verification.provider_reference = check.reference
    verification.refusal_reasons = ",".join(check.reasons)
    if check.verified:
        score = credit.score(resident.number)
        verification.credit_score, verification.credit_provider = score.score, score.provider
    verification.checked_at = utcnow()
    verification.premium_member = bool(verification.premium_member)
    session.add(verification)
    session.flush()
    audit.record(
        session,
        user_id,
        "driver.verification_checked",
        "user",
        user_id,
        None,
        verified=check.verified,
        provider=check.provider,
        reasons=list(check.reasons),
    )
    return verification


def set_premium_member(session: Session, user_id: int, premium: bool, *, actor: int) -> DriverVerification:
    """Premium members confirm test drives without a deposit. The flag sits with the verified licence, so a
    shopper must have verified one first."""
    verification = get_verification(session, user_id)
    if verification is None:
        raise Conflict(
            "This shopper has not verified a driving licence yet; membership applies after that", code="not_verified"
        )
    verification.premium_member = premium
    session.flush()
    audit.record(session, actor, "driver.premium_membership_set", "user", user_id, None, premium=premium)
    return verification
