"""Rate-program use cases: which programs apply to a car, the best one per product and term, residuals; and their
upkeep by the finance provider: list, create, new versions, retire. File import and export, and replacing residual
tables, are `import_export`'s.

Versions: a program is identified by its code. Changing it adds a version (version + 1, `is_current` moves to it) and
keeps the old row, so a stored quote still points at the terms it was made with; the same values again add
nothing. Retiring clears `is_current` (no version is current any more); creating the code again starts a new
version. Every change is audited in the caller's transaction. Nothing here commits.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from forecourt.audit import service as audit
from forecourt.catalog import service as catalog
from forecourt.core.errors import Conflict, FieldError, InvalidInput, NotFound
from forecourt.finance.calc.residuals import ResidualTable
from forecourt.finance.credit.service import rule_set
from forecourt.finance.models import DEFAULT_EXCESS_KM_RATE, FinanceProvider, RateProgram
from forecourt.finance.programs import files, repository
from forecourt.finance.programs.files import ProgramFields
from forecourt.finance.programs.messages import MESSAGES
from forecourt.finance.programs.residual_files import ResidualRow

ANY_TIER = "*"


def default_provider(session: Session) -> FinanceProvider:
    provider = repository.default_provider(session)
    if provider is None:
        raise NotFound("No finance provider is set up yet", code="no_finance_provider")
    return provider


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
    rows = repository.current_programs(
        session,
        provider_id=provider.id,
        model_code=model_code,
        trim_code=trim_code,
        on=on,
        product=product,
        term_months=term_months,
    )
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


# --- maintaining programs ---------------------------------------------------------------------------------------------

PROGRAM_OBJECT = "rate_program"


@dataclass(frozen=True)
class ProgramFilters:
    product: str | None = None
    model_code: str | None = None
    term_months: int | None = None
    tier: str | None = None
    on: date | None = None


def fields_of(program: RateProgram) -> ProgramFields:
    values = {name: getattr(program, name) for name in files.PROGRAM_COLUMNS}
    if program.product not in files.EXCESS_KM_PRODUCTS:
        values["excess_km_rate"] = None  # the column's default is stored, but only leases have the charge
    return ProgramFields(**values)


def list_programs(
    session: Session, filters: ProgramFilters = ProgramFilters(), provider: FinanceProvider | None = None
) -> Sequence[RateProgram]:
    """The current version of every program (retired ones are left out), filtered. A model filter keeps the
    programs for every model, a tier filter those for every tier, `on` those valid that day."""
    if filters.product is not None and filters.product not in files.PRODUCTS:
        raise InvalidInput(
            "Unknown product",
            code="invalid_filter",
            errors=[FieldError("product", MESSAGES["product"], filters.product)],
        )
    provider = provider or repository.default_provider(session)
    if provider is None:
        return []  # no provider set up yet: no programs
    return repository.list_current_programs(
        session,
        provider_id=provider.id,
        product=filters.product,
        model_code=filters.model_code,
        term_months=filters.term_months,
        tier=filters.tier,
        on=filters.on,
    )


def program_versions(session: Session, code: str, provider: FinanceProvider | None = None) -> Sequence[RateProgram]:
    """Every version of a program, newest first; NotFound when the code was never used."""
    provider = provider or default_provider(session)
    versions = repository.program_versions(session, provider.id, code)
    if not versions:
        raise NotFound(f"No rate program {code!r}", code="program_not_found")
    return versions


def current_program(session: Session, code: str, provider: FinanceProvider | None = None) -> RateProgram:
    versions = program_versions(session, code, provider)
    if not versions[0].is_current:
        raise NotFound(f"Rate program {code!r} is retired; create it again to reinstate it", code="program_retired")
    return versions[0]


def _invalid(problems: Sequence[tuple[str, str]], values: Mapping[str, object]) -> InvalidInput:
    summary = "; ".join(f"{column}: {message}" for column, message in problems)
    return InvalidInput(
        f"The rate program was not saved: {summary}",
        code="invalid_program",
        errors=[FieldError(column, message, _shown(values.get(column))) for column, message in problems],
    )


def _shown(value: object) -> object:
    return None if value is None or value == "" else str(value)


@dataclass(frozen=True)
class ProgramCatalog:
    """Model codes with their trim codes, and the provider's credit tiers, to check references against."""

    trims: Mapping[str, frozenset[str]]
    tiers: frozenset[str]

    @classmethod
    def load(cls, session: Session, provider: FinanceProvider) -> ProgramCatalog:
        trims = {model.code: frozenset(trim.code for trim in model.trims) for model in catalog.list_models(session)}
        return cls(trims, frozenset(tier.name for tier in rule_set(provider).tiers))

    def program_problems(self, program: ProgramFields) -> list[tuple[str, str]]:
        problems = []
        if program.model_code is not None and program.model_code not in self.trims:
            problems.append(("model_code", MESSAGES["unknown_model"]))
        elif program.trim_code is not None and program.trim_code not in self.trims.get(program.model_code or "", ()):
            problems.append(("trim_code", MESSAGES["unknown_trim"]))
        if program.credit_tier != files.ANY_TIER and program.credit_tier not in self.tiers:
            problems.append(("credit_tier", MESSAGES["unknown_tier"]))
        return problems


