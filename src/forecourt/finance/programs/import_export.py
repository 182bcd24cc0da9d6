"""Rate programs and residual tables in bulk: file import and export, saving a set of programs (the demo's, an
import's), replacing residual tables. All or nothing: a file with any problem raises FileRejected listing every
one, and nothing is written. Every change is audited in the caller's transaction. Nothing here commits.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from forecourt.audit import service as audit
from forecourt.catalog import service as catalog
from forecourt.core.errors import FieldError, InvalidInput
from forecourt.core.problem_reports import SHOWN_PROBLEMS, bounded_problem_extra
from forecourt.finance.calc.residuals import ResidualTable, ResidualTableError
from forecourt.finance.models import FinanceProvider, ResidualValue
from forecourt.finance.programs import files, repository, residual_files
from forecourt.finance.programs.file_formats import FileFormatError, Parsed, Problem, canonical_decimal, detect_format
from forecourt.finance.programs.files import ProgramFields
from forecourt.finance.programs.messages import MESSAGES
from forecourt.finance.programs.residual_files import ResidualRow
from forecourt.finance.programs.service import (
    PROGRAM_OBJECT,
    ProgramCatalog,
    add_version,
    default_provider,
    fields_of,
    list_programs,
    residual_rows,
    version_changes,
)


class FileRejected(InvalidInput):
    """A file with problems: nothing of it was written; `extra` lists the first ones with their lines and counts
    them all; `problems` keeps every one (for the page and the CLI)."""

    def __init__(self, what: str, problems: Sequence[Problem]) -> None:
        codes = {message: code for code, message in MESSAGES.items()}
        super().__init__(
            f"The {what} file was not imported: {len(problems)} problem(s), the first {SHOWN_PROBLEMS} listed in "
            "`problems` and all counted in `problem_counts`; nothing was changed",
            code="file_rejected",
            errors=[
                FieldError(p.column or "file", f"line {p.line}: {p.message}" if p.line else p.message)
                for p in problems[:SHOWN_PROBLEMS]
            ],
            extra=bounded_problem_extra(
                problems,
                lambda p: {"line": p.line, "column": p.column, "key": p.key or None, "message": p.message},
                lambda p: (codes.get(p.message, "invalid_value"), p.column),
            ),
        )
        self.problems = list(problems)


def file_format(explicit: str | None, filename: str | None = None, content_type: str | None = None) -> str:
    try:
        return detect_format(explicit, filename, content_type)
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


def _read(parse: Any, what: str, data: bytes, fmt: str) -> Parsed:
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
    known = ProgramCatalog.load(session, provider)
    problems = list(parsed.problems)
    for line, program in parsed.rows:
        problems.extend(
            Problem(line, column, message, program.code) for column, message in known.program_problems(program)
        )
    if problems:
        raise FileRejected("rate program", sorted(problems, key=lambda p: p.line or 0))
    return save_programs(
        session,
        [program for _, program in parsed.rows],
        actor=actor,
        provider=provider,
        via=f"import:{fmt}",
        checked=True,
    )


def save_programs(
    session: Session,
    rows: Sequence[ProgramFields],
    *,
    actor: int | None,
    provider: FinanceProvider | None = None,
    via: str = "",
    checked: bool = False,
) -> ProgramImport:
    """Create or version each program (by code) unless its current version has the same values; InvalidInput
    (nothing written) when any program refers to an unknown model, trim or tier or breaks a rule."""
    provider = provider or default_provider(session)
    if not checked:
        known = ProgramCatalog.load(session, provider)
        problems = [
            Problem(None, column, message, program.code)
            for program in rows
            for column, message in files.check_program(program) + known.program_problems(program)
        ]
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
            row = add_version(session, provider, program, current.version + 1, actor)
            audit.record(
                session,
                actor,
                "finance.program_versioned",
                PROGRAM_OBJECT,
                program.code,
                version=row.version,
                previous_version=current.version,
                changes=version_changes(fields_of(current), program),
                via=via,
            )
            result.updated.append(program.code)
        else:
            row = add_version(session, provider, program, versions[0].version + 1 if versions else 1, actor)
            audit.record(
                session,
                actor,
                "finance.program_created",
                PROGRAM_OBJECT,
                program.code,
                version=row.version,
                values=files.program_cells(program),
                via=via,
            )
            result.created.append(program.code)
    if result.created or result.updated:
        audit.record(
            session,
            actor,
            "finance.programs_imported",
            PROGRAM_OBJECT,
            None,
            via=via,
            created=len(result.created),
            updated=len(result.updated),
            unchanged=len(result.unchanged),
        )
    return result


def export_programs(session: Session, fmt: str) -> bytes:
    """Every current program as a canonical CSV or YAML file (importing it back changes nothing)."""
    return files.format_programs([fields_of(p) for p in list_programs(session)], fmt)


# --- residual tables --------------------------------------------------------------------------------------------------


@dataclass
class ResidualImport:
    replaced: list[str] = field(default_factory=list)  # model codes whose rows were replaced
    unchanged: list[str] = field(default_factory=list)
    rows: int = 0


def import_residuals(session: Session, data: bytes, fmt: str, *, actor: int | None) -> ResidualImport:
    """Replace the residual rows of every model in the file with the file's rows (models not in the file keep
    theirs), or nothing: any problem (a bad value, a duplicate, more kilometres with a higher residual, an unknown
    model) raises FileRejected listing them all. A model whose rows are the same is left alone."""
    parsed = _read(residual_files.parse_residuals, "residual", data, fmt)
    provider = default_provider(session)
    models = {model.code for model in catalog.list_models(session)}
    problems = list(parsed.problems)
    problems.extend(
        Problem(line, "model_code", MESSAGES["unknown_model"], row.model_code)
        for line, row in parsed.rows
        if row.model_code not in models
    )
    if problems:
        raise FileRejected("residual", sorted(problems, key=lambda p: p.line or 0))
    return replace_residuals(session, [row for _, row in parsed.rows], actor=actor, provider=provider)


def replace_residuals(
    session: Session, rows: Sequence[ResidualRow], *, actor: int | None, provider: FinanceProvider | None = None
) -> ResidualImport:
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
            session.add(
                ResidualValue(
                    provider_id=provider.id,
                    model_code=model,
                    term_months=term,
                    annual_mileage=mileage,
                    residual_percent=percent,
                )
            )
        session.flush()
        audit.record(
            session,
            actor,
            "finance.residuals_replaced",
            "residual_table",
            model_code,
            before=_residual_details(before),
            after=_residual_details(table),
        )
        result.replaced.append(model_code)
    return result


def _residual_details(table: Mapping[tuple[str, int, int], Decimal]) -> list[list[Any]]:
    return [[term, mileage, canonical_decimal(percent)] for (_, term, mileage), percent in sorted(table.items())]


def export_residuals(session: Session, fmt: str) -> bytes:
    return residual_files.format_residuals(residual_rows(session), fmt)
