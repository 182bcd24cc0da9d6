"""Decimal inputs whose OpenAPI schema says exactly what the API accepts.

Pydantic documents a Decimal as `anyOf: [number, string]`: any string, any number. But the API refuses "",
"1e5" or 0.125 where two decimal places are allowed (max_digits and decimal_places are not JSON Schema
keywords), so a client following the document was refused. `decimal_rules(...)` gives Pydantic's own limits
(for `Field` or `Query`) together with a schema written from the same numbers: a whole number within the
bounds, or a plain decimal string whose integer and fraction digits the limits allow.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any


def _integer_digits(max_digits: int, decimal_places: int, high: Decimal | None, high_inclusive: bool) -> int:
    """How many digits the integer part may have; 0 means it must be "0"."""
    digits = max_digits - decimal_places
    if high is not None:
        largest_whole = math.floor(high) if high_inclusive or high != math.floor(high) else math.floor(high) - 1
        # A digit count can only say "below 10**n": 99999999 keeps 8 digits, 100000000 must drop to 8 as well.
        text = str(largest_whole)
        digits = min(digits, 0 if largest_whole < 1 else len(text) if set(text) == {"9"} else len(text) - 1)
    return digits


def _string_schema(digits: int, decimal_places: int, signed: bool, positive: bool) -> dict[str, Any]:
    whole = "0" if digits == 0 else f"(0|[1-9][0-9]{{0,{digits - 1}}})"
    fraction = f"(\\.[0-9]{{1,{decimal_places}}})?" if decimal_places else ""
    schema: dict[str, Any] = {"type": "string", "pattern": f"^{'-?' if signed else ''}{whole}{fraction}$"}
    if positive:
        schema["not"] = {"pattern": "^-?0(\\.0*)?$"}
    return schema


def _integer_schema(
    digits: int, low: Decimal | None, low_inclusive: bool, high: Decimal | None, high_inclusive: bool
) -> dict[str, Any] | None:
    smallest = (
        -(10**digits - 1) if low is None else math.ceil(low) + (0 if low_inclusive or low != math.ceil(low) else 1)
    )
    largest = 10**digits - 1 if digits else 0
    if high is not None:
        largest = min(largest, math.floor(high) - (0 if high_inclusive or high != math.floor(high) else 1))
    return {"type": "integer", "minimum": smallest, "maximum": largest} if smallest <= largest else None


def decimal_rules(
    *,
    max_digits: int,
    decimal_places: int,
    ge: Decimal | int | None = None,
    gt: Decimal | int | None = None,
    le: Decimal | int | None = None,
    lt: Decimal | int | None = None,
    description: str | None = None,
) -> dict[str, Any]:
    """Keyword arguments for `Field(...)` or `Query(...)` of a Decimal input."""
    low, low_inclusive = (
        (Decimal(ge), True) if ge is not None else (Decimal(gt), False) if gt is not None else (None, True)
    )
    high, high_inclusive = (
        (Decimal(le), True) if le is not None else (Decimal(lt), False) if lt is not None else (None, True)
    )
    digits = _integer_digits(max_digits, decimal_places, high, high_inclusive)
    signed = low is None or low < 0
    branches = [
        branch
        for branch in (
            _integer_schema(digits, low, low_inclusive, high, high_inclusive),
            _string_schema(digits, decimal_places, signed, positive=low == 0 and not low_inclusive),
        )
        if branch is not None
    ]

    def document(schema: dict[str, Any]) -> None:
        nullable = any(b.get("type") == "null" for b in schema.get("anyOf", ()))
        for key in ("anyOf", "type", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
            schema.pop(key, None)
        schema["anyOf"] = [*branches, *([{"type": "null"}] if nullable else [])]
        places = f"at most {decimal_places} decimal places" if decimal_places else "a whole number"
        schema.setdefault("description", description or "A decimal string (or a whole number)")
        schema["description"] += f"; {places}"

    rules: dict[str, Any] = {"max_digits": max_digits, "decimal_places": decimal_places, "json_schema_extra": document}
    rules.update({k: v for k, v in (("ge", ge), ("gt", gt), ("le", le), ("lt", lt)) if v is not None})
    if description:
        rules["description"] = description
    return rules
