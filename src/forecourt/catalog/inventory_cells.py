"""Inventory import, one cell at a time: read a raw CSV/JSON value as text, a whole number, an amount, a flag
or a list, raising RowProblem naming the column when it cannot be read.

Pure: standard library and `core.money` only.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from decimal import Decimal
from functools import lru_cache
from typing import Any

from forecourt.catalog.inventory_row_types import IMPORT_CURRENCY, MAX_PRICE, OUT_OF_RANGE, RowProblem
from forecourt.core.money import MoneyError, parse_amount

_TRUE = frozenset({"true", "1", "yes", "y"})
_FALSE = frozenset({"false", "0", "no", "n"})


def unknown_code(kind: str, value: str, known: Iterable[str]) -> str:
    return _unknown_code(kind, value[:60], frozenset(known))


@lru_cache(maxsize=4096)
def _unknown_code(kind: str, value: str, known: frozenset[str]) -> str:
    """Cached: difflib costs milliseconds a call, and a bad file repeats the same wrong code on many rows."""
    matches = difflib.get_close_matches(value, list(known), n=3, cutoff=0.6)
    if matches:
        return f"unknown {kind} {value!r}; did you mean {' or '.join(matches)}?"
    sample = ", ".join(sorted(known)[:12]) or "none are defined"
    return f"unknown {kind} {value!r}; known {kind} codes include {sample}"


def read_text(column: str, value: Any) -> str | None:
    """A scalar cell as stripped text; None when blank."""
    if type(value) is str:
        return value.strip() or None
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, Decimal, float)):
        return str(value)
    raise RowProblem(column, f"{column} must be a single value, not a {type(value).__name__}")


def read_whole_number(column: str, value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = read_text(column, value)
    if text is None:
        return None
    if text.isascii() and text.isdigit():
        return int(text)
    cleaned = text.replace(",", "").replace("_", "")
    try:
        number = Decimal(cleaned)
        if not number.is_finite() or number != number.to_integral_value():
            raise ValueError
        return int(number)
    except (ArithmeticError, ValueError):
        raise RowProblem(column, f"{column} must be a whole number, got {text!r}") from None


def read_amount(column: str, value: Any) -> Decimal | None:
    text = read_text(column, value)
    if text is None:
        return None
    try:
        amount = parse_amount(text, IMPORT_CURRENCY)
    except MoneyError as exc:
        raise RowProblem(column, f"{column} {exc}; use a plain amount in yuan such as 179800.00") from None
    if amount <= 0:
        raise RowProblem(column, f"{column} must be greater than 0, got {amount}", OUT_OF_RANGE)
    if amount > MAX_PRICE:
        raise RowProblem(
            column, f"{column} {amount} is above the {MAX_PRICE:,} limit; check for extra digits", OUT_OF_RANGE
        )
    return amount


def read_flag(column: str, value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    text = read_text(column, value)
    if text is None:
        return None
    lowered = text.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise RowProblem(column, f"{column} must be true or false (also 1/0, yes/no), got {text!r}")


def read_items(column: str, value: Any) -> list[str]:
    """A "|"-separated cell or a JSON list, as stripped non-empty strings in order, without repeats."""
    if value is None:
        return []
    if isinstance(value, str):
        parts = value.split("|")
    elif isinstance(value, list):
        if not all(isinstance(item, str) for item in value):
            raise RowProblem(column, f"{column} must be a list of strings")
        parts = value
    else:
        raise RowProblem(column, f"{column} must be text separated by '|' or a list, not a {type(value).__name__}")
    return list(dict.fromkeys(p.strip() for p in parts if p.strip()))
