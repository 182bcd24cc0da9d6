"""The lease page of an owner's car: `/garage/{reference}/lease` — the allowance, km driven, daily rate, projection
and excess charge, each with its arithmetic written out (the template turns the core's steps into sentences in
the page's language), the pace, and from 120 days before the end the lease-end options with their figures.

The swap option is a form that reads back into the same page (GET: nothing is stored): a car for sale (the owner's
store's cars, or any VIN), a product, a term, the appraisal (default: the estimate, leases.swap) and cash added;
the answer is the swap's arithmetic, or the refusal with each field's error."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from forecourt.backoffice.access import sign_in_url
from forecourt.core.clock import utcnow
from forecourt.core.errors import DomainError, FieldError
from forecourt.core.http import DbSession
from forecourt.ownership import errors
from forecourt.ownership.leases import service as leases
from forecourt.ownership.leases import swap
from forecourt.ownership.leases.contract_terms import lease_end_contract
from forecourt.ownership.leases.lease_end import LEASE_END_NOTICE_DAYS
from forecourt.ownership.models import Ownership
from forecourt.ownership.records import service as records
from forecourt.web.errors import PAGES_TAG
from forecourt.web.page_helpers import Problem, here, redirect
from forecourt.web.templating import PageContext

router = APIRouter(tags=[PAGES_TAG], include_in_schema=False, default_response_class=HTMLResponse)
SWAP_FIELDS = ("vin", "other_vin", "product", "term_months", "appraisal", "cash_down", "annual_mileage")
DEFAULT_SWAP_TERM = 36


@router.get("/garage/{reference}/lease", response_model=None)
def my_lease(session: DbSession, page: PageContext, reference: str) -> Response:
    if page.user is None:
        return redirect(sign_in_url(here(page.request)))
    ownership = records.get_for_owner(session, page.user.user_id, reference)
    view = leases.lease_view(session, ownership, utcnow())
    swap_form, swap_context = _swap(session, page, ownership, view)
    response = page.render(
        "ownership/lease.html",
        status_code=swap_context.pop("status_code", 200),
        user=page.user,
        view=view,
        notice_days=LEASE_END_NOTICE_DAYS,
        options_from=view.mileage.terms.end_day - timedelta(days=LEASE_END_NOTICE_DAYS),
        swap_form=swap_form,
        swap_products=swap.SWAP_PRODUCTS,
        max_amount=swap.MAX_AMOUNT,
        nav="garage",
        **swap_context,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _swap(
    session: DbSession, page: PageContext, ownership: Ownership, view: leases.LeaseView
) -> tuple[dict[str, str], dict[str, Any]]:
    """The swap form's values and, once asked, its answer or refusal; nothing before the options are due."""
    if not view.options_due:
        return {}, {}
    query = page.request.query_params
    estimate = swap.estimated_appraisal(lease_end_contract(view.terms, view.today))
    form = {name: query.get(name, "").strip()[:40] for name in SWAP_FIELDS}
    form["product"] = form["product"] or swap.SWAP_PRODUCTS[0]
    form["term_months"] = form["term_months"] or str(DEFAULT_SWAP_TERM)
    form["appraisal"] = form["appraisal"] or f"{estimate:.2f}"
    context: dict[str, Any] = {
        "swap_cars": swap.cars_for_sale(session, ownership),
        "swap_estimate": estimate,
        "swap_result": None,
        "swap_errors": {},
        "swap_problem": None,
    }
    if not (query.get("vin") or query.get("other_vin")):
        return form, context
    try:
        ask = _parse(form, estimate)
        context["swap_result"] = swap.swap_view(session, ownership, ask, utcnow())
    except DomainError as exc:
        context["swap_errors"] = {e.field: e.message for e in exc.errors}
        context["swap_problem"] = Problem.of(exc)
        context["status_code"] = exc.status
    return form, context


def _parse(form: dict[str, str], estimate: Decimal) -> swap.SwapAsk:
    problems: list[FieldError] = []

    def number(name: str, kind: type, default: Any) -> Any:
        text = form[name].replace(",", "")
        if not text:
            return default
        try:
            value = kind(text)
        except (ValueError, InvalidOperation):
            problems.append(FieldError(name, "must be a number", form[name]))
            return default
        if kind is Decimal and swap.amount_problem(value):
            problems.append(FieldError(name, swap.amount_problem(value) or "", form[name]))
        return value

    term = number("term_months", int, DEFAULT_SWAP_TERM)
    appraisal = number("appraisal", Decimal, None)
    cash = number("cash_down", Decimal, Decimal("0.00"))
    mileage = number("annual_mileage", int, swap.DEFAULT_ANNUAL_MILEAGE)
    if problems:
        raise errors.InvalidSwap(problems)
    vin = (form["other_vin"] or form["vin"]).upper()
    # The estimate left as it was shown is still the estimate (the answer says so).
    return swap.SwapAsk(vin, form["product"], term, None if appraisal == estimate else appraisal, cash, mileage)
