"""Each finance product's figures for one car, from the pure calculation modules (finance/calc): the price, down
payment, payments, rates and disclosure boxes of a cash purchase, a loan, a balloon loan, a lease and a
lease-to-own (直租), or a "not offered" entry with a stable code and the figure that would cure it. The calc
requests themselves (and the rules that refuse one) are `calc_requests`'; `quotes` chooses the programs, stores the
results and answers for them.

Rules of the figures
- Price: the vehicle's price (offer price if any) less the program's cash rebate ("net price"); cash has no
  program and no rebate.
- Down payment: the amount given, or the percent given × the net price, rounded half up to the fen (the rule of
  finance/calc/payment_search, so the search by monthly payment shows exactly the loan payment quoted here).
- Loans and balloon loans: the program fee is financed; Regulation Z treats it as a prepaid finance charge, so
  the disclosed amount financed is the note principal less the fee and the APR (apr.apr over the actual schedule)
  and China's comprehensive annualised rate include it. The minimum down payment is the higher of the lending
  policy's (finance/calc/policy: personal use, the trim's powertrain, on the net price) and the program's
  `min_down_percent`, rounded up to the fen. The balloon is `balloon_percent` (default: the program's maximum)
  of the net price.
- Lease: agreed price = net price, cap cost reduction = down payment, acquisition fee = program fee (capitalised),
  residual = residual table (model, term, mileage) × the trim's MSRP, money factor from the program (else its
  rate / 24), the charge per km over the allowance from the program (`excess_km_rate`, CNY 0.50 unless the program
  says otherwise); no sales tax (Chinese prices include VAT).
- Lease-to-own: rent from the program's rate, purchase price from the program, the fee paid up front.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from forecourt.core.money import MoneyError
from forecourt.finance.calc import apr as apr_calc
from forecourt.finance.calc import flat_rate
from forecourt.finance.calc.lease import LeaseQuote, LeaseRequest, quote_lease
from forecourt.finance.calc.lease_to_own import LeaseToOwnRequest, quote_lease_to_own
from forecourt.finance.calc.loan import LoanQuote, LoanRequest, quote_loan
from forecourt.finance.calc.residuals import ResidualTable
from forecourt.finance.models import RateProgram
from forecourt.finance.quotes import disclosures
from forecourt.finance.quotes.calc_requests import (  # noqa: F401 - callers use them from here
    BALLOON,
    CASH,
    FINANCED,
    LEASE,
    LEASE_TO_OWN,
    LENDING_POLICY,
    LOAN,
    PRODUCT_NAMES,
    PRODUCTS,
    USE,
    ZERO,
    Built,
    Car,
    NotOffered,
    QuoteInputs,
    build_lease,
    build_lease_to_own,
    build_loan,
    down_payment_for,
    loan_minimum_down,
    loan_request,
    no_program,
)
from forecourt.finance.quotes.disclosures import money, percent


@dataclass(frozen=True)
class Priced:
    """An offered product: its program (None for cash), monthly payment, figures and disclosure boxes."""

    product: str
    program: RateProgram | None
    monthly_payment: Decimal
    figures: dict[str, Any]
    disclosure: dict[str, Any]


# --- pricing ----------------------------------------------------------------------------------------------------


def price_cash(car: Car) -> Priced:
    figures = {
        "product": CASH,
        "price": money(car.price),
        "net_price": money(car.price),
        "rebate": money(ZERO),
        "down_payment": money(car.price),
        "monthly_payment": money(ZERO),
        "due_at_signing": money(car.price),
        "total_cost": money(car.price),
        "apr": None,
        "annualised_rate": None,
        "term_months": 0,
    }
    return Priced(CASH, None, ZERO, figures, {"boxes": [disclosures.cash(price=car.price, currency=car.currency)]})


def price_loan(car: Car, inputs: QuoteInputs, program: RateProgram, product: str) -> Priced | NotOffered:
    built = build_loan(car, inputs, program, product)
    if isinstance(built, NotOffered):
        return built
    assert isinstance(built.request, LoanRequest)
    try:
        loan = quote_loan(built.request)
    except ValueError as exc:
        return NotOffered(product, "cannot_price", str(exc))
    return _loan_priced(car, product, program, built.net_price, built.down_payment, loan)


def loan_rates(loan: LoanQuote, prepaid_finance_charge: Decimal) -> tuple[Decimal, Decimal]:
    """(APR, comprehensive annualised rate), fractions, of a priced loan over its actual schedule and balloon,
    against the amount financed net of the prepaid finance charge."""
    amount_financed = loan.amount_financed - prepaid_finance_charge
    payments = [apr_calc.CashFlow(row.payment, row.period) for row in loan.schedule if row.payment > 0]
    flows = [(0, -amount_financed)] + [(row.period, row.payment) for row in loan.schedule]
    if loan.balloon > 0:
        payments.append(apr_calc.CashFlow(loan.balloon, loan.term_months))
        flows.append((loan.term_months, loan.balloon))
    rate = apr_calc.apr([apr_calc.CashFlow(amount_financed, 0)], payments)
    return rate, apr_calc.china_annualised_rate(flows)


def _loan_priced(car: Car, product: str, program: RateProgram, net: Decimal, down: Decimal, loan: LoanQuote) -> Priced:
    fee = program.fee
    rate, annualised = loan_rates(loan, fee)
    flat = flat_rate.nominal_to_flat_rate(annualised, loan.term_months) if product == LOAN else None
    tila = disclosures.truth_in_lending(
        loan, apr=rate, prepaid_finance_charge=fee, down_payment=down, currency=car.currency
    )
    china = disclosures.china_loan(
        annualised_rate=annualised,
        note_rate=program.annual_rate,
        monthly_payment=loan.payment,
        total_interest_and_fees=loan.finance_charge,
        flat_rate_equivalent=flat,
        currency=car.currency,
    )
    figures = {
        "product": product,
        "price": money(car.price),
        "rebate": money(program.cash_rebate),
        "net_price": money(net),
        "down_payment": money(down),
        "fee": money(fee),
        "note_principal": money(loan.amount_financed),
        "amount_financed": money(loan.amount_financed - fee),
        "annual_rate": percent(program.annual_rate),
        "term_months": loan.term_months,
        "monthly_payment": money(loan.payment),
        "last_payment": money(loan.schedule[-1].payment),
        "balloon": money(loan.balloon),
        "finance_charge": money(loan.finance_charge),
        "total_of_payments": money(loan.total_of_payments),
        "due_at_signing": money(down),
        "total_cost": money(down + loan.total_of_payments),
        "apr": percent(rate),
        "annualised_rate": percent(annualised),
        "flat_rate_equivalent": percent(flat) if flat is not None else None,
        "schedule": tila["schedule"],
    }
    return Priced(product, program, loan.payment, figures, {"boxes": [tila, china]})


def price_lease(
    car: Car, inputs: QuoteInputs, program: RateProgram, residuals: ResidualTable | None
) -> Priced | NotOffered:
    built = build_lease(car, inputs, program, residuals)
    if isinstance(built, NotOffered):
        return built
    request, net, down, share = built.request, built.net_price, built.down_payment, built.residual_percent
    assert isinstance(request, LeaseRequest) and share is not None
    money_factor = request.money_factor
    try:
        lease = quote_lease(request)
    except ValueError as exc:
        return NotOffered(LEASE, "cannot_price", str(exc))
    annualised = lease_annualised_rate(net, lease)
    figures: dict[str, Any] = {
        "product": LEASE,
        "price": money(car.price),
        "rebate": money(program.cash_rebate),
        "net_price": money(net),
        "down_payment": money(down),
        "fee": money(program.fee),
        "msrp": money(car.msrp),
        "residual_percent": str(share),
        "money_factor": str(money_factor),
        "term_months": lease.term_months,
        "annual_mileage": inputs.annual_mileage,
        "monthly_payment": money(lease.total_monthly_payment),
        "due_at_signing": money(lease.due_at_signing),
        "total_cost": money(lease.total_of_payments),
        "apr": None,
        "annualised_rate": percent(annualised) if annualised is not None else None,
    }
    for name in LeaseQuote.__dataclass_fields__:
        value = getattr(lease, name)
        figures.setdefault(name, value if isinstance(value, int) else money(value))
    figures["equivalent_apr"] = str(lease.equivalent_apr)
    boxes = [
        disclosures.regulation_m(lease, currency=car.currency, residual_percent=share),
        disclosures.china_lease(annualised_rate=annualised, currency=car.currency),
    ]
    return Priced(LEASE, program, lease.total_monthly_payment, figures, {"boxes": boxes})


def lease_annualised_rate(agreed_price: Decimal, lease: LeaseQuote) -> Decimal | None:
    """Monthly IRR × 12 of the lessor's flows, the residual counted as the car's value at the end: the price less
    what is paid at signing out, the later payments and the residual back. None when it has no meaning."""
    outlay = agreed_price - lease.due_at_signing
    if outlay <= 0:
        return None
    flows = [(0, -outlay)] + [(month, lease.total_monthly_payment) for month in range(1, lease.term_months)]
    flows.append((lease.term_months, lease.residual_value))
    try:
        return apr_calc.china_annualised_rate(flows)
    except ValueError:
        return None


def price_lease_to_own(car: Car, inputs: QuoteInputs, program: RateProgram) -> Priced | NotOffered:
    built = build_lease_to_own(car, inputs, program)
    if isinstance(built, NotOffered):
        return built
    request, down = built.request, built.down_payment
    assert isinstance(request, LeaseToOwnRequest)
    net = built.net_price
    try:
        lto = quote_lease_to_own(request)
    except (ValueError, MoneyError) as exc:
        return NotOffered(LEASE_TO_OWN, "cannot_price", str(exc))
    figures = {
        "product": LEASE_TO_OWN,
        "price": money(car.price),
        "rebate": money(program.cash_rebate),
        "net_price": money(net),
        "down_payment": money(down),
        "fee": money(program.fee),
        "annual_rate": percent(program.annual_rate),
        "financed": money(lto.financed),
        "monthly_payment": money(lto.monthly_rent),
        "monthly_rent": money(lto.monthly_rent),
        "term_months": lto.term_months,
        "purchase_price": money(lto.purchase_price),
        "due_at_signing": money(down + program.fee),
        "total_cost": money(lto.total_cost),
        "apr": None,
        "annualised_rate": percent(lto.annualised_rate),
    }
    box = disclosures.china_lease_to_own(lto, down_payment=down, fees_upfront=program.fee, currency=car.currency)
    return Priced(LEASE_TO_OWN, program, lto.monthly_rent, figures, {"boxes": [box]})
