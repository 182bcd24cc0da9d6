"""An owner's contract as plain values: taken from an accepted quote's figures (or typed by staff for a car sold
elsewhere), its payment schedule regenerated exactly by finance.calc, and where the owner stands on a given day
(pure: standard library, core.money and finance.calc only).

What regenerates the schedule is stored, not the schedule: the loan request (price, down payment, note rate, term,
balloon, financed fee) for loans and balloon loans, the lease request (agreed price, residual, money factor,
acquisition fee, cap cost reduction) for leases, the lease-to-own request (price, down, rate, purchase price, fee)
for 直租. The calc modules are deterministic, so the schedule is the quote's to the fen, and a contract whose
figures cannot be read (an old quote without them) keeps what it has and shows no schedule rather than a guess.

Payment days: a loan's and a lease-to-own's n-th instalment falls n calendar months after delivery; a lease's first
monthly payment is paid at signing (Regulation M's "due at signing" includes it), so its n-th falls n − 1 months
after delivery. On a given day, the payments due before it count as paid (Forecourt does not collect them; the
lender does); the next payment is the first due on or after it. The balance is the schedule's: a loan's principal
still owed after the payments made (its balloon included), a lease's or 直租's payments still to come.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from forecourt.core.money import round_money
from forecourt.finance.calc.lease import LeaseRequest, quote_lease
from forecourt.finance.calc.lease_to_own import LeaseToOwnRequest, quote_lease_to_own
from forecourt.finance.calc.loan import LoanRequest, quote_loan
from forecourt.ownership.calendar_months import add_months

CASH, LOAN, BALLOON, LEASE, LEASE_TO_OWN = "cash", "loan", "balloon", "lease", "lease_to_own"
PRODUCTS = (CASH, LOAN, BALLOON, LEASE, LEASE_TO_OWN)
LEASES = (LEASE, LEASE_TO_OWN)  # contracts with a km allowance and a lease end
DEFAULT_EXCESS_KM_RATE = Decimal("0.50")
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class ContractTerms:
    product: str
    currency: str
    price: Decimal  # the net price the figures are on
    delivered_on: date
    delivery_odometer_km: int
    down_payment: Decimal = ZERO
    term_months: int = 0
    monthly_payment: Decimal = ZERO
    annual_rate: Decimal | None = None  # loans, balloon loans, lease-to-own: a fraction
    money_factor: Decimal | None = None  # leases
    balloon: Decimal = ZERO
    fee: Decimal = ZERO  # financed (loans), capitalised (leases), paid up front (lease-to-own)
    residual_value: Decimal = ZERO  # lease residual, or the lease-to-own's purchase price (留购价)
    disposition_fee: Decimal = ZERO
    purchase_option_fee: Decimal = ZERO
    annual_allowance_km: int | None = None
    excess_km_rate: Decimal | None = None
    quote_reference: str | None = None
    program: Mapping[str, Any] | None = None
    figures: Mapping[str, Any] = field(default_factory=dict)

    @property
    def is_lease(self) -> bool:
        return self.product in LEASES

    @property
    def end_day(self) -> date | None:
        return add_months(self.delivered_on, self.term_months) if self.term_months else None


@dataclass(frozen=True)
class Payment:
    number: int
    due_on: date
    amount: Decimal
    balance_after: Decimal  # loans: principal still owed (balloon included); leases: payments still to come


@dataclass(frozen=True)
class ContractStatus:
    payments_made: int
    payments_left: int
    next_payment: Payment | None
    balance: Decimal
    final_amount: Decimal  # due at the end besides the payments: the balloon, or the buy-out of a lease
    end_day: date | None


# --- from a quote ---------------------------------------------------------------------------------------------------


def _money(value: object, default: Decimal = ZERO) -> Decimal:
    if value is None or value == "":
        return default
    try:
        return round_money(Decimal(str(value)))
    except (InvalidOperation, ValueError):
        return default


def _rate(value: object) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def _whole(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def terms_from_quote(
    *,
    product: str,
    currency: str,
    price: Decimal,
    inputs: Mapping[str, Any],
    figures: Mapping[str, Any],
    delivered_on: date,
    delivery_odometer_km: int,
    quote_reference: str | None,
) -> ContractTerms:
    """The contract of an accepted quote: its figures as stored, the program version's exact rates (the figures
    show rates as rounded percents), and the lease's allowance and excess rate as quoted."""
    program = inputs.get("program") or None
    base = ContractTerms(
        product=product,
        currency=currency,
        price=_money(figures.get("net_price"), price),
        delivered_on=delivered_on,
        delivery_odometer_km=delivery_odometer_km,
        down_payment=_money(figures.get("down_payment")),
        term_months=_whole(figures.get("term_months")) or 0,
        monthly_payment=_money(figures.get("monthly_payment")),
        fee=_money(figures.get("fee")),
        quote_reference=quote_reference,
        program=program,
        figures=dict(figures),
    )
    rate = _rate(program.get("annual_rate")) if program else None
    if product in (LOAN, BALLOON):
        return replace(base, annual_rate=rate, balloon=_money(figures.get("balloon")))
    if product == LEASE:
        return replace(
            base,
            money_factor=_rate(figures.get("money_factor")),
            residual_value=_money(figures.get("residual_value")),
            disposition_fee=_money(figures.get("disposition_fee")),
            annual_allowance_km=_whole(figures.get("annual_mileage")) or _whole(inputs.get("annual_mileage")),
            excess_km_rate=_rate(figures.get("excess_mileage_rate")) or DEFAULT_EXCESS_KM_RATE,
        )
    if product == LEASE_TO_OWN:
        return replace(
            base,
            annual_rate=rate,
            residual_value=_money(figures.get("purchase_price")),
            disposition_fee=_money(program.get("disposition_fee")) if program else ZERO,
            annual_allowance_km=_whole(inputs.get("annual_mileage")),
            excess_km_rate=(_rate(program.get("excess_km_rate")) if program else None) or DEFAULT_EXCESS_KM_RATE,
        )
    return replace(base, down_payment=base.price, term_months=0, monthly_payment=ZERO)


