"""Closed-end lease (Regulation M, 12 CFR 1013) and residual tables: published worksheets, tax modes,
sign-and-drive, and properties of the disclosure box."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecourt.finance.calc.lease import (
    TAX_MODES,
    LeaseQuote,
    LeaseRequest,
    amount_due_at_signing,
    quote_lease,
    solve_zero_drive_off,
    total_of_payments,
)
from forecourt.finance.calc.residuals import ResidualTable, ResidualTableError, parse_residual_csv

CENT = D("0.01")

COLORADO = LeaseRequest(
    agreed_price=D("22700"),
    cap_cost_reduction=D("2700"),
    residual_value=D("8000"),
    money_factor=D("0.004"),
    term_months=48,
)


def test_colorado_department_of_revenue_worksheet_to_the_cent() -> None:
    """Colorado Department of Revenue, motor vehicle lease "example of a lease payment calculation"
    (colorado.gov/cs/Satellite/Rev-Enforcement/RE/1214992373576): gross cap $22,700 − reduction $2,700
    = $20,000; − residual $8,000 = $12,000; ÷ 48 = $250; ($20,000 + $8,000) × 0.004 = $112; $362."""
    quote = quote_lease(COLORADO)
    assert (quote.gross_capitalized_cost, quote.capitalized_cost_reduction, quote.adjusted_capitalized_cost) == (
        D("22700.00"),
        D("2700.00"),
        D("20000.00"),
    )
    assert (quote.residual_value, quote.depreciation) == (D("8000.00"), D("12000.00"))
    assert quote.base_monthly_payment == D("362.00")  # $250 depreciation + $112 rent, as published
    assert (quote.rent_charge, quote.total_of_base_payments) == (D("5376.00"), D("17376.00"))  # 112 × 48, 362 × 48
    assert quote.equivalent_apr == D("9.6")  # the worksheet's "0.004 × 24 = 9.6%"


def test_edmunds_sample_lease_with_its_residual_from_a_table() -> None:
    """Edmunds, "Calculate Your Own Lease Payment" (edmunds.com/car-leasing/calculate-your-own-lease-payment.html):
    MSRP $23,000 at 57% residual = $13,110; $21,000 + $1,200 fees = $22,200 gross cap; $1,700 cash +
    $500 rebate = $2,200 reduction; $20,000 adjusted; $6,890 depreciation; 36 months at money factor
    0.00125. Those figures are the article's; the payment $6,890 / 36 + $33,110 × 0.00125 = $191.39 +
    $41.39 = $232.78 applies its stated formula (the stored copy we read stops at step 6)."""
    table = ResidualTable({("EDMUNDS-SAMPLE", 36, 12000): D("0.57")})
    residual = table.residual_value("EDMUNDS-SAMPLE", 36, 12000, msrp=D("23000"))
    assert residual == D("13110.00")
    quote = quote_lease(
        LeaseRequest(
            agreed_price=D("21000"),
            capitalized_fees=D("1200"),
            cap_cost_reduction=D("1700") + D("500"),
            residual_value=residual,
            money_factor=D("0.00125"),
            term_months=36,
        )
    )
    assert (quote.gross_capitalized_cost, quote.adjusted_capitalized_cost, quote.depreciation) == (
        D("22200.00"),
        D("20000.00"),
        D("6890.00"),
    )
    assert quote.base_monthly_payment == D("232.78")
    # The exact rent is 41.3875 × 36 = 1,489.95; the disclosed line absorbs the payment's rounding.
    assert quote.rent_charge == D("1490.08") == quote.total_of_base_payments - quote.depreciation
    assert quote.equivalent_apr == D("3.00")


def test_federal_reserve_keys_to_vehicle_leasing_sample_form_amounts() -> None:
    """Federal Reserve Board, "Keys to Vehicle Leasing", sample closed-end form
    (federalreserve.gov/pubs/leasing/formce/description.htm): $3,500.00 cap cost reduction + $256.94
    first payment + $350.00 deposit + $75.00 title + $60.00 registration = $4,241.94 due at signing;
    48 × $256.94 = $12,333.12; $400.00 disposition fee; total of payments $16,368.12, i.e.
    (2 + 3 + 4) − (first monthly payment + security deposit)."""
    due = amount_due_at_signing(
        cap_cost_reduction=D("3500.00"),
        first_monthly_payment=D("256.94"),
        fees=D("75.00") + D("60.00"),
        upfront_tax=D("0.00"),
        security_deposit=D("350.00"),
    )
    assert due == D("4241.94")
    assert D("256.94") * 48 == D("12333.12")
    assert total_of_payments(
        due_at_signing=due,
        total_monthly_payment=D("256.94"),
        term_months=48,
        monthly_payments_due_at_signing=1,
        other_charges=D("400.00"),
        security_deposit=D("350.00"),
    ) == D("16368.12")


def test_quote_fills_the_top_of_the_form_the_same_way() -> None:
    quote = quote_lease(replace(COLORADO, signing_fees=D("135"), security_deposit=D("350"), disposition_fee=D("400")))
    assert quote.due_at_signing == D("2700.00") + D("362.00") + D("135.00") + D("350.00")
    assert quote.total_of_payments == quote.due_at_signing + 47 * D("362.00") + D("400.00") - D("350.00")
    assert (quote.mileage_allowance_total, quote.excess_mileage_rate, quote.disposition_fee) == (
        60000,
        D("0.25"),
        D("400.00"),
    )


@pytest.mark.parametrize(
    ("mode", "gross", "base", "monthly_tax", "upfront_tax", "capitalized_tax"),
    [
        # 362.00 × 6.25% = 22.625 → 22.63 (half-up, not banker's 22.62)
        ("monthly", "22700.00", "362.00", "22.63", "0.00", "0.00"),
        # 6.25% of the 17,376.00 total of base payments, due at signing
        ("upfront", "22700.00", "362.00", "0.00", "1086.00", "0.00"),
        # 22,700 × 6.25% = 1,418.75 capitalised; 13,418.75 / 48 + 29,418.75 × 0.004 = 397.2323
        ("cap_cost", "24118.75", "397.23", "0.00", "0.00", "1418.75"),
    ],
)
def test_each_tax_mode(
    mode: str, gross: str, base: str, monthly_tax: str, upfront_tax: str, capitalized_tax: str
) -> None:
    quote = quote_lease(replace(COLORADO, tax_rate=D("0.0625"), tax_mode=mode))
    assert quote.gross_capitalized_cost == D(gross)
    assert (quote.base_monthly_payment, quote.monthly_tax) == (D(base), D(monthly_tax))
    assert (quote.upfront_tax, quote.capitalized_tax) == (D(upfront_tax), D(capitalized_tax))
    assert quote.total_monthly_payment == D(base) + D(monthly_tax)
    assert quote.due_at_signing == D("2700.00") + quote.total_monthly_payment + D(upfront_tax)


def test_acquisition_fee_is_capitalised_unless_paid_up_front() -> None:
    capitalised = quote_lease(replace(COLORADO, acquisition_fee=D("595")))
    upfront = quote_lease(replace(COLORADO, acquisition_fee=D("595"), acquisition_fee_upfront=True))
    assert capitalised.gross_capitalized_cost == D("23295.00")
    assert upfront.gross_capitalized_cost == D("22700.00")
    assert upfront.due_at_signing == quote_lease(COLORADO).due_at_signing + D("595.00")


@pytest.mark.parametrize("mode", TAX_MODES)
def test_zero_drive_off_rolls_every_signing_item_into_the_cap_cost(mode: str) -> None:
    request = LeaseRequest(
        agreed_price=D("30000"),
        acquisition_fee=D("895"),
        acquisition_fee_upfront=True,
        signing_fees=D("135"),
        residual_value=D("17400"),
        money_factor=D("0.00125"),
        term_months=36,
        tax_rate=D("0.0825"),
        tax_mode=mode,
        disposition_fee=D("395"),
    )
    quote = solve_zero_drive_off(request)
    assert quote.due_at_signing == D("0.00")
    assert quote.capitalized_signing_items == quote.total_monthly_payment + D("135.00") + quote.upfront_tax
    assert_sign_and_drive_balances(request, quote)
    assert quote.total_monthly_payment > quote_lease(request).total_monthly_payment
    assert quote.total_of_payments == 35 * quote.total_monthly_payment + D("395.00")


def test_zero_drive_off_worked_by_hand_in_monthly_mode() -> None:
    # B = [(31,030 − 17,400)/36 + (31,030 + 17,400) × 0.00125] / [1 − 1.0825 × (1/36 + 0.00125)]
    #   = (378.6111 + 60.5375) / 0.968577 = 453.40, taxed 37.41 (37.4055); 31,030 = 30,000 + 895 + 135.
    request = LeaseRequest(
        agreed_price=D("30000"),
        acquisition_fee=D("895"),
        signing_fees=D("135"),
        residual_value=D("17400"),
        money_factor=D("0.00125"),
        term_months=36,
        tax_rate=D("0.0825"),
    )
    quote = solve_zero_drive_off(request)
    assert (quote.base_monthly_payment, quote.monthly_tax) == (D("453.40"), D("37.41"))
    assert quote.gross_capitalized_cost == D("31030.00") + D("490.81")


def test_zero_drive_off_refuses_cash_items() -> None:
    with pytest.raises(ValueError, match="nothing due at signing"):
        solve_zero_drive_off(COLORADO)  # has a 2,700 cap cost reduction
    with pytest.raises(ValueError, match="nothing due at signing"):
        solve_zero_drive_off(replace(COLORADO, cap_cost_reduction=D("0"), security_deposit=D("300")))


def test_zero_drive_off_without_a_solution_is_refused() -> None:
    # Over one month, capitalising the payment raises it by (1 + money factor) × itself: no fixed point.
    with pytest.raises(ValueError, match="no sign-and-drive payment exists"):
        solve_zero_drive_off(replace(COLORADO, cap_cost_reduction=D("0"), term_months=1))


def test_request_validation() -> None:
    with pytest.raises(TypeError, match="floats"):
        replace(COLORADO, money_factor=0.004)
    with pytest.raises(ValueError, match="tax_mode"):
        replace(COLORADO, tax_mode="annual")
    with pytest.raises(ValueError, match="term_months"):
        replace(COLORADO, term_months=0)
    with pytest.raises(ValueError, match="exceeds the adjusted"):
        quote_lease(replace(COLORADO, residual_value=D("20000.01")))


def assert_sign_and_drive_balances(request: LeaseRequest, quote: LeaseQuote) -> None:
    pre_tax = request.agreed_price + request.capitalized_fees + request.acquisition_fee
    assert quote.gross_capitalized_cost == pre_tax + quote.capitalized_tax + quote.capitalized_signing_items
    assert quote.capitalized_signing_items == (quote.total_monthly_payment + request.signing_fees + quote.upfront_tax)
    exact = (
        quote.depreciation / request.term_months
        + (quote.adjusted_capitalized_cost + quote.residual_value) * request.money_factor
    )
    assert quote.base_monthly_payment == exact.quantize(CENT, rounding="ROUND_HALF_UP")
    assert_box_adds_up(quote)


def assert_box_adds_up(quote: LeaseQuote) -> None:
    assert quote.adjusted_capitalized_cost == quote.gross_capitalized_cost - quote.capitalized_cost_reduction
    assert quote.depreciation == quote.adjusted_capitalized_cost - quote.residual_value
    assert quote.depreciation + quote.rent_charge == quote.total_of_base_payments
    assert quote.total_of_base_payments == quote.base_monthly_payment * quote.term_months
    assert quote.total_monthly_payment == quote.base_monthly_payment + quote.monthly_tax
    for name in (
        "gross_capitalized_cost",
        "depreciation",
        "rent_charge",
        "base_monthly_payment",
        "monthly_tax",
        "due_at_signing",
        "total_of_payments",
        "upfront_tax",
        "capitalized_tax",
    ):
        assert getattr(quote, name).as_tuple().exponent == -2, name


def cents(low: str, high: str) -> st.SearchStrategy[D]:
    return st.decimals(min_value=D(low), max_value=D(high), places=2, allow_nan=False, allow_infinity=False)


money_factors = st.decimals(min_value=D("0"), max_value=D("0.005"), places=6)
lease_requests = st.builds(
    LeaseRequest,
    agreed_price=cents("20000", "90000"),
    term_months=st.integers(12, 84),
    residual_value=cents("0", "14000"),
    money_factor=money_factors,
    acquisition_fee=cents("0", "1095"),
    capitalized_fees=cents("0", "3000"),
    acquisition_fee_upfront=st.booleans(),
    cap_cost_reduction=cents("0", "5000"),
    disposition_fee=cents("0", "595"),
    tax_rate=st.decimals(min_value=D("0"), max_value=D("0.11"), places=4),
    tax_mode=st.sampled_from(TAX_MODES),
    security_deposit=cents("0", "1000"),
    signing_fees=cents("0", "500"),
)


@given(lease_requests)
def test_box_is_internally_consistent(request: LeaseRequest) -> None:
    quote = quote_lease(request)
    assert_box_adds_up(quote)
    exact_rent = (quote.adjusted_capitalized_cost + quote.residual_value) * request.money_factor * request.term_months
    assert abs(quote.rent_charge - exact_rent) <= D("0.005") * request.term_months
    assert quote.total_of_payments == (
        quote.due_at_signing
        + quote.total_monthly_payment * (request.term_months - 1)
        + quote.disposition_fee
        - request.security_deposit
    )


@given(lease_requests, money_factors, money_factors)
def test_payment_rises_with_the_money_factor(request: LeaseRequest, first: D, second: D) -> None:
    low, high = sorted((first, second))
    assert (
        quote_lease(replace(request, money_factor=low)).total_monthly_payment
        <= quote_lease(replace(request, money_factor=high)).total_monthly_payment
    )


@given(lease_requests, cents("0", "14000"), cents("0", "14000"))
def test_payment_falls_as_the_residual_rises(request: LeaseRequest, first: D, second: D) -> None:
    # d(payment)/d(residual) = money factor − 1/term < 0 for every money factor below 1/term (0.005 < 1/84).
    low, high = sorted((first, second))
    assert (
        quote_lease(replace(request, residual_value=high)).base_monthly_payment
        <= quote_lease(replace(request, residual_value=low)).base_monthly_payment
    )


@settings(max_examples=60)
@given(lease_requests)
def test_zero_drive_off_always_balances(request: LeaseRequest) -> None:
    request = replace(request, cap_cost_reduction=D("0"), security_deposit=D("0"))
    quote = solve_zero_drive_off(request)
    assert quote.due_at_signing == D("0.00")
    assert_sign_and_drive_balances(replace(request, acquisition_fee_upfront=False), quote)


RESIDUALS_CSV = """model,term_months,annual_mileage,residual_percent
SEDAN-X,36,10000,0.60
SEDAN-X,36,12000,0.58

