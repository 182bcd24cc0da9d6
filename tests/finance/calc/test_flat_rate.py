"""Flat-rate (费率) quotes: instalments, the true nominal rate behind them, round trips, monotonicity."""

from __future__ import annotations

from decimal import Decimal, localcontext

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecourt.finance.calc.flat_rate import (
    effective_annual_rate,
    flat_rate_payment,
    flat_to_nominal_annual_rate,
    nominal_to_flat_rate,
)

D = Decimal


def present_value_of_instalments(payment: Decimal, months: int, annual_rate: Decimal) -> Decimal:
    """Discount each instalment month by month: no annuity formula, unlike the module under test."""
    with localcontext() as ctx:
        ctx.prec = 40
        factor, total = D(1), D(0)
        for _ in range(months):
            factor /= 1 + annual_rate / 12
            total += payment * factor
        return total


@pytest.mark.parametrize(
    ("principal", "flat_rate", "months", "expected"),
    [
        # 100,000 at 费率 4.5% for 3 years: 13,500 interest, 113,500 / 36 = 3,152.777… → 3,152.78.
        (D("100000"), D("0.045"), 36, D("3152.78")),
        # 150,000 at 3.5% for 2 years: 10,500 interest, 160,500 / 24 = 6,687.50.
        (D("150000"), D("0.035"), 24, D("6687.50")),
        # 0% flat: the principal spread evenly, rounded half-up.
        (D("100000"), D("0"), 12, D("8333.33")),
        # 1 month: one twelfth of a year's flat interest.
        (D("12000"), D("0.06"), 1, D("12060.00")),
    ],
)
def test_flat_rate_payment(principal, flat_rate, months, expected):
    assert flat_rate_payment(principal, flat_rate, months) == expected


def test_flat_four_and_a_half_percent_over_three_years_is_about_eight_point_four_one_nominal():
    nominal = flat_to_nominal_annual_rate(D("0.045"), 36)
    assert nominal.quantize(D("0.0001")) == D("0.0841")
    # Cross-check without the bisection: discount 1.135 / 36 a month for 36 months at a hair either
    # side of the solved rate; the principal (1) lies between the two values.
    payment = (1 + D("0.045") * 3) / 36
    assert present_value_of_instalments(payment, 36, D("0.0840")) > 1
    assert present_value_of_instalments(payment, 36, D("0.0842")) < 1
    assert abs(present_value_of_instalments(payment, 36, nominal) - 1) < D("1e-10")


@pytest.mark.parametrize("flat_rate", [D("0.03"), D("0.035"), D("0.04"), D("0.045"), D("0.05"), D("0.06"), D("0.07")])
def test_rule_of_thumb_real_rate_is_about_one_point_eight_to_one_point_nine_times_flat_over_36_months(flat_rate):
    ratio = flat_to_nominal_annual_rate(flat_rate, 36) / flat_rate
    assert D("1.8") <= ratio <= D("1.9")


@pytest.mark.parametrize("months", [1, 12, 36, 60, 120])
def test_zero_flat_rate_is_zero_nominal(months):
    assert flat_to_nominal_annual_rate(D("0"), months) == 0
    assert nominal_to_flat_rate(D("0"), months) == 0


def test_one_month_flat_rate_equals_the_nominal_rate():
    # A single payment a month later: flat interest f/12 is exactly the monthly rate.
    assert abs(flat_to_nominal_annual_rate(D("0.045"), 1) - D("0.045")) < D("1e-12")


def test_nominal_to_flat_matches_the_loan_payment():
    # $20,000 at 6% for 60 months pays 386.656…; the same total as flat interest is 3,199.36 over 5 years.
    flat = nominal_to_flat_rate(D("0.06"), 60)
    assert (D("20000") * flat * 5).quantize(D("0.01")) == D("3199.36")


@pytest.mark.parametrize(
    ("annual_rate", "expected"),
    [(D("0"), D("0")), (D("0.06"), D("0.0616778119")), (D("0.12"), D("0.1268250301"))],
)
def test_effective_annual_rate(annual_rate, expected):
    assert effective_annual_rate(annual_rate).quantize(D("1e-10")) == expected


@pytest.mark.parametrize(
    ("call", "fragment"),
    [
        (lambda: flat_rate_payment(D("-1"), D("0.04"), 36), "principal cannot be negative"),
        (lambda: flat_rate_payment(D("1000"), D("-0.01"), 36), "flat rate cannot be negative"),
        (lambda: flat_to_nominal_annual_rate(D("1.5"), 36), "at most 100%"),
        (lambda: flat_to_nominal_annual_rate(D("0.04"), 0), "1 to 120 months"),
        (lambda: nominal_to_flat_rate(D("0.04"), 121), "1 to 120 months"),
        (lambda: nominal_to_flat_rate(0.04, 36), "Decimal"),
        (lambda: effective_annual_rate(D("-0.01")), "cannot be negative"),
    ],
)
def test_invalid_input_is_refused(call, fragment):
    with pytest.raises(ValueError, match=fragment):
        call()


nominal_rates = st.integers(min_value=0, max_value=5_000).map(lambda bp: D(bp) / 10_000)
flat_rates = st.integers(min_value=0, max_value=3_000).map(lambda bp: D(bp) / 10_000)
terms = st.integers(min_value=1, max_value=120)


@settings(max_examples=200, deadline=None)
@given(nominal_rates, terms)
def test_round_trip_nominal_to_flat_to_nominal(annual_rate, months):
    back = flat_to_nominal_annual_rate(nominal_to_flat_rate(annual_rate, months), months)
    assert abs(back - annual_rate) < D("1e-11")


@settings(max_examples=200, deadline=None)
@given(flat_rates, flat_rates, terms)
def test_nominal_rate_strictly_increases_with_flat_rate(rate_a, rate_b, months):
    low, high = sorted((rate_a, rate_b))
    if low == high:
        return
    assert flat_to_nominal_annual_rate(low, months) < flat_to_nominal_annual_rate(high, months)
    assert nominal_to_flat_rate(low, months) < nominal_to_flat_rate(high, months)


@settings(max_examples=200, deadline=None)
@given(flat_rates.filter(lambda r: r > 0), st.integers(min_value=2, max_value=120))
def test_flat_rate_understates_the_real_rate(flat_rate, months):
    nominal = flat_to_nominal_annual_rate(flat_rate, months)
    assert flat_rate < nominal < 2 * flat_rate
    assert effective_annual_rate(nominal) > nominal


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=100_000_000).map(lambda c: D(c) / 100), flat_rates, terms)
def test_instalments_repay_principal_plus_flat_interest_within_rounding(principal, flat_rate, months):
    payment = flat_rate_payment(principal, flat_rate, months)
    total = principal * (1 + flat_rate * months / 12)
    assert abs(payment * months - total) <= D("0.005") * months
