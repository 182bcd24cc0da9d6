"""Finance rows for tests: a provider with loan, balloon, lease and lease-to-own programs and residuals."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from forecourt.finance.models import FinanceProvider, RateProgram, ResidualValue

VALID_FROM, VALID_TO = date(2026, 1, 1), date(2027, 12, 31)


def make_provider(session: Session, code: str = "ford-credit", rules: dict | None = None) -> FinanceProvider:
    provider = FinanceProvider(
        code=code,
        name_en="Ford Automotive Finance (China)",
        name_zh="福特汽车金融（中国）",
        underwriting_rules=rules or {},
        bureau="demo-bureau",
    )
    session.add(provider)
    session.flush()
    return provider


def make_program(
    session: Session, provider: FinanceProvider, code: str, product: str, term: int, rate: str, **fields: object
) -> RateProgram:
    program = RateProgram(
        provider_id=provider.id,
        code=code,
        version=1,
        is_current=True,
        product=product,
        name_en=fields.pop("name_en", code),
        name_zh=fields.pop("name_zh", code),
        term_months=term,
        annual_rate=Decimal(rate),
        valid_from=VALID_FROM,
        valid_to=VALID_TO,
        **fields,
    )
    session.add(program)
    session.flush()
    return program


def make_standard_programs(session: Session, provider: FinanceProvider, model_code: str | None = None) -> dict:
    """Loans for 12-60 months, a 36-month balloon, a 36-month lease and a 36-month lease-to-own."""
    programs = {
        f"loan-{term}": make_program(
            session,
            provider,
            f"loan-{term}",
            "loan",
            term,
            "0.0499",
            model_code=model_code,
            min_down_percent=Decimal("0.20"),
        )
        for term in (12, 24, 36, 48, 60)
    }
    programs["balloon-36"] = make_program(
        session,
        provider,
        "balloon-36",
        "balloon",
        36,
        "0.0399",
        model_code=model_code,
        min_down_percent=Decimal("0.20"),
        max_balloon_percent=Decimal("0.40"),
    )
    programs["lease-36"] = make_program(
        session,
        provider,
        "lease-36",
        "lease",
        36,
        "0.0360",
        model_code=model_code,
        money_factor=Decimal("0.00150"),
        fee=Decimal("3000.00"),
        disposition_fee=Decimal("2000.00"),
    )
    programs["lto-36"] = make_program(
        session,
        provider,
        "lto-36",
        "lease_to_own",
        36,
        "0.0550",
        model_code=model_code,
        min_down_percent=Decimal("0.10"),
        purchase_price=Decimal("1.00"),
    )
    return programs


def make_residuals(session: Session, provider: FinanceProvider, model_code: str) -> None:
    for term, percents in ((24, ("0.62", "0.58")), (36, ("0.55", "0.50")), (48, ("0.47", "0.42"))):
        for mileage, percent in zip((10_000, 20_000), percents):
            session.add(
                ResidualValue(
                    provider_id=provider.id,
                    model_code=model_code,
                    term_months=term,
                    annual_mileage=mileage,
                    residual_percent=Decimal(percent),
                )
            )
    session.flush()
