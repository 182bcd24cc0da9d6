"""Quote pages: the payment widget's form (also on the vehicle page), the quote with its disclosure boxes and PDF,
and the search by monthly payment.

Everything works without JavaScript: the widget is a plain form that POSTs to /quotes and is sent (303) to the
quote page; the search is a GET form, so every result page is a shareable URL. Anonymous shoppers may quote
(a quote reserves nothing, so there is nothing to protect with a CSRF token); a signed-in shopper's form carries
the session's CSRF token, which `accounts.security` checks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from forecourt.backoffice.access import PostedForm, SignInRequired
from forecourt.catalog import service as catalog
from forecourt.catalog.models import BodyType, Vehicle
from forecourt.core.clock import utcnow
from forecourt.core.errors import DomainError, Unauthenticated
from forecourt.core.http import DbSession
from forecourt.finance.quotes import documents
from forecourt.finance.quotes import payment_search as payment_search_service
from forecourt.finance.quotes import service as quotes
from forecourt.finance.quotes.api import local_today, pdf_response, viewer_of
from forecourt.web.errors import PAGES_TAG
from forecourt.web.templating import Page, PageContext

router = APIRouter(tags=[PAGES_TAG], include_in_schema=False, default_response_class=HTMLResponse)

DOWN_PERCENTS = (0, 10, 15, 20, 25, 30, 40, 50)
TERMS = (12, 24, 36, 48, 60)
MILEAGES = (10_000, 15_000, 20_000, 30_000)


@dataclass
class WidgetChoices:
    """What the payment widget shows selected; `problem` is a refused quote to explain above the form."""

    down_percent: int = 20
    term_months: int = 36
    annual_mileage: int = 15_000
    problem: dict[str, Any] | None = None
    down_percents: tuple[int, ...] = DOWN_PERCENTS
    terms: tuple[int, ...] = TERMS
    mileages: tuple[int, ...] = MILEAGES


@dataclass
class SearchForm:
    monthly_max: str = ""
    term_months: int = 36
    down_percent: int = 20
    city: str = ""
    body_type: str = ""
    page: int = 1
    errors: list[str] = field(default_factory=list)
    result: payment_search_service.SearchResult | None = None


def _render(page: Page, template: str, *, status_code: int = 200, **context: Any) -> HTMLResponse:
    response = page.render(template, status_code=status_code, dec=Decimal, **context)
    response.headers["Cache-Control"] = "no-store"
    return response


def here(request: Request) -> str:
    return request.url.path + (f"?{request.url.query}" if request.url.query else "")


def _int(text: object, default: int) -> int:
    try:
        return int(str(text).strip())
    except (TypeError, ValueError):
        return default


def _problem(exc: DomainError) -> dict[str, Any]:
    return {"code": exc.code, "status": exc.status, "message": exc.message, "extra": dict(exc.extra)}


def _form_page(page: Page, vehicle: Vehicle, choices: WidgetChoices, status_code: int = 200) -> HTMLResponse:
    return _render(page, "finance/quote_form.html", status_code=status_code, vehicle=vehicle, widget=choices)


@router.get("/quotes/new")
def new_quote(session: DbSession, page: PageContext) -> HTMLResponse:
    params = page.request.query_params
    vehicle = catalog.get_vehicle(session, params.get("vin", "")[:17])
    choices = WidgetChoices(
        down_percent=_int(params.get("down_percent"), 20),
        term_months=_int(params.get("term_months"), 36),
        annual_mileage=_int(params.get("annual_mileage"), 15_000),
    )
    return _form_page(page, vehicle, choices)


@router.post("/quotes", response_model=None)
def create_quote(session: DbSession, page: PageContext, posted: PostedForm) -> Response:
    vin = str(posted.get("vin", "")).strip()[:17]
    choices = WidgetChoices(
        down_percent=_int(posted.get("down_percent"), -1),
        term_months=_int(posted.get("term_months"), 0),
        annual_mileage=_int(posted.get("annual_mileage"), 15_000),
    )
    inputs = quotes.QuoteInputs(
        term_months=choices.term_months,
        down_percent=Decimal(choices.down_percent) / 100,
        annual_mileage=choices.annual_mileage,
    )
    try:
        with session.begin_nested():
            comparison = quotes.compare(
                session, vin, inputs, local_today(page.request), page.user.user_id if page.user else None
            )
    except DomainError as exc:
        if exc.code in ("vehicle_not_found", "invalid_vin"):
            raise
        choices.problem = _problem(exc)
        return _form_page(page, catalog.get_vehicle(session, vin), choices, status_code=exc.status)
    return RedirectResponse(f"/quotes/{comparison.reference}", status_code=303)


def _visible(session: Session, page: Page, reference: str) -> quotes.Comparison:
    """The comparison, or SignInRequired (→ the sign-in page, and back) when a signed-out visitor opens a
    signed-in shopper's quote."""
    try:
        return quotes.visible_comparison(session, reference, viewer_of(page.user))
    except Unauthenticated:
        raise SignInRequired(here(page.request)) from None


@router.get("/quotes/{reference}.pdf", response_class=Response)
def quote_pdf(session: DbSession, page: PageContext, reference: str) -> Response:
    return pdf_response(documents.comparison_document(_visible(session, page, reference), utcnow()), page.lang)


@router.get("/quotes/{reference}")
def quote(session: DbSession, page: PageContext, reference: str) -> HTMLResponse:
    comparison = _visible(session, page, reference)
    document = documents.comparison_document(comparison, utcnow())
    viewer = page.user.user_id if page.user else None
    # Staff may read a shopper's quote; pre-qualifying and reserving from it are the shopper's (the same rule as
    # the credit and order use cases), so the page offers them only to whoever may use them.
    usable = comparison.quotes[0].usable_by(viewer)
    return _render(page, "finance/quote.html", doc=document, vehicle=comparison.vehicle, usable=usable)


@router.get("/finance/payment-search")
def payment_search(session: DbSession, page: PageContext) -> HTMLResponse:
    params = page.request.query_params
    form = SearchForm(
        monthly_max=params.get("monthly_max", "").strip()[:14],
        term_months=_int(params.get("term_months"), 36),
        down_percent=_int(params.get("down_percent"), 20),
        city=params.get("city", "").strip()[:40],
        body_type=params.get("body_type", "").strip()[:20],
        page=max(1, _int(params.get("page"), 1)),
    )
    status = 200
    if form.monthly_max:
        try:
            budget = Decimal(form.monthly_max.replace(",", ""))
            if not budget.is_finite() or budget <= 0:
                raise InvalidOperation
        except InvalidOperation:
            form.errors.append("monthly_max")
            status = 422
        else:
            query = payment_search_service.PaymentSearchQuery(
                monthly_max=budget.quantize(Decimal("0.01")),
                term_months=form.term_months,
                down_percent=Decimal(form.down_percent) / 100,
                city=form.city or None,
                body_type=form.body_type if form.body_type in BodyType.__members__.values() else None,
                page=form.page,
            )
            try:
                form.result = payment_search_service.search(session, query, local_today(page.request))
            except DomainError as exc:
                form.errors.append(exc.code)
                status = exc.status
    cities = {store.city.code: store.city for store in catalog.list_stores(session)}
    return _render(
        page,
        "finance/quote_payment_search.html",
        status_code=status,
        form=form,
        cities=[cities[code] for code in sorted(cities)],
        body_types=[b.value for b in BodyType],
        terms=TERMS,
        down_percents=DOWN_PERCENTS,
    )
