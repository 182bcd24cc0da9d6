"""Swap into a new car at lease end: the owner's equity applied to a new car's finance quote, with exact figures.

The figures are the pure core's (`lease_end.swap_option`: payoff, equity = appraisal − payoff, where the equity
goes, the new quote from finance.calc) on a request finance makes for the new car exactly as its quote comparison
would (`finance.quotes.service.new_car_request`: the same program, residual table, fees and minimum down
payments). This module only gathers the inputs and refuses bad ones.

- The appraisal is the store's, typed by the owner; without one the estimate is the contract's residual value —
  the lessor's own forecast, made at signing, of what the car is worth at the end (`appraisal_estimated`).
- The new car's down payment for finance's rules (the program's and the lending policy's minimums, "nothing to
  finance") is the cash the owner adds plus any positive equity, because that is what the new car receives. The
  request is then handed to `swap_option` without the equity, which puts it back: positive equity as a down
  payment (loan, lease-to-own) or a cap cost reduction (lease), negative equity added to the price or capitalised
  as a prior lease balance. So the request priced is the one finance checked.
- Negative equity is rolled in after finance's checks: the minimum down payment is measured on the car's price,
  as for any shopper, not on the price with the old balance in it.
- Refused with a field (422): a product that is not financed or has no program for the car, a term with no program
  (the terms offered are named), a VIN of no car for sale, an appraisal or cash amount below 0, over MAX_AMOUNT or
  with more than two decimals. 409 before the lease-end options are due (120 days before the end) and for a
  contract that is not a lease. A request finance or the calc cannot price for these figures (the equity covers
  the whole price, a down payment under the minimum) is an answer, not an error: no quote and the reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy.orm import Session

from forecourt.catalog import service as catalog
from forecourt.catalog.models import Vehicle
from forecourt.core.errors import Conflict, FieldError, NotFound
from forecourt.core.money import round_money
from forecourt.finance.calc.lease import LeaseQuote, LeaseRequest
from forecourt.finance.calc.lease_to_own import LeaseToOwnQuote
from forecourt.finance.calc.loan import LoanQuote, LoanRequest
from forecourt.finance.quotes import service as quotes
from forecourt.ownership import errors
from forecourt.ownership.leases.contract_terms import lease_end_contract
from forecourt.ownership.leases.lease_end import (
    LEASE_END_NOTICE_DAYS,
    LeaseEndContract,
    NewCarRequest,
    SwapOption,
    options_due,
    payoff,
    swap_option,
)
from forecourt.ownership.leases.service import lease_terms
from forecourt.ownership.models import Ownership
from forecourt.ownership.records import service as records

SWAP_PRODUCTS = quotes.FINANCED  # a cash purchase has no calc request to apply the equity to
MAX_AMOUNT = Decimal("10000000.00")  # CNY 10 million: above any car Forecourt sells, refused as a typo
DEFAULT_ANNUAL_MILEAGE = 15_000  # the quote page's default
CENT = Decimal("0.01")


@dataclass(frozen=True)
class SwapAsk:
    """What the owner chose. `appraisal` None: the estimate (the contract's residual value)."""

    vin: str
    product: str
    term_months: int
    appraisal: Decimal | None = None
    cash_down: Decimal = Decimal("0.00")
    annual_mileage: int = DEFAULT_ANNUAL_MILEAGE


@dataclass(frozen=True)
class NewQuote:
    """The new car's figures from the calc's quote: what the owner pays a month and what is financed."""

    monthly_payment: Decimal
    # loan: Regulation Z amount financed (note − the financed fee); lease: adjusted cap cost; 直租: financed amount
    amount_financed: Decimal
    term_months: int
    apr_percent: Decimal | None  # loans only: Regulation Z APR, percent, 2 decimals half up
    annualised_rate_percent: Decimal | None  # 综合年化利率, percent, 2 decimals half up


@dataclass(frozen=True)
class SwapView:
    ownership: Ownership
    contract: LeaseEndContract
    today: date
    vehicle: Vehicle  # the new car
    product: str
    term_months: int
    program_code: str | None
    car_price: Decimal
    net_price: Decimal | None  # after the program's rebate
    cash_down: Decimal
    annual_mileage: int
    appraisal: Decimal
    appraisal_estimated: bool
    payoff: Decimal  # residual + purchase-option fee + the payments still due
    equity: Decimal  # appraisal − payoff; negative: owed beyond what the car is worth
    option: SwapOption | None  # swap_option's figures: the request with the equity in it, the calc's quote or reason
    new_quote: NewQuote | None
    refusal_code: str | None  # finance's or the calc's ("cannot_price") when there is no quote
    refusal: str | None

    @property
    def equity_goes_to(self) -> str:
        """down_payment, cap_cost_reduction, added_to_price, prior_lease_balance, or none (equity exactly 0)."""
        equity = self.equity
        lease = self.product == quotes.LEASE
        if equity == 0:
            return "none"
        if equity > 0:
            return "cap_cost_reduction" if lease else "down_payment"
        return "prior_lease_balance" if lease else "added_to_price"


def estimated_appraisal(contract: LeaseEndContract) -> Decimal:
    """The default appraisal: the residual value in the contract, the lessor's forecast of the car's value."""
    return contract.residual_value


def swap_view(session: Session, ownership: Ownership, ask: SwapAsk, now: datetime) -> SwapView:
    check_ask(ask)
    terms = lease_terms(session, ownership)
    today = records.local_day(now, records.store_time_zone(session, ownership))
    contract = lease_end_contract(terms, today)
    if not options_due(today, contract.end_day):
        raise errors.LeaseEndNotDue(ownership.reference, contract.end_day - timedelta(days=LEASE_END_NOTICE_DAYS))
    vehicle = _car_for_sale(session, ask.vin)
    appraisal = ask.appraisal if ask.appraisal is not None else estimated_appraisal(contract)
    credit = max(appraisal - payoff(contract), Decimal("0.00"))  # positive equity: part of the new car's down payment
    inputs = quotes.QuoteInputs(
        term_months=ask.term_months, down_payment=ask.cash_down + credit, annual_mileage=ask.annual_mileage
    )
    view = SwapView(
        ownership=ownership,
        contract=contract,
        today=today,
        vehicle=vehicle,
        product=ask.product,
        term_months=ask.term_months,
        program_code=None,
        car_price=vehicle.price,
        net_price=None,
        cash_down=ask.cash_down,
        annual_mileage=ask.annual_mileage,
        appraisal=appraisal,
        appraisal_estimated=ask.appraisal is None,
        payoff=payoff(contract),
        equity=appraisal - payoff(contract),
        option=None,
        new_quote=None,
        refusal_code=None,
        refusal=None,
    )
    made = quotes.new_car_request(session, vehicle.vin, ask.product, inputs, today)
    if isinstance(made, quotes.NotOffered):
        _refuse_inputs(made, ask.term_months)
        return replace(view, refusal_code=made.code, refusal=made.message)
    option = swap_option(contract, appraisal, _without_credit(made.request, credit))
    fee = made.request.fees_financed if isinstance(made.request, LoanRequest) else Decimal("0.00")
    return replace(
        view,
        program_code=made.program_code,
        net_price=made.net_price,
        option=option,
        new_quote=_new_quote(option, fee),
        refusal_code="cannot_price" if option.quote is None else None,
        refusal=option.refused_because,
    )


def cars_for_sale(session: Session, ownership: Ownership) -> Sequence[Vehicle]:
    """The owner's store's cars for sale: the page's choice of a new car (any car for sale may be named by VIN)."""
    return catalog.list_vehicles_for_sale_at_store(session, ownership.store_id)


def check_ask(ask: SwapAsk) -> None:
    problems: list[FieldError] = []
    if ask.product not in SWAP_PRODUCTS:
        problems.append(FieldError("product", f"must be one of {', '.join(SWAP_PRODUCTS)}", ask.product))
    if isinstance(ask.term_months, bool) or not isinstance(ask.term_months, int) or not 1 <= ask.term_months <= 120:
        problems.append(FieldError("term_months", "must be 1 to 120 months", ask.term_months))
    if not 0 <= ask.annual_mileage <= quotes.MAX_ANNUAL_MILEAGE:
        problems.append(
            FieldError("annual_mileage", f"must be 0 to {quotes.MAX_ANNUAL_MILEAGE} km a year", ask.annual_mileage)
        )
    for name in ("appraisal", "cash_down"):
        problem = amount_problem(getattr(ask, name))
        if problem:
            problems.append(FieldError(name, problem, str(getattr(ask, name))))
    if problems:
        raise errors.InvalidSwap(problems)


def amount_problem(amount: Decimal | None) -> str | None:
    """Why an appraisal or cash amount is refused, or None: at least 0, at most MAX_AMOUNT, whole fen."""
    if amount is None:
        return None
    if isinstance(amount, float) or not isinstance(amount, Decimal) or not amount.is_finite():
        return "must be an amount"
    if amount < 0:
        return "must be at least 0"
    if amount > MAX_AMOUNT:
        return f"must be at most {MAX_AMOUNT:,.2f}"
    if amount != round_money(amount):
        return "must be in whole fen (two decimals)"
    return None


# --- helpers ---------------------------------------------------------------------------------------------------


def _car_for_sale(session: Session, vin: str) -> Vehicle:
    try:
        return quotes.quotable_vehicle(session, vin)
    except (NotFound, Conflict) as exc:
        if exc.code not in ("vehicle_not_found", "vehicle_not_available"):
            raise
        raise errors.VehicleNotForSale(vin, str(exc)) from exc


def _refuse_inputs(refused: quotes.NotOffered, term_months: int) -> None:
    """A product or term that has no program for this car is the owner's choice to correct (422, with the terms
    offered); the other reasons depend on the figures and are the answer."""
    if refused.code == "no_program":
        raise errors.ProductNotOffered(refused.product, refused.message)
    if refused.code in ("no_program_for_term", "term_too_long"):
        offered = refused.details.get("offered_terms") or []
        raise errors.TermNotOffered(term_months, refused.message, list(offered))


def _without_credit(request: NewCarRequest, credit: Decimal) -> NewCarRequest:
    """The request for the owner's cash alone: swap_option adds the positive equity back where it goes."""
    if isinstance(request, LeaseRequest):
        return replace(request, cap_cost_reduction=request.cap_cost_reduction - credit)
    return replace(request, down_payment=request.down_payment - credit)


def _percent(rate: Decimal | None) -> Decimal | None:
    return None if rate is None else (rate * 100).quantize(CENT, ROUND_HALF_UP)


def _new_quote(option: SwapOption, fee: Decimal) -> NewQuote | None:
    quote = option.quote
    if quote is None:
        return None
    if isinstance(quote, LoanQuote):
        rate, annualised = quotes.loan_rates(quote, fee)  # the financed program fee: a prepaid finance charge
        return NewQuote(
            quote.payment, quote.amount_financed - fee, quote.term_months, _percent(rate), _percent(annualised)
        )
    if isinstance(quote, LeaseQuote):
        assert isinstance(option.request, LeaseRequest)
        annualised = quotes.lease_annualised_rate(option.request.agreed_price, quote)
        return NewQuote(
            quote.total_monthly_payment, quote.adjusted_capitalized_cost, quote.term_months, None, _percent(annualised)
        )
    assert isinstance(quote, LeaseToOwnQuote)
    return NewQuote(quote.monthly_rent, quote.financed, quote.term_months, None, _percent(quote.annualised_rate))
