"""Instalment and balloon loans (incl. China's 弹性尾款): level payment, amortisation schedule, totals.

Conventions
- Monthly rate = nominal annual rate / 12 (the "note rate" of a US retail instalment contract and
  the 月利率 of a Chinese auto loan alike).
- The level payment is the annuity with a future value: the balloon stays in the balance and
  accrues interest for the whole term, then is paid on top of the last instalment.
- Odd first period, after Regulation Z (12 CFR 1026) Appendix J (b)(5) and its general equation
  (b)(8), which discounts the first payment by (1 + f·i)(1 + i)^t: the odd days are a fraction f of
  a unit-period earning *simple* interest, counted at annual_rate / 365 per day (so f·i =
  annual_rate × odd_days / 365). A long first period (≥ 30 days) is t = 1 full month plus
  first_period_days − 30 odd days; a short one (< 30 days) is t = 0 and the fraction is all of it.
  Period 1's interest is balance × (that growth − 1), rounded once.
- Every figure a customer sees or pays is rounded half-up to the cent (core.money.round_money);
  the last regular payment absorbs the rounding so the schedule repays exactly to the cent.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, localcontext

from forecourt.core.money import quantum, round_money

ZERO = Decimal("0")
DAYS_PER_YEAR = Decimal(365)
MONTHS_PER_YEAR = 12
MAX_TERM_MONTHS = 120
UNIT_PERIOD_DAYS = 30
WORKING_PRECISION = 40


@dataclass(frozen=True)
class LoanRequest:
    price: Decimal
    down_payment: Decimal
    annual_rate: Decimal
    term_months: int
    balloon: Decimal = ZERO
    fees_financed: Decimal = ZERO
    fees_upfront: Decimal = ZERO
    first_period_days: int | None = None


@dataclass(frozen=True)
class ScheduleRow:
    period: int
    payment: Decimal
    interest: Decimal
    principal: Decimal
    balance: Decimal  # after this payment; the last row's balance equals the balloon still due


@dataclass(frozen=True)
class LoanQuote:
    """A priced loan. `amount_financed` is the note principal (price − down + financed fees); for a
    Reg Z disclosure the financed fees are prepaid finance charges, so TILA's "amount financed" is
    this minus fees_financed (apr.py's concern). `schedule` holds the regular instalments only."""

    amount_financed: Decimal
    payment: Decimal
    term_months: int
    balloon: Decimal
    schedule: tuple[ScheduleRow, ...]
    total_of_payments: Decimal
    finance_charge: Decimal

    @property
    def balance_after_balloon(self) -> Decimal:
        """What is owed once the balloon is paid: 0.00 for every quote this module produces."""
        return self.schedule[-1].balance - self.balloon


def level_payment(principal: Decimal, monthly_rate: Decimal, months: int, balloon: Decimal = ZERO) -> Decimal:
    """Exact (unrounded) level payment: PV of n payments plus the balloon at month n equals principal."""
    if months < 1:
        raise ValueError("a loan needs at least one monthly payment")
    with localcontext() as ctx:
        ctx.prec = WORKING_PRECISION
        principal, monthly_rate, balloon = Decimal(principal), Decimal(monthly_rate), Decimal(balloon)
        if monthly_rate == 0:
            return (principal - balloon) / months
        discount = (1 + monthly_rate) ** -months
        return (principal - balloon * discount) * monthly_rate / (1 - discount)


def quote_loan(request: LoanRequest) -> LoanQuote:
    """Validate the request, then price and amortise it."""
    _validate(request)
    with localcontext() as ctx:
        ctx.prec = WORKING_PRECISION
        amount_financed = request.price - request.down_payment + request.fees_financed
        monthly_rate = request.annual_rate / MONTHS_PER_YEAR
        first_period_factor = _first_period_factor(request)
        priced_principal = _regular_month_principal(amount_financed, monthly_rate, first_period_factor)
        exact_payment = level_payment(priced_principal, monthly_rate, request.term_months, request.balloon)
        payment = round_money(exact_payment)
        schedule = _amortise(amount_financed, monthly_rate, first_period_factor, payment, request)
    total_of_payments = sum((row.payment for row in schedule), ZERO) + request.balloon
    interest = total_of_payments - amount_financed
    return LoanQuote(
        amount_financed=amount_financed,
        payment=payment,
        term_months=request.term_months,
        balloon=request.balloon,
        schedule=schedule,
        total_of_payments=total_of_payments,
        # Reg Z §1026.4: fees the buyer pays only because they borrow are finance charges, financed or not.
        finance_charge=interest + request.fees_upfront + request.fees_financed,
    )


def _first_period_factor(request: LoanRequest) -> Decimal:
    """Growth of one unit of balance over period 1: (1 + f·i)(1 + i)^t, Appendix J's general equation."""
    monthly_growth = 1 + request.annual_rate / MONTHS_PER_YEAR
    days = request.first_period_days
    if days is None:
        return monthly_growth
    if days < UNIT_PERIOD_DAYS:
        return 1 + request.annual_rate * days / DAYS_PER_YEAR
    odd_days = days - UNIT_PERIOD_DAYS
    return (1 + request.annual_rate * odd_days / DAYS_PER_YEAR) * monthly_growth


def _regular_month_principal(amount_financed: Decimal, monthly_rate: Decimal, first_period_factor: Decimal) -> Decimal:
    """The principal that, over a regular first month, grows to what the actual first period grows to.

    Pricing an odd first period this way keeps one annuity formula for every loan.
    """
    regular_growth = 1 + monthly_rate
    if first_period_factor == regular_growth:
        return amount_financed
    return amount_financed * first_period_factor / regular_growth


def _amortise(
    amount_financed: Decimal,
    monthly_rate: Decimal,
    first_period_factor: Decimal,
    payment: Decimal,
    request: LoanRequest,
) -> tuple[ScheduleRow, ...]:
    rows: list[ScheduleRow] = []
    balance = amount_financed
    for period in range(1, request.term_months + 1):
        growth = first_period_factor - 1 if period == 1 else monthly_rate
        interest = round_money(balance * growth)
        still_to_amortise = balance - request.balloon
        if period == request.term_months:
            principal = still_to_amortise  # the last payment absorbs every cent of rounding
        else:
            # Never amortise past the balloon: on a tiny loan the half-up cent would overshoot.
            principal = min(payment - interest, still_to_amortise)
        balance -= principal
        rows.append(ScheduleRow(period, principal + interest, interest, principal, balance))
    return tuple(rows)


def _validate(request: LoanRequest) -> None:
    amounts = {
        "price": request.price,
        "down payment": request.down_payment,
        "balloon": request.balloon,
        "financed fees": request.fees_financed,
        "upfront fees": request.fees_upfront,
    }
    for label, amount in amounts.items():
        _require_cents(label, amount)
        if amount < 0:
            raise ValueError(f"The {label} cannot be negative (got {amount}).")
    if not isinstance(request.annual_rate, Decimal) or not request.annual_rate.is_finite():
        raise ValueError("The interest rate must be a finite Decimal fraction, e.g. Decimal('0.0399') for 3.99%.")
    if not 0 <= request.annual_rate <= 1:
        raise ValueError(f"The annual interest rate must be between 0% and 100% (got {request.annual_rate:%}).")
    if (
        isinstance(request.term_months, bool)
        or not isinstance(request.term_months, int)
        or not 1 <= request.term_months <= MAX_TERM_MONTHS
    ):
        raise ValueError(f"The term must be 1 to {MAX_TERM_MONTHS} months (got {request.term_months}).")
    amount_financed = request.price - request.down_payment + request.fees_financed
    if amount_financed <= 0:
        raise ValueError(
            f"The down payment ({request.down_payment}) covers the whole price plus financed fees "
            f"({request.price + request.fees_financed}); there is nothing to finance."
        )
    if request.balloon >= amount_financed:
        raise ValueError(f"The balloon ({request.balloon}) must be less than the amount financed ({amount_financed}).")
    _validate_first_period(request.first_period_days)


def _validate_first_period(days: int | None) -> None:
    if days is None:
        return
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days < 2 * UNIT_PERIOD_DAYS:
        # Sixty days or more is a whole extra month, not an odd period: lengthen the term instead.
        raise ValueError(f"The first period must be 1 to {2 * UNIT_PERIOD_DAYS - 1} days (got {days}).")


def _require_cents(label: str, amount: Decimal) -> None:
    if not isinstance(amount, Decimal):
        raise ValueError(f"The {label} must be a Decimal amount, not {type(amount).__name__}.")
    if not amount.is_finite() or amount != amount.quantize(quantum()):
        raise ValueError(f"The {label} must be a finite amount in whole cents (got {amount}).")
