"""Search the inventory by monthly payment: "under ¥3,000 a month for 36 months with 20% down".

Two paths, one set of rules
- Bulk (numpy): every price in the inventory at once, as float64 annuity estimates. They rank and
  pre-filter only; `candidates_under_budget` keeps a small margin so no car that fits is dropped.
- Exact (Decimal): `exact_payment` goes through loan.quote_loan; every figure shown comes from here.
Both derive the down payment and the balloon the same way, from the vehicle price:
  down = price × down_payment_percent, balloon = price × balloon_percent, each rounded half up to
  the cent (core.money's rule for any figure shown). The bulk path does this in integer fen, so it
  reproduces the exact amounts cent for cent; only the annuity itself is float.
Financed fees are a fixed amount added to what is borrowed (price − down + fees).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, localcontext

import numpy as np

from forecourt.core.money import quantum, round_money, to_minor_units
from forecourt.finance.calc.loan import (
    MAX_TERM_MONTHS,
    MONTHS_PER_YEAR,
    WORKING_PRECISION,
    ZERO,
    LoanRequest,
    quote_loan,
)

CENT = quantum("CNY")
HALF_CENT = CENT / 2
MAX_PERCENT_DECIMALS = 6  # keeps price × percent inside int64 for any price up to MAX_PRICE_MINOR
MAX_PRICE_MINOR = 10**12  # ¥10 billion: far above any vehicle, far below int64 overflow


@dataclass(frozen=True)
class PaymentQuery:
    max_monthly: Decimal
    term_months: int
    down_payment_percent: Decimal  # a fraction: Decimal("0.20") is 20 %
    annual_rate: Decimal  # nominal, Decimal("0.0399") is 3.99 %
    balloon_percent: Decimal = ZERO  # of the vehicle price, like the down payment
    fees_financed: Decimal = ZERO

    def __post_init__(self) -> None:
        if not self.max_monthly.is_finite() or self.max_monthly <= 0:
            raise ValueError(f"The monthly budget must be a positive amount (got {self.max_monthly}).")
        if isinstance(self.term_months, bool) or not 1 <= self.term_months <= MAX_TERM_MONTHS:
            raise ValueError(f"The term must be 1 to {MAX_TERM_MONTHS} months (got {self.term_months}).")
        if not 0 <= self.annual_rate <= 1:
            raise ValueError(f"The annual rate must be between 0 and 1 (got {self.annual_rate}).")
        _require_percent("down payment", self.down_payment_percent, below=Decimal(1))
        # A balloon at or above the financed share would make the payment fall as the price rises.
        _require_percent("balloon", self.balloon_percent, below=1 - self.down_payment_percent)
        if self.fees_financed < 0 or round_money(self.fees_financed) != self.fees_financed:
            raise ValueError(f"Financed fees must be a non-negative amount in cents (got {self.fees_financed}).")


def _require_percent(label: str, percent: Decimal, *, below: Decimal) -> None:
    if not 0 <= percent < below:
        raise ValueError(f"The {label} percent must be at least 0 and below {below} (got {percent}).")
    if percent != round(percent, MAX_PERCENT_DECIMALS):
        raise ValueError(f"The {label} percent may have at most {MAX_PERCENT_DECIMALS} decimals (got {percent}).")


# --- exact path -------------------------------------------------------------------------------


def down_payment(price: Decimal, query: PaymentQuery) -> Decimal:
    return round_money(price * query.down_payment_percent)


def balloon(price: Decimal, query: PaymentQuery) -> Decimal:
    return round_money(price * query.balloon_percent)


def exact_payment(price: Decimal, query: PaymentQuery) -> Decimal:
    """The monthly payment a customer is shown for this car; ValueError if nothing can be financed."""
    request = LoanRequest(
        price=price,
        down_payment=down_payment(price, query),
        annual_rate=query.annual_rate,
        term_months=query.term_months,
        balloon=balloon(price, query),
        fees_financed=query.fees_financed,
    )
    return quote_loan(request).payment


def fits_budget(price: Decimal, query: PaymentQuery) -> bool:
    """Exact check; a price the query cannot finance (a few cents, balloon ≥ borrowed) does not fit."""
    financed = price - down_payment(price, query) + query.fees_financed
    if price <= 0 or financed <= 0 or balloon(price, query) >= financed:
        return False
    return exact_payment(price, query) <= query.max_monthly


def confirm_under_budget(prices: Sequence[Decimal], query: PaymentQuery) -> list[bool]:
    """The exact check for the page of results actually shown."""
    return [fits_budget(price, query) for price in prices]


def max_price_for_budget(query: PaymentQuery) -> Decimal:
    """The highest price whose exact payment fits: a `price <= max` pre-filter on the price column.

    The cent roundings of down payment and balloon make the payment wobble by a fraction of a cent
    as the price steps up, so the payment is not quite monotone in the price. Write the unrounded
    payment as k·borrowed − c·balloon (k = r/(1 − vⁿ), c = k·vⁿ ≤ k): the two roundings move it by
    at most k·1¢ together, so from the price where the straight-line payment clears budget + ½¢ + k·1¢ upwards
    nothing can fit. Step down from there a cent at a time to the first price that does. Cheaper
    prices just below it may still not fit (the wobble), so confirm the shown page as usual.
    """
    k, c = _annuity_factors(query)
    with localcontext() as ctx:
        ctx.prec = WORKING_PRECISION
        slope = k * (1 - query.down_payment_percent) - c * query.balloon_percent
        ceiling = query.max_monthly + HALF_CENT + k * CENT - k * query.fees_financed
        price = (ceiling / slope).quantize(CENT) + CENT
    while price > 0:
        if fits_budget(price, query):
            return price
        price -= CENT
    raise ValueError(f"No price fits a monthly budget of {query.max_monthly} with these terms.")


def _annuity_factors(query: PaymentQuery) -> tuple[Decimal, Decimal]:
    """(k, c): payment = k·borrowed − c·balloon, in the same 40-digit context as loan.level_payment."""
    with localcontext() as ctx:
        ctx.prec = WORKING_PRECISION
        rate, months = query.annual_rate / MONTHS_PER_YEAR, query.term_months
        if rate == 0:
            return Decimal(1) / months, Decimal(1) / months
        discount = (1 + rate) ** -months
        k = rate / (1 - discount)
        return k, k * discount


# --- bulk path (numpy estimates) --------------------------------------------------------------


def estimate_payments(prices_minor: np.ndarray, query: PaymentQuery) -> np.ndarray:
    """Unrounded payments in yuan (float64), within a fraction of a cent of `exact_payment`.

    NaN where the query cannot finance the price, so every comparison with it is False.
    """
    prices = _as_minor_units(prices_minor)
    borrowed = prices - _percent_of(prices, query.down_payment_percent) + to_minor_units(query.fees_financed)
    balloons = _percent_of(prices, query.balloon_percent)
    k, c = _float_annuity_factors(np.array([query.term_months]), np.array([float(query.annual_rate)]))
    payments = (borrowed * k[0] - balloons * c[0]) / 100
    financeable = (prices > 0) & (borrowed > 0) & (balloons < borrowed)
    return np.where(financeable, payments, np.nan)


def candidates_under_budget(
    prices_minor: np.ndarray, query: PaymentQuery, *, margin: Decimal = Decimal("0.05")
) -> np.ndarray:
    """Boolean mask of cars worth an exact check.

    An exact payment ≤ budget means the unrounded one is < budget + ½¢, and the estimate is that
    unrounded payment up to float error (~1e-7 yuan): any margin ≥ 1¢ keeps every car that fits.
    """
    if margin < HALF_CENT:
        raise ValueError(f"A margin below half a cent would drop cars that fit (got {margin}).")
    with np.errstate(invalid="ignore"):
        return estimate_payments(prices_minor, query) <= float(query.max_monthly + margin)


def payments_matrix(
    prices_minor: np.ndarray, terms: Sequence[int], rates: Sequence[Decimal], down_payment_percent: Decimal
) -> np.ndarray:
    """Estimates for every (price, term option) at once: shape (len(prices), len(terms)).

    `rates[j]` is the annual rate offered for `terms[j]`; no balloon, no financed fees.
    """
    if len(terms) != len(rates):
        raise ValueError(f"One rate per term is needed (got {len(terms)} terms and {len(rates)} rates).")
    for term, rate in zip(terms, rates):  # the same checks as a query, one per option
        PaymentQuery(Decimal(1), term, down_payment_percent, rate)
    prices = _as_minor_units(prices_minor)
    borrowed = prices - _percent_of(prices, down_payment_percent)
    k, _ = _float_annuity_factors(np.asarray(terms), np.array([float(rate) for rate in rates]))
    payments = np.multiply.outer(borrowed / 100, k)
    return np.where((borrowed > 0)[:, None], payments, np.nan)


def _as_minor_units(prices_minor: np.ndarray) -> np.ndarray:
    prices = np.asarray(prices_minor)
    if not np.issubdtype(prices.dtype, np.integer):
        raise TypeError(f"Prices must be integer minor units (fen), not {prices.dtype}.")
    if prices.size and (prices.min() < 0 or prices.max() > MAX_PRICE_MINOR):
        raise ValueError(f"Prices must be between 0 and {MAX_PRICE_MINOR} fen.")
    return prices.astype(np.int64, copy=False)


def _percent_of(prices: np.ndarray, percent: Decimal) -> np.ndarray:
    """price × percent rounded half up to the fen, in exact integers (the Decimal rule, vectorised)."""
    numerator, denominator = percent.as_integer_ratio()
    return (2 * numerator * prices + denominator) // (2 * denominator)


def _float_annuity_factors(terms: np.ndarray, annual_rates: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(k, c) per term as in `_annuity_factors`; expm1/log1p keep tiny rates accurate."""
    rates = annual_rates / MONTHS_PER_YEAR
    paid_off = -np.expm1(-terms * np.log1p(rates))  # 1 − vⁿ
    with np.errstate(divide="ignore", invalid="ignore"):
        k = np.where(rates == 0, 1 / terms, rates / paid_off)
    return k, k * (1 - paid_off)
