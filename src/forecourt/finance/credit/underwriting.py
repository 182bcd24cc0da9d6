"""Underwriting: a finance provider's configurable rule set turns an applicant and a deal into a decision.

- Hard rules decline outright: age, age at maturity, no income, delinquencies, a score below the
  lowest tier (or no credit file, if the provider declines those), too short an employment outside
  the top tier.
- Limits a larger down payment or a shorter term can meet (PTI, DTI, LTV, term) give a conditional
  approval with stipulations: the term is capped, then the down payment is solved exactly against
  the payment at that term, rounded UP to 100 yuan, and checked with `quote_loan` before it is offered.
- A limit that even the largest down payment within the price cannot meet declines the application.
Reasons come hard first, then those no stipulation can cure, then by how far over the limit.
Comparisons are exact (payment ≤ limit × income: a ratio exactly at its limit passes); the ratios
reported are rounded UP to 4 decimals, so a reported ratio is over its limit iff it breached.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal, localcontext
from typing import Literal

from forecourt.core.money import quantum
from forecourt.finance.calc.loan import MONTHS_PER_YEAR, LoanRequest, level_payment, quote_loan
from forecourt.finance.credit import underwriting_reasons as words
from forecourt.finance.credit.underwriting_reasons import Reason, Stipulation  # re-exported: part of this API
from forecourt.finance.credit.underwriting_rules import NO_SCORE_POLICIES as NO_SCORE_POLICIES  # re-exported
from forecourt.finance.credit.underwriting_rules import (  # re-exported: part of this API
    RATIO_QUANTUM,
    SCORE_RANGE,
    RuleSet,
    ScoreTier,
    check_int,
)

CENT = quantum()
DOWN_PAYMENT_STEP = Decimal(100)
MAX_NOTICE_REASONS = 4  # Regulation B §1002.9: more than four principal reasons rarely helps the applicant
OUTCOME_RANK = {"approved": 0, "conditional": 1, "manual_review": 2, "declined": 3}  # best to worst


@dataclass(frozen=True)
class Applicant:
    age_years: int
    monthly_income: Decimal
    monthly_debt_payments: Decimal
    monthly_housing_cost: Decimal
    credit_score: int | None  # bureau score on 350–950; None = no file or a thin file
    employment_months: int
    delinquencies_24m: int = 0


@dataclass(frozen=True)
class Deal:
    price: Decimal
    down_payment: Decimal
    term_months: int
    annual_rate: Decimal
    balloon: Decimal = Decimal(0)
    use: str = "personal"
    powertrain: str = "ice"


@dataclass(frozen=True)
class Decision:
    outcome: Literal["approved", "conditional", "declined", "manual_review"]
    tier: str | None
    payment: Decimal  # the quoted monthly payment of the deal as applied for
    pti: Decimal | None  # None when income ≤ 0 leaves the ratio undefined
    dti: Decimal | None
    ltv: Decimal
    reasons: tuple[Reason, ...]
    stipulations: tuple[Stipulation, ...]


@dataclass(frozen=True)
class _Limits:
    max_ltv: Decimal
    max_term: int
    max_pti: Decimal | None  # None: no tier (manual review) or no income to measure against
    max_dti: Decimal | None


@dataclass(frozen=True)
class _Check:
    measure: str  # ltv, pti, dti or term
    value: Decimal
    limit: Decimal
    within: bool

    @property
    def excess(self) -> Decimal:
        return (self.value - self.limit) / self.limit


def decide(applicant: Applicant, deal: Deal, rules: RuleSet) -> Decision:
    """ValueError for input that cannot be underwritten (a deal quote_loan refuses, a score off the scale)."""
    _validate_applicant(applicant)
    tier = _tier_for(applicant.credit_score, rules)
    limits = _limits_for(applicant, deal, rules, tier)
    payment, checks = _checks(applicant, deal, limits, deal.down_payment, deal.term_months)
    hard = _hard_reasons(applicant, deal, rules, tier)
    stipulations, uncurable = _cure(applicant, deal, limits)
    failing = sorted(
        (c for c in checks if c.measure in uncurable or not c.within),
        key=lambda c: (c.measure not in uncurable, -c.excess),
    )  # uncurable first, then furthest over
    reasons = [
        *hard,
        *(
            _uncurable_reason(c, applicant, deal) if c.measure in uncurable else _breach_reason(c, payment, deal)
            for c in failing
        ),
    ]
    if hard or uncurable:
        outcome, stipulations = "declined", []
    elif tier is None:
        outcome, reasons = "manual_review", [words.reason("no_credit_file"), *reasons]
    else:
        outcome = "conditional" if stipulations else "approved"
    pti, dti, ltv = _ratios(applicant, deal, payment)
    return Decision(outcome, tier.name if tier else None, payment, pti, dti, ltv, tuple(reasons), tuple(stipulations))


def adverse_action_notice(
    decision: Decision, *, applicant_name: str, provider_name: str, bureau_name: str, language: str
) -> str:
    """Plain-text notice for a declined application: up to four principal reasons by weight, the bureau
    used, and the right to a free copy of the report and to dispute it; language 'en' or 'zh'."""
    if decision.outcome != "declined":
        raise ValueError(
            f"An adverse-action notice is only for a declined application (this one is {decision.outcome})."
        )
    lang = words.notice_language(language)
    principal = decision.reasons[:MAX_NOTICE_REASONS]
    messages = [reason.message_en if lang == "en" else reason.message_zh for reason in principal]
    return words.notice_text(
        lang, applicant=applicant_name, provider=provider_name, bureau=bureau_name, reasons=messages
    )


# --- the rules ------------------------------------------------------------------------------------


def _tier_for(score: int | None, rules: RuleSet) -> ScoreTier | None:
    if score is None:
        return rules.tiers[-1] if rules.no_score_policy == "lowest_tier" else None
    return next((tier for tier in rules.tiers if score >= tier.min_score), None)


def _limits_for(applicant: Applicant, deal: Deal, rules: RuleSet, tier: ScoreTier | None) -> _Limits:
    """The tighter of the tier's and the lending policy's limits; without a tier only the policy's."""
    policy = rules.lending_policy
    ltv, term = policy.max_ltv(deal.use, deal.powertrain), policy.term_limit(deal.use)
    if tier is None:
        return _Limits(ltv, term, None, None)
    measurable = applicant.monthly_income > 0
    return _Limits(
        min(ltv, tier.max_ltv),
        min(term, tier.max_term_months),
        tier.max_pti if measurable else None,
        tier.max_dti if measurable else None,
    )


