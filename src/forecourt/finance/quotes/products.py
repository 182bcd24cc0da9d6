"""Each finance product's figures for one car, from the pure calculation modules (finance/calc): the price, down
payment, payments, rates and disclosure boxes of a cash purchase, a loan, a balloon loan, a lease and a
lease-to-own (直租), or a "not offered" entry with a stable code and the figure that would cure it. `quotes`
chooses the programs, stores the results and answers for them.

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

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, Decimal
from typing import Any

from forecourt.core.money import MoneyError, quantum, round_money
from forecourt.finance.calc import apr as apr_calc
from forecourt.finance.calc import flat_rate, policy
from forecourt.finance.calc.lease import LeaseQuote, LeaseRequest, quote_lease
from forecourt.finance.calc.lease_to_own import LeaseToOwnRequest, quote_lease_to_own
from forecourt.finance.calc.loan import LoanQuote, LoanRequest, quote_loan
from forecourt.finance.calc.residuals import ResidualTable
from forecourt.finance.models import Product, RateProgram
from forecourt.finance.programs import service as programs
from forecourt.finance.quotes import disclosures
from forecourt.finance.quotes.disclosures import money, percent

CASH, LOAN, BALLOON, LEASE, LEASE_TO_OWN = (p.value for p in Product)
PRODUCTS = (CASH, LOAN, BALLOON, LEASE, LEASE_TO_OWN)
FINANCED = PRODUCTS[1:]
PRODUCT_NAMES = {
    CASH: "cash purchase",
    LOAN: "loan",
    BALLOON: "balloon loan",
    LEASE: "lease",
    LEASE_TO_OWN: "lease-to-own",
}
USE = "personal"  # new cars sold to people: the lending policy's self-use limits
LENDING_POLICY = policy.LendingPolicy.china_default()
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class QuoteInputs:
    """What the shopper chose. Exactly one of `down_payment` (an amount) and `down_percent` (a fraction of the
    net price, 0.2 = 20 %); `balloon_percent` None means the balloon program's maximum."""

    term_months: int
    down_payment: Decimal | None = None
    down_percent: Decimal | None = None
    annual_mileage: int = 15_000
    balloon_percent: Decimal | None = None
    tier: str = programs.ANY_TIER


@dataclass(frozen=True)
class NotOffered:
    """A product that cannot be offered for these inputs: a stable code, an English sentence, and the figures
    that explain it (minimum down payment, offered terms, maximum balloon, ...), as strings and ints."""

    product: str
    code: str
    message: str
    details: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"product": self.product, "code": self.code, "message": self.message, "details": dict(self.details)}


@dataclass(frozen=True)
class Car:
    """The car's figures a product is priced on."""

    price: Decimal
    msrp: Decimal
    currency: str
    model_code: str
    trim_code: str
    powertrain: str


@dataclass(frozen=True)
class Priced:
    """An offered product: its program (None for cash), monthly payment, figures and disclosure boxes."""

    product: str
    program: RateProgram | None
    monthly_payment: Decimal
    figures: dict[str, Any]
    disclosure: dict[str, Any]


# --- not offered ----------------------------------------------------------------------------------------------------


def no_program(product: str, term: int, available: Sequence[RateProgram]) -> NotOffered:
    terms = sorted({p.term_months for p in available if p.product == product})
    if not terms:
        return NotOffered(
            product, "no_program", f"No {PRODUCT_NAMES[product]} is offered on this car.", {"offered_terms": []}
        )
    return NotOffered(
        product,
        "no_program_for_term",
        f"No {PRODUCT_NAMES[product]} is offered for {term} months on this car; "
        f"terms offered: {', '.join(map(str, terms))}.",
        {"offered_terms": terms},
    )


def _ceil_cents(amount: Decimal) -> Decimal:
    return amount.quantize(quantum(), rounding=ROUND_CEILING)


def down_payment_for(net_price: Decimal, inputs: QuoteInputs) -> Decimal:
    """The amount given, or percent × net price half up to the fen (payment_search's rule)."""
    if inputs.down_payment is not None:
        return inputs.down_payment
    assert inputs.down_percent is not None
    return round_money(net_price * inputs.down_percent)


def loan_minimum_down(net_price: Decimal, powertrain: str, program: RateProgram) -> tuple[Decimal, Decimal]:
    """(minimum amount, minimum fraction): the higher of the lending policy's and the program's."""
    ltv = LENDING_POLICY.max_ltv(USE, powertrain)
    by_policy = policy.minimum_down_payment(net_price, USE, powertrain, LENDING_POLICY)
    by_program = _ceil_cents(net_price * program.min_down_percent)
    return max(by_policy, by_program), max(1 - ltv, Decimal(program.min_down_percent))


