"""The finance.calc request of each financed product for one car, by the rules the comparison prices with
(products' docstring): the program's rebate off the price, the down payment given or its percent of the net
price, the minimum down payments of the program and of the lending policy, the lending policy's longest term,
the balloon limit, the residual table, the program's fees. `products` prices these requests and writes their
figures and disclosures; `service.new_car_request` hands one to another context (the lease-end swap) without
storing anything. A request that cannot be made is a `NotOffered` with a stable code and the figure that cures it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, Decimal
from typing import Any

from forecourt.core.money import quantum, round_money
from forecourt.finance.calc import policy
from forecourt.finance.calc.lease import LeaseRequest
from forecourt.finance.calc.lease_to_own import LeaseToOwnRequest
from forecourt.finance.calc.loan import LoanRequest
from forecourt.finance.calc.residuals import ResidualTable
from forecourt.finance.models import Product, RateProgram
from forecourt.finance.programs import service as programs
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

CalcRequest = LoanRequest | LeaseRequest | LeaseToOwnRequest


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


# --- the requests -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Built:
    """A financed product's calc request for the car, with the figures the comparison shows around it."""

    product: str
    program: RateProgram
    net_price: Decimal  # the price less the program's cash rebate
    down_payment: Decimal  # a lease's cap cost reduction
    request: CalcRequest
    residual_percent: Decimal | None = None  # leases: the residual table's share of the MSRP


def choose_program(available: Sequence[RateProgram], product: str, term: int) -> RateProgram | NotOffered:
    """The comparison's choice: the best current program of the product for exactly this term."""
    program = programs.best_program([p for p in available if p.product == product and p.term_months == term])
    return program if program is not None else no_program(product, term, available)


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


def build_loan(car: Car, inputs: QuoteInputs, program: RateProgram, product: str) -> Built | NotOffered:
    """A loan or balloon loan: the minimum down payment (policy and program), the policy's longest term, the
    balloon limit; the program fee financed."""
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
    return Built(product, program, net, down, loan_request(net, down, inputs, program, balloon))


def build_lease(
    car: Car, inputs: QuoteInputs, program: RateProgram, residuals: ResidualTable | None
) -> Built | NotOffered:
    """A lease: the residual from the table (model, term, mileage) × the MSRP, the program's money factor (else its
    rate / 24), its fee capitalised, its disposition fee and rate per km over."""
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
    return Built(LEASE, program, net, down, request, share)


def build_lease_to_own(car: Car, inputs: QuoteInputs, program: RateProgram) -> Built | NotOffered:
    """A lease-to-own (直租): rent from the program's rate, its purchase price, its fee paid up front."""
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
    return Built(LEASE_TO_OWN, program, net, down, request)


def build_request(
    car: Car, inputs: QuoteInputs, program: RateProgram, product: str, residuals: ResidualTable | None
) -> Built | NotOffered:
    """The financed product's request (`product` is one of FINANCED)."""
    if product == LEASE:
        return build_lease(car, inputs, program, residuals)
    if product == LEASE_TO_OWN:
        return build_lease_to_own(car, inputs, program)
    return build_loan(car, inputs, program, product)