def _hard_reasons(applicant: Applicant, deal: Deal, rules: RuleSet, tier: ScoreTier | None) -> list[Reason]:
    """The rules no stipulation can cure, in their order of weight."""
    reasons: list[Reason] = []
    if applicant.monthly_income <= 0:
        reasons.append(words.reason("no_income", money={"monthly_income": applicant.monthly_income}))
    if applicant.age_years < rules.min_age:
        reasons.append(words.reason("age_below_minimum", age=applicant.age_years, min_age=rules.min_age))
    months_at_maturity = applicant.age_years * MONTHS_PER_YEAR + deal.term_months
    if months_at_maturity > rules.max_age_at_maturity * MONTHS_PER_YEAR:
        years = (Decimal(months_at_maturity) / MONTHS_PER_YEAR).quantize(Decimal("0.1"), ROUND_CEILING)
        reasons.append(
            words.reason(
                "age_at_maturity_above_maximum", age_at_maturity=years.normalize(), limit=rules.max_age_at_maturity
            )
        )
    if applicant.delinquencies_24m > rules.max_delinquencies_24m:
        reasons.append(
            words.reason(
                "too_many_delinquencies", delinquencies=applicant.delinquencies_24m, limit=rules.max_delinquencies_24m
            )
        )
    if applicant.credit_score is not None and tier is None:
        reasons.append(words.reason("score_too_low", score=applicant.credit_score, minimum=rules.tiers[-1].min_score))
    if applicant.credit_score is None and rules.no_score_policy == "decline":
        reasons.append(words.reason("no_credit_file"))
    if applicant.employment_months < rules.min_employment_months and tier != rules.tiers[0]:
        reasons.append(
            words.reason(
                "employment_too_short", months=applicant.employment_months, minimum=rules.min_employment_months
            )
        )
    return reasons


def _checks(
    applicant: Applicant, deal: Deal, limits: _Limits, down: Decimal, term: int
) -> tuple[Decimal, list[_Check]]:
    """The quoted payment and every limit measured against it, for the deal at this down payment and term."""
    quote = quote_loan(
        LoanRequest(
            price=deal.price, down_payment=down, annual_rate=deal.annual_rate, term_months=term, balloon=deal.balloon
        )
    )
    financed, payment, income = quote.amount_financed, quote.payment, applicant.monthly_income
    checks = [
        _Check("ltv", financed / deal.price, limits.max_ltv, financed <= limits.max_ltv * deal.price),
        _Check("term", Decimal(term), Decimal(limits.max_term), term <= limits.max_term),
    ]
    if limits.max_pti is not None and limits.max_dti is not None:
        debts = payment + applicant.monthly_debt_payments + applicant.monthly_housing_cost
        checks += [
            _Check("pti", payment / income, limits.max_pti, payment <= limits.max_pti * income),
            _Check("dti", debts / income, limits.max_dti, debts <= limits.max_dti * income),
        ]
    return payment, checks


def _ratios(applicant: Applicant, deal: Deal, payment: Decimal) -> tuple[Decimal | None, Decimal | None, Decimal]:
    """PTI, DTI and LTV as reported (rounded up to 4 decimals); PTI and DTI are undefined without income."""
    ltv = _reported_ratio((deal.price - deal.down_payment) / deal.price)
    income = applicant.monthly_income
    if income <= 0:
        return None, None, ltv
    debts = payment + applicant.monthly_debt_payments + applicant.monthly_housing_cost
    return _reported_ratio(payment / income), _reported_ratio(debts / income), ltv


