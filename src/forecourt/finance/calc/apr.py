"""Annual percentage rate by the actuarial method of Regulation Z (12 CFR 1026), Appendix J.

The general equation of Appendix J (b)(8) equates the advances and the payments, each discounted
to the first advance at the unit-period rate i:

    Σ A_k / ((1 + e_k·i)(1 + i)^q_k)  =  Σ P_j / ((1 + f_j·i)(1 + i)^t_j)

where t (q) counts whole unit-periods and f (e) is the leftover fraction of one, which earns
*simple* interest (b)(5), (b)(6). The APR is i × unit-periods per year (b)(1).

Solver and its guarantees
- Precision: a local decimal context of 40 digits; the rate is solved to 1e-30 per unit-period.
- Range: rates from −99 % per unit-period upward are searched, so a negative APR (payments
  summing to less than the advances) is returned, not refused. No rate in range → ValueError.
- Uniqueness: when every advance comes no later than every payment (after netting flows that fall
  at the same instant), the discounted difference is strictly monotone in i, so its one root is
  the answer. Otherwise (say, a construction loan with interest payments between advances) the
  range is probed at fixed rates for sign changes and more than one is refused as ambiguous
  (two roots closer together than the probes would slip through; such flows are not loans).
- Method: bracket, then Newton steps kept only while they land inside the bracket and shrink
  faster than bisection would (rtsafe); bisection otherwise. It cannot diverge or leave the bracket.

Also: the comprehensive annualised rate (综合年化利率) that PBOC Announcement [2021] No. 3
requires Chinese lenders to disclose, computed here by the IRR method as monthly IRR × 12.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Context, Decimal, localcontext

ZERO = Decimal(0)
ONE = Decimal(1)
SOLVE_PRECISION = 40
RATE_FLOOR = Decimal("-0.99")  # per unit-period; (1 + f·i) and (1 + i) stay positive above it
INITIAL_CEILING = Decimal(10)  # 1000 % per unit-period: beyond any real loan, expanded if needed
CEILING_LIMIT = Decimal(10) ** 6
RATE_TOLERANCE = Decimal("1e-30")
MAX_STEPS = 400
# §1026.22(a)(2) and (a)(3), as fractions of one (1/8 and 1/4 of one percentage point).
REGULAR_TOLERANCE = Decimal("0.00125")
IRREGULAR_TOLERANCE = Decimal("0.0025")
MONTHS_PER_YEAR = 12
# Rates at which the general, possibly non-monotone, case is probed for sign changes.
_SCAN_POINTS = tuple(
    map(
        Decimal,
        (
            "-0.99 -0.9 -0.75 -0.5 -0.3 -0.2 -0.1 -0.05 -0.02 -0.01 -0.005 -0.002 0 0.002 0.005 0.01 "
            "0.015 0.02 0.03 0.05 0.075 0.1 0.15 0.2 0.3 0.5 0.75 1 2 5 10"
        ).split(),
    )
)

_Term = tuple[Decimal, int, Decimal]  # signed amount (+ advance, − payment), t, f
_Evaluate = Callable[[Decimal], tuple[Decimal, Decimal]]  # rate → (present value, slope)


@dataclass(frozen=True)
class CashFlow:
    """An advance or payment `periods` whole unit-periods plus `fraction` of one after the first
    advance: Appendix J's t and f for payments, q and e for advances."""

    amount: Decimal
    periods: int
    fraction: Decimal = ZERO

    def __post_init__(self) -> None:
        if not isinstance(self.amount, Decimal) or not self.amount.is_finite() or self.amount <= 0:
            raise ValueError(f"cash flow amount must be a positive finite Decimal, got {self.amount!r}")
        if isinstance(self.periods, bool) or not isinstance(self.periods, int) or self.periods < 0:
            raise ValueError(f"periods must be a whole number ≥ 0, got {self.periods!r}")
        if not isinstance(self.fraction, Decimal) or not self.fraction.is_finite() or not ZERO <= self.fraction < ONE:
            raise ValueError(f"fraction must be a Decimal in [0, 1), got {self.fraction!r}")


