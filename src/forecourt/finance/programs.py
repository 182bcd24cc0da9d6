"""Rate-program use cases: which programs apply to a car, the best one per product and term, residuals; and their
upkeep by the finance provider: list, create, new versions, retire, residual tables, file import and export.

Versions: a program is identified by its code. Changing it adds a version (version + 1, `is_current` moves to it) and
keeps the old row, so a stored quote still points at the terms it was made with; the same values again add
nothing. Retiring clears `is_current` (no version is current any more); creating the code again starts a new
version. Every change is audited in the caller's transaction. Nothing here commits.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from forecourt.audit import service as audit
from forecourt.catalog import service as catalog
from forecourt.core.errors import Conflict, FieldError, InvalidInput, NotFound
from forecourt.finance import program_files as files
from forecourt.finance import program_repository as repository
from forecourt.finance.calc.residuals import ResidualTable, ResidualTableError
from forecourt.finance.models import FinanceProvider, RateProgram, ResidualValue
from forecourt.finance.program_files import MESSAGES, FileFormatError, Problem, ProgramFields, ResidualRow
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
    return ProgramFields(**{name: getattr(program, name) for name in files.PROGRAM_COLUMNS})


def list_programs(session: Session, filters: ProgramFilters = ProgramFilters(),
                  provider: FinanceProvider | None = None) -> Sequence[RateProgram]:  # fmt: skip
    """The current version of every program (retired ones are left out), filtered. A model filter keeps the
    programs for every model, a tier filter those for every tier, `on` those valid that day."""
    if filters.product is not None and filters.product not in files.PRODUCTS:
        raise InvalidInput("Unknown product", code="invalid_filter",
                           errors=[FieldError("product", MESSAGES["product"], filters.product)])  # fmt: skip
    provider = provider or repository.default_provider(session)
    if provider is None:
        return []  # no provider set up yet: no programs
    return repository.list_current_programs(session, provider_id=provider.id, product=filters.product,
                                            model_code=filters.model_code, term_months=filters.term_months,
                                            tier=filters.tier, on=filters.on)  # fmt: skip


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
    return InvalidInput(f"The rate program was not saved: {summary}", code="invalid_program",
                        errors=[FieldError(column, message, _shown(values.get(column))) for column, message in problems])  # fmt: skip


def _shown(value: object) -> object:
    return None if value is None or value == "" else str(value)


@dataclass(frozen=True)
class _Catalog:
    """Model codes with their trim codes, and the provider's credit tiers, to check references against."""

    trims: Mapping[str, frozenset[str]]
    tiers: frozenset[str]

    @classmethod
    def load(cls, session: Session, provider: FinanceProvider) -> _Catalog:
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


def check_program_input(session: Session, values: Mapping[str, object],
                        provider: FinanceProvider | None = None) -> ProgramFields:  # fmt: skip
    """Read and check a program given as text or typed values; InvalidInput lists every field's problem."""
    provider = provider or default_provider(session)
    program, problems = files.parse_program(values)
    if program is not None and not problems:
        problems = _Catalog.load(session, provider).program_problems(program)
    if program is None or problems:
        raise _invalid(problems, values)
    return program


def _add_version(session: Session, provider: FinanceProvider, program: ProgramFields, version: int,
                 actor: int | None) -> RateProgram:  # fmt: skip
    row = RateProgram(provider_id=provider.id, version=version, is_current=True, created_by=actor, **program.values())
    session.add(row)
    session.flush()
    return row


def _changes(before: ProgramFields, after: ProgramFields) -> dict[str, list[str]]:
    old, new = files.program_cells(before), files.program_cells(after)
    return {name: [old[name], new[name]] for name in files.PROGRAM_COLUMNS if old[name] != new[name]}


def create_program(session: Session, values: Mapping[str, object], *, actor: int | None) -> RateProgram:
    """A new program (version 1), or a retired code reinstated as its next version. A current code is a 409."""
    provider = default_provider(session)
    program = check_program_input(session, values, provider)
    versions = repository.program_versions(session, provider.id, program.code)
    if versions and versions[0].is_current:
        raise Conflict(f"Rate program {program.code!r} exists already; change it with PUT (a new version)",
                       code="program_exists", errors=[FieldError("code", "This code is taken by a current program.")])  # fmt: skip
    row = _add_version(session, provider, program, versions[0].version + 1 if versions else 1, actor)
    audit.record(session, actor, "finance.program_created", PROGRAM_OBJECT, program.code, version=row.version,
                 values=files.program_cells(program))  # fmt: skip
    return row


