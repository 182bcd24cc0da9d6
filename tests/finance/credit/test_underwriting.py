"""Underwriting: outcomes per rule, exact boundaries, stipulations that cure, monotonicity, notices, rule sets."""

from __future__ import annotations

import json
import string
from dataclasses import replace
from decimal import ROUND_CEILING, Decimal

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from forecourt.finance.calc.loan import LoanRequest, quote_loan
from forecourt.finance.calc.policy import LendingPolicy
from forecourt.finance.credit.underwriting import (
    OUTCOME_RANK,
    Applicant,
    Deal,
    Decision,
    RuleSet,
    ScoreTier,
    adverse_action_notice,
    decide,
)
from forecourt.finance.credit.underwriting_reasons import REASONS, STIPULATIONS

D = Decimal
RULES = RuleSet.china_default()  # A ≥ 750 (PTI 40%, DTI 55%), B ≥ 680 (35%, 50%), C ≥ 620 (30%, 45%, 36 months)

# A tier-B applicant buying a 200,000 self-use petrol car with 20% down over 36 months at 3.99%:
# payment 4,723.13, PTI 23.6%, DTI 43.6%, LTV exactly the 80% limit.
APPLICANT = Applicant(
    age_years=35,
    monthly_income=D("20000"),
    monthly_debt_payments=D("1000"),
    monthly_housing_cost=D("3000"),
    credit_score=720,
    employment_months=36,
)
DEAL = Deal(price=D("200000"), down_payment=D("40000"), term_months=36, annual_rate=D("0.0399"))
BASE_PAYMENT = D("4723.13")


def applicant(**changes) -> Applicant:
    return replace(APPLICANT, **changes)


def deal(**changes) -> Deal:
    return replace(DEAL, **changes)


def payment_of(a_deal: Deal) -> Decimal:
    return quote_loan(
        LoanRequest(
            price=a_deal.price,
            down_payment=a_deal.down_payment,
            annual_rate=a_deal.annual_rate,
            term_months=a_deal.term_months,
            balloon=a_deal.balloon,
        )
    ).payment


def codes(decision: Decision) -> list[str]:
    return [reason.code for reason in decision.reasons]


def apply_stipulations(a_deal: Deal, decision: Decision) -> Deal:
    for stipulation in decision.stipulations:
        if stipulation.required_down_payment is not None:
            a_deal = replace(a_deal, down_payment=stipulation.required_down_payment)
        if stipulation.max_term_months is not None:
            a_deal = replace(a_deal, term_months=stipulation.max_term_months)
    return a_deal


