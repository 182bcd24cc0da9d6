"""APR by Regulation Z Appendix J, and the PBOC comprehensive annualised rate.

Appendix J's worked examples (12 CFR 1026, Appendix J (c)) are page images in the printed CFR; the
figures below agree between two independent public transcriptions: the test suite of
simontreanor/FSharp.Finance.Personal (tests/AprUsActuarialTests.fs, with the example dates) and a
GPO-render transcription that states t and f directly (a `regz_appJ.py` pre-check script). Where
only dates were given, t and f follow Appendix J (b)(5): whole unit-periods counted back from the
payment, the leftover days divided by 30 per month (15 per semi-month, 7 per week).
"""

from __future__ import annotations

from decimal import Decimal, localcontext

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecourt.finance.calc.apr import (
    CashFlow,
    apr,
    apr_percent,
    china_annualised_rate,
    monthly_irr,
    regular_loan_apr,
    within_tolerance,
)

D = Decimal


def series(amount: str, count: int, first_period: int, fraction: Decimal = D(0)) -> list[CashFlow]:
    return [CashFlow(D(amount), first_period + k, fraction) for k in range(count)]


def advance(amount: str) -> list[CashFlow]:
    return [CashFlow(D(amount), 0)]


APPENDIX_J_EXAMPLES = [
    # (c)(1) single advance, with or without an odd first period, otherwise regular
    ("c1-i monthly, advance 1-10-78, first payment 2-10-78", advance("5000"), series("230", 24, 1), 12, "9.69"),
    (
        "c1-ii monthly, long first period 2-10-78 to 4-1-78",
        advance("6000"),
        series("200", 36, 1, D(19) / 30),
        12,
        "11.82",
    ),
    ("c1-iii semimonthly, 2-23-78 to 3-1-78", advance("5000"), series("219.17", 24, 0, D(6) / 15), 24, "10.34"),
    ("c1-iv quarterly, 5-23-78 to 10-1-78", advance("10000"), series("385", 40, 1, D(39) / 90), 4, "8.97"),
    ("c1-v weekly, 3-20-78 to 4-21-78", advance("500"), series("17.60", 30, 4, D(4) / 7), 52, "14.96"),
    # (c)(2) odd first payment
    ("c2-i monthly, first payment 250", advance("5000"), [CashFlow(D(250), 1)] + series("230", 23, 2), 12, "10.08"),
    (
        "c2-ii every 4 weeks, 3-18-78 to 4-20-78",
        advance("400"),
        [CashFlow(D("39.50"), 1, D(5) / 28)] + series("38.31", 11, 2, D(5) / 28),
        13,
        "28.50",
    ),
    # (c)(3) odd final payment
    ("c3-i monthly, final payment 280", advance("5000"), series("230", 23, 1) + [CashFlow(D(280), 24)], 12, "10.50"),
    (
        "c3-ii every 2 weeks, 4-3-78 to 4-11-78",
        advance("200"),
        series("9.50", 19, 0, D(8) / 14) + [CashFlow(D(30), 19, D(8) / 14)],
        26,
        "12.22",
    ),
    # (c)(4) odd first and final payments
    (
        "c4-i monthly",
        advance("5000"),
        [CashFlow(D(250), 1)] + series("230", 22, 2) + [CashFlow(D(280), 24)],
        12,
        "10.90",
    ),
    # The GPO-render transcription states f = 52/60; the F# suite's advance date (1-10-78) would
    # give 50/60 and 7.33 %, so 52/60 is taken as the printed figure.
    (
        "c4-ii every 2 months, short first period",
        advance("8000"),
        [CashFlow(D("449.36"), 0, D(52) / 60)] + series("465", 18, 1, D(52) / 60) + [CashFlow(D(200), 19, D(52) / 60)],
        6,
        "7.30",
    ),
    # (c)(5) single advance, single payment: the unit-period is the term (b)(4)(ii), capped at a year
    ("c5-i 255 days, 365/255 unit-periods a year", advance("1000"), [CashFlow(D(1080), 1)], D(365) / 255, "11.45"),
    ("c5-ii 6 months", advance("1000"), [CashFlow(D(1044), 1)], 2, "8.80"),
    ("c5-iii 18 months: a year and half a year", advance("1000"), [CashFlow(D("1135.19"), 1, D(6) / 12)], 1, "8.76"),
    ("c5-iv 2 years", advance("1000"), [CashFlow(D(1240), 2)], 1, "11.36"),
    # (c)(6) complex single advance (GPO-render transcription only)
    (
        "c6-i skipped payments, every 4 weeks",
        advance("2135"),
        series("100", 9, 0, D(26) / 28)
        + series("100", 6, 10, D(12) / 28)
        + series("100", 6, 16, D(26) / 28)
        + series("100", 3, 23, D(12) / 28),
        13,
        "12.00",
    ),
    (
        "c6-ii skipped payments plus single payments",
        advance("7350"),
        series("1000", 3, 6, D(12) / 30)
        + [CashFlow(D(2000), 12, D(12) / 30)]
        + series("750", 3, 18, D(12) / 30)
        + [CashFlow(D(1000), 22, D(29) / 30)],
        12,
        "10.22",
    ),
]


