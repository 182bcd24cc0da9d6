"""Search by monthly payment: numpy estimates agree with the exact Decimal path and never drop a car that fits."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecourt.finance.calc.payment_search import (
    PaymentQuery,
    balloon,
    candidates_under_budget,
    confirm_under_budget,
    down_payment,
    estimate_payments,
    exact_payment,
    max_price_for_budget,
    payments_matrix,
)

D = Decimal
CENT = D("0.01")
TERMS = (12, 24, 36, 48, 60)


def yuan(fen: int) -> Decimal:
    return D(int(fen)).scaleb(-2)


def fen(amount: Decimal) -> np.ndarray:
    return np.array([int(amount * 100)], dtype=np.int64)


prices = st.integers(50_000_00, 2_000_000_00).map(yuan)  # ¥50,000 to ¥2,000,000, in whole cents
terms = st.integers(12, 60)
rates = st.integers(0, 1500).map(lambda bp: D(bp).scaleb(-4))  # 0 % to 15 % in basis points
downs = st.integers(0, 5000).map(lambda bp: D(bp).scaleb(-4))  # 0 % to 50 %
balloons = st.integers(0, 4000).map(lambda bp: D(bp).scaleb(-4))  # 0 % to 40 %
fees = st.integers(0, 5000_00).map(yuan)


def query(
    budget: Decimal = D(3000),
    term: int = 36,
    down: Decimal = D("0.20"),
    rate: Decimal = D("0.0399"),
    balloon_percent: Decimal = D(0),
    fees_financed: Decimal = D(0),
) -> PaymentQuery:
    return PaymentQuery(budget, term, down, rate, balloon_percent, fees_financed)


# --- estimate against the exact path ------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(prices, terms, rates, downs, balloons, fees)
def test_estimate_is_within_a_cent_of_the_exact_payment(price, term, rate, down, balloon_percent, fee):
    q = query(term=term, down=down, rate=rate, balloon_percent=balloon_percent, fees_financed=fee)
    estimate = estimate_payments(fen(price), q)[0]
    assert abs(D(estimate) - exact_payment(price, q)) <= CENT


@settings(max_examples=200, deadline=None)
@given(prices, terms, downs, balloons, fees)
def test_bulk_path_rounds_down_payment_and_balloon_as_the_decimal_path(price, term, down, balloon_percent, fee):
    # At 0 % the estimate is (borrowed − balloon) / n, so the integer fen the bulk path used show through.
    q = query(term=term, down=down, rate=D(0), balloon_percent=balloon_percent, fees_financed=fee)
    bulk_fen = round(estimate_payments(fen(price), q)[0] * term * 100)
    exact = price - down_payment(price, q) + fee - balloon(price, q)
    assert bulk_fen == int(exact * 100)


@pytest.mark.parametrize(
    ("price", "percent", "expected"),
    [
        (D("10000.05"), D("0.1"), D("1000.01")),  # 1000.005: the half cent rounds up
        (D("10000.04"), D("0.1"), D("1000.00")),  # 1000.004
        (D("45000.22"), D("0.2"), D("9000.04")),  # 9000.044
        (D("45000.23"), D("0.2"), D("9000.05")),  # 9000.046
        (D("99999.99"), D("0.125"), D("12500.00")),  # 12499.99875
    ],
)
def test_down_payment_is_rounded_half_up_to_the_cent(price, percent, expected):
    assert down_payment(price, query(down=percent)) == expected


def test_zero_rate_estimate_and_exact_payment():
    q = query(budget=D(1000), rate=D(0))
    assert estimate_payments(fen(D(45000)), q)[0] == pytest.approx(1000.0, abs=1e-9)
    assert exact_payment(D(45000), q) == D("1000.00")


def test_unfinanceable_prices_estimate_nan_and_never_match():
    q = query(down=D("0.5"), balloon_percent=D("0.49"))
    prices_fen = np.array([0, 1, 3, 100_000_00])
    estimates = estimate_payments(prices_fen, q)
    assert np.isnan(estimates[:3]).all() and not np.isnan(estimates[3])
    assert candidates_under_budget(prices_fen, q).tolist() == [False, False, False, True]
    assert confirm_under_budget([D(0), D("0.01"), D("0.03")], q) == [False, False, False]


# --- the mask never drops a car that fits -------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(prices, terms, rates, downs, balloons, fees, st.sampled_from([D("-0.01"), D(0), D("0.01")]))
def test_mask_keeps_every_car_whose_exact_payment_fits(price, term, rate, down, balloon_percent, fee, offset):
    shape = query(term=term, down=down, rate=rate, balloon_percent=balloon_percent, fees_financed=fee)
    budget = exact_payment(price, shape) + offset  # right on the boundary, a cent either side
    q = query(budget, term, down, rate, balloon_percent, fee)
    fits = exact_payment(price, q) <= budget
    assert confirm_under_budget([price], q) == [fits]
    if fits:
        assert candidates_under_budget(fen(price), q)[0]


def test_margin_below_half_a_cent_is_refused():
    with pytest.raises(ValueError, match="half a cent"):
        candidates_under_budget(fen(D(100000)), query(), margin=D("0.004"))


def test_issue_example_mask_then_confirm_finds_exactly_the_cars_that_fit():
    # "Under ¥3,000 a month for 36 months with 20% down", on a 2,000-car inventory checked car by car.
    rng = np.random.default_rng(7)
    inventory = rng.integers(80_000_00, 200_000_00, size=2_000)
    q = query(budget=D(3000), term=36, down=D("0.20"), rate=D("0.0399"))
    truth = {i for i, p in enumerate(inventory) if exact_payment(yuan(p), q) <= q.max_monthly}
    candidates = np.flatnonzero(candidates_under_budget(inventory, q))
    confirmed = confirm_under_budget([yuan(inventory[i]) for i in candidates], q)
    assert {int(i) for i, ok in zip(candidates, confirmed) if ok} == truth
    assert 0 < len(truth) < len(inventory)
    assert len(candidates) - len(truth) <= 2  # the margin lets through only boundary cars


# --- the highest price that fits ----------------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(st.integers(500_00, 50_000_00).map(yuan), terms, rates, downs, balloons, st.integers(0, 2000_00).map(yuan))
def test_max_price_fits_and_the_next_cent_does_not(budget, term, rate, down, balloon_percent, fee):
    q = query(budget, term, down, rate, balloon_percent, fee)
    highest = max_price_for_budget(q)
    assert exact_payment(highest, q) <= budget < exact_payment(highest + CENT, q)
    above = [highest + CENT * step for step in range(1, 101)]  # nothing just above fits either
    assert not any(confirm_under_budget(above, q))


def test_max_price_at_zero_rate_is_nudged_past_the_straight_line_answer():
    # 45,000 × 80 % / 36 = 1,000.00 exactly, but the rounded payment stays 1,000.00 up to 45,000.21
    # (borrowed 36,000.17 → 1,000.0047); at 45,000.22 it is 36,000.18 → 1,000.005 → 1,000.01.
    q = query(budget=D(1000), term=36, down=D("0.20"), rate=D(0))
    assert max_price_for_budget(q) == D("45000.21")
    assert exact_payment(D("45000.22"), q) == D("1000.01")


def test_no_price_fits_when_financed_fees_alone_exceed_the_budget():
    with pytest.raises(ValueError, match="No price fits"):
        max_price_for_budget(query(budget=D(100), term=12, rate=D(0), fees_financed=D(5000)))


# --- query validation ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"budget": D(0)}, "budget"),
        ({"term": 0}, "term"),
        ({"rate": D("1.5")}, "rate"),
        ({"down": D(1)}, "down payment"),
        ({"down": D("0.6"), "balloon_percent": D("0.4")}, "balloon"),
        ({"down": D("0.1234567")}, "decimals"),
        ({"fees_financed": D("0.001")}, "fees"),
    ],
)
def test_invalid_queries_are_refused(overrides, message):
    with pytest.raises(ValueError, match=message):
        query(**overrides)


def test_prices_must_be_integer_fen():
    with pytest.raises(TypeError):
        estimate_payments(np.array([100000.0]), query())


# --- the whole inventory at once ----------------------------------------------------------------


def test_payments_matrix_over_100_000_prices_matches_exact_spot_checks():
    rng = np.random.default_rng(2026)
    inventory = rng.integers(50_000_00, 2_000_000_00, size=100_000)
    rates = [D("0.0199"), D("0.0299"), D("0.0399"), D("0.0499"), D("0")]
    matrix = payments_matrix(inventory, TERMS, rates, D("0.20"))  # timed in bench/, not asserted here
    assert matrix.shape == (100_000, len(TERMS)) and matrix.dtype == np.float64
    for row in (0, 1, 4_242, 50_000, 99_999):
        for column, (term, rate) in enumerate(zip(TERMS, rates)):
            exact = exact_payment(yuan(inventory[row]), query(term=term, rate=rate))
            assert abs(D(matrix[row, column]) - exact) <= CENT


def test_budget_mask_over_100_000_prices_agrees_with_the_price_bound():
    inventory = np.random.default_rng(3).integers(50_000_00, 2_000_000_00, size=100_000)
    q = query(balloon_percent=D("0.3"), fees_financed=D("1500"))
    mask = candidates_under_budget(inventory, q)
    # Away from the boundary the mask is exactly "price ≤ max price"; within ¥10 of it (the 5-fen
    # margin is worth about ¥3 of price here) either answer is allowed.
    highest_fen = int(max_price_for_budget(q) * 100)
    assert not mask[inventory > highest_fen + 10_00].any()
    assert mask[inventory <= highest_fen - 10_00].all()


def test_payments_matrix_needs_one_rate_per_term():
    with pytest.raises(ValueError, match="One rate per term"):
        payments_matrix(fen(D(100000)), TERMS, [D("0.03")], D("0.2"))
