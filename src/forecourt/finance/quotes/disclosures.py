"""Disclosure boxes of a quote, as plain JSON-able dicts with bilingual labels (pure: no ORM, no web).

- `truth_in_lending`: the Regulation Z (12 CFR 1026.18) federal box of a loan or balloon loan: annual percentage
  rate, finance charge, amount financed, total of payments, total sale price, and the payment schedule (number,
  amount and when, the balloon as its own line).
  Financed fees are prepaid finance charges (§1026.4): the disclosed amount financed is the note principal less
  them, so total of payments = amount financed + finance charge holds to the cent.
- `regulation_m`: the segregated box of a closed-end lease (12 CFR 1013.4), one line per figure of
  `finance.calc.lease.LeaseQuote`.
- `china_loan` / `china_lease` / `china_lease_to_own`: what PBOC Announcement [2021] No. 3 asks a Chinese lender to
  show: the comprehensive annualised rate (综合年化利率, IRR method, fees included) and, for loans, the flat-rate
  equivalent (费率) a dealer would quote.
- `cash`: the price, for the side-by-side comparison.

Every box is `{"kind", "title": {"en", "zh"}, "currency", "fields": [...], "schedule": [...]}`; a field is
`{"key", "label": {"en", "zh"}, "help": {"en", "zh"}, "unit": "money" | "percent" | "months" | "km" | "text",
"value": str}`. Money is a string with exactly two decimals ("1234.50"), percentages are percent with two
decimals ("5.23" for 5.23 %).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from forecourt.core.money import round_money
from forecourt.finance.calc.lease import LeaseQuote
from forecourt.finance.calc.lease_to_own import LeaseToOwnQuote
from forecourt.finance.calc.loan import LoanQuote, ScheduleRow

CENT = Decimal("0.01")
Box = dict[str, Any]


def money(amount: Decimal) -> str:
    """A money figure as disclosed: half up to the cent, always two decimals."""
    return f"{round_money(Decimal(amount)):.2f}"


def percent(rate: Decimal) -> str:
    """A rate fraction as a percent with two decimals, half up (Decimal("0.05234") → "5.23")."""
    return f"{(Decimal(rate) * 100).quantize(CENT, ROUND_HALF_UP):.2f}"


def _label(en: str, zh: str) -> dict[str, str]:
    return {"en": en, "zh": zh}


def _field(key: str, en: str, zh: str, value: str, unit: str = "money", help_en: str = "", help_zh: str = "") -> dict:
    return {"key": key, "label": _label(en, zh), "help": _label(help_en, help_zh), "unit": unit, "value": value}


def _box(kind: str, en: str, zh: str, currency: str, fields: list[dict], schedule: list[dict] | None = None) -> Box:
    return {"kind": kind, "title": _label(en, zh), "currency": currency, "fields": fields, "schedule": schedule or []}


def _under_us_law(currency: str) -> bool:
    """A US federal disclosure is named after its law only on a US-dollar quote; the same figures on a CNY quote
    are the lender's own disclosure, and naming a US act there would mislead the reader."""
    return currency.upper() == "USD"


def payment_schedule(schedule: Sequence[ScheduleRow], balloon: Decimal) -> list[dict]:
    """Runs of equal monthly payments (number, amount, first and last month), then the balloon on its own line.

    The last regular payment absorbs the rounding, so it is usually a run of one."""
    runs: list[dict] = []
    for row in schedule:
        if runs and runs[-1]["amount"] == money(row.payment) and runs[-1]["last_month"] == row.period - 1:
            runs[-1]["count"] += 1
            runs[-1]["last_month"] = row.period
        else:
            runs.append(
                {
                    "count": 1,
                    "amount": money(row.payment),
                    "first_month": row.period,
                    "last_month": row.period,
                    "balloon": False,
                }
            )
    if balloon > 0 and schedule:
        last = schedule[-1].period
        runs.append({"count": 1, "amount": money(balloon), "first_month": last, "last_month": last, "balloon": True})
    for run in runs:
        run["label"] = _schedule_label(run)
    return runs


def _schedule_label(run: dict) -> dict[str, str]:
    if run["balloon"]:
        return _label(
            f"Balloon payment, due with payment {run['last_month']}", f"尾款，与第{run['last_month']}期一并支付"
        )
    if run["count"] == 1:
        return _label(f"Monthly payment {run['first_month']}", f"第{run['first_month']}期月供")
    return _label(
        f"Monthly, payments {run['first_month']} to {run['last_month']}",
        f"每月，第{run['first_month']}至{run['last_month']}期",
    )


def schedule_total(schedule: Sequence[dict]) -> Decimal:
    """Σ number × amount over the schedule lines (the balloon included): the total of payments."""
    return sum((Decimal(run["amount"]) * run["count"] for run in schedule), Decimal("0.00"))


