"""Quote API: every finance product compared for one car, one stored quote, its PDF, and the search by monthly
payment.

`POST /quotes` needs no Idempotency-Key: a quote reserves nothing and is not scarce, so a retried request only
stores a second, equivalent comparison with its own reference (both expire after seven days). Anonymous callers
may quote; a signed-in caller's quotes are stored with their user id.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, model_validator

from forecourt.accounts.principal import Principal, managed_store_ids
from forecourt.accounts.security import CurrentUser
from forecourt.catalog.models import BodyType
from forecourt.core.clock import utcnow
from forecourt.core.decimals import decimal_rules
from forecourt.core.http import DbSession
from forecourt.finance.quotes import documents
from forecourt.finance.quotes import payment_search as payment_search_service
from forecourt.finance.quotes import service as quotes
from forecourt.finance.quotes.pdf import render_quote_pdf
from forecourt.web.i18n import request_language

router = APIRouter(prefix="/api/v1", tags=["finance quotes"])
_STRICT = ConfigDict(extra="forbid")
Percent = Annotated[Decimal, Field(**decimal_rules(ge=0, lt=1, max_digits=7, decimal_places=6))]


class QuoteIn(BaseModel):
    model_config = _STRICT
    vin: str = Field(min_length=17, max_length=17)
    down_payment: Decimal | None = Field(
        None, **decimal_rules(ge=0, max_digits=14, decimal_places=2, description="An amount; or give down_percent")
    )
    down_percent: Percent | None = Field(None, description="A fraction of the price after rebates: 0.2 is 20%")
    term_months: int = Field(ge=1, le=120)
    annual_mileage: int = Field(15_000, ge=0, le=quotes.MAX_ANNUAL_MILEAGE, description="Kilometres a year (leases)")
    balloon_percent: Decimal | None = Field(
        None,
        **decimal_rules(
            gt=0, lt=1, max_digits=7, decimal_places=6, description="Balloon loans; default: the program's maximum"
        ),
    )

    @model_validator(mode="after")
    def _one_down_payment(self) -> QuoteIn:
        if (self.down_payment is None) == (self.down_percent is None):
            raise ValueError("give exactly one of down_payment and down_percent")
        return self


class ReasonOut(BaseModel):
    product: str
    code: str
    message: str
    details: dict[str, Any]


class ProductOut(BaseModel):
    product: str
    offered: bool
    reference: str | None = Field(description="This product's own quote reference (for a credit application)")
    program: dict[str, Any] | None = Field(description="The rate program version the figures were made with")
    monthly_payment: Decimal | None
    due_at_signing: Decimal | None
    total_cost: Decimal | None
    apr: Decimal | None = Field(description="Percent (Regulation Z APR), loans only")
    annualised_rate: Decimal | None = Field(description="Percent: 综合年化利率 (IRR method, fees included)")
    figures: dict[str, Any]
    disclosure: dict[str, Any]
    reason: ReasonOut | None = Field(description="Why the product is not offered (with the figure that cures it)")


class VehicleOut(BaseModel):
    model: str
    model_name_en: str
    model_name_zh: str
    trim: str
    trim_name_en: str
    trim_name_zh: str
    model_year: int
    store: str
    store_name_en: str
    store_name_zh: str


class ComparisonOut(BaseModel):
    reference: str = Field(description="The comparison's reference (its cash quote's); any product reference finds it")
    requested: str
    vin: str
    vehicle: VehicleOut
    price: Decimal
    currency: str
    inputs: dict[str, Any]
    created_at: datetime
    expires_at: datetime
    expired: bool
    products: list[ProductOut]


class PaymentMatchOut(BaseModel):
    vin: str
    model: str
    model_name_en: str
    model_name_zh: str
    trim: str
    trim_name_en: str
    trim_name_zh: str
    store: str
    store_name_en: str
    store_name_zh: str
    price: Decimal
    net_price: Decimal
    currency: str
    down_payment: Decimal
    monthly_payment: Decimal = Field(description="Exact, as the car's loan quote shows it")
    program: str
    program_version: int
    annual_rate: Decimal


class PaymentSearchOut(BaseModel):
    monthly_max: Decimal
    term_months: int
    down_percent: Decimal
    total: int
    page: int
    page_size: int
    pages: int
    vehicles: list[PaymentMatchOut]


def viewer_of(user: Principal | None) -> quotes.Viewer:
    """Who asks, in the quote service's terms: store staff see their stores' quotes, admins every quote."""
    if user is None:
        return quotes.Viewer(None, frozenset())
    if user.has_role("store_staff", "admin"):
        return quotes.Viewer(user.user_id, managed_store_ids(user))
    return quotes.Viewer(user.user_id, frozenset())


def local_today(request: Request) -> date:
    return utcnow().astimezone(ZoneInfo(request.app.state.settings.time_zone)).date()


def pdf_response(document: dict[str, Any], lang: str) -> Response:
    return Response(
        render_quote_pdf(document, lang),
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="forecourt-quote-{document["reference"]}.pdf"',
            "Cache-Control": "private, no-store",
        },
    )


@router.post(
    "/quotes", status_code=201, response_model=ComparisonOut, summary="Compare every finance product for a car"
)
def create_quote(session: DbSession, request: Request, user: CurrentUser, body: QuoteIn) -> JSONResponse:
    inputs = quotes.QuoteInputs(
        term_months=body.term_months,
        down_payment=body.down_payment,
        down_percent=body.down_percent,
        annual_mileage=body.annual_mileage,
        balloon_percent=body.balloon_percent,
    )
    comparison = quotes.compare(session, body.vin, inputs, local_today(request), user.user_id if user else None)
    out = ComparisonOut.model_validate(documents.comparison_document(comparison, utcnow()))
    return JSONResponse(
        out.model_dump(mode="json"), status_code=201, headers={"Location": f"/api/v1/quotes/{comparison.reference}"}
    )


# Declared before /quotes/{reference}, whose parameter would otherwise take "Q….pdf".
@router.get(
    "/quotes/{reference}.pdf",
    response_class=Response,
    summary="A quote as a printable PDF",
    responses={200: {"content": {"application/pdf": {}}}},
)
def quote_pdf(session: DbSession, request: Request, user: CurrentUser, reference: str) -> Response:
    comparison = quotes.visible_comparison(session, reference, viewer_of(user))
    return pdf_response(documents.comparison_document(comparison, utcnow()), request_language(request))


@router.get("/quotes/{reference}", response_model=ComparisonOut, summary="A stored quote and its comparison")
def get_quote(session: DbSession, user: CurrentUser, reference: str) -> ComparisonOut:
    comparison = quotes.visible_comparison(session, reference, viewer_of(user))
    return ComparisonOut.model_validate(documents.comparison_document(comparison, utcnow()))


@router.get(
    "/finance/payment-search",
    response_model=PaymentSearchOut,
    summary="Cars by monthly loan payment",
    responses={404: {"description": "No finance provider is set up yet"}},
)
def payment_search(
    session: DbSession,
    request: Request,
    monthly_max: Annotated[Decimal, Query(**decimal_rules(gt=0, max_digits=12, decimal_places=2))],
    term_months: Annotated[int, Query(ge=1, le=120)],
    down_percent: Annotated[Decimal, Query(**decimal_rules(ge=0, lt=1, max_digits=7, decimal_places=6))],
    city: Annotated[str | None, Query(max_length=40)] = None,
    body_type: BodyType | None = None,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=payment_search_service.MAX_PAGE_SIZE)] = 20,
) -> PaymentSearchOut:
    query = payment_search_service.PaymentSearchQuery(
        monthly_max=monthly_max,
        term_months=term_months,
        down_percent=down_percent,
        city=city,
        body_type=body_type.value if body_type else None,
        page=page,
        page_size=page_size,
    )
    result = payment_search_service.search(session, query, local_today(request))
    return PaymentSearchOut(
        monthly_max=monthly_max,
        term_months=term_months,
        down_percent=down_percent,
        total=result.total,
        page=page,
        page_size=page_size,
        pages=result.pages,
        vehicles=[
            PaymentMatchOut(
                vin=m.vin,
                model=m.model.code,
                model_name_en=m.model.name_en,
                model_name_zh=m.model.name_zh,
                trim=m.trim.code,
                trim_name_en=m.trim.name_en,
                trim_name_zh=m.trim.name_zh,
                store=m.store.code,
                store_name_en=m.store.name_en,
                store_name_zh=m.store.name_zh,
                price=m.price,
                net_price=m.net_price,
                currency=m.currency,
                down_payment=m.down_payment,
                monthly_payment=m.monthly_payment,
                program=m.program.code,
                program_version=m.program.version,
                annual_rate=m.program.annual_rate,
            )
            for m in result.matches
        ],
    )
