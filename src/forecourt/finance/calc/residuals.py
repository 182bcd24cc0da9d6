"""Residual tables: a lessor's lease-end value, as a fraction of MSRP, per model, term and mileage.

The residual is the "residual value" line of the Regulation M box (12 CFR 1013.4(f)(4)); lessors
publish it as a percent of MSRP by term and annual mileage allowance. When the requested mileage
falls between published rows we take the next higher-mileage row: its residual is lower, so the
quote can only overstate depreciation, never promise a lease-end value the lessor did not set.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from types import MappingProxyType

from forecourt.core.money import round_money

CURRENCY = "USD"
CSV_HEADER = ("model", "term_months", "annual_mileage", "residual_percent")

RowKey = tuple[str, int, int]  # (model code, term months, annual mileage)


class ResidualTableError(ValueError):
    """A residual table that cannot be trusted to price a lease."""


@dataclass(frozen=True)
class ResidualTable:
    rows: Mapping[RowKey, Decimal]  # residual percent of MSRP as a fraction, e.g. Decimal("0.58")

    def __post_init__(self) -> None:
        for key, percent in self.rows.items():
            _check_percent(percent, where=f"row {key}")
        inversion = _first_mileage_inversion(self.rows)
        if inversion:
            raise ResidualTableError(_describe_inversion(*inversion, self.rows))
        object.__setattr__(self, "rows", MappingProxyType(dict(self.rows)))

    def residual_percent(self, model: str, term: int, annual_mileage: int) -> Decimal:
        """Exact row, else the nearest higher-mileage row of that model and term (the lower residual)."""
        exact = self.rows.get((model, term, annual_mileage))
        if exact is not None:
            return exact
        mileages = self._mileages(model, term)
        covering = [mileage for mileage in mileages if mileage >= annual_mileage]
        if not covering:
            raise LookupError(
                f"{model} {term} months: {annual_mileage} miles/year is above the highest "
                f"published allowance ({mileages[-1]}); residuals are never extrapolated"
            )
        return self.rows[(model, term, covering[0])]

    def residual_value(self, model: str, term: int, annual_mileage: int, msrp: Decimal) -> Decimal:
        """Residual percent × MSRP, rounded half-up to the cent as it is disclosed."""
        return round_money(self.residual_percent(model, term, annual_mileage) * msrp, CURRENCY)

    def _mileages(self, model: str, term: int) -> list[int]:
        terms = sorted({t for (m, t, _) in self.rows if m == model})
        if not terms:
            raise LookupError(f"no residuals for model {model!r}")
        if term not in terms:
            raise LookupError(f"no {term}-month residual for {model!r}; published terms: {terms}")
        return sorted(mileage for (m, t, mileage) in self.rows if m == model and t == term)


def parse_residual_csv(text: str) -> ResidualTable:
    """Read `model,term_months,annual_mileage,residual_percent` rows; every error names its line."""
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if header is None or tuple(cell.strip() for cell in header) != CSV_HEADER:
        raise ResidualTableError(f"line 1: header must be {','.join(CSV_HEADER)}, got {header!r}")
    rows: dict[RowKey, Decimal] = {}
    first_seen: dict[RowKey, int] = {}
    for cells in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in cells):
            continue
        key, percent = _parse_row(cells, line)
        if key in rows:
            raise ResidualTableError(f"line {line}: duplicate row {key}, first given on line {first_seen[key]}")
        rows[key], first_seen[key] = percent, line
    inversion = _first_mileage_inversion(rows)
    if inversion:
        lower, higher = inversion
        raise ResidualTableError(
            f"line {first_seen[higher]}: {_describe_inversion(lower, higher, rows)} on line {first_seen[lower]}"
        )
    return ResidualTable(rows)


def _parse_row(cells: list[str], line: int) -> tuple[RowKey, Decimal]:
    if len(cells) != len(CSV_HEADER):
        raise ResidualTableError(f"line {line}: expected {len(CSV_HEADER)} fields, got {len(cells)}")
    model, term_text, mileage_text, percent_text = (cell.strip() for cell in cells)
    if not model:
        raise ResidualTableError(f"line {line}: model is empty")
    term = _positive_int(term_text, "term_months", line)
    mileage = _positive_int(mileage_text, "annual_mileage", line)
    try:
        percent = Decimal(percent_text)
    except InvalidOperation:
        raise ResidualTableError(f"line {line}: residual_percent {percent_text!r} is not a number") from None
    _check_percent(percent, where=f"line {line}")
    return (model, term, mileage), percent


def _positive_int(text: str, name: str, line: int) -> int:
    if not (text.isascii() and text.isdigit()) or int(text) == 0:  # "²".isdigit() too
        raise ResidualTableError(f"line {line}: {name} must be a whole number > 0, got {text!r}")
    return int(text)


def _check_percent(percent: Decimal, where: str) -> None:
    # A fraction of MSRP: 58 % is written 0.58; a bare 58 is almost surely a units mistake.
    if not isinstance(percent, Decimal) or not percent.is_finite() or not 0 < percent <= 1:
        raise ResidualTableError(
            f"{where}: residual_percent must be a Decimal fraction in (0, 1], e.g. 0.58; got {percent!r}"
        )


def _first_mileage_inversion(rows: Mapping[RowKey, Decimal]) -> tuple[RowKey, RowKey] | None:
    """More miles must never mean a higher residual, else 'take the higher-mileage row' is not safe."""
    by_model_term: dict[tuple[str, int], list[int]] = {}
    for model, term, mileage in rows:
        by_model_term.setdefault((model, term), []).append(mileage)
    for (model, term), mileages in sorted(by_model_term.items()):
        ordered = sorted(mileages)
        for lower, higher in zip(ordered, ordered[1:]):
            if rows[(model, term, higher)] > rows[(model, term, lower)]:
                return (model, term, lower), (model, term, higher)
    return None


def _describe_inversion(lower: RowKey, higher: RowKey, rows: Mapping[RowKey, Decimal]) -> str:
    model, term, _ = lower
    return (
        f"{model} {term} months: {higher[2]} miles/year has a higher residual ({rows[higher]}) "
        f"than {lower[2]} miles/year ({rows[lower]})"
    )
