"""Instalment and balloon loans: published payments, odd first periods, validation, schedule invariants."""

from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal, localcontext

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecourt.finance.calc.loan import LoanRequest, level_payment, quote_loan

D = Decimal
CENT = D("0.01")


def present_value(payments: list[Decimal], monthly_rate: Decimal) -> Decimal:
    """Discount month 1..n payments one by one: independent of the closed-form annuity in loan.py."""
    with localcontext() as ctx:
        ctx.prec = 40
        factor, total = D(1), D(0)
        for payment in payments:
            factor /= 1 + monthly_rate
            total += payment * factor
        return total


# --- published and textbook payments ------------------------------------------------------------


@pytest.mark.parametrize(
    ("principal", "annual_rate", "months", "balloon", "expected"),
    [
        # The usual calculator example: $20,000 at 6% for 60 months.
        (D("20000"), D("0.06"), 60, D("0"), D("386.66")),
        # TI BA II PLUS knowledge base 23970: $67,500 at 9.25% over 360 months → 555.31 ...
        (D("67500"), D("0.0925"), 360, D("0"), D("555.31")),
        # ... whose balance after 180 payments is 53,953.92: as a balloon it gives back the same payment.
        (D("67500"), D("0.0925"), 180, D("53953.92"), D("555.31")),
        # Pine Grove TVM calculator, example 7: $365,000 at 6.75% over 360 months → 2,367.38.
        (D("365000"), D("0.0675"), 360, D("0"), D("2367.38")),
        # CNY 0% promotion: the principal divided evenly.
        (D("100000"), D("0"), 12, D("0"), D("8333.33")),
    ],
)
def test_level_payment_matches_published_examples(principal, annual_rate, months, balloon, expected):
    payment = level_payment(principal, annual_rate / 12, months, balloon)
    assert payment.quantize(CENT) == expected


def test_balloon_due_a_month_after_the_last_payment_pine_grove_example_8():
    # $365,000 at 6.75%, 60 payments, then a $250,000 balloon one month later → 3,689.51. Our balloon
    # rides with the 60th payment, so the later one is brought back a month to compare.
    monthly_rate = D("0.0675") / 12
    balloon_at_month_60 = D("250000") / (1 + monthly_rate)
    assert level_payment(D("365000"), monthly_rate, 60, balloon_at_month_60).quantize(CENT) == D("3689.51")


def test_twenty_thousand_at_six_percent_schedule():
    quote = quote_loan(LoanRequest(price=D("20000"), down_payment=D("0"), annual_rate=D("0.06"), term_months=60))
    assert quote.payment == D("386.66")
    first = quote.schedule[0]
    assert (first.interest, first.principal, first.balance) == (D("100.00"), D("286.66"), D("19713.34"))
    # Rounding 386.6560… up to 386.66 overpays ~0.4¢ a month; the last payment gives it back.
    assert quote.schedule[-1].payment == D("386.41")
    assert quote.total_of_payments == D("386.66") * 59 + D("386.41")
    assert quote.finance_charge == quote.total_of_payments - D("20000")


def test_zero_rate_cny_loan_splits_principal_and_charges_nothing():
    quote = quote_loan(LoanRequest(price=D("100000"), down_payment=D("0"), annual_rate=D("0"), term_months=12))
    assert [row.payment for row in quote.schedule] == [D("8333.33")] * 11 + [D("8333.37")]
    assert all(row.interest == 0 for row in quote.schedule)
    assert quote.finance_charge == 0
    assert quote.total_of_payments == D("100000.00")


def test_balloon_loan_payment_is_the_cent_whose_stream_is_worth_the_principal():
    # 弹性尾款: CNY 250,000 car, 30% down, 5% for 36 months, CNY 60,000 tail payment.
    request = LoanRequest(
        price=D("250000"), down_payment=D("75000"), annual_rate=D("0.05"), term_months=36, balloon=D("60000")
    )
    quote = quote_loan(request)
    monthly_rate = D("0.05") / 12

    def worth(payment: Decimal) -> Decimal:
        return present_value([payment] * 35 + [payment + quote.balloon], monthly_rate)

    # Half a cent either side of the quoted payment brackets the amount financed.
    assert worth(quote.payment - D("0.005")) < quote.amount_financed < worth(quote.payment + D("0.005"))
    assert quote.payment == D("3696.65")  # = 115,000 amortised (3,446.65) + 60,000 × 5%/12 (250)
    assert quote.schedule[-1].balance == D("60000.00")
    assert quote.balance_after_balloon == D("0.00")
    assert quote.total_of_payments == sum(row.payment for row in quote.schedule) + D("60000")


