"""Back-office ownership pages (store staff and admins): `/backoffice/ownerships` (current ownerships of my stores,
and with `?vin=` a VIN's history), `/backoffice/ownerships/new` (register a car sold outside Forecourt) and
`/backoffice/ownerships/{reference}` with the transfer and end forms.

Thin like the other page modules: the form is checked by the API's own shapes (records.schemas), the use case runs
in a savepoint (`attempt`), and a refusal is shown by its stable code in the page's language. The register form
carries an idempotency key: a double submit shows the first ownership instead of a 409 against itself.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from forecourt.backoffice.access import NotAllowed, PostedForm, StaffUser, store_scope
from forecourt.catalog import service as catalog
from forecourt.core.clock import utcnow
from forecourt.core.errors import DomainError, Forbidden
from forecourt.core.http import DbSession, WriteSession
from forecourt.ownership.models import EndReason, Ownership
from forecourt.ownership.records import api as records_api
from forecourt.ownership.records import changes
from forecourt.ownership.records import service as records
from forecourt.ownership.records.contracts import PRODUCTS
from forecourt.ownership.records.schemas import ContractIn, EndIn, TransferIn
from forecourt.web.errors import PAGES_TAG
from forecourt.web.idempotent_forms import once
from forecourt.web.page_helpers import Problem, app_secret, attempt, form_text, redirect, render_personal
from forecourt.web.templating import Page, PageContext

router = APIRouter(tags=[PAGES_TAG], include_in_schema=False, default_response_class=HTMLResponse)
BASE = "/backoffice/ownerships"
CONTRACT_FIELDS = (
    "product",
    "price",
    "down_payment",
    "term_months",
    "annual_rate",
    "money_factor",
    "balloon",
    "fee",
    "residual_value",
    "disposition_fee",
    "annual_allowance_km",
    "excess_km_rate",
    "delivered_on",
    "delivery_odometer_km",
)


def _staff_ownership(session: Session, user: Any, reference: str, *, for_update: bool = False) -> Ownership:
    try:
        return records.get_for_staff(session, reference, store_scope(user), user.user_id, for_update=for_update)
    except Forbidden as exc:
        raise NotAllowed() from exc


@router.get(BASE)
def ownerships(session: WriteSession, page: PageContext, user: StaffUser) -> HTMLResponse:
    vin = page.request.query_params.get("vin", "").strip().upper()[:17]
    history, problem = [], None
    if vin:
        try:
            history = records.history(session, vin, store_scope(user), user.user_id)
        except DomainError as exc:
            problem = Problem.of(exc)
    rows = records.list_for_stores(session, store_scope(user))
    stores = catalog.stores_by_id(session)
    return render_personal(
        page,
        "ownership/bo_list.html",
        rows=rows,
        stores=stores,
        vin=vin,
        history=history,
        problem=problem,
        section="ownerships",
    )


def _render_new(
    session: Session,
    page: Page,
    user: Any,
    *,
    values: dict[str, str] | None = None,
    status_code: int = 200,
    problem: Problem | None = None,
    errors: dict[str, str] | None = None,
) -> HTMLResponse:
    return render_personal(
        page,
        "ownership/bo_new.html",
        status_code=status_code,
        values=values or {"product": "lease"},
        stores=catalog.list_managed_stores(session, store_scope(user)),
        products=PRODUCTS,
        problem=problem,
        errors=errors or {},
        key=str(uuid.uuid4()),
        section="ownerships",
    )


@router.get(f"{BASE}/new")
def new_ownership(session: DbSession, page: PageContext, user: StaffUser) -> HTMLResponse:
    return _render_new(session, page, user)


def _field_errors(exc: ValidationError) -> dict[str, str]:
    return {
        ".".join(str(p) for p in e["loc"]) or "contract": e["msg"].removeprefix("Value error, ") for e in exc.errors()
    }


@router.post(f"{BASE}/new", response_model=None)
def register(session: WriteSession, page: PageContext, user: StaffUser, posted: PostedForm) -> Response:
    values = {name: form_text(posted, name, 254) for name in ("vin", "owner", "store", "model_code", *CONTRACT_FIELDS)}
    try:
        contract = ContractIn.model_validate({k: values[k] for k in CONTRACT_FIELDS if values[k] != ""})
    except ValidationError as exc:
        return _render_new(session, page, user, values=values, status_code=422, errors=_field_errors(exc))

    def run() -> tuple[str, None]:
        registration = records.Registration(
            vin=values["vin"],
            owner_user_id=records_api.owner_id(session, values["owner"], "owner"),
            store_id=records_api.store_id(session, values["store"]),
            terms=records_api.terms_in(contract),
            model_code=values["model_code"] or None,
        )
        ownership = records.register(
            session, registration, actor=user.user_id, allowed_store_ids=store_scope(user), now=utcnow()
        )
        return ownership.reference, None

    try:
        reference, _ = once(
            session,
            user.user_id,
            form_text(posted, "idempotency_key", 128),
            f"{BASE}/new",
            values,
            run,
            secret=app_secret(page.request),
        )
    except DomainError as exc:
        return _render_new(session, page, user, values=values, status_code=exc.status, problem=Problem.of(exc))
    return redirect(f"{BASE}/{reference}?done=registered")


def _render_one(
    session: Session, page: Page, user: Any, reference: str, *, status_code: int = 200, problem: Problem | None = None
) -> HTMLResponse:
    ownership = _staff_ownership(session, user, reference)
    contract = records.contract_of(session, ownership)
    return render_personal(
        page,
        "ownership/bo_ownership.html",
        status_code=status_code,
        o=ownership,
        terms=records.terms_of(contract) if contract else None,
        store=catalog.stores_by_id(session)[ownership.store_id],
        problem=problem,
        done=page.request.query_params.get("done", "")[:20],
        today=records.local_day(utcnow(), catalog.stores_by_id(session)[ownership.store_id].time_zone),
        section="ownerships",
    )


@router.get(BASE + "/{reference}")
def ownership(session: WriteSession, page: PageContext, user: StaffUser, reference: str) -> HTMLResponse:
    return _render_one(session, page, user, reference)


def _change(session: Session, page: Page, user: Any, reference: str, run: Callable[[], str], invalid: str) -> Response:
    """A change of the ownership from its form on the ownership's page: `run` reads the form, makes the change in a
    savepoint and says where to go next; a form that does not parse (`invalid` says what to check) or a refused
    change is shown on the ownership's page instead."""
    try:
        done = run()
    except ValidationError:
        problem = Problem("invalid_form", 422, invalid)
        return _render_one(session, page, user, reference, status_code=422, problem=problem)
    except DomainError as exc:
        return _render_one(session, page, user, reference, status_code=exc.status, problem=Problem.of(exc))
    return redirect(done)