def apr(
    advances: Sequence[CashFlow], payments: Sequence[CashFlow], unit_periods_per_year: int | Decimal = 12
) -> Decimal:
    """Unrounded APR as a fraction (0.0969 = 9.69 %), Appendix J (b)(1) and (b)(8).

    `unit_periods_per_year` is 12 monthly, 24 semi-monthly, 52 weekly, 1 yearly (b)(5); a Decimal
    is accepted for a single-payment term measured in days, e.g. 365/255 (b)(5)(vi), (c)(5)(i)."""
    if not advances or not payments:
        raise ValueError("APR needs at least one advance and one payment")
    if Decimal(unit_periods_per_year) <= 0:
        raise ValueError(f"unit_periods_per_year must be positive, got {unit_periods_per_year!r}")
    terms = [(flow.amount, flow.periods, flow.fraction) for flow in advances]
    terms += [(-flow.amount, flow.periods, flow.fraction) for flow in payments]
    with localcontext(Context(prec=SOLVE_PRECISION)):
        return _solve_rate(terms) * Decimal(unit_periods_per_year)


def apr_percent(
    advances: Sequence[CashFlow], payments: Sequence[CashFlow], unit_periods_per_year: int | Decimal = 12
) -> Decimal:
    """The disclosed figure: percent rounded half up to 2 decimals, e.g. Decimal("12.00")."""
    return (apr(advances, payments, unit_periods_per_year) * 100).quantize(Decimal("0.01"), ROUND_HALF_UP)


def regular_loan_apr(
    amount_financed: Decimal,
    payment: Decimal,
    months: int,
    *,
    first_period_fraction: Decimal = ZERO,
    final_payment: Decimal | None = None,
) -> Decimal:
    """APR of a single advance repaid monthly, Appendix J (c)(1)-(c)(3) shape.

    The first payment falls one month plus `first_period_fraction` of a month after the advance
    (a long odd first period, (c)(1)(ii)); `final_payment`, if given, replaces the last payment."""
    if months < 1:
        raise ValueError(f"months must be at least 1, got {months!r}")
    fraction = Decimal(first_period_fraction)
    payments = [CashFlow(payment, period, fraction) for period in range(1, months + 1)]
    if final_payment is not None:
        payments[-1] = CashFlow(final_payment, months, fraction)
    return apr([CashFlow(amount_financed, 0)], payments, MONTHS_PER_YEAR)


def within_tolerance(disclosed: Decimal, actual: Decimal, irregular: bool = False) -> bool:
    """Whether a disclosed APR is accurate under §1026.22(a)(2) (regular: within 1/8 of one
    percentage point) or (a)(3) (irregular: 1/4). Both rates are fractions (0.12 = 12 %)."""
    tolerance = IRREGULAR_TOLERANCE if irregular else REGULAR_TOLERANCE
    return abs(disclosed - actual) <= tolerance


def monthly_irr(cash_flows: Sequence[tuple[int, Decimal]]) -> Decimal:
    """Per-month internal rate of return of signed flows at whole months (negative = paid out by
    the lender). Flows in the same month are netted first."""
    terms: list[_Term] = []
    for month, amount in cash_flows:
        if isinstance(month, bool) or not isinstance(month, int) or month < 0:
            raise ValueError(f"months must be whole numbers ≥ 0, got {month!r}")
        if not isinstance(amount, Decimal) or not amount.is_finite():
            raise ValueError(f"cash flow amounts must be finite Decimals, got {amount!r}")
        # Lender outflows play the part of advances in the general equation.
        terms.append((-amount, month, ZERO))
    with localcontext(Context(prec=SOLVE_PRECISION)):
        return _solve_rate(terms)


def china_annualised_rate(cash_flows: Sequence[tuple[int, Decimal]]) -> Decimal:
    """综合年化利率 by the IRR method (PBOC Announcement [2021] No. 3): monthly IRR × 12."""
    monthly = monthly_irr(cash_flows)
    with localcontext(Context(prec=SOLVE_PRECISION)):
        return monthly * MONTHS_PER_YEAR


def _solve_rate(terms: Sequence[_Term]) -> Decimal:
    netted = _net_by_instant(terms)
    if len(netted) < 2:
        raise ValueError("no rate: advances and payments cancel or fall at a single instant")

    def evaluate(rate: Decimal) -> tuple[Decimal, Decimal]:
        return _present_value(netted, rate)

    if _sign_changes(netted) == 1:
        return _solve_monotone(evaluate, netted)
    return _solve_by_scan(evaluate)


def _net_by_instant(terms: Sequence[_Term]) -> list[_Term]:
    totals: dict[tuple[int, Decimal], Decimal] = {}
    for amount, periods, fraction in terms:
        totals[(periods, fraction)] = totals.get((periods, fraction), ZERO) + amount
    return [(amount, t, f) for (t, f), amount in sorted(totals.items()) if amount != 0]


