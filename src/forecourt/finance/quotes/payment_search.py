"""Search the available inventory by monthly loan payment ("under ¥3,000 a month over 36 months, 20 % down").

Every car is priced with the best current loan program for its model and trim at that term (tier "*", the
programs open to every credit tier), exactly as `quotes.compare` prices its loan:
1. One query for the available cars as plain rows (id, price in fen, model, trim, store, powertrain).
2. Vectorised (numpy, finance/calc/payment_search) per program: net price = price − the program's rebate, the
   float estimate of the payment, the budget mask with its margin, and the minimum down payment (the lending
   policy's by powertrain and the program's, in exact integer fen), so no car that fits is dropped.
3. Cars whose estimate lies within a cent of the budget get the exact Decimal check (loan.quote_loan), so the
   total is exact; the rest are ordered by the estimate.
4. The page shown gets the exact Decimal payment (`payment_search.exact_payment`, the same LoanRequest as the
   quote's loan): the figure displayed is always the exact one, sorted by it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import numpy as np
from sqlalchemy import Row
from sqlalchemy.orm import Session

from forecourt.catalog import service as catalog
from forecourt.catalog.models import Store, Trim, VehicleModel
from forecourt.core.errors import FieldError, InvalidInput
from forecourt.core.money import from_minor_units, to_minor_units
from forecourt.finance.calc import payment_search
from forecourt.finance.calc.payment_search import PaymentQuery
from forecourt.finance.models import FinanceProvider, RateProgram
from forecourt.finance.programs import service as programs
from forecourt.finance.quotes.service import LENDING_POLICY, LOAN, USE

MAX_PAGE_SIZE = 50
# An estimate this far under the budget is certain to round to a payment within it (float error is ~1e-7 yuan).
SURE_FIT_MARGIN = 0.006


@dataclass(frozen=True)
class PaymentSearchQuery:
    monthly_max: Decimal
    term_months: int
    down_percent: Decimal  # a fraction of the price after any rebate, 0.2 = 20 %
    city: str | None = None
    body_type: str | None = None
    page: int = 1
    page_size: int = 20


@dataclass(frozen=True)
class Match:
    vehicle_id: int
    vin: str
    price: Decimal
    net_price: Decimal  # after the program's cash rebate
    currency: str
    model: VehicleModel
    trim: Trim
    store: Store
    monthly_payment: Decimal  # exact, as the loan quote shows it
    down_payment: Decimal
    program: RateProgram


@dataclass(frozen=True)
class SearchResult:
    query: PaymentSearchQuery
    matches: list[Match]
    total: int
    pages: int


def search(session: Session, query: PaymentSearchQuery, on: date) -> SearchResult:
    _check(query)
    provider = programs.default_provider(session)
    rows = catalog.list_searchable_vehicle_rows(
        session, city_code=query.city or None, body_type=query.body_type or None
    )
    best: dict[tuple[str, str], RateProgram | None] = {}
    for model_code, trim_code in sorted({(r.model_code, r.trim_code) for r in rows}):
        best[(model_code, trim_code)] = programs.best_program(
            programs.applicable_programs(
                session,
                provider=provider,
                model_code=model_code,
                trim_code=trim_code,
                on=on,
                product=LOAN,
                term_months=query.term_months,
            )
        )
    if rows and not any(best.values()):
        raise _term_not_offered(session, query, provider, sorted(best), on)
    chosen = [best[(r.model_code, r.trim_code)] for r in rows]
    prices = np.fromiter((r.price_minor for r in rows), dtype=np.int64, count=len(rows))
    estimates = np.full(len(rows), np.nan)
    fits = np.zeros(len(rows), dtype=bool)
    by_program: dict[int, RateProgram] = {p.id: p for p in chosen if p is not None}
    program_ids = np.fromiter((p.id if p is not None else -1 for p in chosen), dtype=np.int64, count=len(rows))
    minimum_shares = {pt: 1 - LENDING_POLICY.max_ltv(USE, pt) for pt in {r.powertrain for r in rows}}
    for program_id, program in by_program.items():
        in_group = np.flatnonzero(program_ids == program_id)
        net = np.maximum(prices[in_group] - to_minor_units(program.cash_rebate), 0)
        loan_query = _loan_query(query, program)
        group_estimates = payment_search.estimate_payments(net, loan_query)
        floors = np.array(
            [max(minimum_shares[rows[i].powertrain], Decimal(program.min_down_percent)) for i in in_group], dtype=object
        )
        down_ok = _half_up_share(net, query.down_percent) >= _ceil_shares(net, floors)
        candidates = payment_search.candidates_under_budget(net, loan_query) & down_ok
        sure = candidates & (group_estimates <= float(query.monthly_max) - SURE_FIT_MARGIN)
        for index in np.flatnonzero(candidates & ~sure):  # within a cent of the budget: the exact check decides
            sure[index] = payment_search.fits_budget(from_minor_units(int(net[index])), loan_query)
        estimates[in_group] = group_estimates
        fits[in_group] = sure
    matching = np.flatnonzero(fits)
    ordered = matching[np.lexsort((matching, estimates[matching]))]
    total = len(ordered)
    start = (query.page - 1) * query.page_size
    page_rows = [rows[i] for i in ordered[start : start + query.page_size]]
    models = {m.code: m for m in catalog.list_models(session)} if page_rows else {}
    stores = catalog.stores_by_id(session) if page_rows else {}
    matches = [_exact_match(row, best[(row.model_code, row.trim_code)], query, models, stores) for row in page_rows]
    matches.sort(key=lambda m: (m.monthly_payment, m.vehicle_id))
    return SearchResult(query, matches, total, max(1, math.ceil(total / query.page_size)))


def _exact_match(
    row: Row,
    program: RateProgram | None,
    query: PaymentSearchQuery,
    models: dict[str, VehicleModel],
    stores: dict[int, Store],
) -> Match:
    assert program is not None
    loan_query = _loan_query(query, program)
    price = from_minor_units(int(row.price_minor))
    net = price - program.cash_rebate
    model = models[row.model_code]
    trim = next(t for t in model.trims if t.code == row.trim_code)
    return Match(
        vehicle_id=row.id,
        vin=row.vin,
        price=price,
        net_price=net,
        currency=row.currency,
        model=model,
        trim=trim,
        store=stores[row.store_id],
        monthly_payment=payment_search.exact_payment(net, loan_query),
        down_payment=payment_search.down_payment(net, loan_query),
        program=program,
    )


def _loan_query(query: PaymentSearchQuery, program: RateProgram) -> PaymentQuery:
    return PaymentQuery(
        max_monthly=query.monthly_max,
        term_months=query.term_months,
        down_payment_percent=query.down_percent,
        annual_rate=Decimal(program.annual_rate),
        fees_financed=program.fee,
    )


def _half_up_share(amounts: np.ndarray, share: Decimal) -> np.ndarray:
    """amount × share rounded half up, in integer fen (payment_search's rule for the down payment)."""
    numerator, denominator = share.as_integer_ratio()
    return (2 * numerator * amounts + denominator) // (2 * denominator)


def _ceil_shares(amounts: np.ndarray, shares: np.ndarray) -> np.ndarray:
    """amount × share rounded up, in integer fen, per row (the minimum down payment's rule)."""
    result = np.empty(len(amounts), dtype=np.int64)
    for share in set(shares.tolist()):
        numerator, denominator = Decimal(share).as_integer_ratio()
        mask = shares == share
        result[mask] = -((-numerator * amounts[mask]) // denominator)
    return result


def _check(query: PaymentSearchQuery) -> None:
    errors = []
    if not query.monthly_max.is_finite() or query.monthly_max <= 0:
        errors.append(FieldError("monthly_max", "must be a positive amount", str(query.monthly_max)))
    if not 1 <= query.term_months <= 120:
        errors.append(FieldError("term_months", "must be 1 to 120 months", query.term_months))
    if not (query.down_percent.is_finite() and 0 <= query.down_percent < 1) or query.down_percent != round(
        query.down_percent, payment_search.MAX_PERCENT_DECIMALS
    ):
        errors.append(
            FieldError(
                "down_percent", "must be a fraction from 0 to below 1 with at most 6 decimals", str(query.down_percent)
            )
        )
    if not 1 <= query.page_size <= MAX_PAGE_SIZE:
        errors.append(FieldError("page_size", f"must be 1 to {MAX_PAGE_SIZE}", query.page_size))
    if query.page < 1:
        errors.append(FieldError("page", "must be at least 1", query.page))
    if errors:
        raise InvalidInput(
            "The payment search has invalid fields; see errors.", code="invalid_payment_search", errors=errors
        )
    max_term = LENDING_POLICY.term_limit(USE)
    if query.term_months > max_term:
        raise InvalidInput(
            f"A car loan can run at most {max_term} months (asked for {query.term_months}).",
            code="term_not_offered",
            errors=[FieldError("term_months", f"at most {max_term} months")],
            extra={"max_term_months": max_term},
        )


def _term_not_offered(
    session: Session, query: PaymentSearchQuery, provider: FinanceProvider, pairs: list[tuple[str, str]], on: date
) -> InvalidInput:
    terms: set[int] = set()
    for model_code, trim_code in pairs:
        terms.update(
            p.term_months
            for p in programs.applicable_programs(
                session, provider=provider, model_code=model_code, trim_code=trim_code, on=on, product=LOAN
            )
        )
    offered = ", ".join(map(str, sorted(terms))) or "none"
    return InvalidInput(
        f"No loan is offered for {query.term_months} months; terms offered: {offered}.",
        code="term_not_offered",
        errors=[FieldError("term_months", f"terms offered: {offered}")],
        extra={"offered_terms": sorted(terms)},
    )