def new_version(session: Session, code: str, values: Mapping[str, object], *, actor: int | None) -> tuple[RateProgram, bool]:
    """Change a current program: a new version with `values` (the code must stay), unless nothing changed.
    Returns the current version and whether it is new."""
    provider = default_provider(session)
    current = current_program(session, code, provider)
    given_code = values.get("code")
    if given_code not in (None, "") and str(given_code).strip() != code:
        raise InvalidInput("The code names the program and cannot change; create a new program instead",
                           code="invalid_program", errors=[FieldError("code", "The code of a program cannot change.")])  # fmt: skip
    program = check_program_input(session, {**values, "code": code}, provider)
    before = fields_of(current)
    if program == before:
        return current, False
    current.is_current = False
    session.flush()
    row = _add_version(session, provider, program, current.version + 1, actor)
    audit.record(session, actor, "finance.program_versioned", PROGRAM_OBJECT, code, version=row.version,
                 previous_version=current.version, changes=_changes(before, program))  # fmt: skip
    return row, True


def retire_program(session: Session, code: str, *, actor: int | None) -> RateProgram:
    """No version is current any more: new quotes cannot use it; stored quotes keep their version."""
    provider = default_provider(session)
    current = current_program(session, code, provider)
    current.is_current = False
    session.flush()
    audit.record(session, actor, "finance.program_retired", PROGRAM_OBJECT, code, version=current.version)
    return current


# --- program files ----------------------------------------------------------------------------------------------------


class FileRejected(InvalidInput):
    """A file with problems: nothing of it was written; `extra["problems"]` lists every one with its line."""

    def __init__(self, what: str, problems: Sequence[Problem]) -> None:
        listed = [{"line": p.line, "column": p.column, "key": p.key or None, "message": p.message} for p in problems]
        super().__init__(f"The {what} file was not imported: {len(problems)} problem(s), listed in `problems`; "
                         "nothing was changed", code="file_rejected",
                         errors=[FieldError(p.column or "file", f"line {p.line}: {p.message}" if p.line else p.message)
                                 for p in problems[:200]],
                         extra={"problems": listed})  # fmt: skip
        self.problems = list(problems)


def file_format(explicit: str | None, filename: str | None = None, content_type: str | None = None) -> str:
    try:
        return files.detect_format(explicit, filename, content_type)
    except FileFormatError as exc:
        raise InvalidInput(str(exc), code="unknown_format") from None


@dataclass
class ProgramImport:
    created: list[str] = field(default_factory=list)  # codes
    updated: list[str] = field(default_factory=list)  # codes given a new version
    unchanged: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.created) + len(self.updated) + len(self.unchanged)


def _read(parse: Any, what: str, data: bytes, fmt: str) -> files.Parsed:
    try:
        return parse(data, fmt)
    except FileFormatError as exc:
        raise FileRejected(what, [Problem(exc.line, exc.column, str(exc))]) from None


def import_programs(session: Session, data: bytes, fmt: str, *, actor: int | None) -> ProgramImport:
    """Create or version every program of the file, or nothing: a file with any problem raises FileRejected
    listing them all. A program whose values are unchanged is left alone (re-importing a file changes nothing).
    Programs that the file does not mention are left as they are."""
    provider = default_provider(session)
    parsed = _read(files.parse_programs, "rate program", data, fmt)
    known = _Catalog.load(session, provider)
    problems = list(parsed.problems)
    for line, program in parsed.rows:
        problems.extend(Problem(line, column, message, program.code) for column, message in known.program_problems(program))
    if problems:
        raise FileRejected("rate program", sorted(problems, key=lambda p: p.line or 0))
    return save_programs(session, [program for _, program in parsed.rows], actor=actor, provider=provider,
                         via=f"import:{fmt}", checked=True)


def save_programs(session: Session, rows: Sequence[ProgramFields], *, actor: int | None,
                  provider: FinanceProvider | None = None, via: str = "", checked: bool = False) -> ProgramImport:
    """Create or version each program (by code) unless its current version has the same values; InvalidInput
    (nothing written) when any program refers to an unknown model, trim or tier or breaks a rule."""
    provider = provider or default_provider(session)
    if not checked:
        known = _Catalog.load(session, provider)
        problems = [Problem(None, column, message, program.code) for program in rows
                    for column, message in files.check_program(program) + known.program_problems(program)]  # fmt: skip
        if problems:
            raise FileRejected("rate program", problems)
    existing = repository.programs_by_code(session, provider.id, [program.code for program in rows])
    result = ProgramImport()
    for program in rows:
        versions = existing[program.code]
        current = versions[0] if versions and versions[0].is_current else None
        if current is not None and fields_of(current) == program:
            result.unchanged.append(program.code)
            continue
        if current is not None:
            current.is_current = False
            session.flush()
            row = _add_version(session, provider, program, current.version + 1, actor)
            audit.record(session, actor, "finance.program_versioned", PROGRAM_OBJECT, program.code, version=row.version,
                         previous_version=current.version, changes=_changes(fields_of(current), program), via=via)  # fmt: skip
            result.updated.append(program.code)
        else:
            row = _add_version(session, provider, program, versions[0].version + 1 if versions else 1, actor)
            audit.record(session, actor, "finance.program_created", PROGRAM_OBJECT, program.code, version=row.version,
                         values=files.program_cells(program), via=via)  # fmt: skip
            result.created.append(program.code)
    if result.created or result.updated:
        audit.record(session, actor, "finance.programs_imported", PROGRAM_OBJECT, None, via=via,
                     created=len(result.created), updated=len(result.updated), unchanged=len(result.unchanged))  # fmt: skip
    return result


