"""Credit application pages: the storefront's apply form (/finance/apply?quote=REF), the decision page and my
applications; the back office's review queue and one application with the reveal and override forms.

Thin like the other page modules: parse the form, check who acts, call one service function, render; every text
is in the templates. A refused form names every wrong field and every missing consent at once and echoes what was
typed, except the ID number and the income: the page says it cleared them, and why, and they are typed again.
Submitting runs in a savepoint with the idempotency key the form carries, so a double click applies once.
"""

from __future__ import annotations

import uuid
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from forecourt.accounts.principal import Principal, Role
from forecourt.accounts.security import CurrentUser
from forecourt.backoffice.access import NotAllowed, PostedForm, SignInRequired, sign_in_url
from forecourt.catalog import service as catalog
from forecourt.core import dates, idempotency
from forecourt.core.client_address import client_ip
from forecourt.core.clock import utcnow
from forecourt.core.errors import DomainError, FieldError, NotFound
from forecourt.core.http import DbSession, WriteSession, app_secret
from forecourt.finance.credit import repository, review
from forecourt.finance.credit import service as applications
from forecourt.finance.credit.api import (
    application_out,
    bureau_of,
    cipher_of,
    may_open_full_record,
    review_detail,
    review_scope,
)
from forecourt.finance.credit.schemas import ReviewDetailOut
from forecourt.testdrive.page_support import Problem, form_text, here, redirect, render
from forecourt.web.errors import PAGES_TAG
from forecourt.web.i18n import column_suffix
from forecourt.web.templating import Page, PageContext

router = APIRouter(tags=[PAGES_TAG], include_in_schema=False, default_response_class=HTMLResponse)

TEXT_FIELDS = {
    "full_name": 60,
    "id_type": 12,
    "date_of_birth": 10,
    "address": 200,
    "employer": 120,
    "employment_months": 4,
    "monthly_housing_cost": 14,
    "monthly_other_debts": 14,
}
NEVER_ECHOED = ("id_number", "monthly_income")
QUEUE_FILTERS = ("manual_review", "conditional", "declined", "approved", "withdrawn")


def _review_user(request: Request, user: CurrentUser) -> Principal:
    if user is None:
        raise SignInRequired(here(request) if request.method == "GET" else request.url.path)
    if not user.has_role(Role.FINANCE_OFFICER, Role.STORE_STAFF, Role.ADMIN):
        raise NotAllowed()
    return user


ReviewUser = Annotated[Principal, Depends(_review_user)]


# --- storefront: apply ---------------------------------------------------------------------------------------------


def _quote_view(session: Session, user_id: int, reference: str) -> dict[str, Any]:
    quote = repository.get_quote(session, reference.strip().upper()) if reference else None
    if quote is None or not quote.usable_by(user_id):
        raise NotFound(f"No quote {reference}", code="quote_not_found")
    return {
        "quote": quote,
        "vehicle": catalog.get_vehicle_by_id(session, quote.vehicle_id),
        "down_payment": Decimal(str((quote.inputs or {}).get("down_payment", "0"))),
        "term_months": (quote.inputs or {}).get("term_months"),
    }


def _render_apply(
    session: Session,
    page: Page,
    reference: str,
    *,
    status_code: int = 200,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    consents: frozenset[str] = frozenset(),
    cleared: tuple[str, ...] = (),
    problem: Problem | None = None,
) -> HTMLResponse:
    """`cleared`: the secrets (NEVER_ECHOED) the refused form had, which the page says it did not send back."""
    assert page.user is not None
    view = _quote_view(session, page.user.user_id, reference)  # someone else's or no quote: the 404 page
    blocked = False
    try:  # the same check `submit` makes: a quote it would refuse gets no form, but the reason and the next step
        applications.check_applicable(session, page.user.user_id, reference, utcnow())
    except DomainError as exc:
        blocked = True
        if problem is None:
            problem, status_code = Problem.of(exc), exc.status
    return render(
        page,
        "finance/apply.html",
        status_code=status_code,
        view=view,
        blocked=blocked,
        form=form or {},
        errors=errors or {},
        consents=consents,
        cleared=cleared,
        problem=problem,
        key=str(uuid.uuid4()),
        texts=applications.CONSENT_TEXTS,
        version=applications.CONSENT_TEXT_VERSION,
        required=applications.REQUIRED_CONSENTS,
    )


@router.get("/finance/apply", response_model=None)
def apply_form(session: DbSession, page: PageContext) -> Response:
    if page.user is None:
        return redirect(sign_in_url(here(page.request)))
    return _render_apply(session, page, page.request.query_params.get("quote", "")[:12])


