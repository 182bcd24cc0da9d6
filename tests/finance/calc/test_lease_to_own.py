"""Direct financial lease (直租): rent from rate and back, 留购价, rent timing, fees, validation."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecourt.core.money import MoneyError
from forecourt.finance.calc.lease_to_own import LeaseToOwnRequest, lessor_cash_flows, quote_lease_to_own

D = Decimal

BASE = LeaseToOwnRequest(
    price=D("200000"),
    down_payment=D("40000"),
    term_months=36,
    monthly_rent=None,
    annual_rate=D("0.06"),
    purchase_price=D("1"),
)


def with_rent(request: LeaseToOwnRequest, rent: Decimal) -> LeaseToOwnRequest:
    return replace(request, monthly_rent=rent, annual_rate=None)


def test_rent_from_rate_is_the_annuity_net_of_the_purchase_price():
    quote = quote_lease_to_own(BASE)
    # 160,000 over 36 months at 0.5 % a month is 4,867.50; the 1 yuan 留购价 takes off about 0.02.
    assert quote.monthly_rent == D("4867.48")
    assert quote.financed == D("160000")
    assert quote.total_cost == D("40000") + 36 * D("4867.48") + D("1")
    assert abs(quote.annualised_rate - D("0.06")) < D("0.00001")


@settings(max_examples=40, deadline=None)
@given(
    price_yuan=st.integers(30_000, 1_500_000),
    down_percent=st.integers(0, 80),
    term=st.integers(6, 60),  # shorter terms leave so little exposure that a fen of rounding swamps the rate
    rate_bp=st.integers(0, 2_000),
    purchase_yuan=st.sampled_from([0, 1, 100, 10_000]),
    in_advance=st.booleans(),
)
def test_rate_to_rent_to_rate_round_trips_within_rounding(
    price_yuan, down_percent, term, rate_bp, purchase_yuan, in_advance
):
    request = LeaseToOwnRequest(
        price=D(price_yuan),
        down_payment=D(price_yuan * down_percent // 100),
        term_months=term,
        monthly_rent=None,
        annual_rate=D(rate_bp) / 10_000,
        purchase_price=D(purchase_yuan),
        rent_in_advance=in_advance,
    )
    try:
        quote = quote_lease_to_own(request)
    except ValueError as error:  # a large 留购价 on a short, cheap lease can repay everything itself
        assert "no rent is needed" in str(error)
        return
    # Re-solving the rent at the rate that rent earns gives the same rent: rounding is the only loss.
    if quote.annualised_rate >= 0:  # rounding a zero-rate rent down earns a hair below zero
        again = quote_lease_to_own(replace(request, annual_rate=quote.annualised_rate))
        assert again.monthly_rent == quote.monthly_rent
    from_rent = quote_lease_to_own(with_rent(request, quote.monthly_rent))
    assert from_rent.annualised_rate == quote.annualised_rate
    # Half a fen of rent moves the rate by far less than a basis point on these amounts.
    assert abs(quote.annualised_rate - request.annual_rate) < D("0.0001")


def test_a_one_yuan_purchase_price_versus_a_larger_one():
    nominal = quote_lease_to_own(BASE)
    balloon = quote_lease_to_own(replace(BASE, purchase_price=D("50000")))
    # Deferring 50,000 to the end lowers the rent and raises the total paid, at the same rate.
    assert balloon.monthly_rent < nominal.monthly_rent - D("1000")
    assert balloon.total_cost > nominal.total_cost
    assert abs(balloon.annualised_rate - nominal.annualised_rate) < D("0.0001")
    # At a fixed rent, a larger purchase price is simply more money to the lessor: a higher rate.
    fixed = with_rent(BASE, nominal.monthly_rent)
    assert (
        quote_lease_to_own(replace(fixed, purchase_price=D("10000"))).annualised_rate
        > quote_lease_to_own(fixed).annualised_rate
    )


def test_rent_in_advance_is_lower_and_costs_more_at_the_same_rent():
    arrears = quote_lease_to_own(BASE)
    advance = quote_lease_to_own(replace(BASE, rent_in_advance=True))
    assert advance.monthly_rent < arrears.monthly_rent
    assert advance.monthly_rent == pytest.approx(arrears.monthly_rent / D("1.005"), abs=D("0.02"))
    same_rent = with_rent(BASE, arrears.monthly_rent)
    assert (
        quote_lease_to_own(replace(same_rent, rent_in_advance=True)).annualised_rate
        > quote_lease_to_own(same_rent).annualised_rate
    )


def test_rents_in_advance_start_at_month_zero_and_the_purchase_closes_the_term():
    flows = lessor_cash_flows(replace(BASE, rent_in_advance=True, fees_upfront=D("2000")), D("4843.27"))
    assert flows[0] == (0, D("-158000"))
    assert flows[1] == (0, D("4843.27"))
    assert flows[-2] == (35, D("4843.27"))
    assert flows[-1] == (36, D("1"))


def test_fees_raise_the_annualised_rate():
    rent = quote_lease_to_own(BASE).monthly_rent
    rates = [
        quote_lease_to_own(replace(with_rent(BASE, rent), fees_upfront=D(fee))).annualised_rate
        for fee in ("0", "1000", "3000", "8000")
    ]
    assert rates == sorted(rates) and len(set(rates)) == 4
    # With a rate given, the fee does not change the rent but shows in the comprehensive rate.
    with_fee = quote_lease_to_own(replace(BASE, fees_upfront=D("3000")))
    assert with_fee.monthly_rent == rent
    assert with_fee.annualised_rate > D("0.072")
    assert with_fee.total_cost == quote_lease_to_own(BASE).total_cost + D("3000")


def test_a_zero_rate_lease_divides_the_financed_amount_evenly():
    quote = quote_lease_to_own(replace(BASE, annual_rate=D("0"), purchase_price=D("0")))
    assert quote.monthly_rent == D("4444.44")
    assert abs(quote.annualised_rate) < D("0.00001")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"monthly_rent": D("5000")}, "exactly one"),
        ({"annual_rate": None}, "exactly one"),
        ({"price": D("0"), "down_payment": D("0")}, "price must be positive"),
        ({"down_payment": D("200000")}, "nothing would be financed"),
        ({"down_payment": D("-1")}, "must not be negative"),
        ({"fees_upfront": D("160000")}, "put up nothing"),
        ({"term_months": 0}, "term_months"),
        ({"term_months": 12.0}, "term_months"),
        ({"annual_rate": D("-0.01")}, "annual_rate"),
        ({"annual_rate": 0.05}, "annual_rate"),
        ({"purchase_price": D("200000")}, "no rent is needed"),
        ({"term_months": 1, "purchase_price": D("0"), "rent_in_advance": True}, "cash sale"),
        ({"price": 200000.0}, "finite Decimal"),
        ({"price": D("Infinity")}, "finite Decimal"),
    ],
)
def test_invalid_requests_are_refused(changes, message):
    with pytest.raises(ValueError, match=message):
        quote_lease_to_own(replace(BASE, **changes))


def test_a_rent_must_be_positive_and_amounts_whole_fen():
    with pytest.raises(ValueError, match="monthly_rent must be positive"):
        quote_lease_to_own(with_rent(BASE, D("0")))
    with pytest.raises(MoneyError, match="fractions of a fen"):
        quote_lease_to_own(with_rent(BASE, D("4867.485")))
