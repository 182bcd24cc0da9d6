"""Driver verification API: a shopper proves their driving licence once; the ID number is never echoed."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel, ConfigDict, Field

from forecourt.accounts.principal import Principal
from forecourt.accounts.security import RequiredUser, require_roles
from forecourt.core.clock import utcnow
from forecourt.core.errors import NotFound
from forecourt.core.http import DbSession, app_secret
from forecourt.core.params import Day
from forecourt.identity import service
from forecourt.identity.models import DriverVerification
from forecourt.identity.providers import IdentityClaim
from forecourt.testdrive import lifecycle

router = APIRouter(prefix="/api/v1/me", tags=["identity"])
AdminUser = Annotated[Principal, Depends(require_roles("admin"))]


class VerificationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    full_name: str = Field(min_length=2, max_length=40)
    id_number: str = Field(min_length=15, max_length=22, description="PRC resident ID number (the licence number)")
    licence_expiry: Day
    licence_class: Literal["A1", "A2", "A3", "B1", "B2", "C1", "C2"] = "C1"
    test_drive: str | None = Field(
        default=None,
        max_length=20,
        description="Reference of one of my test drives: a licence that expires before its last day is refused "
        "(422 licence_expires_before_drive) and nothing is stored. A later check replaces the earlier one.",
    )


class VerificationOut(BaseModel):
    full_name: str = Field(description="The shopper's own answer: as given; anyone else's: masked")
    id_number: str = Field(description="Masked (first and last character): the full number is never stored or shown")
    date_of_birth: date | None = Field(description="The shopper's own answer only; null in an admin's answer")
    licence_class: str
    licence_expiry: date
    verified: bool
    reasons: list[str]
    provider: str
    credit_score: int | None
    premium_member: bool
    checked_at: datetime


def _out(verification: DriverVerification, person: service.VerifiedPerson | None = None) -> VerificationOut:
    """`person`: the decrypted name and date of birth, given only when the shopper asks about themselves."""
    return VerificationOut(
        full_name=person.full_name if person else verification.full_name_masked,
        id_number=verification.id_number_masked,
        date_of_birth=person.date_of_birth if person else None,
        licence_class=verification.licence_class,
        licence_expiry=verification.licence_expiry,
        verified=verification.verified,
        reasons=[r for r in verification.refusal_reasons.split(",") if r],
        provider=verification.provider,
        credit_score=verification.credit_score,
        premium_member=verification.premium_member,
        checked_at=verification.checked_at,
    )


@router.post(
    "/driver-verification",
    response_model=VerificationOut,
    summary="Verify or replace my driving licence",
    responses={404: {"description": "`test_drive` names no test drive of mine"}},
)
def verify(session: DbSession, request: Request, user: RequiredUser, body: VerificationIn) -> VerificationOut:
    integrations = request.app.state.integrations
    claim = IdentityClaim(body.full_name, body.id_number, body.licence_expiry, body.licence_class)
    cipher = request.app.state.field_cipher
    secret_key = app_secret(request)
    if body.test_drive:  # the same check as the hold page's: against that drive, by the test-drive rules
        verification = lifecycle.verify_driver_for_drive(
            session,
            user.user_id,
            body.test_drive,
            claim,
            identity_provider=integrations.identity,
            credit=integrations.credit,
            secret_key=secret_key,
            cipher=cipher,
            today=utcnow().date(),
        )
    else:
        verification = service.verify_driver(
            session,
            user.user_id,
            claim,
            identity=integrations.identity,
            credit=integrations.credit,
            secret_key=secret_key,
            cipher=cipher,
            today=utcnow().date(),
        )
    return _out(verification, service.person(cipher, verification))


@router.get(
    "/driver-verification",
    response_model=VerificationOut,
    summary="My driving-licence check",
    responses={404: {"description": "No driving licence verified yet"}},
)
def get_verification(session: DbSession, request: Request, user: RequiredUser) -> VerificationOut:
    verification = service.get_verification(session, user.user_id)
    if verification is None:
        raise NotFound("You have not verified a driving licence yet", code="not_verified")
    return _out(verification, service.person(request.app.state.field_cipher, verification))


class PremiumIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    premium_member: bool


admin_router = APIRouter(prefix="/api/v1/users", tags=["identity"])


@admin_router.put(
    "/{user_id}/premium-membership",
    response_model=VerificationOut,
    summary="Grant or end a shopper's premium membership (waives test-drive deposits)",
)
def set_premium(
    session: DbSession, admin: AdminUser, user_id: Annotated[int, Path(ge=1, le=2**31 - 1)], body: PremiumIn
) -> VerificationOut:
    return _out(service.set_premium_member(session, user_id, body.premium_member, actor=admin.user_id))