def _parse(posted: Any) -> tuple[dict[str, str], dict[str, str], applications.ApplicantInput]:
    """The typed text (to echo), the fields that are not a date or a number, and the applicant to check.

    Each text is read one character past its limit, so a value that is too long is refused by the checks rather
    than silently cut to fit. A field that cannot be parsed gets a stand-in value in the applicant, so the other
    fields are still checked: one answer names every field to correct.
    """
    form = {name: form_text(posted, name, limit + 1) for name, limit in TEXT_FIELDS.items()}
    secret = {name: form_text(posted, name, 32) for name in NEVER_ECHOED}
    errors: dict[str, str] = {}
    born = dates.parse_day(form["date_of_birth"], dates.EARLIEST_BIRTH)
    if born is None:
        errors["date_of_birth"] = "date_of_birth"
    amounts: dict[str, Decimal] = {}
    for name, text in (
        ("monthly_income", secret["monthly_income"]),
        ("monthly_housing_cost", form["monthly_housing_cost"]),
        ("monthly_other_debts", form["monthly_other_debts"]),
    ):
        try:
            amounts[name] = Decimal(text.replace(",", "") or ("0" if name != "monthly_income" else "x"))
            if not amounts[name].is_finite():
                raise InvalidOperation
        except InvalidOperation:
            errors[name] = name
            amounts[name] = Decimal(0)
    months = form["employment_months"]
    if not (months.isascii() and months.isdigit()):  # "²".isdigit() too
        errors["employment_months"] = "employment_months"
    person = applications.ApplicantInput(
        form["full_name"],
        form["id_type"],
        secret["id_number"],
        born or dates.EARLIEST_BIRTH,
        form["address"],
        form["employer"],
        int(months) if "employment_months" not in errors else 0,
        amounts["monthly_income"],
        amounts["monthly_housing_cost"],
        amounts["monthly_other_debts"],
    )
    return form, errors, person


def _field_errors(errors: list[FieldError]) -> dict[str, str]:
    names = (e.field.removeprefix("consents.") for e in errors)
    return {name: name for name in names}


@router.post("/finance/apply", response_model=None)
def apply(session: DbSession, page: PageContext, posted: PostedForm) -> Response:
    reference = form_text(posted, "quote", 12)
    if page.user is None:
        return redirect(sign_in_url(f"/finance/apply?quote={reference}"))
    user = page.user
    kind = form_text(posted, "kind", 20)
    consents = frozenset(p for p in applications.CONSENT_TEXTS if posted.get(f"consent_{p}") == "yes")
    form, errors, person = _parse(posted)
    cleared = tuple(name for name in NEVER_ECHOED if form_text(posted, name, 1))
    if errors or kind not in applications.KINDS:
        # Every other field is checked too (a stand-in replaced what could not be parsed), with the consents.
        found = applications.submission_errors(kind, person, consents, utcnow().date())
        errors = {**_field_errors(found), **errors}
        problem = None if kind in applications.KINDS else Problem("invalid_kind", 422, "Choose Pre-qualify or Apply")
        return _render_apply(
            session,
            page,
            reference,
            status_code=422,
            form=form,
            errors=errors,
            consents=consents,
            cleared=cleared,
            problem=problem,
        )
    submission = applications.Submission(
        kind=kind,
        user_id=user.user_id,
        quote_reference=reference,
        applicant=person,
        consents=consents,
        ip=client_ip(page.request),
        language=page.lang,
    )
    fingerprint = idempotency.fingerprint(
        "POST",
        "/finance/apply",
        {
            **form,
            "kind": kind,
            "quote": reference,
            "consents": sorted(consents),
            "id": person.id_number,
            "income": str(person.monthly_income),
        },
        key=app_secret(page.request),
    )
    try:
        key = idempotency.check_key(form_text(posted, "idempotency_key", 128))
        with session.begin_nested():
            claimed = idempotency.begin(session, f"user:{user.user_id}", key, fingerprint)
            if isinstance(claimed, idempotency.Replay):
                return redirect(f"/finance/applications/{(claimed.body or {}).get('reference', '')}")
            row = applications.submit(
                session, cipher_of(page.request), submission, now=utcnow(), bureau=bureau_of(page.request)
            )
            idempotency.finish(session, claimed, 303, {"reference": row.reference})
    except DomainError as exc:
        problem = None if exc.code in ("invalid_applicant", "consent_required") else Problem.of(exc)
        return _render_apply(
            session,
            page,
            reference,
            status_code=exc.status,
            form=form,
            errors=_field_errors(exc.errors),
            consents=consents,
            cleared=cleared,
            problem=problem,
        )
    return redirect(f"/finance/applications/{row.reference}")


