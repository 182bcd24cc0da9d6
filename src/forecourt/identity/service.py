"""Driver verification use cases: check a licence with the identity provider, record the outcome and the
credit score; the ID number is used in memory and only its mask and keyed digest are stored, the name and the
date of birth only as AES-GCM tokens under the context ``driver_verification:{id}:{field}``."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from forecourt.audit import service as audit
from forecourt.core.clock import utcnow
from forecourt.core.crypto import FieldCipher
from forecourt.core.errors import Conflict, FieldError, InvalidInput
from forecourt.core.masking import mask_name
from forecourt.identity import repository
from forecourt.identity.credit import CreditScoreProvider
from forecourt.identity.id_number import IdNumberError, mask_id_number, parse_resident_id
from forecourt.identity.models import DriverVerification
from forecourt.identity.providers import IdentityClaim, IdentityProvider
from forecourt.testdrive.rules import DriverRecord

# Column of each encrypted field (the field name is also the AES-GCM context label); `forecourt keys rotate` uses it.
ENCRYPTED_COLUMNS = {"full_name": "full_name_enc", "date_of_birth": "date_of_birth_enc"}


@dataclass(frozen=True)
class VerifiedPerson:
    """The decrypted name and date of birth, for the shopper's own answer only."""

    full_name: str
    date_of_birth: date

    def __repr__(self) -> str:  # never print the personal data (tracebacks, debuggers, logs)
        return "VerifiedPerson(<redacted>)"


def context(verification_id: int, field: str) -> str:
    return f"driver_verification:{verification_id}:{field}"


def id_number_digest(secret_key: str, id_number: str) -> str:
    return hmac.new(secret_key.encode(), f"id-number:{id_number}".encode(), hashlib.sha256).hexdigest()


def get_verification(session: Session, user_id: int) -> DriverVerification | None:
    return repository.get_verification(session, user_id)


def person(cipher: FieldCipher, verification: DriverVerification) -> VerifiedPerson:
    def text(field: str) -> str:
        return cipher.decrypt(getattr(verification, ENCRYPTED_COLUMNS[field]), context=context(verification.id, field))

    return VerifiedPerson(text("full_name"), date.fromisoformat(text("date_of_birth")))


def driver_record(session: Session, user_id: int, cipher: FieldCipher) -> DriverRecord | None:
    """What the test-drive rules need: the licence's validity and the exact date of birth (decrypted here, since
    the minimum age is checked on the drive's last day, which a birth year or an age band cannot tell)."""
    verification = get_verification(session, user_id)
    if verification is None:
        return None
    born = person(cipher, verification).date_of_birth
    return DriverRecord(verification.verified, born, verification.licence_expiry)


def verify_driver(
    session: Session,
    user_id: int,
    claim: IdentityClaim,
    *,
    identity: IdentityProvider,
    credit: CreditScoreProvider,
    secret_key: str,
    cipher: FieldCipher,
    today: date,
) -> DriverVerification:
    """Check the claim and record the outcome (verified or not, with the provider's reasons). A failed check
    is recorded too, so staff can see why a shopper could not book; it never holds the ID number, and the name
    and date of birth only encrypted."""
    try:
        resident = parse_resident_id(claim.id_number)
    except IdNumberError as exc:
        raise InvalidInput(str(exc), code="id_number_invalid", errors=[FieldError("id_number", str(exc))]) from exc
    claim = IdentityClaim(claim.full_name.strip(), resident.number, claim.licence_expiry, claim.licence_class)
    check = identity.verify(claim, today=today)
    verification = get_verification(session, user_id) or DriverVerification(
        user_id=user_id, full_name_enc="", date_of_birth_enc=""
    )
    verification.full_name_masked = mask_name(claim.full_name)[:40]
    verification.id_number_masked = mask_id_number(resident.number)
    verification.id_number_digest = id_number_digest(secret_key, resident.number)
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
    session.flush()  # the id binds the tokens to this row
    born = check.date_of_birth or resident.birth_date
    verification.full_name_enc = cipher.encrypt(claim.full_name[:40], context=context(verification.id, "full_name"))
    verification.date_of_birth_enc = cipher.encrypt(born.isoformat(), context=context(verification.id, "date_of_birth"))
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