def check_program_input(
    session: Session, values: Mapping[str, object], provider: FinanceProvider | None = None
) -> ProgramFields:
    """Read and check a program given as text or typed values; InvalidInput lists every field's problem."""
    provider = provider or default_provider(session)
    program, problems = files.parse_program(values)
    if program is not None and not problems:
        problems = ProgramCatalog.load(session, provider).program_problems(program)
    if program is None or problems:
        raise _invalid(problems, values)
    return program


def add_version(
    session: Session, provider: FinanceProvider, program: ProgramFields, version: int, actor: int | None
) -> RateProgram:
    values = program.values()
    if values["excess_km_rate"] is None:  # a product without the charge stores the column's default
        values["excess_km_rate"] = DEFAULT_EXCESS_KM_RATE
    row = RateProgram(provider_id=provider.id, version=version, is_current=True, created_by=actor, **values)
    session.add(row)
    session.flush()
    return row


def version_changes(before: ProgramFields, after: ProgramFields) -> dict[str, list[str]]:
    old, new = files.program_cells(before), files.program_cells(after)
    return {name: [old[name], new[name]] for name in files.PROGRAM_COLUMNS if old[name] != new[name]}


def create_program(session: Session, values: Mapping[str, object], *, actor: int | None) -> RateProgram:
    """A new program (version 1), or a retired code reinstated as its next version. A current code is a 409."""
    provider = default_provider(session)
    program = check_program_input(session, values, provider)
    versions = repository.program_versions(session, provider.id, program.code)
    if versions and versions[0].is_current:
        raise Conflict(
            f"Rate program {program.code!r} exists already; change it with PUT (a new version)",
            code="program_exists",
            errors=[FieldError("code", "This code is taken by a current program.")],
        )
    row = add_version(session, provider, program, versions[0].version + 1 if versions else 1, actor)
    audit.record(
        session,
        actor,
        "finance.program_created",
        PROGRAM_OBJECT,
        program.code,
        version=row.version,
        values=files.program_cells(program),
    )
    return row


def new_version(
    session: Session, code: str, values: Mapping[str, object], *, actor: int | None
) -> tuple[RateProgram, bool]:
    """Change a current program: a new version with `values` (the code must stay), unless nothing changed.
    Returns the current version and whether it is new."""
    provider = default_provider(session)
    current = current_program(session, code, provider)
    given_code = values.get("code")
    if given_code not in (None, "") and str(given_code).strip() != code:
        raise InvalidInput(
            "The code names the program and cannot change; create a new program instead",
            code="invalid_program",
            errors=[FieldError("code", "The code of a program cannot change.")],
        )
    program = check_program_input(session, {**values, "code": code}, provider)
    before = fields_of(current)
    if program == before:
        return current, False
    current.is_current = False
    session.flush()
    row = add_version(session, provider, program, current.version + 1, actor)
    audit.record(
        session,
        actor,
        "finance.program_versioned",
        PROGRAM_OBJECT,
        code,
        version=row.version,
        previous_version=current.version,
        changes=version_changes(before, program),
    )
    return row, True


def retire_program(session: Session, code: str, *, actor: int | None) -> RateProgram:
    """No version is current any more: new quotes cannot use it; stored quotes keep their version."""
    provider = default_provider(session)
    current = current_program(session, code, provider)
    current.is_current = False
    session.flush()
    audit.record(session, actor, "finance.program_retired", PROGRAM_OBJECT, code, version=current.version)
    return current


# --- residual tables --------------------------------------------------------------------------------------------------


def residual_rows(session: Session, provider: FinanceProvider | None = None) -> list[ResidualRow]:
    provider = provider or repository.default_provider(session)
    if provider is None:
        return []
    return [
        ResidualRow(r.model_code, r.term_months, r.annual_mileage, r.residual_percent)
        for r in repository.residuals(session, provider.id)
    ]
