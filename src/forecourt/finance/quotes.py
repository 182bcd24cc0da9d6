"""Quotes: every finance product compared for one car, each stored with its inputs, program version, figures and
disclosure, for seven days.

`compare` prices cash, a loan, a balloon loan, a lease and a lease-to-own (直租) for the same car, down payment,
term and mileage with the pure calculation modules (finance/calc), picking per product the best current program
for the term (`programs.best_program`). A product that cannot be offered — no program for the term, a down payment
under its minimum, a term over the lending policy, no residual for the mileage — becomes a "not offered" entry
with a stable code and the figure that would cure it, not an error; only when no financed product at all can be
offered does `compare` refuse (422 `term_not_offered`, `down_payment_below_minimum` with the minimum, ...).

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
  rate / 24); no sales tax (Chinese prices include VAT).
- Lease-to-own: rent from the program's rate, purchase price from the program, the fee paid up front.

Each row's `price` is the price its figures are on (the net price; the vehicle's price for cash) and its
`inputs` hold the shopper's choices (`down_payment_given` or `down_percent`, term, mileage, balloon percent), the
product's resolved `down_payment` and `balloon`, the vehicle's price and MSRP, and the program version's terms.
The comparison's rows share one JSON entry in `inputs["comparison"]`: the comparison's reference (its cash
quote's), every product's quote reference and the products not offered, so any one reference finds the others.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_CEILING, Decimal
from typing import Any

from sqlalchemy.orm import Session

from forecourt.catalog import service as catalog
from forecourt.catalog.models import Vehicle
from forecourt.core.clock import utcnow
from forecourt.core.errors import Conflict, FieldError, InvalidInput, NotFound, Unauthenticated
from forecourt.core.money import MoneyError, quantum, round_money
from forecourt.core.references import new_reference
from forecourt.finance import disclosures, programs
from forecourt.finance import quote_repository as repository
from forecourt.finance.calc import apr as apr_calc
from forecourt.finance.calc import flat_rate, policy
from forecourt.finance.calc.lease import LeaseQuote, LeaseRequest, quote_lease
from forecourt.finance.calc.lease_to_own import LeaseToOwnRequest, quote_lease_to_own
from forecourt.finance.calc.loan import LoanQuote, LoanRequest, quote_loan
from forecourt.finance.calc.residuals import ResidualTable, ResidualTableError
from forecourt.finance.disclosures import money, percent
from forecourt.finance.models import FinanceProvider, Product, Quote, RateProgram

CASH, LOAN, BALLOON, LEASE, LEASE_TO_OWN = (p.value for p in Product)
PRODUCTS = (CASH, LOAN, BALLOON, LEASE, LEASE_TO_OWN)
FINANCED = PRODUCTS[1:]
PRODUCT_NAMES = {CASH: "cash purchase", LOAN: "loan", BALLOON: "balloon loan", LEASE: "lease",
                 LEASE_TO_OWN: "lease-to-own"}  # fmt: skip
QUOTE_LIFETIME = timedelta(days=7)
QUOTABLE_STATUSES = frozenset({"available", "in_transit"})
USE = "personal"  # new cars sold to people: the lending policy's self-use limits
LENDING_POLICY = policy.LendingPolicy.china_default()
# Per km over the lease's allowance. Rate programs have no column for it yet, so one figure serves every lease.
EXCESS_KM_RATE = Decimal("0.50")
MAX_ANNUAL_MILEAGE = 100_000
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
class Entry:
    product: str
    quote: Quote | None
    not_offered: NotOffered | None


@dataclass(frozen=True)
class Comparison:
    """The products compared for one car at one moment: the stored quotes and the products not offered."""

    reference: str  # the comparison's own reference: its cash quote's
    vehicle: Vehicle
    quotes: tuple[Quote, ...]  # in PRODUCTS order
    not_offered: tuple[NotOffered, ...]
    requested: str = ""  # the reference that was asked for, when loaded by reference

    @property
    def created_at(self) -> datetime:
        return self.quotes[0].created_at

    @property
    def expires_at(self) -> datetime:
        return self.quotes[0].expires_at

    @property
    def inputs(self) -> dict[str, Any]:
        return self.quotes[0].inputs

    def quote_for(self, product: str) -> Quote | None:
        return next((q for q in self.quotes if q.product == product), None)

    def entries(self) -> list[Entry]:
        missing = {n.product: n for n in self.not_offered}
        return [Entry(p, self.quote_for(p), missing.get(p)) for p in PRODUCTS
                if self.quote_for(p) is not None or p in missing]  # fmt: skip

    def is_expired(self, now: datetime) -> bool:
        return now >= self.expires_at


@dataclass(frozen=True)
class Viewer:
    """Who asks to see a quote: a user id (None: anonymous) and the stores they act for (None: every store)."""

    user_id: int | None
    store_ids: frozenset[int] | None = frozenset()


@dataclass(frozen=True)
class _Car:
    price: Decimal
    msrp: Decimal
    currency: str
    model_code: str
    trim_code: str
    powertrain: str


@dataclass(frozen=True)
class _Priced:
    product: str
    program: RateProgram | None
    monthly_payment: Decimal
    figures: dict[str, Any]
    disclosure: dict[str, Any]


# --- use cases --------------------------------------------------------------------------------------------------


def compare(session: Session, vin: str, inputs: QuoteInputs, on: date, user_id: int | None = None) -> Comparison:
    """Price every product for the car, store one Quote per offered product (7 days), return the comparison."""
    vehicle = catalog.get_vehicle(session, vin)
    _check_inputs(inputs, vehicle.price)
    if vehicle.status not in QUOTABLE_STATUSES:
        raise Conflict(f"Vehicle {vehicle.vin} is {vehicle.status} and can no longer be quoted",
                       code="vehicle_not_available", extra={"vehicle_status": vehicle.status})  # fmt: skip
    provider = programs.default_provider(session)
    car = _Car(vehicle.price, vehicle.trim.msrp, vehicle.currency, vehicle.model.code, vehicle.trim.code,
               vehicle.trim.powertrain)  # fmt: skip
    available = programs.applicable_programs(session, provider=provider, model_code=car.model_code,
                                             trim_code=car.trim_code, on=on, tier=inputs.tier)  # fmt: skip
    results: dict[str, _Priced | NotOffered] = {CASH: _price_cash(car)}
    residuals: list[ResidualTable | None] = []  # loaded once, only when a lease program applies
    for product in FINANCED:
        program = programs.best_program([p for p in available if p.product == product
                                         and p.term_months == inputs.term_months])  # fmt: skip
        if program is None:
            results[product] = _no_program(product, inputs.term_months, available)
        elif product == LEASE:
            if not residuals:
                residuals.append(_residual_table(session, provider))
            results[product] = _price_lease(car, inputs, program, residuals[0])
        elif product == LEASE_TO_OWN:
            results[product] = _price_lease_to_own(car, inputs, program)
        else:
            results[product] = _price_loan(car, inputs, program, product)
    refused = [r for p, r in results.items() if p != CASH and isinstance(r, NotOffered)]
    if len(refused) == len(FINANCED):
        raise _nothing_offered(refused, inputs, available)
    return _store(session, vehicle, car, inputs, on, provider, user_id, results)


def get_comparison(session: Session, reference: str) -> Comparison:
    """The comparison a quote reference belongs to (any of its quotes' references finds it)."""
    quote = get_quote(session, reference)
    group = quote.inputs.get("comparison") or {}
    references = set((group.get("quotes") or {}).values()) | {quote.reference}
    rows = sorted(repository.by_references(session, references), key=lambda q: PRODUCTS.index(q.product))
    not_offered = tuple(NotOffered(**item) for item in group.get("not_offered", []))
    return Comparison(group.get("reference", quote.reference), catalog.get_vehicle_by_id(session, quote.vehicle_id),
                      tuple(rows), not_offered, requested=quote.reference)  # fmt: skip


def get_quote(session: Session, reference: str) -> Quote:
    quote = repository.get_by_reference(session, reference.strip().upper()[:12])
    if quote is None:
        raise NotFound(f"No quote {reference}", code="quote_not_found")
    return quote


def visible_comparison(session: Session, reference: str, viewer: Viewer) -> Comparison:
    """The comparison if the viewer may see it: a quote made anonymously is open to anyone with its reference,
    a signed-in shopper's to that shopper and to staff of the car's store (and admins). An anonymous caller is
    asked to sign in (401: the owner may be signed out); other users get the same 404 as an unknown reference."""
    comparison = get_comparison(session, reference)
    owner = comparison.quotes[0].user_id
    store_id = comparison.quotes[0].store_id
    if owner is None or owner == viewer.user_id:
        return comparison
    if viewer.user_id is None:  # the owner may simply be signed out: ask them to sign in
        raise Unauthenticated("Sign in to see this quote")
    if viewer.store_ids is None or store_id in viewer.store_ids:
        return comparison
    raise NotFound(f"No quote {reference}", code="quote_not_found")


def comparison_document(comparison: Comparison, now: datetime) -> dict[str, Any]:
    """The comparison as one JSON-able document: what the API answers and the PDF and pages show."""
    vehicle = comparison.vehicle
    inputs = comparison.inputs
    products = []
    for entry in comparison.entries():
        quote, refusal = entry.quote, entry.not_offered
        figures = quote.figures if quote else {}
        products.append({
            "product": entry.product,
            "offered": quote is not None,
            "reference": quote.reference if quote else None,
            "program": (quote.inputs.get("program") if quote else None),
            "monthly_payment": figures.get("monthly_payment"),
            "due_at_signing": figures.get("due_at_signing"),
            "total_cost": figures.get("total_cost"),
            "apr": figures.get("apr"),
            "annualised_rate": figures.get("annualised_rate"),
            "figures": figures,
            "disclosure": quote.disclosure if quote else {"boxes": []},
            "reason": refusal.as_dict() if refusal else None,
        })  # fmt: skip
    return {
        "reference": comparison.reference,
        "requested": comparison.requested or comparison.reference,
        "vin": vehicle.vin,
        "vehicle": {
            "model": vehicle.model.code, "model_name_en": vehicle.model.name_en, "model_name_zh": vehicle.model.name_zh,
            "trim": vehicle.trim.code, "trim_name_en": vehicle.trim.name_en, "trim_name_zh": vehicle.trim.name_zh,
            "model_year": vehicle.model_year, "store": vehicle.store.code, "store_name_en": vehicle.store.name_en,
            "store_name_zh": vehicle.store.name_zh,
        },  # fmt: skip
        "price": money(comparison.quotes[0].price),
        "currency": comparison.quotes[0].currency,
        "inputs": {"down_payment": inputs.get("down_payment_given"), "down_percent": inputs.get("down_percent"),
                   "term_months": inputs.get("term_months"), "annual_mileage": inputs.get("annual_mileage"),
                   "balloon_percent": inputs.get("balloon_percent"), "on": inputs.get("on")},
        "created_at": comparison.created_at,
        "expires_at": comparison.expires_at,
        "expired": comparison.is_expired(now),
        "products": products,
    }


# --- checks -----------------------------------------------------------------------------------------------------


def _check_inputs(inputs: QuoteInputs, price: Decimal) -> None:
    errors: list[FieldError] = []
    if (inputs.down_payment is None) == (inputs.down_percent is None):
        errors.append(FieldError("down_payment", "give exactly one of down_payment and down_percent"))
    if inputs.down_payment is not None:
        if not inputs.down_payment.is_finite() or inputs.down_payment < 0:
            errors.append(FieldError("down_payment", "must be an amount of at least 0", str(inputs.down_payment)))
        elif round_money(inputs.down_payment) != inputs.down_payment:
            errors.append(FieldError("down_payment", "must be in whole fen (two decimals)", str(inputs.down_payment)))
        elif inputs.down_payment >= price:
            errors.append(FieldError("down_payment", f"must be less than the price ({money(price)}): nothing would "
                                                     "be financed", str(inputs.down_payment)))  # fmt: skip
    if inputs.down_percent is not None and not (inputs.down_percent.is_finite() and 0 <= inputs.down_percent < 1):
        errors.append(FieldError("down_percent", "must be a fraction from 0 to below 1 (0.2 is 20%)",
                                 str(inputs.down_percent)))  # fmt: skip
    if isinstance(inputs.term_months, bool) or not 1 <= inputs.term_months <= 120:
        errors.append(FieldError("term_months", "must be 1 to 120 months", inputs.term_months))
    if not 0 <= inputs.annual_mileage <= MAX_ANNUAL_MILEAGE:
        errors.append(FieldError("annual_mileage", f"must be 0 to {MAX_ANNUAL_MILEAGE} km a year", inputs.annual_mileage))
    if inputs.balloon_percent is not None and not (inputs.balloon_percent.is_finite() and 0 < inputs.balloon_percent < 1):
        errors.append(FieldError("balloon_percent", "must be a fraction above 0 and below 1", str(inputs.balloon_percent)))
    if errors:
        raise InvalidInput("The quote request has invalid fields; see errors.", code="invalid_quote_request",
                           errors=errors)  # fmt: skip


def _nothing_offered(refused: Sequence[NotOffered], inputs: QuoteInputs,
                     available: Sequence[RateProgram]) -> InvalidInput:  # fmt: skip
    below = [r for r in refused if r.code == "down_payment_below_minimum"]
    if below:
        lowest = min(below, key=lambda r: Decimal(r.details["minimum_down_payment"]))
        return InvalidInput(
            f"The down payment is below the minimum of every finance product for this car: "
            f"{PRODUCT_NAMES[lowest.product]} needs at least {lowest.details['minimum_down_payment']} "
            f"({percent(Decimal(lowest.details['minimum_down_percent']))}%). {lowest.message}",
            code="down_payment_below_minimum", errors=[FieldError("down_payment", lowest.message)],
            extra={"minimum_down_payment": lowest.details["minimum_down_payment"],
                   "minimum_down_percent": lowest.details["minimum_down_percent"], "product": lowest.product,
                   "not_offered": [r.as_dict() for r in refused]})  # fmt: skip
    if all(r.code in ("no_program_for_term", "term_too_long") for r in refused):
        terms = sorted({p.term_months for p in available if p.product in FINANCED})
        offered = ", ".join(map(str, terms)) or "none"
        return InvalidInput(f"No finance product is offered for {inputs.term_months} months on this car; "
                            f"terms offered: {offered}.", code="term_not_offered",
                            errors=[FieldError("term_months", f"terms offered: {offered}", inputs.term_months)],
                            extra={"offered_terms": terms, "not_offered": [r.as_dict() for r in refused]})  # fmt: skip
    return InvalidInput("No finance product can be offered for these choices: "
                        + " ".join(r.message for r in refused), code="no_finance_offered",
                        extra={"not_offered": [r.as_dict() for r in refused]})  # fmt: skip


def _no_program(product: str, term: int, available: Sequence[RateProgram]) -> NotOffered:
    terms = sorted({p.term_months for p in available if p.product == product})
    if not terms:
        return NotOffered(product, "no_program", f"No {PRODUCT_NAMES[product]} is offered on this car.",
                          {"offered_terms": []})  # fmt: skip
    return NotOffered(product, "no_program_for_term",
                      f"No {PRODUCT_NAMES[product]} is offered for {term} months on this car; "
                      f"terms offered: {', '.join(map(str, terms))}.", {"offered_terms": terms})  # fmt: skip


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
    return NotOffered(product, "down_payment_below_minimum",
                      f"A {PRODUCT_NAMES[product]} on this car needs a down payment of at least {money(minimum)} "
                      f"({percent(fraction)}% of {money(net_price)}); got {money(down)}.",
                      {"minimum_down_payment": money(minimum), "minimum_down_percent": str(fraction),
                       "down_payment": money(down)})  # fmt: skip


def _nothing_to_finance(product: str, down: Decimal, net_price: Decimal) -> NotOffered:
    return NotOffered(product, "nothing_to_finance", f"The down payment ({money(down)}) covers the price after the "
                      f"rebate ({money(net_price)}): there is nothing to finance.", {"net_price": money(net_price)})


# --- pricing ----------------------------------------------------------------------------------------------------


def _price_cash(car: _Car) -> _Priced:
    figures = {"product": CASH, "price": money(car.price), "net_price": money(car.price), "rebate": money(ZERO),
               "down_payment": money(car.price), "monthly_payment": money(ZERO), "due_at_signing": money(car.price),
               "total_cost": money(car.price), "apr": None, "annualised_rate": None, "term_months": 0}  # fmt: skip
    return _Priced(CASH, None, ZERO, figures, {"boxes": [disclosures.cash(price=car.price, currency=car.currency)]})


def loan_request(net_price: Decimal, down: Decimal, inputs: QuoteInputs, program: RateProgram,
                 balloon: Decimal = ZERO) -> LoanRequest:  # fmt: skip
    return LoanRequest(price=net_price, down_payment=down, annual_rate=Decimal(program.annual_rate),
                       term_months=inputs.term_months, balloon=balloon, fees_financed=program.fee)  # fmt: skip


def _price_loan(car: _Car, inputs: QuoteInputs, program: RateProgram, product: str) -> _Priced | NotOffered:
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
            return NotOffered(product, "balloon_above_maximum",
                              f"The balloon can be at most {percent(program.max_balloon_percent)}% of the price "
                              f"(asked for {percent(share)}%).",
                              {"max_balloon_percent": str(program.max_balloon_percent)})  # fmt: skip
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


def _loan_priced(car: _Car, product: str, program: RateProgram, net: Decimal, down: Decimal,
                 loan: LoanQuote) -> _Priced:  # fmt: skip
    fee = program.fee
    rate, annualised = loan_rates(loan, fee)
    flat = flat_rate.nominal_to_flat_rate(annualised, loan.term_months) if product == LOAN else None
    tila = disclosures.truth_in_lending(loan, apr=rate, prepaid_finance_charge=fee, down_payment=down,
                                       currency=car.currency)  # fmt: skip
    china = disclosures.china_loan(annualised_rate=annualised, note_rate=program.annual_rate, monthly_payment=loan.payment,
                                   total_interest_and_fees=loan.finance_charge, flat_rate_equivalent=flat,
                                   currency=car.currency)  # fmt: skip
    figures = {
        "product": product, "price": money(car.price), "rebate": money(program.cash_rebate), "net_price": money(net),
        "down_payment": money(down), "fee": money(fee), "note_principal": money(loan.amount_financed),
        "amount_financed": money(loan.amount_financed - fee), "annual_rate": percent(program.annual_rate),
        "term_months": loan.term_months, "monthly_payment": money(loan.payment),
        "last_payment": money(loan.schedule[-1].payment), "balloon": money(loan.balloon),
        "finance_charge": money(loan.finance_charge), "total_of_payments": money(loan.total_of_payments),
        "due_at_signing": money(down), "total_cost": money(down + loan.total_of_payments),
        "apr": percent(rate), "annualised_rate": percent(annualised),
        "flat_rate_equivalent": percent(flat) if flat is not None else None,
        "schedule": tila["schedule"],
    }  # fmt: skip
    return _Priced(product, program, loan.payment, figures, {"boxes": [tila, china]})


def _residual_table(session: Session, provider: FinanceProvider) -> ResidualTable | None:
    try:
        return programs.residual_table(session, provider)
    except ResidualTableError:
        return None


def _price_lease(car: _Car, inputs: QuoteInputs, program: RateProgram,
                 residuals: ResidualTable | None) -> _Priced | NotOffered:  # fmt: skip
    net = car.price - program.cash_rebate
    down = down_payment_for(net, inputs)
    if down >= net:
        return _nothing_to_finance(LEASE, down, net)
    minimum = _ceil_cents(net * program.min_down_percent)
    if down < minimum:
        return _below_minimum(LEASE, down, minimum, Decimal(program.min_down_percent), net)
    if residuals is None:
        return NotOffered(LEASE, "no_residual", "The lessor's residual table cannot be used; no lease is offered.")
    try:
        share = residuals.residual_percent(car.model_code, inputs.term_months, inputs.annual_mileage)
    except LookupError:
        return NotOffered(LEASE, "no_residual", f"No residual value is published for this model over "
                          f"{inputs.term_months} months at {inputs.annual_mileage} km a year.",
                          {"annual_mileage": inputs.annual_mileage})  # fmt: skip
    residual = residuals.residual_value(car.model_code, inputs.term_months, inputs.annual_mileage, car.msrp)
    money_factor = Decimal(program.money_factor) if program.money_factor is not None else program.annual_rate / 24
    request = LeaseRequest(agreed_price=net, term_months=inputs.term_months, residual_value=residual,
                           money_factor=money_factor, acquisition_fee=program.fee, cap_cost_reduction=down,
                           disposition_fee=program.disposition_fee, annual_mileage=inputs.annual_mileage,
                           excess_mileage_rate=EXCESS_KM_RATE)  # fmt: skip
    try:
        lease = quote_lease(request)
    except ValueError as exc:
        return NotOffered(LEASE, "cannot_price", str(exc))
    annualised = lease_annualised_rate(net, lease)
    figures: dict[str, Any] = {
        "product": LEASE, "price": money(car.price), "rebate": money(program.cash_rebate), "net_price": money(net),
        "down_payment": money(down), "fee": money(program.fee), "msrp": money(car.msrp),
        "residual_percent": str(share), "money_factor": str(money_factor), "term_months": lease.term_months,
        "annual_mileage": inputs.annual_mileage, "monthly_payment": money(lease.total_monthly_payment),
        "due_at_signing": money(lease.due_at_signing), "total_cost": money(lease.total_of_payments),
        "apr": None, "annualised_rate": percent(annualised) if annualised is not None else None,
    }  # fmt: skip
    for name in LeaseQuote.__dataclass_fields__:
        value = getattr(lease, name)
        figures.setdefault(name, value if isinstance(value, int) else money(value))
    figures["equivalent_apr"] = str(lease.equivalent_apr)
    boxes = [disclosures.regulation_m(lease, currency=car.currency, residual_percent=share),
             disclosures.china_lease(annualised_rate=annualised, currency=car.currency)]  # fmt: skip
    return _Priced(LEASE, program, lease.total_monthly_payment, figures, {"boxes": boxes})


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


def _price_lease_to_own(car: _Car, inputs: QuoteInputs, program: RateProgram) -> _Priced | NotOffered:
    net = car.price - program.cash_rebate
    down = down_payment_for(net, inputs)
    if down >= net:
        return _nothing_to_finance(LEASE_TO_OWN, down, net)
    minimum = _ceil_cents(net * program.min_down_percent)
    if down < minimum:
        return _below_minimum(LEASE_TO_OWN, down, minimum, Decimal(program.min_down_percent), net)
    request = LeaseToOwnRequest(price=net, down_payment=down, term_months=inputs.term_months, monthly_rent=None,
                                annual_rate=Decimal(program.annual_rate), purchase_price=program.purchase_price,
                                fees_upfront=program.fee)  # fmt: skip
    try:
        lto = quote_lease_to_own(request)
    except (ValueError, MoneyError) as exc:
        return NotOffered(LEASE_TO_OWN, "cannot_price", str(exc))
    figures = {
        "product": LEASE_TO_OWN, "price": money(car.price), "rebate": money(program.cash_rebate),
        "net_price": money(net), "down_payment": money(down), "fee": money(program.fee),
        "annual_rate": percent(program.annual_rate), "financed": money(lto.financed),
        "monthly_payment": money(lto.monthly_rent), "monthly_rent": money(lto.monthly_rent),
        "term_months": lto.term_months, "purchase_price": money(lto.purchase_price),
        "due_at_signing": money(down + program.fee), "total_cost": money(lto.total_cost), "apr": None,
        "annualised_rate": percent(lto.annualised_rate),
    }  # fmt: skip
    box = disclosures.china_lease_to_own(lto, down_payment=down, fees_upfront=program.fee, currency=car.currency)
    return _Priced(LEASE_TO_OWN, program, lto.monthly_rent, figures, {"boxes": [box]})


# --- storing ----------------------------------------------------------------------------------------------------


def program_snapshot(program: RateProgram, provider_code: str) -> dict[str, Any]:
    """The program version's terms as they were when quoted (the row itself stays, retired, for reference)."""
    def text(value: Decimal | None) -> str | None:
        return None if value is None else str(value)

    return {"id": program.id, "provider": provider_code, "code": program.code, "version": program.version,
            "name_en": program.name_en, "name_zh": program.name_zh, "product": program.product,
            "term_months": program.term_months, "credit_tier": program.credit_tier,
            "annual_rate": text(program.annual_rate), "money_factor": text(program.money_factor),
            "subvention_rate": text(program.subvention_rate), "subvention_by": program.subvention_by,
            "min_down_percent": text(program.min_down_percent), "max_balloon_percent": text(program.max_balloon_percent),
            "fee": money(program.fee), "cash_rebate": money(program.cash_rebate),
            "purchase_price": money(program.purchase_price), "disposition_fee": money(program.disposition_fee),
            "valid_from": program.valid_from.isoformat(), "valid_to": program.valid_to.isoformat()}  # fmt: skip


def _unique_references(count: int) -> list[str]:
    references: list[str] = []
    while len(references) < count:
        candidate = new_reference("Q")
        if candidate not in references:
            references.append(candidate)
    return references


def _store(session: Session, vehicle: Vehicle, car: _Car, inputs: QuoteInputs, on: date, provider: FinanceProvider,
           user_id: int | None, results: dict[str, _Priced | NotOffered]) -> Comparison:  # fmt: skip
    priced = [results[p] for p in PRODUCTS if isinstance(results[p], _Priced)]
    not_offered = tuple(r for p in PRODUCTS if isinstance(r := results[p], NotOffered))
    references = dict(zip((p.product for p in priced), _unique_references(len(priced))))  # type: ignore[union-attr]
    group = {"reference": references[CASH], "quotes": references, "not_offered": [n.as_dict() for n in not_offered]}
    shared = {
        "vin": vehicle.vin, "vehicle_price": money(car.price), "msrp": money(car.msrp), "currency": car.currency,
        "model": car.model_code, "trim": car.trim_code, "powertrain": car.powertrain, "use": USE,
        "down_payment_given": money(inputs.down_payment) if inputs.down_payment is not None else None,
        "down_percent": str(inputs.down_percent) if inputs.down_percent is not None else None,
        "term_months": inputs.term_months, "annual_mileage": inputs.annual_mileage,
        "balloon_percent": str(inputs.balloon_percent) if inputs.balloon_percent is not None else None,
        "tier": inputs.tier, "on": on.isoformat(), "provider": provider.code, "comparison": group,
    }  # fmt: skip
    now = utcnow()
    rows = []
    for result in priced:
        assert isinstance(result, _Priced)
        program = result.program
        rows.append(Quote(
            reference=references[result.product], user_id=user_id, vehicle_id=vehicle.id, store_id=vehicle.store_id,
            product=result.product, program_id=program.id if program else None,
            price=Decimal(result.figures["net_price"]), currency=car.currency, monthly_payment=result.monthly_payment,
            inputs={**shared, "down_payment": result.figures["down_payment"],
                    "balloon": result.figures.get("balloon", money(ZERO)),
                    "program": program_snapshot(program, provider.code) if program else None},
            figures=result.figures, disclosure=result.disclosure, created_at=now, expires_at=now + QUOTE_LIFETIME,
        ))  # fmt: skip
    repository.add(session, rows)
    return Comparison(references[CASH], vehicle, tuple(rows), not_offered, requested=references[CASH])