@pytest.mark.parametrize(
    ("advances", "payments", "per_year", "published"),
    [case[1:] for case in APPENDIX_J_EXAMPLES],
    ids=[case[0] for case in APPENDIX_J_EXAMPLES],
)
def test_appendix_j_examples(advances, payments, per_year, published):
    assert apr_percent(advances, payments, per_year) == D(published)


def test_regular_loan_apr_matches_the_examples_it_covers():
    def percent(rate: Decimal) -> Decimal:
        return (rate * 100).quantize(D("0.01"))

    assert percent(regular_loan_apr(D(5000), D(230), 24)) == D("9.69")
    assert percent(regular_loan_apr(D(6000), D(200), 36, first_period_fraction=D(19) / 30)) == D("11.82")
    assert percent(regular_loan_apr(D(5000), D(230), 24, final_payment=D(280))) == D("10.50")


def level_payment(principal: Decimal, annual_rate: Decimal, months: int) -> Decimal:
    with localcontext() as context:
        context.prec = 50
        monthly = annual_rate / 12
        if monthly == 0:
            return principal / months
        return principal * monthly / (1 - (1 + monthly) ** -months)


@settings(max_examples=60, deadline=None)
@given(
    principal_cents=st.integers(min_value=100_00, max_value=5_000_000_00),
    rate_bp=st.integers(min_value=0, max_value=3_000),
    months=st.integers(min_value=1, max_value=360),
)
def test_a_fee_free_loan_has_its_note_rate_as_apr(principal_cents, rate_bp, months):
    principal, rate = D(principal_cents) / 100, D(rate_bp) / 10_000
    payment = level_payment(principal, rate, months)
    assert abs(apr(advance(str(principal)), series(str(payment), months, 1)) - rate) < D("1e-9")


def balance_after(rate: Decimal, flows: dict[int, Decimal], last: int) -> Decimal:
    """The actuarial method of Appendix J (a)(2) run forward: interest each unit-period, then the
    period's net flow (advances +, payments −). An independent check of the discounted equation."""
    balance = D(0)
    for period in range(last + 1):
        balance = balance * (1 + rate) + flows.get(period, D(0))
    return balance


def payment_that_repays(rate: Decimal, advances: dict[int, Decimal], paid_at: range) -> Decimal:
    unpaid = balance_after(rate, advances, paid_at[-1])
    per_unit = -balance_after(rate, {period: D(-1) for period in paid_at}, paid_at[-1])
    return unpaid / per_unit


def test_multiple_advances_recover_the_rate_of_the_actuarial_schedule():
    rate = D("0.0075")
    advances = {0: D(5000), 3: D(3000)}
    paid_at = range(4, 28)
    payment = payment_that_repays(rate, advances, paid_at)
    flows = [CashFlow(amount, period) for period, amount in advances.items()]
    assert abs(apr(flows, [CashFlow(payment, period) for period in paid_at]) - 12 * rate) < D("1e-20")


def test_payments_between_advances_are_solved_by_the_scanning_path():
    # A construction loan: interest-only payments fall between the draws, so flows change sign
    # several times and the monotone shortcut does not apply.
    rate = D("0.01")
    interest_only = {1: D(100), 2: D(100), 4: D(200), 5: D(200)}
    advances = {0: D(10000), 3: D(10000)}
    balance = balance_after(rate, {**advances, **{k: -v for k, v in interest_only.items()}}, 5)
    payments = [CashFlow(v, k) for k, v in interest_only.items()] + [CashFlow(balance * (1 + rate), 6)]
    advanced = [CashFlow(v, k) for k, v in advances.items()]
    assert abs(apr(advanced, payments) - 12 * rate) < D("1e-20")


def test_a_negative_apr_is_returned_when_payments_fall_short():
    assert apr(advance("1000"), [CashFlow(D(990), 1)]) == pytest.approx(D("-0.12"), abs=D("1e-20"))


@pytest.mark.parametrize(
    ("advances", "payments", "message"),
    [
        ([], series("100", 12, 1), "at least one"),
        (advance("1000"), [], "at least one"),
        (advance("1000"), [CashFlow(D("1"), 1)], "−99 %"),
        (advance("1000"), [CashFlow(D("1000"), 0)], "no rate"),
    ],
)
def test_impossible_inputs_are_refused(advances, payments, message):
    with pytest.raises(ValueError, match=message):
        apr(advances, payments)