# --- storefront: the decision, my applications -------------------------------------------------------------------


@router.get("/finance/applications", response_model=None)
def my_applications(session: DbSession, page: PageContext) -> Response:
    if page.user is None:
        return redirect(sign_in_url(here(page.request)))
    cipher = cipher_of(page.request)
    rows = [application_out(session, row, cipher=cipher) for row in review.list_own(session, page.user.user_id)]
    return render(page, "finance/applications.html", applications=rows)


@router.get("/finance/applications/{reference}", response_model=None)
def decision_page(session: DbSession, page: PageContext, reference: str) -> Response:
    if page.user is None:
        return redirect(sign_in_url(here(page.request)))
    row = review.get_own(session, page.user.user_id, reference)
    notice = review.adverse_action_notice(cipher_of(page.request), row)
    return render(
        page,
        "finance/application.html",
        app=application_out(session, row, cipher=cipher_of(page.request)),
        notice=notice,
    )


# --- back office: the queue, one application ---------------------------------------------------------------------


@router.get("/backoffice/finance/review")
def review_queue(session: DbSession, page: PageContext, user: ReviewUser) -> HTMLResponse:
    chosen = page.request.query_params.get("status", "manual_review")
    status = chosen if chosen in QUEUE_FILTERS else "manual_review"
    rows = review.review_queue(session, review_scope(user), statuses=(status,))
    return render(
        page,
        "finance/review_queue.html",
        rows=[application_out(session, r) for r in rows],
        store_names=_store_names(session, page),
        status=status,
        filters=QUEUE_FILTERS,
        officer=may_open_full_record(user),  # who decides: the queue tells them what to do next
        section="finance-review",
    )


def _store_names(session: Session, page: Page) -> dict[str, str]:
    """Store codes (as the application documents carry them) to the names a reader knows."""
    return catalog.display_names(session, column_suffix(page.lang))["store"]


def _render_detail(
    session: Session,
    page: Page,
    user: Principal,
    reference: str,
    *,
    reveal_id: bool = False,
    status_code: int = 200,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
) -> HTMLResponse:
    detail: ReviewDetailOut = review_detail(session, page.request, user, reference, reveal_id=reveal_id)
    return render(
        page,
        "finance/review_detail.html",
        status_code=status_code,
        app=detail,
        store_names=_store_names(session, page),
        errors=errors or {},
        form=form or {},
        officer=may_open_full_record(user),
        section="finance-review",
        done=page.request.query_params.get("done", "")[:20],
    )


@router.get("/backoffice/finance/review/{reference}")
def review_page(session: WriteSession, page: PageContext, user: ReviewUser, reference: str) -> HTMLResponse:
    """A GET that writes: an officer's opening of the full record is audited."""
    return _render_detail(session, page, user, reference)


@router.post("/backoffice/finance/review/{reference}/reveal")
def reveal(session: DbSession, page: PageContext, user: ReviewUser, reference: str) -> HTMLResponse:
    """Show the ID number unmasked (audited as a view that revealed it); finance officers only."""
    if not may_open_full_record(user):
        raise NotAllowed()
    return _render_detail(session, page, user, reference, reveal_id=True)


@router.post("/backoffice/finance/review/{reference}/decision", response_model=None)
def decide(session: DbSession, page: PageContext, user: ReviewUser, reference: str, posted: PostedForm) -> Response:
    if not may_open_full_record(user):
        raise NotAllowed()
    scope = review_scope(user)
    row = review.get_in_scope(session, reference, scope)
    # One past the 500 allowed, so a reason that is too long is refused and kept, not cut to fit.
    form = {"outcome": form_text(posted, "outcome", 20), "reason": form_text(posted, "reason", 501)}
    try:
        with session.begin_nested():
            review.override(
                session,
                cipher_of(page.request),
                review.provider_of(session, row),
                reference,
                actor_user_id=user.user_id,
                allowed_store_ids=scope,
                outcome=form["outcome"],
                reason=form["reason"],
                now=utcnow(),
            )
    except DomainError as exc:
        errors = {e.field: e.field for e in exc.errors} or {"outcome": exc.code}
        return _render_detail(session, page, user, reference, status_code=exc.status, errors=errors, form=form)
    return redirect(f"/backoffice/finance/review/{reference}?done=decided")
