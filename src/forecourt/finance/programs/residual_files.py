"""Residual values as files (pure: no web, no ORM): reading and checking a residual table's rows, and writing them
out canonically. CSV/YAML reading and writing are `file_formats`'; the messages are `messages.MESSAGES`.

A file is checked whole: bad values, a model/term/mileage given twice and more kilometres with a higher residual
are all listed, each with its line. Export is sorted by model, term and mileage, with residuals written without
trailing zeros, so exporting, importing and exporting again gives the same bytes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from forecourt.finance.programs.file_formats import (
    CATALOG_CODE,
    ERROR,
    BadValue,
    Parsed,
    Problem,
    canonical_decimal,
    decimal_value,
    fail,
    int_value,
    read_records,
    text_value,
    write_csv,
    write_yaml,
)
from forecourt.finance.programs.messages import MESSAGES

RESIDUAL_COLUMNS = ("model_code", "term_months", "annual_mileage", "residual_percent")
MILEAGE_MAX = 200_000


@dataclass(frozen=True)
class ResidualRow:
    model_code: str
    term_months: int
    annual_mileage: int
    residual_percent: Decimal

    @property
    def key(self) -> tuple[str, int, int]:
        return (self.model_code, self.term_months, self.annual_mileage)


_CHECKS: dict[str, Callable[[object], Any]] = {
    "model_code": lambda v: (
        text_value(v) if CATALOG_CODE.fullmatch(text_value(v)) and len(text_value(v)) <= 40 else fail("model_code")
    ),
    "term_months": lambda v: int_value(v) if 1 <= int_value(v) <= 120 else fail("term"),
    "annual_mileage": lambda v: int_value(v) if 1 <= int_value(v) <= MILEAGE_MAX else fail("mileage"),
    "residual_percent": lambda v: n if Decimal(0) < (n := decimal_value(v, 4, "residual")) < 1 else fail("residual"),
}


def parse_residual(raw: Mapping[str, object]) -> tuple[ResidualRow | None, list[tuple[str, str]]]:
    problems: list[tuple[str, str]] = []
    values: dict[str, Any] = {}
    for name, parse in _CHECKS.items():
        try:
            if text_value(raw.get(name)) == "" and not isinstance(raw.get(name), Decimal | int):
                raise BadValue("required")
            values[name] = parse(raw.get(name))
        except BadValue as exc:
            problems.append((name, MESSAGES[exc.message_key]))
    return (None, problems) if problems else (ResidualRow(**values), [])


def parse_residuals(data: bytes, file_format: str) -> Parsed:
    """Every residual row of a file and every problem, including duplicates and mileage inversions."""
    records, problems = read_records(data, file_format, "residuals", RESIDUAL_COLUMNS, RESIDUAL_COLUMNS)
    parsed = Parsed(problems=problems)
    first_line: dict[tuple[str, int, int], int] = {}
    for line, record in records:
        if ERROR in record:
            parsed.problems.append(Problem(line, None, str(record[ERROR])))
            continue
        row, found = parse_residual(record)
        key = text_value(record.get("model_code")) if isinstance(record.get("model_code"), str) else ""
        parsed.problems.extend(Problem(line, column, message, key) for column, message in found)
        if row is None:
            continue
        if row.key in first_line:
            parsed.problems.append(
                Problem(
                    line,
                    "annual_mileage",
                    f"{_describe(row.key)} is already given on line {first_line[row.key]}",
                    row.model_code,
                )
            )
            continue
        first_line[row.key] = line
        parsed.rows.append((line, row))
    for lower, higher in mileage_inversions([row for _, row in parsed.rows]):
        parsed.problems.append(
            Problem(
                first_line[higher.key],
                "residual_percent",
                f"{higher.model_code} {higher.term_months} months: {higher.annual_mileage:,} km a "
                f"year has a higher residual ({canonical_decimal(higher.residual_percent)}) than "
                f"{lower.annual_mileage:,} km a year ({canonical_decimal(lower.residual_percent)}) "
                f"on line {first_line[lower.key]}; more driving must not raise the residual",
                higher.model_code,
            )
        )
    parsed.sort_problems(RESIDUAL_COLUMNS)
    return parsed


def _describe(key: tuple[str, int, int]) -> str:
    return f"{key[0]} {key[1]} months {key[2]:,} km a year"


def mileage_inversions(rows: Iterable[ResidualRow]) -> list[tuple[ResidualRow, ResidualRow]]:
    """Every pair of neighbouring mileages of one model and term where more kilometres give a higher residual
    (the rule `finance.calc.residuals.ResidualTable` enforces; listed here in full, with the rows)."""
    groups: dict[tuple[str, int], list[ResidualRow]] = {}
    for row in rows:
        groups.setdefault((row.model_code, row.term_months), []).append(row)
    found = []
    for _, group in sorted(groups.items()):
        ordered = sorted(group, key=lambda r: r.annual_mileage)
        found.extend((a, b) for a, b in zip(ordered, ordered[1:]) if b.residual_percent > a.residual_percent)
    return found


# --- writing files --------------------------------------------------------------------------------------------------


def _sorted_residuals(rows: Iterable[ResidualRow]) -> list[ResidualRow]:
    return sorted(rows, key=lambda r: r.key)


def format_residuals_csv(rows: Iterable[ResidualRow]) -> bytes:
    return write_csv(
        RESIDUAL_COLUMNS,
        (
            [r.model_code, str(r.term_months), str(r.annual_mileage), canonical_decimal(r.residual_percent)]
            for r in _sorted_residuals(rows)
        ),
    )


def format_residuals_yaml(rows: Iterable[ResidualRow]) -> bytes:
    return write_yaml(
        "residuals",
        [
            {
                "model_code": r.model_code,
                "term_months": r.term_months,
                "annual_mileage": r.annual_mileage,
                "residual_percent": canonical_decimal(r.residual_percent),
            }
            for r in _sorted_residuals(rows)
        ],
    )


def format_residuals(rows: Iterable[ResidualRow], file_format: str) -> bytes:
    return format_residuals_yaml(rows) if file_format == "yaml" else format_residuals_csv(rows)