def truth_in_lending(
    loan: LoanQuote, *, apr: Decimal, prepaid_finance_charge: Decimal, down_payment: Decimal, currency: str
) -> Box:
    """The Reg Z box. `apr` is a fraction (apr.apr's answer); `prepaid_finance_charge` the fees financed or paid
    up front because of the credit; the disclosed amount financed is the note principal less them."""
    amount_financed = loan.amount_financed - prepaid_finance_charge
    schedule = payment_schedule(loan.schedule, loan.balloon)
    fields = [
        _field(
            "annual_percentage_rate",
            "Annual percentage rate",
            "年化百分率（APR）",
            percent(apr),
            "percent",
            "The cost of your credit as a yearly rate.",
            "以年利率表示的信贷成本。",
        ),
        _field(
            "finance_charge",
            "Finance charge",
            "融资费用",
            money(loan.finance_charge),
            "money",
            "The amount the credit will cost you, in the currency of the loan.",
            "这笔信贷将花费您的金额（以贷款币种计）。",
        ),
        _field(
            "amount_financed",
            "Amount financed",
            "融资金额",
            money(amount_financed),
            "money",
            "The amount of credit provided to you or on your behalf.",
            "向您或代您提供的信贷金额。",
        ),
        _field(
            "total_of_payments",
            "Total of payments",
            "还款总额",
            money(loan.total_of_payments),
            "money",
            "The amount you will have paid after you have made all payments as scheduled.",
            "按计划还清全部款项后您将支付的金额。",
        ),
        _field(
            "total_sale_price",
            "Total sale price",
            "总售价",
            money(down_payment + loan.total_of_payments),
            "money",
            "The total cost of your purchase on credit, including your down payment.",
            "以信贷购车的总成本，含首付款。",
        ),
        _field("down_payment", "Down payment", "首付款", money(down_payment)),
        _field("number_of_payments", "Number of payments", "还款期数", str(loan.term_months), "months"),
    ]
    kind_en = "Balloon loan" if loan.balloon > 0 else "Loan"
    kind_zh = "弹性尾款贷款" if loan.balloon > 0 else "贷款"
    title = "Truth-in-Lending disclosure" if _under_us_law(currency) else "Loan disclosure"
    return _box(
        "truth_in_lending",
        f"{title} ({kind_en})",
        f"贷款信息披露（{kind_zh}）",
        currency,
        fields,
        schedule,
    )


def regulation_m(lease: LeaseQuote, *, currency: str, residual_percent: Decimal | None = None) -> Box:
    """The Reg M box: every figure of the LeaseQuote, in the order of the model form (Appendix A-2)."""
    fields = [
        _field("due_at_signing", "Amount due at lease signing", "签约时应付金额", money(lease.due_at_signing)),
        _field(
            "total_monthly_payment",
            "Monthly payments",
            "月租金",
            money(lease.total_monthly_payment),
            "money",
            f"{lease.term_months} payments, the first due at signing.",
            f"共{lease.term_months}期，首期于签约时支付。",
        ),
        _field(
            "total_of_payments",
            "Total of payments",
            "付款总额",
            money(lease.total_of_payments),
            "money",
            "The amount you will have paid by the end of the lease.",
            "租期结束时您已支付的总额。",
        ),
        _field("gross_capitalized_cost", "Gross capitalized cost", "资本化总成本", money(lease.gross_capitalized_cost)),
        _field(
            "capitalized_cost_reduction",
            "Capitalized cost reduction",
            "资本化成本减免",
            money(lease.capitalized_cost_reduction),
        ),
        _field(
            "adjusted_capitalized_cost",
            "Adjusted capitalized cost",
            "调整后资本化成本",
            money(lease.adjusted_capitalized_cost),
        ),
        _field(
            "residual_value",
            "Residual value",
            "残值",
            money(lease.residual_value),
            "money",
            "The value of the vehicle at the end of the lease used in calculating your base monthly payment.",
            "租期结束时用于计算月租金的车辆价值。",
        ),
        _field("depreciation", "Depreciation and any amortized amounts", "折旧及摊销金额", money(lease.depreciation)),
        _field("rent_charge", "Rent charge", "租金费用", money(lease.rent_charge)),
        _field(
            "total_of_base_payments",
            "Total of base monthly payments",
            "基本月租金总额",
            money(lease.total_of_base_payments),
        ),
        _field("term_months", "Lease term", "租期", str(lease.term_months), "months"),
        _field("base_monthly_payment", "Base monthly payment", "基本月租金", money(lease.base_monthly_payment)),
        _field("monthly_tax", "Monthly sales/use tax", "每月税费", money(lease.monthly_tax)),
        _field("upfront_tax", "Tax paid up front", "预付税费", money(lease.upfront_tax)),
        _field("capitalized_tax", "Capitalized tax", "资本化税费", money(lease.capitalized_tax)),
        _field(
            "mileage_allowance_total",
            "Mileage allowance over the term",
            "租期内里程额度",
            str(lease.mileage_allowance_total),
            "km",
        ),
        _field(
            "excess_mileage_rate",
            "Excess mileage charge per km",
            "超里程费（每公里）",
            money(lease.excess_mileage_rate),
        ),
        _field("disposition_fee", "Disposition fee at lease end", "租期结束处置费", money(lease.disposition_fee)),
        _field(
            "equivalent_rate",
            "Lease rate (money factor × 2400), not an APR",
            "租赁费率（租赁因子×2400），非年化百分率",
            f"{Decimal(lease.equivalent_apr).quantize(CENT, ROUND_HALF_UP):.2f}",
            "percent",
        ),
    ]
    if residual_percent is not None:
        fields.insert(
            7,
            _field(
                "residual_percent",
                "Residual value, share of MSRP",
                "残值率（占厂商指导价）",
                percent(residual_percent),
                "percent",
            ),
        )
    title = "Federal Consumer Leasing Act disclosure" if _under_us_law(currency) else "Lease disclosure"
    return _box("regulation_m", title, "租赁信息披露", currency, fields)