def _sign_changes(terms: Sequence[_Term]) -> int:
    signs = [amount > 0 for amount, _, _ in terms]
    return sum(1 for before, after in zip(signs, signs[1:]) if before != after)


def _present_value(terms: Sequence[_Term], rate: Decimal) -> tuple[Decimal, Decimal]:
    """Σ amount / ((1 + f·i)(1 + i)^t) and its derivative in i; terms are sorted by t."""
    growth = ONE + rate
    value = slope = ZERO
    power, power_periods = ONE, 0
    for amount, periods, fraction in terms:
        if periods != power_periods:  # walk the power up rather than recompute it per term
            gap = periods - power_periods
            power *= growth if gap == 1 else growth**gap
            power_periods = periods
        simple = ONE + fraction * rate
        discounted = amount / (simple * power)
        value += discounted
        slope -= discounted * (fraction / simple + periods / growth)
    return value, slope


def _solve_monotone(evaluate: _Evaluate, terms: Sequence[_Term]) -> Decimal:
    # One sign change: lender-side flows all precede the others, so the value is strictly
    # monotone in the rate and rises with it when the advances come first.
    oriented = _increasing(evaluate, rising=terms[0][0] > 0)
    low_value = oriented(RATE_FLOOR)[0]
    if low_value >= 0:
        if low_value == 0:
            return RATE_FLOOR
        raise ValueError("no rate at or above −99 % per unit-period: the payments fall far short of the advances")
    ceiling = INITIAL_CEILING
    while oriented(ceiling)[0] < 0:
        if ceiling >= CEILING_LIMIT:
            raise ValueError(f"no rate below {CEILING_LIMIT} per unit-period: the payments are implausibly large")
        ceiling *= 10
    return _bracketed_newton(oriented, RATE_FLOOR, ceiling, _simple_interest_guess(terms))


def _solve_by_scan(evaluate: _Evaluate) -> Decimal:
    values = [evaluate(rate)[0] for rate in _SCAN_POINTS]
    exact = [rate for rate, value in zip(_SCAN_POINTS, values) if value == 0]
    brackets = [
        (low, high, low_value)
        for low, high, low_value, high_value in zip(_SCAN_POINTS, _SCAN_POINTS[1:], values, values[1:])
        if low_value * high_value < 0
    ]
    if len(exact) + len(brackets) > 1:
        raise ValueError("ambiguous: more than one rate solves the equation for these cash flows")
    if exact:
        return exact[0]
    if not brackets:
        raise ValueError("no rate between −99 % and 1000 % per unit-period solves the equation")
    low, high, low_value = brackets[0]
    return _bracketed_newton(_increasing(evaluate, rising=low_value < 0), low, high, (low + high) / 2)


def _increasing(evaluate: _Evaluate, rising: bool) -> _Evaluate:
    """The equation with its sign flipped if need be, so the root is where it crosses upwards."""
    if rising:
        return evaluate

    def flipped(rate: Decimal) -> tuple[Decimal, Decimal]:
        value, slope = evaluate(rate)
        return -value, -slope

    return flipped


def _simple_interest_guess(terms: Sequence[_Term]) -> Decimal:
    """Finance charge over balance-periods: close to the root for ordinary loans."""
    charge = -sum(amount for amount, _, _ in terms)
    exposure = -sum(amount * (periods + fraction) for amount, periods, fraction in terms)
    return charge / exposure if exposure > 0 else ZERO


def _bracketed_newton(oriented: _Evaluate, low: Decimal, high: Decimal, guess: Decimal) -> Decimal:
    """Root of an increasing function with value(low) < 0 < value(high): safeguarded Newton
    (Numerical Recipes' rtsafe). A Newton step is taken only if it lands inside the bracket and
    is less than half the step before last; otherwise the bracket is halved."""
    rate = guess if low < guess < high else (low + high) / 2
    step = step_before = high - low
    value, slope = oriented(rate)
    for _ in range(MAX_STEPS):
        if value == 0:
            return rate
        low, high = (rate, high) if value < 0 else (low, rate)
        outside = ((rate - high) * slope - value) * ((rate - low) * slope - value) > 0
        if outside or slope <= 0 or abs(2 * value) > abs(step_before * slope):
            step_before, step = step, (high - low) / 2
            rate = low + step
        else:
            step_before, step = step, value / slope
            rate -= step
        if abs(step) < RATE_TOLERANCE:
            return rate
        value, slope = oriented(rate)
    raise ArithmeticError("rate solver did not converge")  # unreachable: bisection alone converges
