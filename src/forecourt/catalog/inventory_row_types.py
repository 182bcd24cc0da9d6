"""Inventory import files: the columns, limits and stable problem codes, and the shapes a checked row takes.

Pure: standard library only. `KEEP` marks a value the file does not mention, so an existing vehicle keeps it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

COLUMNS = (
    "vin",
    "trim",
    "colour",
    "store",
    "model_year",
    "mileage_km",
    "list_price",
    "offer_price",
    "status",
    "test_drive_fleet",
    "photo_urls",
    "options",
    "currency",
)
REQUIRED_COLUMNS = ("vin", "trim", "store", "model_year", "list_price")
IMPORT_CURRENCY = "CNY"
MAX_PRICE = Decimal("100000000")
MAX_MILEAGE_KM = 2_000_000
MODEL_YEARS = (1980, 2100)
IN_SERVICE_BY_MOVE = "cars enter and leave the rental and subscription fleets on the fleet page, not from a file"
# Columns compared to decide whether an existing vehicle changes (and written on update).
STATE_COLUMNS = (
    "trim_id",
    "colour_id",
    "store_id",
    "model_year",
    "mileage_km",
    "list_price",
    "offer_price",
    "price",
    "currency",
    "status",
    "fleet_pool",
    "photo_urls",
    "option_codes",
)


class _Keep:
    """Marks a value the file does not mention: an existing vehicle keeps what it has."""

    def __repr__(self) -> str:
        return "KEEP"


KEEP: Any = _Keep()


# Stable problem codes (reports count rows per code and column); a value that cannot be read is "invalid_value".
REQUIRED, INVALID_VALUE, INVALID_VIN, OUT_OF_RANGE, UNKNOWN_CODE = (
    "required",
    "invalid_value",
    "invalid_vin",
    "out_of_range",
    "unknown_code",
)
OFFER_ABOVE_LIST, ILLEGAL_TRANSITION, NOT_OFFERED = "offer_above_list", "illegal_transition", "not_offered"


class RowProblem(ValueError):
    def __init__(self, column: str | None, reason: str, code: str = INVALID_VALUE) -> None:
        super().__init__(reason)
        self.column = column
        self.reason = reason
        self.code = code


@dataclass
class CatalogIndex:
    """Codes and ids of the small catalog tables, keyed by lower-case code."""

    trims: dict[str, tuple[int, int]]  # trim code -> (trim id, model id)
    model_codes: dict[int, str]  # model id -> model code
    colours: dict[int, dict[str, int]]  # model id -> colour code -> colour id
    colour_models: dict[int, int]  # colour id -> model id
    stores: dict[str, int]  # store code -> store id
    options_of: Callable[[int], frozenset[str]]  # model id -> option codes (loaded on first use)

    def colour_owners(self, code: str) -> list[str]:
        return sorted(self.model_codes[m] for m, codes in self.colours.items() if code in codes)


@dataclass(slots=True)
class ImportRow:
    """A record that passed every check that does not depend on the vehicle already stored."""

    vin: str
    trim_id: int
    model_id: int
    store_id: int
    model_year: int
    list_price: Decimal
    colour_id: Any = KEEP  # KEEP, None or a colour id
    mileage_km: int | None = None  # None: keep / default 0
    offer_price: Any = KEEP  # KEEP, None or a Decimal
    status: str | None = None  # None: keep / default available
    is_test_drive_fleet: bool | None = None  # None: keep / default False
    photo_urls: Any = KEEP  # KEEP or list[str]
    option_codes: Any = KEEP  # KEEP or list[str]