SEDAN-X,36,15000,0.55
SEDAN-X,24,12000,0.66
"""


@pytest.mark.parametrize(
    ("mileage", "percent"), [(12000, "0.58"), (11000, "0.58"), (12001, "0.55"), (7500, "0.60"), (15000, "0.55")]
)
def test_residual_lookup_takes_the_safer_higher_mileage_row(mileage: int, percent: str) -> None:
    assert parse_residual_csv(RESIDUALS_CSV).residual_percent("SEDAN-X", 36, mileage) == D(percent)


def test_residual_value_is_rounded_to_the_cent() -> None:
    table = parse_residual_csv(RESIDUALS_CSV)
    assert table.residual_value("SEDAN-X", 36, 12000, msrp=D("31234.57")) == D("18116.05")  # 18,116.0506


@pytest.mark.parametrize(
    ("model", "term", "mileage", "message"),
    [
        ("SEDAN-X", 36, 20000, "above the highest published allowance"),
        ("SEDAN-X", 48, 12000, r"published terms: \[24, 36\]"),
        ("COUPE-Y", 36, 12000, "no residuals for model 'COUPE-Y'"),
    ],
)
def test_residual_lookup_errors(model: str, term: int, mileage: int, message: str) -> None:
    with pytest.raises(LookupError, match=message):
        parse_residual_csv(RESIDUALS_CSV).residual_percent(model, term, mileage)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("model,term,miles,pct\n", "line 1: header"),
        ("", "line 1: header"),
        ("model,term_months,annual_mileage,residual_percent\nA,36,12000,abc\n", "line 2: residual_percent 'abc'"),
        ("model,term_months,annual_mileage,residual_percent\nA,36,12000,58\n", "line 2: .*0.58"),
        ("model,term_months,annual_mileage,residual_percent\nA,36,12000\n", "line 2: expected 4 fields"),
        ("model,term_months,annual_mileage,residual_percent\nA,3x,12000,0.5\n", "line 2: term_months"),
        ("model,term_months,annual_mileage,residual_percent\n,36,12000,0.5\n", "line 2: model is empty"),
        (
            "model,term_months,annual_mileage,residual_percent\nA,36,12000,0.5\n\nA,36,12000,0.5\n",
            "line 4: duplicate .* first given on line 2",
        ),
        (
            "model,term_months,annual_mileage,residual_percent\nA,36,15000,0.6\nA,36,12000,0.5\n",
            "line 2: A 36 months: 15000 .* on line 3",
        ),
    ],
)
def test_residual_csv_errors_name_the_line(text: str, message: str) -> None:
    with pytest.raises(ResidualTableError, match=message):
        parse_residual_csv(text)