def test_fees_financed_and_upfront_are_finance_charges():
    quote = quote_loan(
        LoanRequest(
            price=D("100000"),
            down_payment=D("20000"),
            annual_rate=D("0.04"),
            term_months=36,
            fees_financed=D("1500"),
            fees_upfront=D("800"),
        )
    )
    assert quote.amount_financed == D("81500")
    interest = sum(row.interest for row in quote.schedule)
    assert quote.finance_charge == interest + D("1500") + D("800")


# --- odd first period (Reg Z Appendix J: simple interest on the odd fraction) --------------------


def test_first_period_of_thirty_days_is_a_regular_month():
    base = dict(price=D("20000"), down_payment=D("0"), annual_rate=D("0.06"), term_months=60)
    assert quote_loan(LoanRequest(**base, first_period_days=30)) == quote_loan(LoanRequest(**base))


@pytest.mark.parametrize(
    ("days", "first_interest"),
    [
        # 45 days: 15 odd days of simple interest (20,000 × 6% × 15/365 = 49.315…), then a month on
        # principal plus that interest (20,049.315… × 0.5% = 100.246…) → 149.56.
        (45, D("149.56")),
        # 15 days: shorter than a month, so simple interest for the days only: 20,000 × 6% × 15/365.
        (15, D("49.32")),
    ],
)
def test_odd_first_period_interest(days, first_interest):
    quote = quote_loan(
        LoanRequest(
            price=D("20000"), down_payment=D("0"), annual_rate=D("0.06"), term_months=60, first_period_days=days
        )
    )
    assert quote.schedule[0].interest == first_interest
    assert quote.schedule[-1].balance == 0
    # The payment is priced so the odd period does not pile up in the last payment.
    assert abs(quote.schedule[-1].payment - quote.payment) < D("0.50")


def test_longer_first_period_costs_more():
    payments = [
        quote_loan(
            LoanRequest(
                price=D("20000"), down_payment=D("0"), annual_rate=D("0.06"), term_months=60, first_period_days=days
            )
        ).payment
        for days in (10, 30, 45, 59)
    ]
    assert payments == sorted(payments) and len(set(payments)) == 4


# --- validation ---------------------------------------------------------------------------------

VALID = dict(price=D("100000"), down_payment=D("20000"), annual_rate=D("0.05"), term_months=36)


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"price": D("-1")}, "price cannot be negative"),
        ({"down_payment": D("-0.01")}, "down payment cannot be negative"),
        ({"fees_upfront": D("-5")}, "upfront fees cannot be negative"),
        ({"down_payment": D("100000")}, "nothing to finance"),
        ({"down_payment": D("100500"), "fees_financed": D("500")}, "nothing to finance"),
        ({"term_months": 0}, "1 to 120 months"),
        ({"term_months": 121}, "1 to 120 months"),
        ({"balloon": D("80000")}, "balloon (80000) must be less than the amount financed (80000)"),
        ({"annual_rate": D("-0.001")}, "between 0% and 100%"),
        ({"annual_rate": D("1.01")}, "between 0% and 100%"),
        ({"price": 100000.0}, "must be a Decimal"),
        ({"price": D("100000.001")}, "whole cents"),
        ({"price": D("NaN")}, "finite"),
        ({"first_period_days": 0}, "1 to 59 days"),
        ({"first_period_days": 60}, "1 to 59 days"),
    ],
)
def test_invalid_requests_are_refused_with_a_readable_message(changes, fragment):
    with pytest.raises(ValueError, match=fragment.replace("(", r"\(").replace(")", r"\)")):
        quote_loan(LoanRequest(**{**VALID, **changes}))


def test_rate_of_exactly_one_hundred_percent_is_allowed():
    assert quote_loan(LoanRequest(**{**VALID, "annual_rate": D("1")})).schedule[-1].balance == 0