# --- the schedule ---------------------------------------------------------------------------------------------------


def loan_request(terms: ContractTerms) -> LoanRequest:
    assert terms.annual_rate is not None
    return LoanRequest(
        price=terms.price,
        down_payment=terms.down_payment,
        annual_rate=terms.annual_rate,
        term_months=terms.term_months,
        balloon=terms.balloon,
        fees_financed=terms.fee,
    )


def lease_request(terms: ContractTerms) -> LeaseRequest:
    assert terms.money_factor is not None
    return LeaseRequest(
        agreed_price=terms.price,
        term_months=terms.term_months,
        residual_value=terms.residual_value,
        money_factor=terms.money_factor,
        acquisition_fee=terms.fee,
        cap_cost_reduction=terms.down_payment,
        disposition_fee=terms.disposition_fee,
        annual_mileage=terms.annual_allowance_km or 0,
        excess_mileage_rate=terms.excess_km_rate or DEFAULT_EXCESS_KM_RATE,
    )


def lease_to_own_request(terms: ContractTerms) -> LeaseToOwnRequest:
    return LeaseToOwnRequest(
        price=terms.price,
        down_payment=terms.down_payment,
        term_months=terms.term_months,
        monthly_rent=None,
        annual_rate=terms.annual_rate,
        purchase_price=terms.residual_value,
        fees_upfront=terms.fee,
    )


def can_regenerate(terms: ContractTerms) -> bool:
    if terms.term_months <= 0:
        return False
    if terms.product in (LOAN, BALLOON, LEASE_TO_OWN):
        return terms.annual_rate is not None
    return terms.product == LEASE and terms.money_factor is not None


def priced(terms: ContractTerms) -> ContractTerms:
    """The terms with the monthly payment finance.calc gives them (staff type the terms, never the payment).
    Raises ValueError (MoneyError is one) when the calc refuses the terms."""
    if terms.product == CASH:
        return replace(terms, down_payment=terms.price, term_months=0, monthly_payment=ZERO)
    if not can_regenerate(terms):
        raise ValueError(f"a {terms.product} contract needs a term and its rate")
    if terms.product in (LOAN, BALLOON):
        payment = quote_loan(loan_request(terms)).payment
    elif terms.product == LEASE:
        payment = quote_lease(lease_request(terms)).total_monthly_payment
    else:
        payment = quote_lease_to_own(lease_to_own_request(terms)).monthly_rent
    return replace(terms, monthly_payment=payment)


def payment_schedule(terms: ContractTerms) -> tuple[Payment, ...]:
    """Every monthly payment with its day and the balance after it; () when nothing regenerates one."""
    if not can_regenerate(terms):
        return ()
    start = terms.delivered_on
    if terms.product in (LOAN, BALLOON):
        loan = quote_loan(loan_request(terms))
        return tuple(
            Payment(row.period, add_months(start, row.period), row.payment, row.balance) for row in loan.schedule
        )
    if terms.product == LEASE:
        payment = quote_lease(lease_request(terms)).total_monthly_payment
        first_offset = 0  # the first payment is due at signing
    else:
        payment = quote_lease_to_own(lease_to_own_request(terms)).monthly_rent
        first_offset = 1
    count = terms.term_months
    return tuple(
        Payment(n, add_months(start, n - 1 + first_offset), payment, payment * (count - n)) for n in range(1, count + 1)
    )


def contract_status(terms: ContractTerms, today: date) -> ContractStatus:
    schedule = payment_schedule(terms)
    made = [p for p in schedule if p.due_on < today]
    left = [p for p in schedule if p.due_on >= today]
    if terms.product in (LOAN, BALLOON) and schedule:
        balance = made[-1].balance_after if made else quote_loan(loan_request(terms)).amount_financed
    else:
        balance = sum((p.amount for p in left), ZERO)
    final = terms.balloon if terms.product == BALLOON else terms.residual_value if terms.is_lease else ZERO
    return ContractStatus(len(made), len(left), left[0] if left else None, balance, final, terms.end_day)


# --- for the lease pure core ------------------------------------------------------------------------------------------


def has_mileage_terms(terms: ContractTerms) -> bool:
    return (
        terms.is_lease
        and terms.term_months > 0
        and bool(terms.annual_allowance_km)
        and terms.excess_km_rate is not None
        and terms.annual_allowance_km * terms.term_months // 12 > 0
    )