@router.post(BASE + "/{reference}/transfer", response_model=None)
def transfer(session: WriteSession, page: PageContext, user: StaffUser, reference: str, posted: PostedForm) -> Response:
    current = _staff_ownership(session, user, reference, for_update=True)

    def run() -> str:
        body = TransferIn.model_validate({k: form_text(posted, k, 254) for k in ("new_owner", "on", "odometer_km")})
        successor = attempt(
            session,
            lambda: changes.transfer(
                session,
                current.reference,
                records_api.owner_id(session, body.new_owner, "new_owner"),
                body.on,
                body.odometer_km,
                actor=user.user_id,
                allowed_store_ids=store_scope(user),
                now=utcnow(),
            ),
        )
        return f"{BASE}/{successor.reference}?done=transferred"

    return _change(session, page, user, reference, run, "Check the buyer, day and odometer")


@router.post(BASE + "/{reference}/end", response_model=None)
def end(session: WriteSession, page: PageContext, user: StaffUser, reference: str, posted: PostedForm) -> Response:
    current = _staff_ownership(session, user, reference, for_update=True)

    def run() -> str:
        body = EndIn.model_validate({k: form_text(posted, k, 40) for k in ("reason", "on", "odometer_km")})
        attempt(
            session,
            lambda: changes.end(
                session,
                current.reference,
                EndReason(body.reason),
                body.on,
                body.odometer_km,
                actor=user.user_id,
                allowed_store_ids=store_scope(user),
                now=utcnow(),
            ),
        )
        return f"{BASE}/{current.reference}?done=ended"

    return _change(session, page, user, reference, run, "Check the reason, day and odometer")
