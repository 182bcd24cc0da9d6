"""Credit pre-qualification and applications API (/api/v1/finance): consent texts, submit (Idempotency-Key),
the applicant's own applications and adverse-action notice; the back office's review queue, the officer's
audited full record and the manual decision.

Who sees what: the applicant their own applications (masked, with the decision's income-derived figures: PTI,
DTI, the down payment a stipulation needs); store staff and finance officers the applications of their stores (an
unscoped finance officer and admins every store), masked, the decision without those figures; finance officers and
admins the decrypted record with them, each opening audited. Nothing here logs personal data.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse
from sqlalchemy.orm import Session

from forecourt.accounts.principal import Principal, Role
from forecourt.accounts.security import RequiredUser, require_roles
from forecourt.catalog import service as catalog
from forecourt.core.client_address import client_ip
from forecourt.core.clock import utcnow
from forecourt.core.crypto import FieldCipher
from forecourt.core.errors import NotFound
from forecourt.core.http import DbSession, IdempotencyKey, WriteSession, run_idempotent
from forecourt.finance.credit import decisions, review
from forecourt.finance.credit import service as applications
from forecourt.finance.credit.bureau import CreditBureau
from forecourt.finance.credit.schemas import (
    ApplicantOut,
    ApplicationIn,
    ApplicationOut,
    ConsentTextOut,
    DecisionIn,
    DecisionOut,
    OverrideOut,
    ReasonOut,
    ReviewDetailOut,
    StipulationOut,
)
from forecourt.finance.models import CreditApplication
from forecourt.web.i18n import request_language

router = APIRouter(prefix="/api/v1/finance", tags=["finance: credit applications"])
ReviewUser = Annotated[Principal, Depends(require_roles(Role.FINANCE_OFFICER, Role.STORE_STAFF))]
OfficerUser = Annotated[Principal, Depends(require_roles(Role.FINANCE_OFFICER))]


# --- helpers shared with the pages -------------------------------------------------------------------------------


def review_scope(user: Principal) -> frozenset[int] | None:
    """Stores whose applications the user may see: None for every store (admin, unscoped finance officer)."""
    if user.is_admin or any(g.role == Role.FINANCE_OFFICER and g.store_id is None for g in user.grants):
        return None
    return frozenset(
        g.store_id for g in user.grants if g.role in (Role.FINANCE_OFFICER, Role.STORE_STAFF) and g.store_id is not None
    )


def may_open_full_record(user: Principal) -> bool:
    return user.has_role(Role.FINANCE_OFFICER, Role.ADMIN)


def cipher_of(request: Request) -> FieldCipher:
    return request.app.state.field_cipher


def bureau_of(request: Request) -> CreditBureau | None:
    """A configured bureau adapter (tests and future real adapters set `app.state.credit_bureau`)."""
    return getattr(request.app.state, "credit_bureau", None)


def decision_out(row: CreditApplication, cipher: FieldCipher | None = None) -> DecisionOut:
    """With `cipher` the full decision (for the applicant and the officer's record), else the clear part only."""
    record = decisions.opened(cipher, row) if cipher is not None else (row.decision or {})
    down = Decimal(str((record.get("deal") or {}).get("down_payment", "0")))

    def more(required: str | None) -> Decimal | None:
        return None if required is None else max(Decimal(required) - down, Decimal("0.00"))

    return DecisionOut(
        outcome=row.status,
        tier=record.get("tier"),
        monthly_payment=Decimal(record.get("payment", "0")),
        pti=record.get("pti"),
        dti=record.get("dti"),
        ltv=Decimal(record.get("ltv", "0")),
        reasons=[
            ReasonOut(code=r["code"], message_en=r["message_en"], message_zh=r["message_zh"])
            for r in record.get("reasons", [])
        ],
        stipulations=[
            StipulationOut(
                code=s["code"],
                message_en=s["message_en"],
                message_zh=s["message_zh"],
                required_down_payment=s.get("required_down_payment"),
                additional_down_payment=more(s.get("required_down_payment")),
                max_term_months=s.get("max_term_months"),
            )
            for s in record.get("stipulations", [])
        ],
        decided_by_officer=row.decided_by is not None,
        masked=cipher is None,
    )


def application_out(
    session: Session,
    row: CreditApplication,
    model: type[ApplicationOut] = ApplicationOut,
    *,
    cipher: FieldCipher | None = None,
    **extra: Any,
) -> Any:
    """`cipher`: only for the applicant's own answers and the officer's audited record (see decision_out)."""
    vehicle = catalog.get_vehicle_by_id(session, row.vehicle_id)
    return model(
        reference=row.reference,
        kind=row.kind,
        status=row.status,
        quote=review.quote_reference(session, row),
        store=vehicle.store.code,
        vin=vehicle.vin,
        inquiry=(row.decision or {}).get("inquiry", ""),
        created_at=row.created_at,
        decided_at=row.decided_at,
        applicant=ApplicantOut(
            full_name=row.full_name_masked,
            id_type=row.id_type,
            id_number=row.id_number_masked,
            income_band=row.income_band,
            employment_months=row.employment_months,
        ),
        decision=decision_out(row, cipher),
        has_adverse_action_notice=bool(row.adverse_action_notice),
        **extra,
    )


def submission_of(body: ApplicationIn, kind: str, user: Principal, request: Request) -> applications.Submission:
    a = body.applicant
    person = applications.ApplicantInput(
        a.full_name,
        a.id_type,
        a.id_number,
        a.date_of_birth,
        a.address,
        a.employer,
        a.employment_months,
        a.monthly_income,
        a.monthly_housing_cost,
        a.monthly_other_debts,
    )
    return applications.Submission(
        kind=kind,
        user_id=user.user_id,
        quote_reference=body.quote,
        applicant=person,
        consents=frozenset(body.consents),
        consent_text_version=body.consent_text_version,
        ip=client_ip(request),
        language=request_language(request),
    )


def _submit(
    session: Session,
    request: Request,
    user: Principal,
    body: ApplicationIn,
    key: str | None,
    kind: Literal["prequalification", "application"],
) -> JSONResponse:
    stored: dict[str, Any] = {}

    def run() -> tuple[int, Any]:
        cipher = cipher_of(request)
        row = applications.submit(
            session, cipher, submission_of(body, kind, user, request), now=utcnow(), bureau=bureau_of(request)
        )
        stored["body"] = application_out(session, row).model_dump(mode="json")
        return 201, application_out(session, row, cipher=cipher).model_dump(mode="json")

    # The replay record is a clear JSON column: it keeps the masked decision (GET the application for the figures).
    return run_idempotent(
        session,
        request,
        scope=f"user:{user.user_id}",
        key=key,
        payload={"kind": kind, **body.model_dump(mode="json")},
        run=run,
        redact=lambda _body: stored["body"],
    )


# --- the applicant ----------------------------------------------------------------------------------------------


@router.get("/consent-texts", response_model=list[ConsentTextOut], summary="The consent wording, by purpose")
def consent_texts() -> list[ConsentTextOut]:
    return [
        ConsentTextOut(purpose=p, version=applications.CONSENT_TEXT_VERSION, text_en=en, text_zh=zh)
        for p, (en, zh) in applications.CONSENT_TEXTS.items()
    ]


@router.post(
    "/prequalifications",
    status_code=201,
    response_model=ApplicationOut,
    summary="Pre-qualify for a finance quote (soft inquiry: no effect on the credit score)",
)
def prequalify(
    session: DbSession,
    request: Request,
    user: RequiredUser,
    body: ApplicationIn,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    return _submit(session, request, user, body, idempotency_key, "prequalification")


@router.post(
    "/applications",
    status_code=201,
    response_model=ApplicationOut,
    summary="Apply for credit on a finance quote (hard inquiry)",
)
def apply(
    session: DbSession,
    request: Request,
    user: RequiredUser,
    body: ApplicationIn,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    return _submit(session, request, user, body, idempotency_key, "application")


@router.get("/applications", response_model=list[ApplicationOut], summary="My credit applications")
def my_applications(session: DbSession, request: Request, user: RequiredUser) -> list[ApplicationOut]:
    cipher = cipher_of(request)
    return [application_out(session, row, cipher=cipher) for row in review.list_own(session, user.user_id)]


def _visible(session: Session, user: Principal, reference: str, *, officers_only: bool = False) -> CreditApplication:
    """The applicant's own, or one of the caller's stores for back-office roles; otherwise 404."""
    try:
        return review.get_own(session, user.user_id, reference)
    except NotFound:
        allowed = (
            may_open_full_record(user)
            if officers_only
            else user.has_role(Role.FINANCE_OFFICER, Role.STORE_STAFF, Role.ADMIN)
        )
        if not allowed:
            raise
    return review.get_in_scope(session, reference, review_scope(user))


@router.get("/applications/{reference}", response_model=ApplicationOut, summary="One credit application (masked)")
def get_application(session: DbSession, request: Request, user: RequiredUser, reference: str) -> ApplicationOut:
    row = _visible(session, user, reference)
    return application_out(session, row, cipher=cipher_of(request) if row.user_id == user.user_id else None)


@router.get(
    "/applications/{reference}/adverse-action-notice",
    response_class=PlainTextResponse,
    summary="The adverse-action notice of a declined application (text/plain)",
)
def notice(session: DbSession, request: Request, user: RequiredUser, reference: str) -> PlainTextResponse:
    row = _visible(session, user, reference, officers_only=True)
    text = review.adverse_action_notice(cipher_of(request), row)
    if text is None:
        raise NotFound(
            f"Credit application {reference} was not declined; there is no notice", code="no_adverse_action_notice"
        )
    return PlainTextResponse(text, headers={"Cache-Control": "no-store"})


# --- the back office --------------------------------------------------------------------------------------------


@router.get("/review/applications", response_model=list[ApplicationOut], summary="Review queue (masked)")
def review_queue(
    session: DbSession,
    user: ReviewUser,
    status: Annotated[
        list[str] | None,
        Query(
            description="manual_review, conditional, declined, approved, withdrawn",
            json_schema_extra={"items": {"type": "string", "enum": list(review.QUEUE_STATUSES)}},
        ),
    ] = None,
    kind: Annotated[Literal["prequalification", "application"] | None, Query()] = None,
) -> list[ApplicationOut]:
    rows = review.review_queue(session, review_scope(user), statuses=status or ("manual_review",), kind=kind)
    return [application_out(session, row) for row in rows]


def review_detail(
    session: Session, request: Request, user: Principal, reference: str, *, reveal_id: bool
) -> ReviewDetailOut:
    scope = review_scope(user)
    if not may_open_full_record(user):
        return application_out(
            session, review.get_in_scope(session, reference, scope), ReviewDetailOut, full_record=False
        )
    record = review.open_full_record(
        session, cipher_of(request), reference, actor_user_id=user.user_id, allowed_store_ids=scope, reveal_id=reveal_id
    )
    row = record.application
    decision = row.decision or {}
    return application_out(
        session,
        row,
        ReviewDetailOut,
        cipher=cipher_of(request),
        full_record=True,
        full_name_plain=record.full_name,
        id_number_shown=record.id_number,
        id_number_revealed=record.id_number_revealed,
        date_of_birth=record.date_of_birth,
        address=record.address,
        employer=record.employer,
        monthly_income=record.monthly_income,
        monthly_housing_cost=record.monthly_housing,
        monthly_other_debts=record.monthly_debts,
        credit_score=row.credit_score,
        delinquencies_24m=decision.get("delinquencies_24m"),
        bureau=row.bureau,
        bureau_reference=row.bureau_reference,
        override_reason=row.override_reason,
        overrides=[
            OverrideOut(from_status=o["from"], to_status=o["to"], by=o["by"], at=o["at"], reason=o["reason"])
            for o in decision.get("overrides", [])
        ],
    )


@router.get(
    "/review/applications/{reference}",
    response_model=ReviewDetailOut,
    summary="One application for review: the full record for finance officers (audited)",
)
def review_application(
    session: WriteSession,  # a GET that writes: every opening of the full record is audited
    request: Request,
    response: Response,
    user: ReviewUser,
    reference: str,
    reveal: Annotated[Literal["id_number"] | None, Query(description="id_number: show it unmasked (audited)")] = None,
) -> ReviewDetailOut:
    response.headers["Cache-Control"] = "no-store"  # decrypted personal data: never kept by a cache
    return review_detail(session, request, user, reference, reveal_id=reveal == "id_number")


@router.post(
    "/review/applications/{reference}/decision",
    response_model=ApplicationOut,
    summary="Decide by hand (finance officers): approve, conditional or decline, with a reason",
)
def decide(session: DbSession, request: Request, user: OfficerUser, reference: str, body: DecisionIn) -> ApplicationOut:
    scope = review_scope(user)
    row = review.get_in_scope(session, reference, scope)
    row = review.override(
        session,
        cipher_of(request),
        review.provider_of(session, row),
        reference,
        actor_user_id=user.user_id,
        allowed_store_ids=scope,
        outcome=body.outcome,
        reason=body.reason,
        now=utcnow(),
    )
    return application_out(session, row)
