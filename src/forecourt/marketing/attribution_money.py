"""Attribution money: credit shares are floats (they are shares); money derived from them (credited value,
cost per conversion) is rounded half up to the cent where it leaves the attribution use cases, and ROAS to two
decimals. Spend comes from the database as exact Decimals.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def cent_amount(amount: float | Decimal) -> Decimal:
    return (amount if isinstance(amount, Decimal) else Decimal(repr(float(amount)))).quantize(CENT, ROUND_HALF_UP)


def cost_per(spend: Decimal, credited: float) -> Decimal | None:
    if credited <= 0:
        return None
    return (spend / Decimal(repr(credited))).quantize(CENT, ROUND_HALF_UP)


def return_on_spend(value: Decimal, spend: Decimal) -> Decimal | None:
    return None if spend == 0 else (value / spend).quantize(CENT, ROUND_HALF_UP)