# --- curing: cap the term, then the smallest down payment (in 100s) that meets every limit --------


def _cure(applicant: Applicant, deal: Deal, limits: _Limits) -> tuple[list[Stipulation], set[str]]:
    """The stipulations that cure every breach, or the measures no down payment within the price can meet."""
    term = min(deal.term_months, limits.max_term)
    stipulations = [] if term == deal.term_months else [words.maximum_term(term)]
    if _within(applicant, deal, limits, deal.down_payment, term):
        return stipulations, set()
    largest_down = deal.price - deal.balloon - CENT  # quote_loan needs more financed than the balloon
    uncurable = {c.measure for c in _checks(applicant, deal, limits, largest_down, term)[1] if not c.within}
    if uncurable:
        return [], uncurable
    down = min(_round_up(_exact_minimum_down(applicant, deal, limits, term), DOWN_PAYMENT_STEP), largest_down)
    while not _within(applicant, deal, limits, down, term):  # guards the closed form; ends by largest_down
        down = min(down + DOWN_PAYMENT_STEP, largest_down)
    return [*stipulations, words.minimum_down_payment(down)], set()


def _within(applicant: Applicant, deal: Deal, limits: _Limits, down: Decimal, term: int) -> bool:
    return all(check.within for check in _checks(applicant, deal, limits, down, term)[1])


def _exact_minimum_down(applicant: Applicant, deal: Deal, limits: _Limits, term: int) -> Decimal:
    needs = [(deal.price * (1 - limits.max_ltv)).quantize(CENT, ROUND_CEILING)]  # as policy.minimum_down_payment
    if limits.max_pti is not None and limits.max_dti is not None:
        income, fixed = applicant.monthly_income, applicant.monthly_debt_payments + applicant.monthly_housing_cost
        needs += [
            _down_for_payment_cap(deal, term, limits.max_pti * income),
            _down_for_payment_cap(deal, term, limits.max_dti * income - fixed),
        ]
    return max(needs)


def _down_for_payment_cap(deal: Deal, term: int, cap: Decimal) -> Decimal:
    """Smallest cent down payment whose payment, rounded half up to the cent, is at most `cap`.

    The unrounded payment is linear in the amount financed F: per_unit × F + offset (level_payment's
    annuity with the balloon). It rounds to at most floor_cent(cap) iff it is below floor_cent(cap) + ½ cent.
    """
    with localcontext() as ctx:
        ctx.prec = 40
        monthly_rate = deal.annual_rate / MONTHS_PER_YEAR
        per_unit = level_payment(Decimal(1), monthly_rate, term)
        offset = level_payment(Decimal(0), monthly_rate, term, deal.balloon)
        bound = (cap.quantize(CENT, ROUND_FLOOR) + CENT / 2 - offset) / per_unit
    largest_financed = bound.quantize(CENT, ROUND_CEILING) - CENT  # strictly below the bound
    return deal.price - largest_financed


def _round_up(amount: Decimal, step: Decimal) -> Decimal:
    return ((amount / step).to_integral_value(ROUND_CEILING) * step).quantize(CENT)


# --- reasons and stipulations ---------------------------------------------------------------------


def _breach_reason(check: _Check, payment: Decimal, deal: Deal) -> Reason:
    if check.measure == "term":
        return words.reason("term_too_long", term_months=int(check.value), limit=int(check.limit))
    ratios = {check.measure: _reported_ratio(check.value), "limit": check.limit}
    money = {"amount_financed": deal.price - deal.down_payment} if check.measure == "ltv" else {"payment": payment}
    return words.reason(f"{check.measure}_too_high", ratios=ratios, money=money)


def _uncurable_reason(check: _Check, applicant: Applicant, deal: Deal) -> Reason:
    ratios = {check.measure: _reported_ratio(check.value), "limit": check.limit}
    money = {
        "dti": {"obligations": applicant.monthly_debt_payments + applicant.monthly_housing_cost},
        "ltv": {"balloon": deal.balloon},
    }.get(check.measure, {})
    return words.reason(f"{check.measure}_uncurable", ratios=ratios, money=money)


def _reported_ratio(ratio: Decimal) -> Decimal:
    return ratio.quantize(RATIO_QUANTUM, ROUND_CEILING)


# --- validation -----------------------------------------------------------------------------------


def _validate_applicant(applicant: Applicant) -> None:
    for key in ("monthly_income", "monthly_debt_payments", "monthly_housing_cost"):
        value = getattr(applicant, key)
        if not isinstance(value, Decimal) or not value.is_finite():
            raise ValueError(f"{key}: must be a finite Decimal amount (got {value!r})")
        if key != "monthly_income" and value < 0:
            raise ValueError(f"{key}: cannot be negative (got {value})")
    check_int("age_years", applicant.age_years, 0, 150)
    check_int("employment_months", applicant.employment_months, 0, 1200)
    check_int("delinquencies_24m", applicant.delinquencies_24m, 0, 1000)
    if applicant.credit_score is not None:
        check_int("credit_score", applicant.credit_score, *SCORE_RANGE)
