"""Rate-program use cases: which programs apply to a car, the best one per product and term, residuals.

(Maintaining programs — new versions, import and export — is added alongside.)
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from forecourt.core.errors import NotFound
from forecourt.finance import program_repository as repository
from forecourt.finance.calc.residuals import ResidualTable
from forecourt.finance.models import FinanceProvider, RateProgram
from forecourt.finance.underwriting import RuleSet

ANY_TIER = "*"


def default_provider(session: Session) -> FinanceProvider:
    provider = repository.default_provider(session)
    if provider is None:
        raise NotFound("No finance provider is set up yet", code="no_finance_provider")
    return provider


def rule_set(provider: FinanceProvider) -> RuleSet:
    return RuleSet.from_mapping(provider.underwriting_rules) if provider.underwriting_rules else RuleSet.china_default()


def applicable_programs(
    session: Session,
    *,
    provider: FinanceProvider,
    model_code: str,
    trim_code: str | None,
    on: date,
    product: str | None = None,
    term_months: int | None = None,
    tier: str = ANY_TIER,
) -> list[RateProgram]:
    """Current programs for the car on that day, for the credit tier (a tier-specific program beats "*")."""
    rows = repository.current_programs(session, provider_id=provider.id, model_code=model_code, trim_code=trim_code,
                                       on=on, product=product, term_months=term_months)  # fmt: skip
    return [p for p in rows if p.credit_tier in (ANY_TIER, tier)]


def best_program(programs: Sequence[RateProgram]) -> RateProgram | None:
    """The most specific program (trim over model over all; a tier over "*"), then the lowest rate."""
    def rank(program: RateProgram) -> tuple[int, int, Decimal, int]:
        specificity = (program.trim_code is not None) * 2 + (program.model_code is not None)
        return (-specificity, program.credit_tier == ANY_TIER, program.annual_rate, program.id)

    return min(programs, key=rank, default=None)


def get_program(session: Session, program_id: int) -> RateProgram:
    program = repository.get_program(session, program_id)
    if program is None:
        raise NotFound(f"No rate program {program_id}", code="program_not_found")
    return program


def residual_table(session: Session, provider: FinanceProvider) -> ResidualTable:
    rows = repository.residual_table_rows(session, provider.id)
    return ResidualTable({(model, term, mileage): percent for model, term, mileage, percent in rows})