def export_programs(session: Session, fmt: str) -> bytes:
    """Every current program as a canonical CSV or YAML file (importing it back changes nothing)."""
    return files.format_programs([fields_of(p) for p in list_programs(session)], fmt)


# --- residual tables --------------------------------------------------------------------------------------------------


def residual_rows(session: Session, provider: FinanceProvider | None = None) -> list[ResidualRow]:
    provider = provider or repository.default_provider(session)
    if provider is None:
        return []
    return [ResidualRow(r.model_code, r.term_months, r.annual_mileage, r.residual_percent)
            for r in repository.residuals(session, provider.id)]  # fmt: skip


@dataclass
class ResidualImport:
    replaced: list[str] = field(default_factory=list)  # model codes whose rows were replaced
    unchanged: list[str] = field(default_factory=list)
    rows: int = 0


def import_residuals(session: Session, data: bytes, fmt: str, *, actor: int | None) -> ResidualImport:
    """Replace the residual rows of every model in the file with the file's rows (models not in the file keep
    theirs), or nothing: any problem (a bad value, a duplicate, more kilometres with a higher residual, an unknown
    model) raises FileRejected listing them all. A model whose rows are the same is left alone."""
    parsed = _read(files.parse_residuals, "residual", data, fmt)
    provider = default_provider(session)
    models = {model.code for model in catalog.list_models(session)}
    problems = list(parsed.problems)
    problems.extend(Problem(line, "model_code", MESSAGES["unknown_model"], row.model_code)
                    for line, row in parsed.rows if row.model_code not in models)  # fmt: skip
    if problems:
        raise FileRejected("residual", sorted(problems, key=lambda p: p.line or 0))
    return replace_residuals(session, [row for _, row in parsed.rows], actor=actor, provider=provider)


def replace_residuals(session: Session, rows: Sequence[ResidualRow], *, actor: int | None,
                      provider: FinanceProvider | None = None) -> ResidualImport:  # fmt: skip
    """Per model in `rows`: its residual rows become exactly these. Checked as a whole by ResidualTable."""
    provider = provider or default_provider(session)
    try:
        ResidualTable({row.key: row.residual_percent for row in rows})
    except ResidualTableError as exc:
        raise InvalidInput(f"The residual table was not saved: {exc}", code="invalid_residuals") from None
    current: dict[str, dict[tuple[str, int, int], Decimal]] = {}
    for row in residual_rows(session, provider):
        current.setdefault(row.model_code, {})[row.key] = row.residual_percent
    given: dict[str, dict[tuple[str, int, int], Decimal]] = {}
    for row in rows:
        given.setdefault(row.model_code, {})[row.key] = row.residual_percent
    result = ResidualImport(rows=len(rows))
    for model_code, table in sorted(given.items()):
        before = current.get(model_code, {})
        if before == table:
            result.unchanged.append(model_code)
            continue
        repository.delete_residuals(session, provider.id, model_code)
        for (model, term, mileage), percent in sorted(table.items()):
            session.add(ResidualValue(provider_id=provider.id, model_code=model, term_months=term,
                                      annual_mileage=mileage, residual_percent=percent))  # fmt: skip
        session.flush()
        audit.record(session, actor, "finance.residuals_replaced", "residual_table", model_code,
                     before=_residual_details(before), after=_residual_details(table))  # fmt: skip
        result.replaced.append(model_code)
    return result


def _residual_details(table: Mapping[tuple[str, int, int], Decimal]) -> list[list[Any]]:
    return [[term, mileage, files.canonical_decimal(percent)] for (_, term, mileage), percent in sorted(table.items())]


def export_residuals(session: Session, fmt: str) -> bytes:
    return files.format_residuals(residual_rows(session), fmt)

