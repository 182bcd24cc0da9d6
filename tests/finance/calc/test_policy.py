"""Lending policy: China's default LTV and term limits, boundaries, rounding up, configurability."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecourt.finance.calc.policy import LendingPolicy, check_loan, minimum_down_payment

D = Decimal
CHINA = LendingPolicy.china_default()


@pytest.mark.parametrize(
    ("use", "powertrain", "max_ltv", "minimum_down_on_100k"),
    [
        # 银发〔2017〕234号: self-use conventional 80%, self-use NEV 85%, commercial conventional 70%,
        # commercial NEV 75%, second-hand 70%. A non-plug-in hybrid is conventional, not NEV.
        ("personal", "ice", D("0.80"), D("20000.00")),
        ("personal", "hybrid", D("0.80"), D("20000.00")),
        ("personal", "phev", D("0.85"), D("15000.00")),
        ("personal", "bev", D("0.85"), D("15000.00")),
        ("commercial", "ice", D("0.70"), D("30000.00")),
        ("commercial", "hybrid", D("0.70"), D("30000.00")),
        ("commercial", "phev", D("0.75"), D("25000.00")),
        ("commercial", "bev", D("0.75"), D("25000.00")),
        ("used", "ice", D("0.70"), D("30000.00")),
        ("used", "hybrid", D("0.70"), D("30000.00")),
        ("used", "phev", D("0.70"), D("30000.00")),
        ("used", "bev", D("0.70"), D("30000.00")),
    ],
)
def test_china_default_limits(use, powertrain, max_ltv, minimum_down_on_100k):
    assert CHINA.max_ltv(use, powertrain) == max_ltv
    assert minimum_down_payment(D("100000"), use, powertrain, CHINA) == minimum_down_on_100k
    assert check_loan(D("100000"), minimum_down_on_100k, 36, use, powertrain, CHINA) == []
    [breach] = check_loan(D("100000"), minimum_down_on_100k - D("0.01"), 36, use, powertrain, CHINA)
    assert (breach.code, breach.limit) == ("ltv_exceeded", max_ltv)
    assert str(minimum_down_on_100k) in breach.message


@pytest.mark.parametrize(("use", "max_months"), [("personal", 60), ("commercial", 60), ("used", 36)])
def test_china_default_terms(use, max_months):
    # 《汽车贷款管理办法》(2017): at most 5 years, second-hand cars at most 3 years.
    assert check_loan(D("100000"), D("50000"), max_months, use, "ice", CHINA) == []
    [breach] = check_loan(D("100000"), D("50000"), max_months + 1, use, "ice", CHINA)
    assert (breach.code, breach.limit) == ("term_too_long", max_months)
    assert f"at most {max_months} months" in breach.message


def test_exactly_twenty_percent_down_passes_and_one_cent_less_fails():
    assert check_loan(D("150000"), D("30000"), 60, "personal", "ice", CHINA) == []
    codes = [b.code for b in check_loan(D("150000"), D("29999.99"), 60, "personal", "ice", CHINA)]
    assert codes == ["ltv_exceeded"]


def test_both_breaches_are_reported():
    codes = [b.code for b in check_loan(D("100000"), D("0"), 72, "used", "bev", CHINA)]
    assert codes == ["ltv_exceeded", "term_too_long"]


@pytest.mark.parametrize(
    ("price", "use", "powertrain", "expected"),
    [
        (D("100000.01"), "personal", "ice", D("20000.01")),  # 20,000.002 → up (half-up would say .00)
        (D("123456.78"), "personal", "bev", D("18518.52")),  # 18,518.517 → up
        (D("99999.99"), "personal", "ice", D("20000.00")),  # 19,999.998 → up
        (D("100000.05"), "personal", "ice", D("20000.01")),  # exact: nothing to round
        (D("0.01"), "commercial", "ice", D("0.01")),  # 0.003 → a whole cent
        (D("33333.33"), "personal", "phev", D("5000.00")),  # 4,999.9995 → up
        (D("0"), "personal", "ice", D("0.00")),
    ],
)
def test_minimum_down_payment_rounds_up_to_the_cent(price, use, powertrain, expected):
    assert minimum_down_payment(price, use, powertrain, CHINA) == expected


def test_rounding_up_keeps_the_loan_within_the_limit():
    price = D("100000.01")
    down = minimum_down_payment(price, "personal", "ice", CHINA)
    assert price - down <= price * D("0.80")
    assert price - (down - D("0.01")) > price * D("0.80")


def test_policy_is_configurable_for_the_2024_self_set_limits():
    # The 2024 notice lets a lender set its own self-use LTV, e.g. 100% for BEVs and longer terms.
    ltv = dict(CHINA.max_ltv_by_use_powertrain)
    ltv[("personal", "bev")] = D("1")
    lender = LendingPolicy(max_ltv_by_use_powertrain=ltv, max_term_months={"personal": 84, "used": 36})
    assert minimum_down_payment(D("200000"), "personal", "bev", lender) == D("0.00")
    assert check_loan(D("200000"), D("0"), 84, "personal", "bev", lender) == []
    assert minimum_down_payment(D("200000"), "personal", "ice", lender) == D("40000.00")


def test_policy_cannot_be_changed_after_construction():
    ltv = {("personal", "ice"): D("0.80")}
    policy = LendingPolicy(max_ltv_by_use_powertrain=ltv, max_term_months={"personal": 60})
    ltv[("personal", "ice")] = D("1")
    assert policy.max_ltv("personal", "ice") == D("0.80")
    with pytest.raises(TypeError):
        policy.max_ltv_by_use_powertrain[("personal", "ice")] = D("1")  # type: ignore[index]
    assert LendingPolicy.china_default() == CHINA


@pytest.mark.parametrize(
    ("call", "fragment"),
    [
        (lambda: minimum_down_payment(D("100000"), "leisure", "ice", CHINA), "No loan-to-value limit"),
        (lambda: minimum_down_payment(D("100000"), "personal", "steam", CHINA), "No loan-to-value limit"),
        (lambda: minimum_down_payment(D("-1"), "personal", "ice", CHINA), "non-negative"),
        (lambda: minimum_down_payment(100000.0, "personal", "ice", CHINA), "Decimal"),
        (lambda: check_loan(D("100000"), D("-5"), 36, "personal", "ice", CHINA), "non-negative"),
        (lambda: LendingPolicy({("personal", "ice"): D("1.2")}), "at most 1"),
        (lambda: LendingPolicy({("personal", "ice"): D("0")}), "above 0"),
        (lambda: LendingPolicy({("personal", "ice"): D("0.8")}, {"personal": 0}), "at least 1"),
    ],
)
def test_invalid_input_is_refused(call, fragment):
    with pytest.raises(ValueError, match=fragment):
        call()


def test_missing_term_limit_is_reported():
    policy = LendingPolicy({("fleet", "ice"): D("0.5")}, {"personal": 60})
    with pytest.raises(ValueError, match="No maximum term for use 'fleet'"):
        check_loan(D("100"), D("50"), 12, "fleet", "ice", policy)


@settings(max_examples=300, deadline=None)
@given(
    st.integers(min_value=0, max_value=100_000_000).map(lambda c: D(c) / 100),
    st.integers(min_value=0, max_value=10_000).map(lambda bp: D(bp) / 10_000),
    st.sampled_from(sorted(CHINA.max_ltv_by_use_powertrain)),
)
def test_ltv_breach_exactly_when_the_loan_exceeds_the_limit(price, down_share, key):
    use, powertrain = key
    down = (price * down_share).quantize(D("0.01"))
    breached = any(b.code == "ltv_exceeded" for b in check_loan(price, down, 12, use, powertrain, CHINA))
    assert breached == (price - down > price * CHINA.max_ltv(use, powertrain))