def china_loan(
    *,
    annualised_rate: Decimal,
    note_rate: Decimal,
    monthly_payment: Decimal,
    total_interest_and_fees: Decimal,
    flat_rate_equivalent: Decimal | None,
    currency: str,
) -> Box:
    """综合年化利率 (fees included, IRR method) beside the note rate and, for an equal-instalment loan, 费率."""
    fields = [
        _field(
            "annualised_rate",
            "Comprehensive annualised rate",
            "综合年化利率",
            percent(annualised_rate),
            "percent",
            "All interest and fees as a yearly rate (IRR method, PBOC Announcement [2021] No. 3).",
            "全部利息和费用折算的年化利率（内部收益率法，中国人民银行公告〔2021〕第3号）。",
        ),
        _field("note_rate", "Nominal annual interest rate", "名义年利率", percent(note_rate), "percent"),
        _field("monthly_payment", "Monthly payment", "月供", money(monthly_payment)),
        _field("total_interest_and_fees", "Total interest and fees", "利息及费用合计", money(total_interest_and_fees)),
    ]
    if flat_rate_equivalent is not None:
        fields.insert(
            1,
            _field(
                "flat_rate_equivalent",
                "Flat-rate equivalent (fees included)",
                "等效费率（含手续费）",
                percent(flat_rate_equivalent),
                "percent",
                "Yearly interest and fees as a share of the original loan, as dealers quote it.",
                "每年利息及费用占初始贷款本金的比例（经销商报价口径）。",
            ),
        )
    return _box("china", "Rate disclosure (China)", "利率披露", currency, fields)


def china_lease(*, annualised_rate: Decimal | None, currency: str) -> Box:
    fields = []
    if annualised_rate is not None:
        fields.append(
            _field(
                "annualised_rate",
                "Comprehensive annualised rate (residual as the final value)",
                "综合年化利率（以残值为期末价值）",
                percent(annualised_rate),
                "percent",
            )
        )
    return _box("china", "Rate disclosure (China)", "利率披露", currency, fields)


def china_lease_to_own(lease: LeaseToOwnQuote, *, down_payment: Decimal, fees_upfront: Decimal, currency: str) -> Box:
    """Direct financial lease (直租): rent, term, purchase price, everything paid, 综合年化利率."""
    fields = [
        _field(
            "annualised_rate",
            "Comprehensive annualised rate",
            "综合年化利率",
            percent(lease.annualised_rate),
            "percent",
            "All rent and fees as a yearly rate (IRR method).",
            "全部租金及费用折算的年化利率（内部收益率法）。",
        ),
        _field("down_payment", "Down payment", "首付款", money(down_payment)),
        _field("fees_upfront", "Fees paid up front", "预付手续费", money(fees_upfront)),
        _field("financed", "Amount financed", "融资金额", money(lease.financed)),
        _field("monthly_rent", "Monthly rent", "月租金", money(lease.monthly_rent)),
        _field("term_months", "Lease term", "租期", str(lease.term_months), "months"),
        _field("purchase_price", "Purchase price at the end (留购价)", "留购价", money(lease.purchase_price)),
        _field(
            "total_cost",
            "Total paid",
            "支付总额",
            money(lease.total_cost),
            "money",
            "Down payment, fees, every rent and the purchase price.",
            "首付款、手续费、全部租金及留购价。",
        ),
    ]
    return _box("china", "Lease-to-own disclosure (直租)", "直租信息披露", currency, fields)


def cash(*, price: Decimal, currency: str) -> Box:
    return _box(
        "cash",
        "Cash purchase",
        "全款购车",
        currency,
        [
            _field("price", "Price", "价格", money(price)),
            _field("total_cost", "Total cost", "总成本", money(price)),
        ],
    )


def field_value(box: Box, key: str) -> str | None:
    """The value of one field of a box, or None."""
    return next((f["value"] for f in box["fields"] if f["key"] == key), None)
