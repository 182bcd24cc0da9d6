"""What a vehicle search asks for, once names and codes are resolved to ids. Pure data."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum


class SortKey(StrEnum):
    PRICE_ASC = "price"
    PRICE_DESC = "-price"
    YEAR_DESC = "-year"
    YEAR_ASC = "year"
    MILEAGE_ASC = "mileage"
    MILEAGE_DESC = "-mileage"
    NEWEST = "newest"


@dataclass(frozen=True)
class VehicleCriteria:
    """Filters on vehicle columns. None means "no restriction"; an empty set means "nothing matches"."""

    trim_ids: frozenset[int] | None = None
    colour_ids: frozenset[int | None] | None = None  # None inside the set: vehicles without a colour
    store_ids: frozenset[int] | None = None
    statuses: frozenset[str] | None = None
    model_years: frozenset[int] | None = None
    price_min: Decimal | None = None
    price_max: Decimal | None = None
    year_min: int | None = None
    year_max: int | None = None
    mileage_max: int | None = None
    test_drive_fleet: bool | None = None

    def matches_nothing(self) -> bool:
        sets = (self.trim_ids, self.colour_ids, self.store_ids, self.statuses, self.model_years)
        return any(s is not None and not s for s in sets)
