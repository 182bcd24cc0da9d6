"""Lease-end options: return, buy, extend and swap figures are the finance calc modules' own."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest

from forecourt.finance.calc.apr import CashFlow, apr_percent
from forecourt.finance.calc.lease import LeaseRequest, quote_lease
from forecourt.finance.calc.lease_to_own import LeaseToOwnRequest, quote_lease_to_own
from forecourt.finance.calc.loan import LoanRequest, quote_loan
from forecourt.finance.quotes.products import loan_rates
from forecourt.ownership.leases.lease_end import (
    BuyOutFinancing,
    LeaseEndContract,
    apply_equity,
    buy_option,
    extend_option,
    lease_end_options,
    options_due,
    payoff,
    return_option,
    swap_option,
)
from forecourt.ownership.leases.mileage import LeaseMileageTerms, lease_mileage
from forecourt.ownership.odometer import OdometerReading

D = Decimal
DELIVERY = OdometerReading(date(2024, 1, 31), 20)
CONTRACT = LeaseEndContract(
    delivery_day=DELIVERY.day,
    term_months=36,
    annual_allowance_km=15_000,
    excess_km_rate=D("0.50"),
    residual_value=D("92000.00"),
    disposition_fee=D("2500.00"),
    monthly_payment=D("3180.55"),
    payments_left=3,
    purchase_option_fee=D("300.00"),
)
TERMS = LeaseMileageTerms(DELIVERY, 36, 15_000, D("0.50"))
TODAY = date(2026, 11, 15)
# 43,000 km in 1,000 days: 43 a day; the lease runs 1,096 days (29 February 2024 in it), so 96 are left:
# 43,000 + 43 × 96 = 47,128 km, 2,128 over 45,000.
MILEAGE = lease_mileage(TERMS, [OdometerReading(DELIVERY.day + timedelta(days=1_000), 43_020)], TODAY)


@pytest.mark.parametrize(("days_before", "due"), [(121, False), (120, True), (1, True), (0, True), (-30, True)])
def test_options_are_shown_from_120_days_before_the_end(days_before, due):
    end = CONTRACT.end_day
    assert end == date(2027, 1, 31)
    assert options_due(end - timedelta(days=days_before), end) is due


def test_return_is_the_projected_excess_at_the_contracts_rate_plus_the_disposition_fee():
    assert MILEAGE.projection is not None and MILEAGE.projection.excess_km == 2_128
    option = return_option(CONTRACT, MILEAGE)
    assert (option.excess_km, option.excess_charge, option.total_due) == (2_128, D("1064.00"), D("3564.00"))


def test_without_a_projection_the_excess_is_unknown_not_zero():
    hidden = lease_mileage(TERMS, [], DELIVERY.day)
    option = return_option(CONTRACT, hidden)
    assert (option.excess_km, option.excess_charge, option.total_due) == (None, None, None)
    assert option.disposition_fee == D("2500.00")


def test_buying_in_cash_is_the_residual_plus_the_purchase_option_fee():
    option = buy_option(CONTRACT)
    assert (option.price, option.payments_left_total, option.loan, option.apr) == (
        D("92300.00"),
        D("9541.65"),
        None,
        None,
    )


def test_a_financed_buy_out_is_finance_calcs_loan_with_its_apr():
    financing = BuyOutFinancing(
        annual_rate=D("0.0499"), term_months=36, down_payment=D("10000.00"), fees_financed=D("800.00")
    )
    option = buy_option(CONTRACT, financing)
    expected = quote_loan(LoanRequest(D("92300.00"), D("10000.00"), D("0.0499"), 36, fees_financed=D("800.00")))
    assert option.loan == expected
    rate, annualised = loan_rates(expected, D("800.00"))  # what the quote pages disclose for the same loan
    assert (option.apr, option.annualised_rate) == (rate, annualised)
    payments = [CashFlow(row.payment, row.period) for row in expected.schedule]
    assert option.apr_percent == apr_percent([CashFlow(expected.amount_financed - D("800.00"), 0)], payments)
    assert option.apr_percent > D("4.99")  # the financed fee is a finance charge


def test_extending_month_to_month_keeps_the_payment_and_grows_the_allowance():
    option = extend_option(CONTRACT, MILEAGE, max_months=3)
    assert option.monthly_payment == D("3180.55")
    assert option.allowance_km_per_month == D("1250.00")
    ends = [m.end_day for m in option.months]
    assert ends == [date(2027, 2, 28), date(2027, 3, 31), date(2027, 4, 30)]  # from delivery on the 31st
    assert [m.payments_total for m in option.months] == [D("3180.55"), D("6361.10"), D("9541.65")]
    assert [m.allowance_km for m in option.months] == [46_250, 47_500, 48_750]
    for month in option.months:  # the same projection as a lease that long
        longer = lease_mileage(replace(TERMS, term_months=36 + month.months), MILEAGE.readings.kept[1:], TODAY)
        assert longer.projection is not None
        assert (month.excess_km, month.excess_charge) == (longer.projection.excess_km, longer.projection.excess_charge)


def test_extending_without_a_projection_leaves_the_excess_unknown():
    option = extend_option(CONTRACT, None, max_months=1)
    assert (option.months[0].excess_km, option.months[0].excess_charge) == (None, None)


def test_swap_equity_is_the_appraisal_less_the_payoff():
    assert payoff(CONTRACT) == D("92000.00") + D("300.00") + 3 * D("3180.55")
    loan = LoanRequest(D("180000.00"), D("20000.00"), D("0.0399"), 36)
    option = swap_option(CONTRACT, D("110000.00"), loan)
    assert option.equity == D("110000.00") - D("101841.65")
    assert option.request == replace(loan, down_payment=D("20000.00") + option.equity)
    assert option.quote == quote_loan(option.request)


def test_positive_equity_reduces_a_new_leases_capitalized_cost():
    lease = LeaseRequest(
        agreed_price=D("200000.00"), term_months=36, residual_value=D("110000.00"), money_factor=D("0.0015")
    )
    option = swap_option(CONTRACT, D("105000.00"), lease)
    assert option.request == replace(lease, cap_cost_reduction=option.equity)
    assert option.quote == quote_lease(option.request)


def test_negative_equity_is_rolled_into_the_new_car():
    lease = LeaseRequest(
        agreed_price=D("200000.00"), term_months=36, residual_value=D("110000.00"), money_factor=D("0.0015")
    )
    assert apply_equity(lease, D("-4000.00")) == replace(lease, capitalized_fees=D("4000.00"))
    lto = LeaseToOwnRequest(D("150000.00"), D("30000.00"), 36, None, D("0.05"), purchase_price=D("1.00"))
    option = swap_option(CONTRACT, D("95000.00"), lto)
    assert option.equity == D("-6841.65")
    assert option.request == replace(lto, price=D("156841.65"))
    assert option.quote == quote_lease_to_own(option.request)
    loan = LoanRequest(D("180000.00"), D("20000.00"), D("0.0399"), 36)
    assert apply_equity(loan, D("-6841.65")) == replace(loan, price=D("186841.65"))


def test_a_swap_the_calc_refuses_has_no_quote_and_the_calcs_reason():
    loan = LoanRequest(D("50000.00"), D("0.00"), D("0.0399"), 36)
    option = swap_option(CONTRACT, D("160000.00"), loan)  # equity 58,158.35 covers the whole price
    assert option.quote is None
    assert option.refused_because is not None and "nothing to finance" in option.refused_because


def test_all_four_options_together():
    loan = LoanRequest(D("180000.00"), D("20000.00"), D("0.0399"), 36)
    options = lease_end_options(CONTRACT, TODAY, MILEAGE, BuyOutFinancing(D("0.0499"), 24), swap=(D("110000.00"), loan))
    assert options.days_to_end == (date(2027, 1, 31) - TODAY).days == 77
    assert options.return_ == return_option(CONTRACT, MILEAGE)
    assert options.buy == buy_option(CONTRACT, BuyOutFinancing(D("0.0499"), 24))
    assert len(options.extend.months) == 6
    assert options.swap is not None and options.swap.quote is not None
    assert lease_end_options(CONTRACT, TODAY).swap is None


@pytest.mark.parametrize(
    "change",
    [
        {"payments_left": 37},
        {"payments_left": -1},
        {"residual_value": 92000.0},
        {"term_months": 0},
        {"currency": "XYZ"},
    ],
)
def test_contract_values_are_checked(change):
    with pytest.raises(ValueError):
        replace(CONTRACT, **change)
