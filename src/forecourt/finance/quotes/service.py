"""Quotes: every finance product compared for one car, each stored with its inputs, program version, figures and
disclosure, for seven days.

`compare` prices cash, a loan, a balloon loan, a lease and a lease-to-own (直租) for the same car, down payment,
term and mileage with the pure calculation modules (finance/calc), picking per product the best current program
for the term (`programs.best_program`). A product that cannot be offered — no program for the term, a down payment
under its minimum, a term over the lending policy, no residual for the mileage — becomes a "not offered" entry
with a stable code and the figure that would cure it, not an error; only when no financed product at all can be
offered does `compare` refuse (422 `term_not_offered`, `down_payment_below_minimum` with the minimum, ...).

Each product's figures (the rules of price, down payment, loans, leases and lease-to-own) are `products`'.
Each row's `price` is the price its figures are on (the net price; the vehicle's price for cash) and its
`inputs` hold the shopper's choices (`down_payment_given` or `down_percent`, term, mileage, balloon percent), the
product's resolved `down_payment` and `balloon`, the vehicle's price and MSRP, and the program version's terms.
The comparison's rows share one JSON entry in `inputs["comparison"]`: the comparison's reference (its cash
quote's), every product's quote reference and the products not offered, so any one reference finds the others
(`storing`).

`new_car_request` gives another context (the lease-end swap) one product's finance.calc request for a car exactly
as `compare` would price it — the same vehicle and input checks, program choice and request builders
(`calc_requests`) — without storing anything, or the comparison's reason why it is not offered; `price_unstored`
gives one product's figures so (the subscription conversion, the ways-to-drive comparison).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from forecourt.catalog import service as catalog
from forecourt.catalog.models import Vehicle
from forecourt.core.errors import FieldError, InvalidInput, NotFound, Unauthenticated
from forecourt.core.money import round_money
from forecourt.core.outbox import enqueue_event
from forecourt.finance.calc.residuals import ResidualTable, ResidualTableError
from forecourt.finance.models import FinanceProvider, Quote, RateProgram
from forecourt.finance.programs import service as programs
from forecourt.finance.quotes import repository, storing
from forecourt.finance.quotes.calc_requests import CalcRequest, build_request, choose_program
from forecourt.finance.quotes.disclosures import money, percent
from forecourt.finance.quotes.products import (  # noqa: F401 - callers use them from here
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
    Car,
    NotOffered,
    Priced,
    QuoteInputs,
    down_payment_for,
    lease_annualised_rate,
    loan_minimum_down,
    loan_rates,
    loan_request,
    no_program,
    price_cash,
    price_lease,
    price_lease_to_own,
    price_loan,
)
from forecourt.finance.quotes.storing import QUOTE_LIFETIME, program_snapshot  # noqa: F401 - callers use them here

MAX_ANNUAL_MILEAGE = 100_000


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
        return [
            Entry(p, self.quote_for(p), missing.get(p))
            for p in PRODUCTS
            if self.quote_for(p) is not None or p in missing
        ]

    def is_expired(self, now: datetime) -> bool:
        return now >= self.expires_at


@dataclass(frozen=True)
class Viewer:
    """Who asks to see a quote: a user id (None: anonymous) and the stores they act for (None: every store)."""

    user_id: int | None
    store_ids: frozenset[int] | None = frozenset()


# --- use cases --------------------------------------------------------------------------------------------------


def compare(session: Session, vin: str, inputs: QuoteInputs, on: date, user_id: int | None = None) -> Comparison:
    """Price every product for the car, store one Quote per offered product (7 days), return the comparison."""
    vehicle = catalog.get_vehicle(session, vin)
    _check_inputs(inputs, vehicle.price)
    catalog.require_on_sale(vehicle)  # 409 before anything is priced: an unsaleable car leads nowhere
    provider = programs.default_provider(session)
    car = car_of(vehicle)
    available = _available(session, provider, car, inputs, on)
    results: dict[str, Priced | NotOffered] = {CASH: price_cash(car)}
    residuals: list[ResidualTable | None] = []  # loaded once, only when a lease program applies
    for product in FINANCED:
        program = choose_program(available, product, inputs.term_months)
        if isinstance(program, NotOffered):
            results[product] = program
        elif product == LEASE:
            if not residuals:
                residuals.append(_residual_table(session, provider))
            results[product] = price_lease(car, inputs, program, residuals[0])
        elif product == LEASE_TO_OWN:
            results[product] = price_lease_to_own(car, inputs, program)
        else:
            results[product] = price_loan(car, inputs, program, product)
    refused = [r for p, r in results.items() if p != CASH and isinstance(r, NotOffered)]
    if len(refused) == len(FINANCED):
        raise _nothing_offered(refused, inputs, available)
    reference, rows, not_offered = storing.store(session, vehicle, car, inputs, on, provider, user_id, results)
    comparison = Comparison(reference, vehicle, rows, not_offered, requested=reference)
    if user_id is not None:  # a signed-in shopper asked for a quote: an engagement for marketing
        enqueue_event(
            session,
            {
                "event_id": f"platform:quote_request:{comparison.reference}",
                "type": "quote_request",
                "occurred_at": comparison.created_at.isoformat(),
                "user_id": user_id,
                "model_code": vehicle.model.code,
                "city": vehicle.store.city.code,
                "store_code": vehicle.store.code,
                "subject": comparison.reference,
                "value": None,
            },
        )
    return comparison


@dataclass(frozen=True)
class RequestForCar:
    """A financed product's finance.calc request for one car, made as the comparison would price it (nothing
    stored): the program chosen, the car's price and the price after the program's rebate, the down payment
    (a lease's cap cost reduction) in the request."""

    vin: str
    product: str
    program_code: str
    price: Decimal
    net_price: Decimal
    down_payment: Decimal
    currency: str
    request: CalcRequest


def new_car_request(
    session: Session, vin: str, product: str, inputs: QuoteInputs, on: date
) -> RequestForCar | NotOffered:
    """The calc request (LoanRequest, LeaseRequest, LeaseToOwnRequest) `compare` would price for this car, product
    and inputs on that day — the same program choice, residual table, fees and minimum down payments, through the
    same builders (calc_requests) — without storing anything; or why the product is not offered (`NotOffered`,
    the comparison's own codes). Raises like `compare`: 404 for an unknown car or no finance provider, 409 for a
    car no longer for sale, 422 for malformed inputs or a product that is not financed (cash has no request)."""
    _check_financed(product)
    vehicle = quotable_vehicle(session, vin)
    _check_inputs(inputs, None)
    provider = programs.default_provider(session)
    car = car_of(vehicle)
    program = choose_program(_available(session, provider, car, inputs, on), product, inputs.term_months)
    if isinstance(program, NotOffered):
        return program
    residuals = _residual_table(session, provider) if product == LEASE else None
    built = build_request(car, inputs, program, product, residuals)
    if isinstance(built, NotOffered):
        return built
    return RequestForCar(
        vehicle.vin, product, program.code, car.price, built.net_price, built.down_payment, car.currency, built.request
    )


def price_unstored(
    session: Session, vehicle: Vehicle, product: str, inputs: QuoteInputs, on: date
) -> Priced | NotOffered:
    """One financed product's figures for the car exactly as `compare` stores them (the same program choice,
    builders and pricing), stored nowhere; or why it is not offered. The caller vouches for the car's status: a car
    for sale (a comparison page of ways to drive a model), or one not for sale because the person using it is
    buying it (a subscription converted to a purchase, which `compare` prices once the car is on sale)."""
    _check_financed(product)
    _check_inputs(inputs, None)
    provider = programs.default_provider(session)
    car = car_of(vehicle)
    program = choose_program(_available(session, provider, car, inputs, on), product, inputs.term_months)
    if isinstance(program, NotOffered):
        return program
    if product == LEASE:
        return price_lease(car, inputs, program, _residual_table(session, provider))
    if product == LEASE_TO_OWN:
        return price_lease_to_own(car, inputs, program)
    return price_loan(car, inputs, program, product)


def _check_financed(product: str) -> None:
    if product not in FINANCED:
        raise InvalidInput(
            f"{product!r} is not a financed product; one of {', '.join(FINANCED)}",
            code="invalid_product",
            errors=[FieldError("product", f"must be one of {', '.join(FINANCED)}", product)],
        )


def quotable_vehicle(session: Session, vin: str) -> Vehicle:
    """The car, if it is for sale (catalog.require_on_sale: 409 `vehicle_already_reserved` or
    `vehicle_not_available` otherwise)."""
    vehicle = catalog.get_vehicle(session, vin)
    catalog.require_on_sale(vehicle)
    return vehicle


def car_of(vehicle: Vehicle) -> Car:
    return Car(
        vehicle.price,
        vehicle.trim.msrp,
        vehicle.currency,
        vehicle.model.code,
        vehicle.trim.code,
        vehicle.trim.powertrain,
    )


def _available(
    session: Session, provider: FinanceProvider, car: Car, inputs: QuoteInputs, on: date
) -> list[RateProgram]:
    return programs.applicable_programs(
        session, provider=provider, model_code=car.model_code, trim_code=car.trim_code, on=on, tier=inputs.tier
    )


def get_comparison(session: Session, reference: str) -> Comparison:
    """The comparison a quote reference belongs to (any of its quotes' references finds it)."""
    quote = get_quote(session, reference)
    group = quote.inputs.get("comparison") or {}
    references = set((group.get("quotes") or {}).values()) | {quote.reference}
    rows = sorted(repository.by_references(session, references), key=lambda q: PRODUCTS.index(q.product))
    not_offered = tuple(NotOffered(**item) for item in group.get("not_offered", []))
    return Comparison(
        group.get("reference", quote.reference),
        catalog.get_vehicle_by_id(session, quote.vehicle_id),
        tuple(rows),
        not_offered,
        requested=quote.reference,
    )


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


# --- checks -----------------------------------------------------------------------------------------------------


def _check_inputs(inputs: QuoteInputs, price: Decimal | None) -> None:
    """The inputs' own rules; with the car's price (the comparison), a down payment must also leave something to
    finance (for one product's request that is its `nothing_to_finance`)."""
    errors: list[FieldError] = []
    if (inputs.down_payment is None) == (inputs.down_percent is None):
        errors.append(FieldError("down_payment", "give exactly one of down_payment and down_percent"))
    if inputs.down_payment is not None:
        if not inputs.down_payment.is_finite() or inputs.down_payment < 0:
            errors.append(FieldError("down_payment", "must be an amount of at least 0", str(inputs.down_payment)))
        elif round_money(inputs.down_payment) != inputs.down_payment:
            errors.append(FieldError("down_payment", "must be in whole fen (two decimals)", str(inputs.down_payment)))
        elif price is not None and inputs.down_payment >= price:
            errors.append(
                FieldError(
                    "down_payment",
                    f"must be less than the price ({money(price)}): nothing would be financed",
                    str(inputs.down_payment),
                )
            )
    if inputs.down_percent is not None and not (inputs.down_percent.is_finite() and 0 <= inputs.down_percent < 1):
        errors.append(
            FieldError("down_percent", "must be a fraction from 0 to below 1 (0.2 is 20%)", str(inputs.down_percent))
        )
    if isinstance(inputs.term_months, bool) or not 1 <= inputs.term_months <= 120:
        errors.append(FieldError("term_months", "must be 1 to 120 months", inputs.term_months))
    if not 0 <= inputs.annual_mileage <= MAX_ANNUAL_MILEAGE:
        errors.append(
            FieldError("annual_mileage", f"must be 0 to {MAX_ANNUAL_MILEAGE} km a year", inputs.annual_mileage)
        )
    if inputs.balloon_percent is not None and not (
        inputs.balloon_percent.is_finite() and 0 < inputs.balloon_percent < 1
    ):
        errors.append(
            FieldError("balloon_percent", "must be a fraction above 0 and below 1", str(inputs.balloon_percent))
        )
    if errors:
        raise InvalidInput(
            "The quote request has invalid fields; see errors.", code="invalid_quote_request", errors=errors
        )


def _nothing_offered(
    refused: Sequence[NotOffered], inputs: QuoteInputs, available: Sequence[RateProgram]
) -> InvalidInput:
    below = [r for r in refused if r.code == "down_payment_below_minimum"]
    if below:
        lowest = min(below, key=lambda r: Decimal(r.details["minimum_down_payment"]))
        return InvalidInput(
            f"The down payment is below the minimum of every finance product for this car: "
            f"{PRODUCT_NAMES[lowest.product]} needs at least {lowest.details['minimum_down_payment']} "
            f"({percent(Decimal(lowest.details['minimum_down_percent']))}%). {lowest.message}",
            code="down_payment_below_minimum",
            errors=[FieldError("down_payment", lowest.message)],
            extra={
                "minimum_down_payment": lowest.details["minimum_down_payment"],
                "minimum_down_percent": lowest.details["minimum_down_percent"],
                "product": lowest.product,
                "not_offered": [r.as_dict() for r in refused],
            },
        )
    if all(r.code in ("no_program_for_term", "term_too_long") for r in refused):
        terms = sorted({p.term_months for p in available if p.product in FINANCED})
        offered = ", ".join(map(str, terms)) or "none"
        return InvalidInput(
            f"No finance product is offered for {inputs.term_months} months on this car; terms offered: {offered}.",
            code="term_not_offered",
            errors=[FieldError("term_months", f"terms offered: {offered}", inputs.term_months)],
            extra={"offered_terms": terms, "not_offered": [r.as_dict() for r in refused]},
        )
    return InvalidInput(
        "No finance product can be offered for these choices: " + " ".join(r.message for r in refused),
        code="no_finance_offered",
        extra={"not_offered": [r.as_dict() for r in refused]},
    )


def _residual_table(session: Session, provider: FinanceProvider) -> ResidualTable | None:
    try:
        return programs.residual_table(session, provider)
    except ResidualTableError:
        return None
