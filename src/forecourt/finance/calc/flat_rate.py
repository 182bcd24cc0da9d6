"""China's flat-rate (费率, "add-on") car-loan quotes and their true nominal and effective rates.

A dealer quoting "费率 4.5%, 3 years" charges interest on the *original* principal for the whole
term: total interest = principal × flat_rate × years, paid in n equal instalments
(principal + interest) / n. Because the balance falls while the interest does not, the rate
actually paid — the monthly IRR of those cash flows × 12, i.e. the nominal annual rate a
reducing-balance loan (and Reg Z Appendix J's APR, absent fees) would state — is roughly 1.8–1.9×
the flat rate over 36 months. Rates are Decimal fractions (0.045 = 4.5%).
"""

from __future__ import annotations

from decimal import Decimal, localcontext

from forecourt.core.money import round_money

MONTHS_PER_YEAR = 12
MAX_TERM_MONTHS = 120
WORKING_PRECISION = 40
# Bisection stops once the monthly bracket is this narrow, so the annual rate is good to 1e-12.
MONTHLY_RATE_TOLERANCE = Decimal("1e-12") / MONTHS_PER_YEAR


def flat_rate_payment(principal: Decimal, flat_rate: Decimal, months: int) -> Decimal:
    """Monthly instalment of a flat-rate loan, rounded half-up to the cent."""
    if principal < 0:
        raise ValueError(f"The principal cannot be negative (got {principal}).")
    _validate_rate("flat rate", flat_rate)
    _validate_term(months)
    with localcontext() as ctx:
        ctx.prec = WORKING_PRECISION
        return round_money(principal * _payment_per_unit_principal(flat_rate, months))


def flat_to_nominal_annual_rate(flat_rate: Decimal, months: int) -> Decimal:
    """Nominal annual rate (monthly IRR × 12) of a flat-rate loan's cash flows, unrounded.

    The IRR does not depend on the principal, so it is solved for one unit of principal by
    bisection on the annuity formula: the annuity factor falls strictly as the rate rises.
    """
    _validate_rate("flat rate", flat_rate)
    _validate_term(months)
    if flat_rate == 0:
        return Decimal(0)  # exactly, rather than the bisection's last bracket
    with localcontext() as ctx:
        ctx.prec = WORKING_PRECISION
        payment = _payment_per_unit_principal(flat_rate, months)
        target_factor = 1 / payment
        # Any rate ≥ payment makes the annuity factor < 1 / payment, so it brackets the root.
        low, high = Decimal(0), payment
        while high - low > MONTHLY_RATE_TOLERANCE:
            middle = (low + high) / 2
            if _annuity_factor(middle, months) > target_factor:
                low = middle
            else:
                high = middle
        return (low + high) / 2 * MONTHS_PER_YEAR


def nominal_to_flat_rate(annual_rate: Decimal, months: int) -> Decimal:
    """Flat rate whose instalments equal those of a reducing-balance loan at annual_rate, unrounded."""
    _validate_rate("annual rate", annual_rate, upper=None)
    _validate_term(months)
    if annual_rate == 0:
        return Decimal(0)  # exactly: 1/n × n − 1 would leave a rounding residue
    with localcontext() as ctx:
        ctx.prec = WORKING_PRECISION
        payment = 1 / _annuity_factor(annual_rate / MONTHS_PER_YEAR, months)
        total_interest = payment * months - 1
        return total_interest * MONTHS_PER_YEAR / months


def effective_annual_rate(annual_rate: Decimal) -> Decimal:
    """Effective annual rate of monthly compounding, (1 + r/12)^12 − 1, unrounded."""
    _validate_rate("annual rate", annual_rate, upper=None)
    with localcontext() as ctx:
        ctx.prec = WORKING_PRECISION
        return (1 + annual_rate / MONTHS_PER_YEAR) ** MONTHS_PER_YEAR - 1


def _payment_per_unit_principal(flat_rate: Decimal, months: int) -> Decimal:
    years = Decimal(months) / MONTHS_PER_YEAR
    return (1 + flat_rate * years) / months


def _annuity_factor(monthly_rate: Decimal, months: int) -> Decimal:
    """Present value of 1 a month for `months` months: (1 − (1 + i)^−n) / i, or n at i = 0."""
    if monthly_rate == 0:
        return Decimal(months)
    return (1 - (1 + monthly_rate) ** -months) / monthly_rate


def _validate_rate(label: str, rate: Decimal, upper: Decimal | None = Decimal(1)) -> None:
    """Flat rates are capped at 100%; a nominal rate may exceed it (a 100% flat rate over 10 years does)."""
    if not isinstance(rate, Decimal) or not rate.is_finite():
        raise ValueError(f"The {label} must be a finite Decimal fraction, e.g. Decimal('0.045') for 4.5%.")
    if rate < 0:
        raise ValueError(f"The {label} cannot be negative (got {rate:%}).")
    if upper is not None and rate > upper:
        raise ValueError(f"The {label} must be at most {upper:%} (got {rate:%}).")


def _validate_term(months: int) -> None:
    if isinstance(months, bool) or not isinstance(months, int) or not 1 <= months <= MAX_TERM_MONTHS:
        raise ValueError(f"The term must be 1 to {MAX_TERM_MONTHS} months (got {months}).")