# --- one table per outcome ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "the_applicant", "the_deal", "tier"),
    [
        ("tier B, LTV exactly at 80%", APPLICANT, DEAL, "B"),
        ("tier A", applicant(credit_score=800), DEAL, "A"),
        ("score exactly at tier A", applicant(credit_score=750), DEAL, "A"),
        ("score exactly at tier C (LTV 70%)", applicant(credit_score=620), deal(down_payment=D("60000")), "C"),
        ("tier A waives the employment minimum", applicant(credit_score=800, employment_months=0), DEAL, "A"),
        ("no score, provider uses its lowest tier", applicant(credit_score=None), deal(down_payment=D("60000")), "C"),
        (
            "NEV may borrow 85% in tier A",
            applicant(credit_score=800),
            deal(down_payment=D("30000"), powertrain="bev"),
            "A",
        ),
        ("term exactly at 60 months", APPLICANT, deal(term_months=60), "B"),
        ("age 18, and 65 exactly at maturity", applicant(age_years=60), deal(term_months=60), "B"),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_approved(name, the_applicant, the_deal, tier):
    rules = replace(RULES, no_score_policy="lowest_tier") if the_applicant.credit_score is None else RULES
    decision = decide(the_applicant, the_deal, rules)
    assert (decision.outcome, decision.tier, decision.reasons, decision.stipulations) == ("approved", tier, (), ())
    assert decision.payment == payment_of(the_deal)


def test_min_age_exactly_passes():
    assert decide(applicant(age_years=18), DEAL, RULES).outcome == "approved"


@pytest.mark.parametrize(
    ("name", "the_applicant", "the_deal", "reason_codes", "down", "term"),
    [
        ("LTV 90% → down payment", APPLICANT, deal(down_payment=D("20000")), ["ltv_too_high"], D("40000.00"), None),
        (
            "term over the tier → max term",
            APPLICANT,
            deal(term_months=72, down_payment=D("60000")),
            ["term_too_long"],
            None,
            60,
        ),
        (
            "tier C caps the term at 36",
            applicant(credit_score=650),
            deal(term_months=48, down_payment=D("80000")),
            ["term_too_long"],
            None,
            36,
        ),
        (
            "second-hand car: policy caps at 36 months and 70%",
            APPLICANT,
            deal(use="used", term_months=48),
            ["term_too_long", "ltv_too_high"],
            D("60000.00"),
            36,
        ),
        (
            "PTI 47% → down payment",
            applicant(monthly_income=D("10000"), monthly_debt_payments=D("0"), monthly_housing_cost=D("0")),
            DEAL,
            ["pti_too_high"],
            D("81500.00"),
            None,
        ),
        (
            "DTI 59% → down payment",
            applicant(monthly_housing_cost=D("6000")),
            DEAL,
            ["dti_too_high"],
            D("98400.00"),
            None,
        ),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_conditional(name, the_applicant, the_deal, reason_codes, down, term):
    decision = decide(the_applicant, the_deal, RULES)
    assert decision.outcome == "conditional"
    assert codes(decision) == reason_codes
    assert {s.required_down_payment for s in decision.stipulations} - {None} == ({down} if down else set())
    assert {s.max_term_months for s in decision.stipulations} - {None} == ({term} if term else set())


@pytest.mark.parametrize(
    ("name", "the_applicant", "the_deal", "first_codes", "rules"),
    [
        ("under the minimum age", applicant(age_years=17), DEAL, ["age_below_minimum"], RULES),
        ("66 at maturity", applicant(age_years=61), deal(term_months=60), ["age_at_maturity_above_maximum"], RULES),
        (
            "a month past 65 at maturity",
            applicant(age_years=60),
            deal(term_months=61),
            ["age_at_maturity_above_maximum"],
            RULES,
        ),
        ("no income", applicant(monthly_income=D("0")), DEAL, ["no_income"], RULES),
        ("negative income", applicant(monthly_income=D("-1")), DEAL, ["no_income"], RULES),
        ("three delinquencies", applicant(delinquencies_24m=3), DEAL, ["too_many_delinquencies"], RULES),
        ("score just below tier C", applicant(credit_score=619), DEAL, ["score_too_low"], RULES),
        ("short employment in tier B", applicant(employment_months=5), DEAL, ["employment_too_short"], RULES),
        (
            "no score, lowest tier still checks employment",
            applicant(credit_score=None, employment_months=5),
            DEAL,
            ["employment_too_short"],
            replace(RULES, no_score_policy="lowest_tier"),
        ),
        (
            "no score, provider declines",
            applicant(credit_score=None),
            DEAL,
            ["no_credit_file"],
            replace(RULES, no_score_policy="decline"),
        ),
        (
            "existing debts alone exceed the DTI limit",
            applicant(monthly_debt_payments=D("8000")),
            DEAL,
            ["dti_uncurable"],
            RULES,
        ),
        (
            "a balloon's interest alone is over the PTI limit",
            applicant(monthly_income=D("1000"), monthly_debt_payments=D("0"), monthly_housing_cost=D("0")),
            deal(balloon=D("140000"), down_payment=D("50000")),
            ["pti_uncurable"],
            RULES,
        ),
        (
            "balloon bigger than the LTV allows",
            APPLICANT,
            deal(balloon=D("170000"), down_payment=D("20000")),
            ["ltv_uncurable"],
            RULES,
        ),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_declined(name, the_applicant, the_deal, first_codes, rules):
    decision = decide(the_applicant, the_deal, rules)
    assert decision.outcome == "declined"
    assert codes(decision)[: len(first_codes)] == first_codes
    assert decision.stipulations == ()


def test_no_score_goes_to_manual_review_with_the_policy_limits_still_applied():
    decision = decide(applicant(credit_score=None), deal(down_payment=D("10000"), term_months=72), RULES)
    assert (decision.outcome, decision.tier) == ("manual_review", None)
    assert codes(decision) == ["no_credit_file", "term_too_long", "ltv_too_high"]
    assert {(s.code, s.required_down_payment, s.max_term_months) for s in decision.stipulations} == {
        ("maximum_term", None, 60),
        ("minimum_down_payment", D("40000.00"), None),
    }
    assert decision.pti is not None  # the figures are still reported for the reviewer


def test_a_hard_decline_still_reports_the_limit_breaches_after_the_hard_reasons():
    decision = decide(
        applicant(age_years=17, delinquencies_24m=5), deal(down_payment=D("20000"), term_months=72), RULES
    )
    assert codes(decision) == ["age_below_minimum", "too_many_delinquencies", "term_too_long", "ltv_too_high"]


def test_no_income_leaves_pti_and_dti_undefined():
    decision = decide(applicant(monthly_income=D("0")), DEAL, RULES)
    assert (decision.pti, decision.dti, decision.ltv) == (None, None, D("0.8000"))


# --- boundaries: a ratio exactly at its limit passes, a cent more does not -------------------------


def test_pti_exactly_at_the_limit_passes_and_a_cent_less_income_does_not():
    at_limit = BASE_PAYMENT * D("2.5")  # tier A: PTI limit 40%
    quiet = dict(credit_score=800, monthly_debt_payments=D("0"), monthly_housing_cost=D("0"))
    decision = decide(applicant(monthly_income=at_limit, **quiet), DEAL, RULES)
    assert (decision.outcome, decision.pti) == ("approved", D("0.4000"))
    over = decide(applicant(monthly_income=at_limit - D("0.01"), **quiet), DEAL, RULES)
    assert (over.outcome, codes(over)) == ("conditional", ["pti_too_high"])
    assert over.pti == D("0.4001")  # rounded UP: a breach never reads as the limit
    assert dict(over.reasons[0].detail) == {"pti": "0.4001", "limit": "0.40", "payment": "4723.13"}


def test_dti_exactly_at_the_limit_passes_and_a_cent_more_debt_does_not():
    income = (BASE_PAYMENT + D("4000")) * 2  # tier B: DTI limit 50%
    assert decide(applicant(monthly_income=income), DEAL, RULES).outcome == "approved"
    over = decide(applicant(monthly_income=income, monthly_debt_payments=D("1000.01")), DEAL, RULES)
    assert (over.outcome, codes(over), over.dti) == ("conditional", ["dti_too_high"], D("0.5001"))


def test_ltv_a_cent_over_the_limit_needs_the_down_payment_rounded_up_to_100():
    decision = decide(APPLICANT, deal(down_payment=D("39999.99")), RULES)
    assert decision.outcome == "conditional"
    assert [s.required_down_payment for s in decision.stipulations] == [D("40000.00")]


def test_term_a_month_over_the_limit():
    decision = decide(APPLICANT, deal(term_months=61), RULES)
    assert [(s.code, s.max_term_months) for s in decision.stipulations] == [("maximum_term", 60)]


@pytest.mark.parametrize(("score", "tier"), [(949, "A"), (750, "A"), (749, "B"), (680, "B"), (679, "C"), (620, "C")])
def test_tier_boundaries(score, tier):
    assert decide(applicant(credit_score=score), DEAL, RULES).tier == tier


def test_delinquencies_exactly_at_the_limit_pass():
    assert decide(applicant(delinquencies_24m=2), DEAL, RULES).outcome == "approved"


def test_employment_exactly_at_the_minimum_passes():
    assert decide(applicant(employment_months=6), DEAL, RULES).outcome == "approved"


# --- stipulations cure, and are the least that does ------------------------------------------------

CONDITIONAL_CASES = [
    (APPLICANT, deal(down_payment=D("20000"))),
    (applicant(monthly_income=D("10000"), monthly_debt_payments=D("0")), DEAL),
    (applicant(monthly_housing_cost=D("6200")), deal(term_months=72)),  # the shorter term raises the payment
    (applicant(credit_score=650), deal(term_months=60, down_payment=D("45000"))),
    (
        applicant(monthly_income=D("7000"), monthly_debt_payments=D("0"), monthly_housing_cost=D("0")),
        deal(balloon=D("40000"), term_months=48),
    ),
]


@pytest.mark.parametrize(("the_applicant", "the_deal"), CONDITIONAL_CASES)
def test_stipulated_terms_really_cure(the_applicant, the_deal):
    decision = decide(the_applicant, the_deal, RULES)
    assert decision.outcome == "conditional"
    cured = apply_stipulations(the_deal, decision)
    assert decide(the_applicant, cured, RULES).outcome == "approved"
    if cured.down_payment != the_deal.down_payment:
        assert cured.down_payment % 100 == 0
        less = replace(cured, down_payment=cured.down_payment - 100)
        assert decide(the_applicant, less, RULES).outcome != "approved"


def test_term_cure_raises_the_payment_so_the_down_payment_is_solved_at_the_shorter_term():
    # DTI limit 10,000: at 72 months 2,502.50 + 7,200 is within it; at 60 months 2,945.92 + 7,200 is not.
    decision = decide(applicant(monthly_housing_cost=D("6200")), deal(term_months=72), RULES)
    assert codes(decision) == ["term_too_long"]
    assert [s.code for s in decision.stipulations] == ["maximum_term", "minimum_down_payment"]


def test_reasons_order_by_how_far_over_the_limit():
    # LTV 90% against 80% is 12.5% over; 72 months against 60 is 20% over.
    assert codes(decide(APPLICANT, deal(down_payment=D("20000"), term_months=72), RULES)) == [
        "term_too_long",
        "ltv_too_high",
    ]
    # LTV 90% over 80% (12.5%) against a 66-month term over 60 (10%).
    assert codes(decide(APPLICANT, deal(down_payment=D("20000"), term_months=66), RULES)) == [
        "ltv_too_high",
        "term_too_long",
    ]


# --- properties -------------------------------------------------------------------------------------

money = st.integers(min_value=0, max_value=8_000_000).map(lambda cents: D(cents).scaleb(-2))
applicants = st.builds(
    Applicant,
    age_years=st.integers(16, 70),
    monthly_income=st.integers(-100_00, 120_000_00).map(lambda cents: D(cents).scaleb(-2)),
    monthly_debt_payments=money,
    monthly_housing_cost=money,
    credit_score=st.none() | st.integers(350, 950),
    employment_months=st.integers(0, 60),
    delinquencies_24m=st.integers(0, 4),
)

# Applicants who pass every hard rule, so the limits (and so conditional approvals) are what varies.
creditworthy = st.builds(
    Applicant,
    age_years=st.integers(21, 40),
    monthly_income=st.integers(3_000_00, 60_000_00).map(lambda cents: D(cents).scaleb(-2)),
    monthly_debt_payments=st.integers(0, 5_000_00).map(lambda cents: D(cents).scaleb(-2)),
    monthly_housing_cost=st.integers(0, 8_000_00).map(lambda cents: D(cents).scaleb(-2)),
    credit_score=st.integers(620, 950),
    employment_months=st.integers(6, 120),
)


@st.composite
def deals(draw) -> Deal:
    price = D(draw(st.integers(30_000_00, 800_000_00))).scaleb(-2)
    down = (price * D(draw(st.integers(0, 90))) / 100).quantize(D("0.01"))
    balloon = (price * D(draw(st.sampled_from([0, 0, 10, 30, 50]))) / 100).quantize(D("0.01"))
    assume(balloon < price - down)
    return Deal(
        price=price,
        down_payment=down,
        term_months=draw(st.integers(6, 96)),
        annual_rate=D(draw(st.integers(0, 1500))).scaleb(-4),
        balloon=balloon,
        use=draw(st.sampled_from(["personal", "commercial", "used"])),
        powertrain=draw(st.sampled_from(["ice", "hybrid", "phev", "bev"])),
    )


@settings(max_examples=200, deadline=None)
@given(creditworthy | applicants, deals(), st.integers(1, 5_000_000).map(lambda cents: D(cents).scaleb(-2)))
def test_raising_income_never_worsens_the_outcome(the_applicant, the_deal, raise_by):
    richer = replace(the_applicant, monthly_income=the_applicant.monthly_income + raise_by)
    before, after = decide(the_applicant, the_deal, RULES), decide(richer, the_deal, RULES)
    assert OUTCOME_RANK[after.outcome] <= OUTCOME_RANK[before.outcome]


@settings(max_examples=200, deadline=None)
@given(creditworthy | applicants, deals(), st.integers(1, 100))
def test_raising_the_down_payment_never_worsens_the_outcome(the_applicant, the_deal, percent_of_room):
    room = the_deal.price - the_deal.balloon - the_deal.down_payment - D("0.01")
    bigger = replace(the_deal, down_payment=the_deal.down_payment + (room * percent_of_room / 100).quantize(D("0.01")))
    before, after = decide(the_applicant, the_deal, RULES), decide(the_applicant, bigger, RULES)
    assert OUTCOME_RANK[after.outcome] <= OUTCOME_RANK[before.outcome]


@settings(max_examples=300, deadline=None)
@given(creditworthy, deals())
def test_every_conditional_approval_is_cured_by_its_stipulations(the_applicant, the_deal):
    decision = decide(the_applicant, the_deal, RULES)
    if decision.outcome == "conditional":
        cured = apply_stipulations(the_deal, decision)
        assert decide(the_applicant, cured, RULES).outcome == "approved"
        if cured.down_payment != the_deal.down_payment and cured.down_payment % 100 == 0:
            less = replace(cured, down_payment=cured.down_payment - 100)  # the least multiple of 100 that cures
            assert less.down_payment < the_deal.down_payment or decide(the_applicant, less, RULES).outcome != "approved"


@settings(max_examples=100, deadline=None)
@given(creditworthy | applicants, deals())
def test_reported_figures_match_the_quote(the_applicant, the_deal):
    decision = decide(the_applicant, the_deal, RULES)
    assert decision.payment == payment_of(the_deal)
    financed = the_deal.price - the_deal.down_payment
    assert decision.ltv == (financed / the_deal.price).quantize(D("0.0001"), ROUND_CEILING)
    if decision.outcome == "declined":
        assert decision.stipulations == ()


# --- adverse-action notice -------------------------------------------------------------------------

MANY_REASONS = applicant(
    age_years=70, monthly_income=D("0"), credit_score=500, employment_months=1, delinquencies_24m=6
)


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "en",
            [
                "NOTICE OF ACTION TAKEN",
                "Dear Li Wei",
                "Forecourt Finance",
                "Credit Reference Center",
                "free copy",
                "dispute",
                "No monthly income was stated",
            ],
        ),
        ("zh", ["贷款申请结果通知", "尊敬的Li Wei", "免费获取", "异议", "月收入为 0.00 元"]),
        ("zh-Hans", ["贷款申请结果通知"]),
    ],
)
def test_notice_lists_at_most_four_principal_reasons_in_the_chosen_language(language, expected):
    decision = decide(MANY_REASONS, deal(term_months=72), RULES)
    assert len(decision.reasons) > 4
    notice = adverse_action_notice(
        decision,
        applicant_name="Li Wei",
        provider_name="Forecourt Finance",
        bureau_name="Credit Reference Center",
        language=language,
    )
    numbered = [line.strip() for line in notice.splitlines() if line.strip()[:2] in {"1.", "2.", "3.", "4.", "5."}]
    message = "message_en" if language == "en" else "message_zh"
    assert numbered == [f"{n}. {getattr(reason, message)}" for n, reason in enumerate(decision.reasons[:4], 1)]
    for text in expected:
        assert text in notice


def test_notice_is_only_for_declines_and_known_languages():
    with pytest.raises(ValueError, match="only for a declined"):
        adverse_action_notice(
            decide(APPLICANT, DEAL, RULES), applicant_name="x", provider_name="y", bureau_name="z", language="en"
        )
    declined = decide(applicant(age_years=17), DEAL, RULES)
    with pytest.raises(ValueError, match="'fr'"):
        adverse_action_notice(declined, applicant_name="x", provider_name="y", bureau_name="z", language="fr")


@pytest.mark.parametrize("code", sorted({**REASONS, **STIPULATIONS}))
def test_every_code_has_both_languages_with_the_same_placeholders(code):
    english, chinese = {**REASONS, **STIPULATIONS}[code]
    fields = [{name for _, name, _, _ in string.Formatter().parse(text) if name} for text in (english, chinese)]
    assert fields[0] == fields[1]
    assert english.isascii() and any("\u4e00" <= ch <= "\u9fff" for ch in chinese)


# --- rule sets as data ------------------------------------------------------------------------------

CUSTOM = RuleSet(
    tiers=(
        ScoreTier("gold", 700, D("0.45"), D("0.60"), D("0.90"), 84),
        ScoreTier("silver", 600, D("0.3"), D("0.4"), D("0.7"), 48),
    ),
    min_age=21,
    max_age_at_maturity=70,
    min_employment_months=12,
    max_delinquencies_24m=0,
    no_score_policy="decline",
    lending_policy=LendingPolicy({("personal", "ice"): D("0.9")}, {"personal": 84}),
)


@pytest.mark.parametrize("rules", [RULES, CUSTOM], ids=["china_default", "custom"])
def test_mapping_round_trips_through_json(rules):
    data = json.loads(json.dumps(rules.to_mapping()))
    assert RuleSet.from_mapping(data) == rules
    assert data["tiers"][0]["max_pti"] == str(rules.tiers[0].max_pti)


def test_tiers_are_kept_best_first_and_missing_keys_keep_their_defaults():
    tiers = [
        {"name": "low", "min_score": 600, "max_pti": "0.3", "max_dti": "0.4", "max_ltv": "0.7", "max_term_months": 36},
        {"name": "high", "min_score": 700, "max_pti": "0.4", "max_dti": "0.5", "max_ltv": "0.8", "max_term_months": 60},
    ]
    rules = RuleSet.from_mapping({"tiers": tiers})
    assert [t.name for t in rules.tiers] == ["high", "low"]
    assert (rules.min_age, rules.no_score_policy, rules.lending_policy) == (
        18,
        "manual_review",
        LendingPolicy.china_default(),
    )


def _mutated(path: str, value: object) -> dict:
    data = RULES.to_mapping()
    *parents, last = path.split(".")
    target = data
    for key in parents:
        target = target[int(key)] if isinstance(target, list) else target[key]
    if value is KeyError:
        del target[last]
    elif isinstance(target, list):
        target[int(last)] = value
    else:
        target[last] = value
    return data


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("tiers", KeyError, "tiers: missing"),
        ("tiers", "A,B", "tiers: must be a list"),
        ("tiers", [], "tiers: a rule set needs at least one"),
        ("min_agee", 18, "min_agee: unknown key"),
        ("min_age", "18", "min_age: must be a whole number"),
        ("max_age_at_maturity", 10, "max_age_at_maturity: must be a whole number from 18"),
        ("no_score_policy", "maybe", "no_score_policy: must be one of"),
        ("tiers.0.max_pti", 0.35, r"tiers\[0\].max_pti: write the number as a string"),
        ("tiers.1.max_ltv", "1.5", r"tiers\[1\].max_ltv: must be a Decimal fraction"),
        ("tiers.1.max_dti", "0.12345", r"tiers\[1\].max_dti: .*at most 4 decimals"),
        ("tiers.2.min_score", 100, r"tiers\[2\].min_score: must be a whole number from 350"),
        ("tiers.2.max_term_months", 121, r"tiers\[2\].max_term_months"),
        ("tiers.0.name", "B", "tiers: each tier needs its own name"),
        ("tiers.0.grade", "x", r"tiers\[0\].grade: unknown key"),
        ("tiers.0.max_pti", KeyError, r"tiers\[0\].max_pti: missing"),
        ("tiers.0", "A", r"tiers\[0\]: must be a mapping"),
        ("lending_policy.max_ltv.personal.ice", "abc", "lending_policy.max_ltv.personal.ice: 'abc' is not a number"),
        ("lending_policy.max_ltv.personal", "0.8", "lending_policy.max_ltv.personal: must be a mapping"),
        ("lending_policy.max_ltv.used.bev", "0", "lending_policy: .*loan-to-value"),
        ("lending_policy.max_term_months.used", 0, "lending_policy: .*'used'"),
        ("lending_policy.min_down", "0.2", "lending_policy.min_down: unknown key"),
    ],
)
def test_bad_mappings_name_the_bad_key(path, value, message):
    with pytest.raises(ValueError, match=message):
        RuleSet.from_mapping(_mutated(path, value))


def test_from_mapping_refuses_a_non_mapping():
    with pytest.raises(ValueError, match="rules: must be a mapping"):
        RuleSet.from_mapping(["tiers"])


# --- input that cannot be underwritten -------------------------------------------------------------


@pytest.mark.parametrize(
    ("the_applicant", "the_deal", "message"),
    [
        (applicant(credit_score=1000), DEAL, "credit_score"),
        (applicant(monthly_debt_payments=D("-1")), DEAL, "monthly_debt_payments"),
        (applicant(monthly_income=1000.0), DEAL, "monthly_income"),
        (APPLICANT, deal(down_payment=D("200000")), "nothing to finance"),
        (APPLICANT, deal(use="rental"), "rental"),
        (APPLICANT, deal(term_months=121), "term"),
    ],
)
def test_input_that_cannot_be_underwritten_raises(the_applicant, the_deal, message):
    with pytest.raises(ValueError, match=message):
        decide(the_applicant, the_deal, RULES)