@pytest.mark.parametrize(
    "arguments",
    [(D(-1), 1), (D(0), 1), (D(1), -1), (D(1), 1, D(1)), (D(1), 1, D("NaN")), (1.5, 1), (D("NaN"), 1), (D(1), True)],
)
def test_cash_flows_refuse_nonsense(arguments):
    with pytest.raises(ValueError):
        CashFlow(*arguments)


def test_unit_periods_per_year_must_be_positive():
    with pytest.raises(ValueError, match="unit_periods_per_year"):
        apr(advance("1000"), [CashFlow(D(1100), 1)], 0)


@pytest.mark.parametrize(
    ("disclosed", "actual", "irregular", "accurate"),
    [
        ("0.12125", "0.12", False, True),  # exactly 1/8 of a point above: still accurate
        ("0.11875", "0.12", False, True),  # and below
        ("0.1212501", "0.12", False, False),
        ("0.1187499", "0.12", False, False),
        ("0.1225", "0.12", True, True),  # 1/4 of a point for irregular transactions
        ("0.1175", "0.12", True, True),
        ("0.1225001", "0.12", True, False),
        ("0.1225", "0.12", False, False),
    ],
)
def test_tolerance_boundaries_of_1026_22(disclosed, actual, irregular, accurate):
    assert within_tolerance(D(disclosed), D(actual), irregular) is accurate


def float_monthly_irr(flows: list[tuple[int, float]]) -> float:
    """Plain bisection in floats, kept deliberately unlike the solver under test."""

    def npv(rate: float) -> float:
        return sum(amount / (1 + rate) ** month for month, amount in flows)

    low, high = -0.5, 1.0
    for _ in range(200):
        middle = (low + high) / 2
        low, high = (middle, high) if npv(middle) > 0 else (low, middle)
    return (low + high) / 2


def test_flat_rate_loan_annualised_rate_against_an_independent_bisection():
    # CNY 100,000 at a flat 4.5 % a year for 36 months: 13,500 interest, 36 × 3,152.78 (the last
    # absorbs the rounding) — the comprehensive annualised rate is nearly twice the flat rate.
    instalment, last = D("3152.78"), D("113500") - D("3152.78") * 35
    flows = [(0, D(-100000))] + [(month, instalment) for month in range(1, 36)] + [(36, last)]
    rate = china_annualised_rate(flows)
    expected = 12 * float_monthly_irr([(month, float(amount)) for month, amount in flows])
    assert float(rate) == pytest.approx(expected, abs=1e-9)
    assert D("0.084") < rate < D("0.085")


def test_pboc_worked_example_with_an_upfront_fee():
    # A secondary summary of PBOC Announcement [2021] No. 3's example: 100,000 lent with a 1,000
    # fee taken upfront, twelve payments of 8,833.3; it quotes 12.80 % and 13.58 %. They are this
    # IRR × 12 and the same IRR compounded over a year.
    flows = [(0, D(-99000))] + [(month, D("8833.3")) for month in range(1, 13)]
    assert china_annualised_rate(flows).quantize(D("0.0001")) == D("0.1280")
    assert ((1 + monthly_irr(flows)) ** 12 - 1).quantize(D("0.0001")) == D("0.1358")


def test_monthly_irr_nets_flows_in_the_same_month_and_accepts_either_sign_convention():
    assert monthly_irr([(0, D(-100)), (0, D(10)), (1, D("99"))]) == pytest.approx(D("0.1"), abs=D("1e-30"))
    assert monthly_irr([(0, D(100)), (1, D(-110))]) == pytest.approx(D("0.1"), abs=D("1e-30"))


def test_monthly_irr_refuses_ambiguous_and_one_sided_flows():
    # −100 + 233 v − 135.42 v² has two roots: 11 % and 22 % a month.
    with pytest.raises(ValueError, match="ambiguous"):
        monthly_irr([(0, D(-100)), (1, D(233)), (2, D("-135.42"))])
    with pytest.raises(ValueError, match="no rate"):
        monthly_irr([(0, D(100)), (1, D(100))])
    with pytest.raises(ValueError):
        monthly_irr([(-1, D(100)), (1, D(-100))])


@settings(max_examples=40, deadline=None)
@given(
    payments=st.lists(
        st.tuples(st.integers(1, 120), st.integers(1, 99), st.integers(1, 5_000_00)), min_size=1, max_size=40
    ),
    advance_cents=st.integers(100_00, 100_000_00),
)
def test_irregular_schedules_solve_the_general_equation(payments, advance_cents):
    flows = [CashFlow(D(cents) / 100, periods, D(days) / 100) for periods, days, cents in payments]
    try:
        rate = apr(advance(str(D(advance_cents) / 100)), flows) / 12
    except ValueError as error:  # only when the payments are hopelessly short of the advance
        assert "−99 %" in str(error)
        return
    residual = D(advance_cents) / 100 - sum(
        flow.amount / ((1 + flow.fraction * rate) * (1 + rate) ** flow.periods) for flow in flows
    )
    assert abs(residual) < D("1e-15")
