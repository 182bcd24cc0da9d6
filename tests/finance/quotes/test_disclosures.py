"""Disclosure boxes (pure): internally consistent, every label bilingual, money with two decimals."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from forecourt.finance.calc.apr import CashFlow, apr
from forecourt.finance.calc.flat_rate import nominal_to_flat_rate
from forecourt.finance.calc.lease import LeaseRequest, quote_lease
from forecourt.finance.calc.lease_to_own import LeaseToOwnRequest, quote_lease_to_own
from forecourt.finance.calc.loan import LoanRequest, quote_loan
from forecourt.finance.quotes import disclosures
from forecourt.finance.quotes.service import loan_rates

MONEY = re.compile(r"^-?\d+\.\d\d$")


def _value(box: dict, key: str) -> Decimal:
    return Decimal(disclosures.field_value(box, key))


def _check_shape(box: dict) -> None:
    assert box["title"]["en"] and box["title"]["zh"]
    for item in box["fields"]:
        assert item["label"]["en"] and item["label"]["zh"], item
        if item["unit"] == "money":
            assert MONEY.match(item["value"]), item
        if item["unit"] == "percent":
            assert re.match(r"^-?\d+\.\d\d$", item["value"]), item
    for run in box["schedule"]:
        assert MONEY.match(run["amount"]) and run["label"]["en"] and run["label"]["zh"]


LOANS = [
    LoanRequest(
        price=Decimal("179800.00"), down_payment=Decimal("35960.00"), annual_rate=Decimal("0.0499"), term_months=36
    ),
    LoanRequest(
        price=Decimal("179800.00"),
        down_payment=Decimal("35960.00"),
        annual_rate=Decimal("0.0399"),
        term_months=36,
        balloon=Decimal("71920.00"),
    ),
    LoanRequest(
        price=Decimal("249800.00"),
        down_payment=Decimal("49960.00"),
        annual_rate=Decimal("0.0599"),
        term_months=60,
        fees_financed=Decimal("1500.00"),
    ),
    LoanRequest(
        price=Decimal("99999.99"),
        down_payment=Decimal("0.00"),
        annual_rate=Decimal("0"),
        term_months=12,
        fees_financed=Decimal("800.00"),
    ),
    LoanRequest(
        price=Decimal("1348000.00"),
        down_payment=Decimal("404400.00"),
        annual_rate=Decimal("0.0325"),
        term_months=24,
        balloon=Decimal("300000.00"),
        fees_financed=Decimal("5000.00"),
    ),
]


@pytest.mark.parametrize("request_", LOANS)
def test_truth_in_lending_box_adds_up(request_):
    loan = quote_loan(request_)
    fee = request_.fees_financed
    rate, annualised = loan_rates(loan, fee)
    box = disclosures.truth_in_lending(
        loan, apr=rate, prepaid_finance_charge=fee, down_payment=request_.down_payment, currency="CNY"
    )
    _check_shape(box)
    amount_financed, charge = _value(box, "amount_financed"), _value(box, "finance_charge")
    total = _value(box, "total_of_payments")
    assert total == amount_financed + charge  # TILA: total of payments = amount financed + finance charge
    assert amount_financed == loan.amount_financed - fee
    assert _value(box, "total_sale_price") == request_.down_payment + total
    assert disclosures.schedule_total(box["schedule"]) == total  # number × amount over the schedule
    assert sum(run["count"] for run in box["schedule"] if not run["balloon"]) == request_.term_months
    balloons = [run for run in box["schedule"] if run["balloon"]]
    assert (Decimal(balloons[0]["amount"]) if balloons else Decimal(0)) == request_.balloon
    assert box["fields"][0]["key"] == "annual_percentage_rate" and _value(box, "annual_percentage_rate") == (
        rate * 100
    ).quantize(Decimal("0.01"))
    if fee == 0:  # without fees the APR is the note rate
        assert _value(box, "annual_percentage_rate") == (request_.annual_rate * 100).quantize(Decimal("0.01"))
    else:
        assert rate > request_.annual_rate
    assert abs(annualised - rate) < Decimal("1e-20")  # both are monthly IRR × 12 of the same flows


def test_apr_matches_an_independent_appendix_j_solve():
    loan = quote_loan(LOANS[2])
    rate, _ = loan_rates(loan, Decimal("1500.00"))
    flows = [CashFlow(row.payment, row.period) for row in loan.schedule]
    assert rate == apr([CashFlow(loan.amount_financed - Decimal("1500.00"), 0)], flows)


def test_china_loan_box_has_the_annualised_rate_and_the_flat_equivalent():
    loan = quote_loan(LOANS[0])
    _, annualised = loan_rates(loan, Decimal(0))
    flat = nominal_to_flat_rate(annualised, 36)
    box = disclosures.china_loan(
        annualised_rate=annualised,
        note_rate=Decimal("0.0499"),
        monthly_payment=loan.payment,
        total_interest_and_fees=loan.finance_charge,
        flat_rate_equivalent=flat,
        currency="CNY",
    )
    _check_shape(box)
    assert disclosures.field_value(box, "annualised_rate") == "4.99"
    assert box["fields"][0]["label"]["zh"] == "综合年化利率"
    # A flat rate is roughly half the true rate over three years.
    assert Decimal("2.5") < _value(box, "flat_rate_equivalent") < Decimal("2.8")


def test_regulation_m_box_shows_every_lease_figure():
    lease = quote_lease(
        LeaseRequest(
            agreed_price=Decimal("179800.00"),
            term_months=36,
            residual_value=Decimal("89900.00"),
            money_factor=Decimal("0.0015"),
            acquisition_fee=Decimal("3000.00"),
            cap_cost_reduction=Decimal("35960.00"),
            disposition_fee=Decimal("2000.00"),
            annual_mileage=20000,
        )
    )
    box = disclosures.regulation_m(lease, currency="CNY", residual_percent=Decimal("0.50"))
    _check_shape(box)
    for name in (
        "gross_capitalized_cost",
        "capitalized_cost_reduction",
        "adjusted_capitalized_cost",
        "residual_value",
        "depreciation",
        "rent_charge",
        "total_of_base_payments",
        "base_monthly_payment",
        "monthly_tax",
        "total_monthly_payment",
        "due_at_signing",
        "total_of_payments",
        "excess_mileage_rate",
        "disposition_fee",
        "upfront_tax",
        "capitalized_tax",
    ):
        assert _value(box, name) == getattr(lease, name), name
    assert int(disclosures.field_value(box, "mileage_allowance_total")) == lease.mileage_allowance_total
    assert _value(box, "depreciation") + _value(box, "rent_charge") == _value(box, "total_of_base_payments")
    assert _value(box, "adjusted_capitalized_cost") - _value(box, "residual_value") == _value(box, "depreciation")
    assert disclosures.field_value(box, "residual_percent") == "50.00"


def test_lease_to_own_box():
    lto = quote_lease_to_own(
        LeaseToOwnRequest(
            price=Decimal("179800.00"),
            down_payment=Decimal("17980.00"),
            term_months=36,
            monthly_rent=None,
            annual_rate=Decimal("0.055"),
            purchase_price=Decimal("1.00"),
            fees_upfront=Decimal("2000.00"),
        )
    )
    box = disclosures.china_lease_to_own(
        lto, down_payment=Decimal("17980.00"), fees_upfront=Decimal("2000.00"), currency="CNY"
    )
    _check_shape(box)
    assert _value(box, "total_cost") == _value(box, "down_payment") + _value(box, "fees_upfront") + _value(
        box, "monthly_rent"
    ) * 36 + _value(box, "purchase_price")
    assert _value(box, "annualised_rate") > Decimal("5.50")  # fees raise the rate above the pricing rate


@pytest.mark.parametrize(
    ("amount", "text"),
    [(Decimal("1"), "1.00"), (Decimal("0.005"), "0.01"), (Decimal("1234.5"), "1234.50"), (Decimal("-0.004"), "0.00")],
)
def test_money_has_two_decimals_half_up(amount, text):
    assert disclosures.money(amount).lstrip("-") == text


def test_cash_box():
    box = disclosures.cash(price=Decimal("179800"), currency="CNY")
    _check_shape(box)
    assert disclosures.field_value(box, "total_cost") == "179800.00"


@pytest.mark.parametrize(
    ("currency", "loan_title", "lease_title"),
    [
        ("USD", "Truth-in-Lending disclosure (Loan)", "Federal Consumer Leasing Act disclosure"),
        ("CNY", "Loan disclosure (Loan)", "Lease disclosure"),
    ],
)
def test_a_us_act_names_the_box_only_on_a_dollar_quote(currency, loan_title, lease_title):
    loan = quote_loan(LOANS[0])
    rate, _ = loan_rates(loan, Decimal(0))
    loan_box = disclosures.truth_in_lending(
        loan, apr=rate, prepaid_finance_charge=Decimal(0), down_payment=LOANS[0].down_payment, currency=currency
    )
    lease = quote_lease(
        LeaseRequest(
            agreed_price=Decimal("179800.00"),
            term_months=36,
            residual_value=Decimal("89900.00"),
            money_factor=Decimal("0.0015"),
        )
    )
    lease_box = disclosures.regulation_m(lease, currency=currency)
    assert (loan_box["title"]["en"], lease_box["title"]["en"]) == (loan_title, lease_title)
    assert (loan_box["title"]["zh"], lease_box["title"]["zh"]) == ("贷款信息披露（贷款）", "租赁信息披露")
