"""The page that buys a subscription's car: `/subscriptions/{reference}/convert`.

GET reads the quote form (product, term, cash added) back into the same page and shows `conversion.conversion_quote`:
the car's price, the final invoice, the purchase credit, what is left to finance and the loan's monthly payment and
APR, or the refusal with its next step. Only a priced quote offers the buy button (the same use case decides both).
POST converts in a savepoint with the form's idempotency key (a double submit replays the first outcome) and
redirects to the order, where the normal order flow (apply for credit, the store's confirm) goes on.
"""

from __future__ import annotations

import uuid
from decimal import Decimal, InvalidOperation
from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from forecourt.backoffice.access import PostedForm, sign_in_url
from forecourt.catalog import service as catalog
from forecourt.core.clock import utcnow
from forecourt.core.errors import DomainError, FieldError, InvalidInput
from forecourt.core.http import DbSession, WriteSession
from forecourt.finance.orders.pages import DEMO_PAYMENT_METHODS
from forecourt.mobility.subscriptions import conversion, terms
from forecourt.web.errors import PAGES_TAG
from forecourt.web.idempotent_forms import once
from forecourt.web.page_helpers import Problem, app_secret, form_text, here, redirect
from forecourt.web.templating import Page, PageContext

router = APIRouter(tags=[PAGES_TAG], include_in_schema=False, default_response_class=HTMLResponse)
FIELDS = ("product", "term_months", "cash_down")
SUBSCRIPTION_METHOD = "subscription"  # the form's choice of the subscription's own payment token
# Refusals about the subscription or its car: the quote form cannot cure them, so the page shows the way on instead.
STOPPING = frozenset(
    {
        "subscription_not_active",
        "subscription_not_started",
        "subscription_change_pending",
        "car_not_convertible",
        "credit_exceeds_price",
    }
)


def _path(reference: str) -> str:
    return f"/subscriptions/{reference.strip().upper()[:12]}/convert"


def _form(source: Any) -> dict[str, str]:
    form = {name: form_text(source, name, 20) for name in FIELDS}
    form["product"] = form["product"] or conversion.PRODUCTS[0]
    form["term_months"] = form["term_months"] or str(conversion.ConversionInputs.term_months)
    form["cash_down"] = form["cash_down"] or "0.00"
    return form


def _inputs(form: dict[str, str]) -> conversion.ConversionInputs:
    problems: list[FieldError] = []
    try:
        term = int(form["term_months"])
    except ValueError:
        problems.append(FieldError("term_months", "must be a whole number of months", form["term_months"]))
        term = 0
    try:
        cash = Decimal(form["cash_down"].replace(",", ""))
    except InvalidOperation:
        problems.append(FieldError("cash_down", "must be an amount", form["cash_down"]))
        cash = Decimal("0.00")
    if problems:
        raise InvalidInput("The conversion has invalid fields; see errors.", code="invalid_conversion", errors=problems)
    inputs = conversion.ConversionInputs(form["product"], term, cash)
    conversion.check_inputs(inputs)
    return inputs


def _render(
    session: Session,
    page: Page,
    reference: str,
    form: dict[str, str],
    *,
    status_code: int = 200,
    problem: Problem | None = None,
    errors: dict[str, str] | None = None,
) -> HTMLResponse:
    assert page.user is not None
    quote = None
    try:  # after a refused POST too: the figures and the form stay, beside the refusal
        quote = conversion.conversion_quote(session, page.user.user_id, reference, _inputs(form), utcnow())
    except DomainError as exc:
        if exc.status == 404:
            raise
        if problem is None:
            problem, status_code = Problem.of(exc), exc.status
            errors = {e.field: e.message for e in exc.errors}
    own = conversion.owned_subscription(session, page.user.user_id, reference)
    response = page.render(
        "mobility/convert.html",
        status_code=status_code,
        user=page.user,
        csrf_token=page.user.csrf_token or "",
        subscription=own,
        store=catalog.stores_by_id(session)[own.store_id],
        quote=quote,
        form=form,
        errors=errors or {},
        problem=problem,
        stopped=problem is not None and problem.code in STOPPING,
        products=conversion.PRODUCTS,
        family=terms.FAMILY,
        methods=(SUBSCRIPTION_METHOD, *DEMO_PAYMENT_METHODS),
        key=str(uuid.uuid4()),
        nav="subscriptions",
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/subscriptions/{reference}/convert", response_model=None)
def convert_form(session: DbSession, page: PageContext, reference: str) -> Response:
    if page.user is None:
        return redirect(sign_in_url(here(page.request)))
    return _render(session, page, reference, _form(page.request.query_params))


@router.post("/subscriptions/{reference}/convert", response_model=None)
def convert(session: WriteSession, page: PageContext, reference: str, posted: PostedForm) -> Response:
    """Buy the car: final invoice, the car on sale to the subscriber and an order on the loan quote, at once."""
    if page.user is None:
        return redirect(sign_in_url(_path(reference)))
    user = page.user
    form = _form(posted)
    method = form_text(posted, "payment_method", 64)
    provider = page.request.app.state.integrations.payments

    def run() -> tuple[str, None]:
        done = conversion.convert(
            session,
            user.user_id,
            reference,
            _inputs(form),
            payment_method=None if method in ("", SUBSCRIPTION_METHOD) else method,
            payment_provider=provider,
            now=utcnow(),
        )
        return done.order.reference, None

    try:
        order, _ = once(
            session,
            user.user_id,
            form_text(posted, "idempotency_key", 128),
            _path(reference),
            {**form, "payment_method": method},
            run,
            secret=app_secret(page.request),
        )
    except DomainError as exc:
        if exc.status == 404:
            raise
        errors = {e.field: e.message for e in exc.errors}
        return _render(session, page, reference, form, status_code=exc.status, problem=Problem.of(exc), errors=errors)
    return redirect(f"/orders/{order}?notice=converted")
