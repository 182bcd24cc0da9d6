"""Exact money: Decimal amounts, explicit rounding, integer minor units in storage."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

# ISO 4217 minor-unit exponents of the currencies Forecourt prices in.
MINOR_UNIT_EXPONENT: dict[str, int] = {"CNY": 2, "USD": 2}
STORAGE_EXPONENT = 2
_GROUPED = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d+)?")  # thousands separators, every group of three


class MoneyError(ValueError):
    """An amount that cannot be represented exactly in the currency's minor units."""


def quantum(currency: str = "CNY") -> Decimal:
    try:
        return Decimal(1).scaleb(-MINOR_UNIT_EXPONENT[currency])
    except KeyError as exc:
        raise MoneyError(f"unsupported currency {currency!r}") from exc


def round_money(amount: Decimal, currency: str = "CNY") -> Decimal:
    """Round half up to the currency's minor unit: the rule wherever a figure is shown or stored."""
    return amount.quantize(quantum(currency), rounding=ROUND_HALF_UP)


def parse_amount(text: str | int | Decimal, currency: str = "CNY") -> Decimal:
    """Parse a human or file-supplied amount; refuse floats' cousins (NaN, inf) and sub-minor-unit precision."""
    cleaned = str(text).strip()
    if "," in cleaned:
        if not _GROUPED.fullmatch(cleaned):
            raise MoneyError(f"{text!r} has a misplaced comma; write 1,234.50 or 1234.50 (the decimal mark is '.')")
        cleaned = cleaned.replace(",", "")
    try:
        amount = Decimal(cleaned)
    except InvalidOperation as exc:
        raise MoneyError(f"{text!r} is not a number") from exc
    if not amount.is_finite():
        raise MoneyError(f"{text!r} is not a finite amount")
    if amount != round_money(amount, currency):
        raise MoneyError(f"{text!r} has more decimal places than {currency} allows")
    return round_money(amount, currency)


def to_minor_units(amount: Decimal, exponent: int = STORAGE_EXPONENT) -> int:
    scaled = amount.scaleb(exponent)
    if scaled != scaled.to_integral_value():
        raise MoneyError(f"{amount} is not a whole number of minor units")
    return int(scaled)


def from_minor_units(units: int, exponent: int = STORAGE_EXPONENT) -> Decimal:
    return Decimal(units).scaleb(-exponent)
