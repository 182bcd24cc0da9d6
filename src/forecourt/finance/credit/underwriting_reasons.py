"""The words of underwriting: Reason and Stipulation, an English and a Simplified Chinese message for
every code, and the adverse-action notice text.

Both languages are filled from the same figures, so they never disagree. A reason's `detail` keeps
the figures as plain strings ("0.4200", "2898.05"); its messages show them for people (ratios as
percentages, money half-up to the cent with thousands separators and the currency).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType

from forecourt.core.money import round_money


@dataclass(frozen=True)
class Reason:
    code: str
    message_en: str
    message_zh: str
    detail: Mapping[str, str]  # read-only: the figures behind it, e.g. {"pti": "0.4200", "limit": "0.35"}


@dataclass(frozen=True)
class Stipulation:
    code: str
    message_en: str
    message_zh: str
    required_down_payment: Decimal | None = None
    max_term_months: int | None = None


# code: (English, Simplified Chinese). Placeholders are filled with display strings.
REASONS: Mapping[str, tuple[str, str]] = {
    # Hard rules, in the order of weight they are reported.
    "no_income": (
        "No monthly income was stated (got CNY {monthly_income}); a loan needs income to repay it from.",
        "申请中的月收入为 {monthly_income} 元，无法确认还款来源。",
    ),
    "age_below_minimum": (
        "You are {age} years old; applicants must be at least {min_age}.",
        "您的年龄为 {age} 岁，申请人须年满 {min_age} 岁。",
    ),
    "age_at_maturity_above_maximum": (
        "You would be {age_at_maturity} years old when the loan ends; the limit is {limit}.",
        "贷款到期时您将年满 {age_at_maturity} 岁，超过上限 {limit} 岁。",
    ),
    "too_many_delinquencies": (
        "Your credit report shows {delinquencies} late payments in the last 24 months; the limit is {limit}.",
        "您的信用报告显示近 24 个月内有 {delinquencies} 次逾期还款，超过上限 {limit} 次。",
    ),
    "score_too_low": (
        "Your credit score of {score} is below our minimum of {minimum}.",
        "您的信用评分 {score} 低于我们的最低要求 {minimum}。",
    ),
    "no_credit_file": (
        "The credit bureau holds no credit history or score for you.",
        "征信机构没有您的信用记录或信用评分。",
    ),
    "employment_too_short": (
        "You have been in your current employment for {months} months; we require at least {minimum}.",
        "您在现单位的工作时间为 {months} 个月，我们要求至少 {minimum} 个月。",
    ),
    # Limits a larger down payment cannot cure.
    "dti_uncurable": (
        "Your existing monthly debts and housing costs (CNY {obligations}) leave too little of your income: "
        "with a payment on this vehicle they would exceed {limit} of it even with the largest possible "
        "down payment.",
        "您现有的每月债务及住房支出（{obligations} 元）占收入比例过高：即使首付款达到最高，"
        "加上本车月供后仍将超过收入的 {limit}。",
    ),
    "pti_uncurable": (
        "The monthly payment would exceed {limit} of your income even with the largest possible down payment.",
        "即使首付款达到最高，月供仍将超过您月收入的 {limit}。",
    ),
    "ltv_uncurable": (
        "With a final balloon payment of CNY {balloon} the loan cannot be kept within {limit} of the vehicle price.",
        "由于尾款为 {balloon} 元，贷款金额无法控制在车价的 {limit} 以内。",
    ),
    # Limits a stipulation can cure, reported by how far over the limit they are.
    "pti_too_high": (
        "The monthly payment of CNY {payment} would be {pti} of your income; the limit is {limit}.",
        "月供 {payment} 元将占您月收入的 {pti}，超过上限 {limit}。",
    ),
    "dti_too_high": (
        "Your monthly debts and housing costs with this payment would be {dti} of your income; the limit is {limit}.",
        "加上本车月供后，您每月的债务及住房支出将占收入的 {dti}，超过上限 {limit}。",
    ),
    "ltv_too_high": (
        "The loan of CNY {amount_financed} would be {ltv} of the vehicle price; the limit is {limit}.",
        "贷款金额 {amount_financed} 元将达到车价的 {ltv}，超过上限 {limit}。",
    ),
    "term_too_long": (
        "The term of {term_months} months is longer than the maximum of {limit} months.",
        "贷款期限 {term_months} 个月超过最长期限 {limit} 个月。",
    ),
}

STIPULATIONS: Mapping[str, tuple[str, str]] = {
    "minimum_down_payment": (
        "Make a down payment of at least CNY {amount}.",
        "首付款须不低于 {amount} 元。",
    ),
    "maximum_term": (
        "Choose a term of at most {months} months.",
        "贷款期限须不超过 {months} 个月。",
    ),
}

# What people who may not see the applicant's income read instead (store staff, the review queue, a stored
# replay): the same reason without the figures that payment ÷ ratio would turn back into the income. pti_uncurable
# shows only the limit, so its words stay; its detail (the exact ratio) goes.
MASKED_REASONS: Mapping[str, tuple[str, str]] = {
    "no_income": (
        "No monthly income was stated; a loan needs income to repay it from.",
        "申请中未填写月收入，无法确认还款来源。",
    ),
    "pti_too_high": (
        "The monthly payment would be more than {limit} of your income.",
        "月供将超过您月收入的 {limit}。",
    ),
    "dti_too_high": (
        "Your monthly debts and housing costs with this payment would be more than {limit} of your income.",
        "加上本车月供后，您每月的债务及住房支出将超过收入的 {limit}。",
    ),
    "dti_uncurable": (
        "Your existing monthly debts and housing costs leave too little of your income: with a payment on this "
        "vehicle they would exceed {limit} of it even with the largest possible down payment.",
        "您现有的每月债务及住房支出占收入比例过高：即使首付款达到最高，加上本车月供后仍将超过收入的 {limit}。",
    ),
}
INCOME_DERIVED_REASONS = frozenset({*MASKED_REASONS, "pti_uncurable"})
# The cure of a PTI or DTI breach is solved from the income, so its amount is as telling as the ratio.
MASKED_STIPULATIONS: Mapping[str, tuple[str, str]] = {
    "minimum_down_payment": (
        "Make a larger down payment (the amount is shown to the applicant and to finance officers).",
        "须提高首付款（具体金额仅向申请人及金融专员显示）。",
    ),
}


def masked_reason_messages(code: str, message_en: str, message_zh: str, detail: Mapping[str, str]) -> tuple[str, str]:
    """The messages of a reason for someone who may not see the income: unchanged unless they quote it."""
    if code not in MASKED_REASONS:
        return message_en, message_zh
    limit = detail.get("limit")
    shown = show_percent(Decimal(limit)) if limit is not None else "?"
    english, chinese = MASKED_REASONS[code]
    return english.format(limit=shown), chinese.format(limit=shown)


_NOTICE: Mapping[str, str] = {
    "en": (
        "NOTICE OF ACTION TAKEN\n"
        "{provider}\n\n"
        "Dear {applicant},\n\n"
        "Thank you for applying to finance a vehicle with {provider}. We are unable to approve your "
        "application.\n\n"
        "The principal reasons for our decision:\n"
        "{reasons}\n\n"
        "Our decision was based in whole or in part on information from {bureau}. {bureau} did not make "
        "this decision and cannot explain why it was made.\n"
        "You have the right to a free copy of your credit report from {bureau} if you ask for it within "
        "60 days of receiving this notice, and the right to dispute with {bureau} the accuracy or "
        "completeness of any information in it.\n\n"
        "If you have questions about this decision, please contact {provider}.\n"
    ),
    "zh": (
        "贷款申请结果通知\n"
        "{provider}\n\n"
        "尊敬的{applicant}：\n\n"
        "感谢您向{provider}申请车辆贷款。很遗憾，我们无法批准您的申请。\n\n"
        "作出该决定的主要原因：\n"
        "{reasons}\n\n"
        "我们的决定全部或部分基于{bureau}提供的信息。该决定并非由{bureau}作出，{bureau}也无法说明作出该决定的原因。\n"
        "您有权在收到本通知后 60 日内向{bureau}免费获取一份本人信用报告，并有权就报告中任何信息的"
        "准确性或完整性向{bureau}提出异议。\n\n"
        "如对本决定有疑问，请联系{provider}。\n"
    ),
}
_LANGUAGES = {"en": "en", "zh": "zh", "zh-hans": "zh", "zh-cn": "zh"}


def reason(
    code: str,
    *,
    ratios: Mapping[str, Decimal] | None = None,
    money: Mapping[str, Decimal] | None = None,
    **plain: object,
) -> Reason:
    """A reason whose messages show `ratios` as percentages and `money` as amounts, the rest as written."""
    ratios, money = ratios or {}, money or {}
    detail = {key: str(value) for key, value in {**plain, **ratios}.items()}
    detail |= {key: str(round_money(value)) for key, value in money.items()}
    shown = {
        **detail,
        **{key: show_percent(value) for key, value in ratios.items()},
        **{key: show_money(value) for key, value in money.items()},
    }
    english, chinese = REASONS[code]
    return Reason(code, english.format(**shown), chinese.format(**shown), MappingProxyType(detail))


def minimum_down_payment(amount: Decimal) -> Stipulation:
    english, chinese = STIPULATIONS["minimum_down_payment"]
    shown = show_money(amount)
    return Stipulation(
        "minimum_down_payment", english.format(amount=shown), chinese.format(amount=shown), required_down_payment=amount
    )


def maximum_term(months: int) -> Stipulation:
    english, chinese = STIPULATIONS["maximum_term"]
    return Stipulation(
        "maximum_term", english.format(months=months), chinese.format(months=months), max_term_months=months
    )


def notice_language(language: str) -> str:
    """'en' or 'zh' for the language tags a caller may hold (en, zh, zh-Hans, zh_Hans, zh-CN)."""
    try:
        return _LANGUAGES[language.strip().lower().replace("_", "-")]
    except KeyError:
        raise ValueError(f"No adverse-action notice in language {language!r}; use 'en' or 'zh'.") from None


def notice_text(language: str, *, applicant: str, provider: str, bureau: str, reasons: Sequence[str]) -> str:
    numbered = "\n".join(f"  {number}. {reason}" for number, reason in enumerate(reasons, start=1))
    return _NOTICE[language].format(applicant=applicant, provider=provider, bureau=bureau, reasons=numbered)


def show_percent(ratio: Decimal) -> str:
    """0.3500 → '35%', 0.4237 → '42.37%' (exact: the ratio carries at most four decimals)."""
    return f"{(ratio * 100).normalize():f}%"


def show_money(amount: Decimal) -> str:
    """Half-up to the cent, with thousands separators: 23400 → '23,400.00' (templates add the currency)."""
    return f"{round_money(amount):,.2f}"