def _below_minimum(product: str, down: Decimal, minimum: Decimal, fraction: Decimal, net_price: Decimal) -> NotOffered:
    return NotOffered(
        product,
        "down_payment_below_minimum",
        f"A {PRODUCT_NAMES[product]} on this car needs a down payment of at least {money(minimum)} "
        f"({percent(fraction)}% of {money(net_price)}); got {money(down)}.",
        {"minimum_down_payment": money(minimum), "minimum_down_percent": str(fraction), "down_payment": money(down)},
    )


def _nothing_to_finance(product: str, down: Decimal, net_price: Decimal) -> NotOffered:
    return NotOffered(
        product,
        "nothing_to_finance",
        f"The down payment ({money(down)}) covers the price after the "
        f"rebate ({money(net_price)}): there is nothing to finance.",
        {"net_price": money(net_price)},
    )


def _financed_down(
    product: str, car: Car, inputs: QuoteInputs, program: RateProgram
) -> tuple[Decimal, Decimal] | NotOffered:
    """(net price, down payment) of a lease or a lease-to-own, or why it is not offered: the down payment covers
    the net price, or is under the program's minimum."""
    net = car.price - program.cash_rebate
    down = down_payment_for(net, inputs)
    if down >= net:
        return _nothing_to_finance(product, down, net)
    minimum = _ceil_cents(net * program.min_down_percent)
    if down < minimum:
        return _below_minimum(product, down, minimum, Decimal(program.min_down_percent), net)
    return net, down


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


def loan_request(
    net_price: Decimal, down: Decimal, inputs: QuoteInputs, program: RateProgram, balloon: Decimal = ZERO
) -> LoanRequest:
    return LoanRequest(
        price=net_price,
        down_payment=down,
        annual_rate=Decimal(program.annual_rate),
        term_months=inputs.term_months,
        balloon=balloon,
        fees_financed=program.fee,
    )


def price_loan(car: Car, inputs: QuoteInputs, program: RateProgram, product: str) -> Priced | NotOffered:
    net = car.price - program.cash_rebate
    down = down_payment_for(net, inputs)
    if down >= net:
        return _nothing_to_finance(product, down, net)
    minimum, fraction = loan_minimum_down(net, car.powertrain, program)
    if down < minimum:
        return _below_minimum(product, down, minimum, fraction, net)
    for breach in policy.check_loan(net, down, inputs.term_months, USE, car.powertrain, LENDING_POLICY):
        if breach.code == "term_too_long":
            return NotOffered(product, "term_too_long", breach.message, {"max_term_months": int(breach.limit)})
    balloon = ZERO
    if product == BALLOON:
        share = inputs.balloon_percent if inputs.balloon_percent is not None else Decimal(program.max_balloon_percent)
        if share > program.max_balloon_percent:
            return NotOffered(
                product,
                "balloon_above_maximum",
                f"The balloon can be at most {percent(program.max_balloon_percent)}% of the price "
                f"(asked for {percent(share)}%).",
                {"max_balloon_percent": str(program.max_balloon_percent)},
            )
        balloon = round_money(net * share)
    try:
        loan = quote_loan(loan_request(net, down, inputs, program, balloon))
    except ValueError as exc:
        return NotOffered(product, "cannot_price", str(exc))
    return _loan_priced(car, product, program, net, down, loan)


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
    checked = _financed_down(LEASE, car, inputs, program)
    if isinstance(checked, NotOffered):
        return checked
    net, down = checked
    if residuals is None:
        return NotOffered(LEASE, "no_residual", "The lessor's residual table cannot be used; no lease is offered.")
    try:
        share = residuals.residual_percent(car.model_code, inputs.term_months, inputs.annual_mileage)
    except LookupError:
        return NotOffered(
            LEASE,
            "no_residual",
            f"No residual value is published for this model over "
            f"{inputs.term_months} months at {inputs.annual_mileage} km a year.",
            {"annual_mileage": inputs.annual_mileage},
        )
    residual = residuals.residual_value(car.model_code, inputs.term_months, inputs.annual_mileage, car.msrp)
    money_factor = Decimal(program.money_factor) if program.money_factor is not None else program.annual_rate / 24
    request = LeaseRequest(
        agreed_price=net,
        term_months=inputs.term_months,
        residual_value=residual,
        money_factor=money_factor,
        acquisition_fee=program.fee,
        cap_cost_reduction=down,
        disposition_fee=program.disposition_fee,
        annual_mileage=inputs.annual_mileage,
        excess_mileage_rate=Decimal(program.excess_km_rate),  # the program's own rate per km over
    )
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
    checked = _financed_down(LEASE_TO_OWN, car, inputs, program)
    if isinstance(checked, NotOffered):
        return checked
    net, down = checked
    request = LeaseToOwnRequest(
        price=net,
        down_payment=down,
        term_months=inputs.term_months,
        monthly_rent=None,
        annual_rate=Decimal(program.annual_rate),
        purchase_price=program.purchase_price,
        fees_upfront=program.fee,
    )
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
