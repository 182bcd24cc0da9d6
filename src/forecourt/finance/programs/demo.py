"""Demo finance data: the provider 福特汽车金融（中国） ("ford-credit") with 2018-style China programs for every demo
model and a residual table. Idempotent: programs go through the same versioning as an import (the same values add
nothing), residuals are replaced per model only when they differ. Nothing here commits.

Programs per model (codes `<product>-<term>-<model>`, valid 2026-01-01 to 2027-12-31):
- loans of 12, 24, 36, 48 and 60 months, 20 % down; 0 % for 12 months subsidised by Ford on the volume models,
  3.99–6.99 % otherwise; the plug-in hybrid trim (mondeo-energi-vignale) has its own loans at 15 % down (NEV);
- a 36-month balloon loan (弹性尾款): 4.99 %, 20 % down, balloon up to 40 %;
- a 36-month lease: money factor 0.0015 (3.6 %), CNY 3,000 acquisition fee, CNY 2,000 disposition fee, CNY 0.50
  per km over the allowance (the premium models more: EXCESS_KM_RATES);
- a 36-month lease-to-own (直租): 5.50 %, 20 % down, CNY 1,500 fee, purchase price CNY 1, CNY 0.50 per km over.
Residuals: 24, 36 and 48 months at 10,000 and 20,000 km a year.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from forecourt.catalog.demo_lineup import MODELS, ModelSpec
from forecourt.finance.models import FinanceProvider
from forecourt.finance.programs import import_export as programs_io
from forecourt.finance.programs import repository
from forecourt.finance.programs.files import DEFAULT_EXCESS_KM_RATE, EXCESS_KM_PRODUCTS, ProgramFields
from forecourt.finance.programs.residual_files import ResidualRow

PROVIDER_CODE = "ford-credit"
PROVIDER_NAME_EN = "Ford Automotive Finance (China)"
PROVIDER_NAME_ZH = "福特汽车金融（中国）"
VALID_FROM, VALID_TO = date(2026, 1, 1), date(2027, 12, 31)
LOAN_TERMS = (12, 24, 36, 48, 60)
NEV_TRIMS = {"mondeo": "mondeo-energi-vignale"}  # plug-in hybrid: 15 % minimum down payment
STANDARD_RATES = ("0.0399", "0.0449", "0.0499", "0.0599", "0.0699")  # 12 … 60 months
# Models with a Ford-subsidised 0 % 12-month loan, and the rates of the others (12 … 60 months).
ZERO_PERCENT_12 = frozenset({"escort", "focus", "mondeo", "kuga", "ecosport", "mkc", "continental"})
RATES = {
    "everest": ("0.0449", "0.0499", "0.0549", "0.0649", "0.0699"),
    "mustang": ("0.0499", "0.0549", "0.0599", "0.0649", "0.0699"),
    "navigator": ("0.0449", "0.0499", "0.0549", "0.0599", "0.0699"),
}
# Residual at 36 months and 10,000 km a year; 24 months adds 0.08, 48 months takes 0.08, 20,000 km takes 0.04.
RESIDUAL_36 = {
    "escort": "0.50",
    "focus": "0.50",
    "mondeo": "0.52",
    "taurus": "0.48",
    "kuga": "0.54",
    "ecosport": "0.50",
    "edge": "0.55",
    "explorer": "0.56",
    "everest": "0.55",
    "mustang": "0.58",
    "mkc": "0.52",
    "continental": "0.50",
    "navigator": "0.55",
}
# CNY per km over a lease's allowance where it is not the usual 0.50: the premium models lose more value per km.
EXCESS_KM_RATES = {"mustang": Decimal("1.00"), "continental": Decimal("0.80"), "navigator": Decimal("1.00")}
_ZERO = Decimal("0")
_NO_MONEY = Decimal("0.00")


def ensure_provider(session: Session) -> FinanceProvider:
    provider = repository.get_provider(session, PROVIDER_CODE)
    if provider is None:
        provider = FinanceProvider(
            code=PROVIDER_CODE,
            name_en=PROVIDER_NAME_EN,
            name_zh=PROVIDER_NAME_ZH,
            underwriting_rules={},
            bureau="demo-bureau",
        )
        session.add(provider)
        session.flush()
    return provider


def _program(
    code: str,
    product: str,
    name_en: str,
    name_zh: str,
    model: str,
    term: int,
    rate: str,
    *,
    trim: str | None = None,
    **terms: object,
) -> ProgramFields:
    values: dict[str, object] = {
        "money_factor": None,
        "subvention_rate": _ZERO,
        "subvention_by": "",
        "min_down_percent": Decimal("0.20"),
        "max_balloon_percent": _ZERO,
        "fee": _NO_MONEY,
        "cash_rebate": _NO_MONEY,
        "purchase_price": _NO_MONEY,
        "disposition_fee": _NO_MONEY,
        "excess_km_rate": EXCESS_KM_RATES.get(model, DEFAULT_EXCESS_KM_RATE) if product in EXCESS_KM_PRODUCTS else None,
    }
    values.update(terms)
    return ProgramFields(
        code=code,
        product=product,
        name_en=name_en,
        name_zh=name_zh,
        model_code=model,
        trim_code=trim,
        term_months=term,
        credit_tier="*",
        annual_rate=Decimal(rate),
        valid_from=VALID_FROM,
        valid_to=VALID_TO,
        **values,
    )  # type: ignore[arg-type]


def _loans(model: ModelSpec, *, trim: str | None = None) -> list[ProgramFields]:
    rates = RATES.get(model.code, STANDARD_RATES)
    suffix = trim or model.code
    en, zh = (
        (model.name_en, model.name_zh)
        if trim is None
        else (f"{model.name_en} plug-in hybrid", f"{model.name_zh} 插电混动")
    )
    down = Decimal("0.15") if trim else Decimal("0.20")
    loans = []
    for term, rate in zip(LOAN_TERMS, rates, strict=True):
        if term == 12 and model.code in ZERO_PERCENT_12:
            loans.append(
                _program(
                    f"loan-12-{suffix}",
                    "loan",
                    f"{en} 12-month 0% loan (Ford subsidised)",
                    f"{zh} 12期0利率贷款（厂家贴息）",
                    model.code,
                    12,
                    "0",
                    trim=trim,
                    min_down_percent=down,
                    subvention_rate=Decimal(rate),
                    subvention_by="oem",
                )
            )
        else:
            loans.append(
                _program(
                    f"loan-{term}-{suffix}",
                    "loan",
                    f"{en} {term}-month loan",
                    f"{zh} {term}期贷款",
                    model.code,
                    term,
                    rate,
                    trim=trim,
                    min_down_percent=down,
                )
            )
    return loans


def demo_programs() -> list[ProgramFields]:
    rows: list[ProgramFields] = []
    for model in MODELS:
        en, zh, code = model.name_en, model.name_zh, model.code
        rows += _loans(model)
        if code in NEV_TRIMS:
            rows += _loans(model, trim=NEV_TRIMS[code])
        rows.append(
            _program(
                f"balloon-36-{code}",
                "balloon",
                f"{en} 36-month balloon loan",
                f"{zh} 36期弹性尾款",
                code,
                36,
                "0.0499",
                max_balloon_percent=Decimal("0.40"),
            )
        )
        rows.append(
            _program(
                f"lease-36-{code}",
                "lease",
                f"{en} 36-month lease",
                f"{zh} 36期租赁",
                code,
                36,
                "0.036",
                money_factor=Decimal("0.0015"),
                min_down_percent=_ZERO,
                fee=Decimal("3000.00"),
                disposition_fee=Decimal("2000.00"),
            )
        )
        rows.append(
            _program(
                f"lto-36-{code}",
                "lease_to_own",
                f"{en} 36-month lease to own (CNY 1 buy-out)",
                f"{zh} 36期直租（1元购车）",
                code,
                36,
                "0.055",
                fee=Decimal("1500.00"),
                purchase_price=Decimal("1.00"),
            )
        )
    return rows


def demo_residuals() -> list[ResidualRow]:
    rows = []
    for model in MODELS:
        base = Decimal(RESIDUAL_36[model.code])
        for term, shift in ((24, Decimal("0.08")), (36, _ZERO), (48, Decimal("-0.08"))):
            for mileage, less in ((10_000, _ZERO), (20_000, Decimal("0.04"))):
                rows.append(ResidualRow(model.code, term, mileage, base + shift - less))
    return rows


def ensure_finance_demo(session: Session) -> str:
    """Create or bring up to date the demo provider, programs and residuals; returns a one-line summary."""
    provider = ensure_provider(session)
    saved = programs_io.save_programs(session, demo_programs(), actor=None, provider=provider, via="demo")
    residuals = programs_io.replace_residuals(session, demo_residuals(), actor=None, provider=provider)
    return (
        f"finance demo ({PROVIDER_CODE}): {len(saved.created)} programs created, {len(saved.updated)} updated, "
        f"{len(saved.unchanged)} unchanged; residuals of {len(residuals.replaced)} models set, "
        f"{len(residuals.unchanged)} unchanged"
    )
