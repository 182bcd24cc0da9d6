"""What an attacker with a copy of the database learns about one person: every clear value of every table, read by
reflection, and the two rebuilds the privacy findings named.

- ID-number candidates: the resident ID numbers consistent with everything stored in clear about the person (masks
  showing some characters in place, the birth date or an age, the sex), counted exactly. Region digits the masks
  hide are free apart from the province code (GB/T 2260 is not consulted: a county list would divide the count by
  tens, so the threshold is set with that margin); the birth date runs from 1900-01-01 to the day of the flows.
- Income: payment ÷ ratio for every pair of an amount and a ratio stored in one row (JSON documents included).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from forecourt.identity.id_number import CHECK_CHARACTERS, EARLIEST_BIRTH_YEAR, PROVINCE_CODES, WEIGHTS

MASK_LIKE = re.compile(r"[0-9X*]{15,18}")
NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?")
AGE_KEYS = frozenset({"age", "age_years", "age_at_maturity"})
SEX_KEYS = frozenset({"sex", "gender"})


@dataclass(frozen=True)
class Cell:
    """One stored value: table, column, the JSON path inside it (if any), and the value."""

    table: str
    column: str
    path: str
    value: Any

    @property
    def where(self) -> str:
        return f"{self.table}.{self.column}{self.path}"


def cells(table: str, row: dict[str, Any]) -> Iterator[Cell]:
    """Every scalar of a row, JSON documents walked to their leaves (a JSON string holding JSON is opened too)."""

    def walk(column: str, path: str, value: Any) -> Iterator[Cell]:
        if isinstance(value, dict):
            for key, inner in value.items():
                yield Cell(table, column, f"{path}.{key}", str(key))
                yield from walk(column, f"{path}.{key}", inner)
        elif isinstance(value, list | tuple):
            for index, inner in enumerate(value):
                yield from walk(column, f"{path}[{index}]", inner)
        elif isinstance(value, str) and value[:1] in "[{":
            try:
                yield from walk(column, path, json.loads(value))
            except ValueError:
                yield Cell(table, column, path, value)
        else:
            yield Cell(table, column, path, value)

    for column, value in row.items():
        yield from walk(column, "", value)


# --- the ID number -------------------------------------------------------------------------------------------------


@dataclass
class IdKnowledge:
    """What clear values tell about one ID number."""

    shown: dict[int, str] = field(default_factory=dict)  # position → character, from masks
    birth_date: date | None = None
    birth_years: set[int] = field(default_factory=set)  # from an age (an age in years leaves two calendar years)
    sex_known: bool = False
    evidence: list[str] = field(default_factory=list)


def learn_about_id(number: str, items: list[Cell], today: date) -> IdKnowledge:
    born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    spellings = {born.isoformat(), born.strftime("%Y%m%d"), f"{born.year}年{born.month}月{born.day}日"}
    known = IdKnowledge()
    for cell in items:
        value, key = cell.value, cell.path.rsplit(".", 1)[-1] or cell.column
        if isinstance(value, date) and not isinstance(value, datetime) and value == born:
            known.birth_date, _ = born, known.evidence.append(f"birth date: {cell.where}")
        if isinstance(value, str):
            text = value.upper()
            if any(spelling in text for spelling in spellings):
                known.birth_date, _ = born, known.evidence.append(f"birth date: {cell.where}")
            for match in MASK_LIKE.finditer(text):
                mask = match.group()
                if "*" in mask and len(mask) == len(number) and all(c in ("*", n) for c, n in zip(mask, number)):
                    known.shown |= {i: c for i, c in enumerate(mask) if c != "*"}
                    known.evidence.append(f"mask {mask}: {cell.where}")
        if key in AGE_KEYS and _decimal(value) is not None:
            age = int(_decimal(value))  # type: ignore[arg-type]
            known.birth_years |= {today.year - age - 1, today.year - age}
            known.evidence.append(f"age {age}: {cell.where}")
        if key in SEX_KEYS:
            known.sex_known = True
            known.evidence.append(f"sex: {cell.where}")
    if 16 in known.shown:
        known.sex_known = True
    return known


def _residues(block: list[str], start: int) -> list[int]:
    counts = [0] * 11
    for digits in block:
        counts[sum(int(d) * WEIGHTS[start + i] for i, d in enumerate(digits)) % 11] += 1
    return counts


def _digits(shown: dict[int, str], position: int) -> str:
    return shown.get(position, "0123456789")


def _block(shown: dict[int, str], positions: range) -> list[str]:
    strings = [""]
    for position in positions:
        strings = [s + d for s in strings for d in _digits(shown, position)]
    return strings


def _convolve(a: list[int], b: list[int]) -> list[int]:
    out = [0] * 11
    for i, x in enumerate(a):
        for j, y in enumerate(b):
            out[(i + j) % 11] += x * y
    return out


def id_candidates(
    shown: dict[int, str],
    *,
    birth_date: date | None,
    birth_years: set[int] = frozenset(),  # type: ignore[assignment]
    sex: str | None = None,
    today: date,
) -> int:
    """How many valid 18-character resident ID numbers agree with what is known (exact, by residues mod 11)."""
    provinces = [p for p in sorted(PROVINCE_CODES) if all(shown.get(i, p[i]) == p[i] for i in (0, 1))]
    region = [p + rest for p in provinces for rest in _block(shown, range(2, 6))]
    if birth_date is not None:
        dates = [birth_date]
    else:
        first, day = date(EARLIEST_BIRTH_YEAR, 1, 1), timedelta(days=1)
        dates = [first + day * n for n in range((today - first).days + 1)]
        dates = [d for d in dates if not birth_years or d.year in birth_years]
    born = [d.strftime("%Y%m%d") for d in dates]
    born = [b for b in born if all(shown.get(6 + i, c) == c for i, c in enumerate(b))]
    sequence = _block(shown, range(14, 17))
    if sex is not None:
        sequence = [s for s in sequence if (int(s[2]) % 2 == 1) == (sex == "male")]
    total = _convolve(_convolve(_residues(region, 0), _residues(born, 6)), _residues(sequence, 14))
    return sum(
        count
        for residue, count in enumerate(total)
        if shown.get(17, CHECK_CHARACTERS[residue]) == CHECK_CHARACTERS[residue]
    )


def candidates_for(number: str, known: IdKnowledge, today: date) -> int:
    sex = ("male" if int(number[16]) % 2 else "female") if known.sex_known else None
    return id_candidates(known.shown, birth_date=known.birth_date, birth_years=known.birth_years, sex=sex, today=today)


# --- income --------------------------------------------------------------------------------------------------------


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float | Decimal):
        return Decimal(str(value))
    if isinstance(value, str) and NUMBER.fullmatch(value.strip()):
        try:
            return Decimal(value.strip().replace(",", ""))
        except InvalidOperation:
            return None
    return None


def income_rebuilds(items: list[Cell], income: Decimal, tolerance: Decimal = Decimal("0.01")) -> list[str]:
    """Pairs (amount, ratio) of one row whose quotient lands within `tolerance` of the income."""
    numbers = [(cell, number) for cell in items if (number := _decimal(cell.value)) is not None]
    ratios = [(cell, n) for cell, n in numbers if 0 < n < 1]
    amounts = [(cell, n) for cell, n in numbers if n >= 1]
    found = []
    for ratio_cell, ratio in ratios:
        for amount_cell, amount in amounts:
            if abs(amount / ratio - income) <= tolerance * income:
                found.append(f"{amount_cell.where}={amount} ÷ {ratio_cell.where}={ratio} ≈ {income}")
    return found