def test_tiny_loan_never_amortises_past_zero():
    # 1.00 over 120 months: 0.0083… rounds up to 0.01, which would repay it by month 100.
    quote = quote_loan(LoanRequest(price=D("1.00"), down_payment=D("0"), annual_rate=D("0"), term_months=120))
    assert all(row.balance >= 0 for row in quote.schedule)
    assert sum(row.payment for row in quote.schedule) == D("1.00")
    assert quote.schedule[-1].balance == 0


# --- properties ---------------------------------------------------------------------------------

cents = st.integers(min_value=1, max_value=100_000_000).map(lambda c: D(c) / 100)
rates = st.integers(min_value=0, max_value=10_000).map(lambda bp: D(bp) / 10_000)


@st.composite
def loan_requests(draw) -> LoanRequest:
    price = draw(st.integers(min_value=100, max_value=200_000_000).map(lambda c: D(c) / 100))
    down = (price * draw(st.integers(min_value=0, max_value=95)) / 100).quantize(CENT)
    fees_financed = draw(st.sampled_from([D("0"), D("0.01"), D("499.99"), D("2000")]))
    amount_financed = price - down + fees_financed
    balloon_share = draw(st.integers(min_value=0, max_value=99))
    balloon = (amount_financed * balloon_share / 100).quantize(CENT, rounding=ROUND_FLOOR)  # stays < financed
    return LoanRequest(
        price=price,
        down_payment=down,
        annual_rate=draw(rates),
        term_months=draw(st.integers(min_value=1, max_value=120)),
        balloon=balloon,
        fees_financed=fees_financed,
        fees_upfront=draw(st.sampled_from([D("0"), D("350")])),
        first_period_days=draw(st.none() | st.integers(min_value=1, max_value=59)),
    )


@settings(max_examples=300, deadline=None)
@given(loan_requests())
def test_schedule_repays_exactly_to_the_cent(request):
    quote = quote_loan(request)
    schedule = quote.schedule
    assert len(schedule) == request.term_months
    assert sum(row.principal for row in schedule) == quote.amount_financed - quote.balloon
    assert schedule[-1].balance == quote.balloon and quote.balance_after_balloon == D("0.00")
    assert quote.total_of_payments == sum(row.payment for row in schedule) + quote.balloon
    assert quote.finance_charge == (
        sum(row.interest for row in schedule) + request.fees_financed + request.fees_upfront
    )
    for row in schedule:
        assert row.payment == row.interest + row.principal
        assert row.payment == row.payment.quantize(CENT) and row.balance == row.balance.quantize(CENT)
    assert all(row.payment == quote.payment for row in schedule[:-1] if row.balance > quote.balloon)


@settings(max_examples=200, deadline=None)
@given(loan_requests().filter(lambda r: r.first_period_days is None))
def test_schedule_is_worth_the_amount_financed_at_the_note_rate(request):
    quote = quote_loan(request)
    payments = [row.payment for row in quote.schedule]
    payments[-1] += quote.balloon
    # Each period's interest is rounded to the cent, so each period can be off by half a cent.
    tolerance = D("0.005") * request.term_months
    assert abs(present_value(payments, request.annual_rate / 12) - quote.amount_financed) <= tolerance


@settings(max_examples=200, deadline=None)
@given(cents, rates, rates, st.integers(min_value=1, max_value=120), st.integers(min_value=0, max_value=99))
def test_payment_strictly_increases_with_rate(principal, rate_a, rate_b, months, balloon_percent):
    low, high = sorted((rate_a, rate_b))
    balloon = principal * balloon_percent / 100
    if low == high:
        return
    assert level_payment(principal, low / 12, months, balloon) < level_payment(principal, high / 12, months, balloon)


@settings(max_examples=200, deadline=None)
@given(cents, rates, st.integers(min_value=1, max_value=119), st.integers(min_value=0, max_value=99))
def test_payment_strictly_decreases_with_term(principal, rate, months, balloon_percent):
    balloon = principal * balloon_percent / 100
    longer = level_payment(principal, rate / 12, months + 1, balloon)
    assert longer < level_payment(principal, rate / 12, months, balloon)


@settings(max_examples=100, deadline=None)
@given(loan_requests().map(lambda r: LoanRequest(**{**r.__dict__, "annual_rate": D("0")})))
def test_zero_rate_loans_have_zero_interest(request):
    quote = quote_loan(request)
    assert all(row.interest == 0 for row in quote.schedule)
    assert quote.total_of_payments == quote.amount_financed
    assert quote.finance_charge == request.fees_financed + request.fees_upfront
