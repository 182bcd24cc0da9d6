"""Inventory import, one row at a time: check a record against the catalog and work out the vehicle's new state.

Pure: standard library, `core.money` and the catalog's pure modules only. The catalog is passed in as a
`CatalogIndex` of codes and ids; the current vehicle (if any) is anything with the Vehicle attributes.

Blank cells: a blank `status`, `mileage_km`, `test_drive_fleet` or `currency` keeps an existing vehicle's
value (a new vehicle gets the default); a blank `colour`, `offer_price`, `photo_urls` or `options` clears
it, so an offer can be ended by re-importing a price list. A column left out of the file entirely keeps the
existing value of every optional field.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any

from forecourt.catalog.lifecycle import FleetPool, IllegalTransition, VehicleStatus, check_transition
from forecourt.catalog.vin import VinError, validate_vin
from forecourt.core.money import MoneyError, parse_amount

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
_REQUIRED = frozenset(REQUIRED_COLUMNS)
IMPORT_CURRENCY = "CNY"
MAX_PRICE = Decimal("100000000")
MAX_MILEAGE_KM = 2_000_000
MODEL_YEARS = (1980, 2100)
_URL = re.compile(r"(?:https?://|/)\S*\Z")  # https://, http:// or a site path; no spaces
_TRUE = frozenset({"true", "1", "yes", "y"})
_FALSE = frozenset({"false", "0", "no", "n"})
_STATUSES = frozenset(s.value for s in VehicleStatus)
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


def _text(column: str, value: Any) -> str | None:
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


def _integer(column: str, value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = _text(column, value)
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


def _amount(column: str, value: Any) -> Decimal | None:
    text = _text(column, value)
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


def _flag(column: str, value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    text = _text(column, value)
    if text is None:
        return None
    lowered = text.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise RowProblem(column, f"{column} must be true or false (also 1/0, yes/no), got {text!r}")


def _items(column: str, value: Any) -> list[str]:
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


def check_vin(values: Mapping[str, Any]) -> str:
    text = _text("vin", values.get("vin"))
    if text is None:
        raise RowProblem("vin", "vin is required", REQUIRED)
    try:
        return validate_vin(text)
    except VinError as exc:
        raise RowProblem("vin", f"VIN {text!r}: {exc}", INVALID_VIN) from None


def validate_record(
    values: Mapping[str, Any], index: CatalogIndex, vin: str | None = None
) -> tuple[ImportRow | None, list[RowProblem]]:
    """Check one record (normalised column names -> raw values); return the row or every problem found.
    `vin`, when given, is the record's VIN already checked by `check_vin`."""
    problems: list[RowProblem] = []
    if vin is None:
        try:
            vin = check_vin(values)
        except RowProblem as problem:
            problems.append(problem)
    trim: tuple[int, int] | None = None
    try:
        trim = _trim(values.get("trim"), index)
    except RowProblem as problem:
        problems.append(problem)
    model_id = trim[1] if trim is not None else None
    fields: dict[str, Any] = {}
    for column, attribute, check in _CHECKS:
        if column in values or column in _REQUIRED:
            try:
                fields[attribute] = check(values.get(column), index, model_id)
            except RowProblem as problem:
                problems.append(problem)
    offer, list_price = fields.get("offer_price"), fields.get("list_price")
    if isinstance(offer, Decimal) and list_price is not None and offer > list_price:
        reason = f"offer_price {offer} is above list_price {list_price}"
        problems.append(RowProblem("offer_price", reason, OFFER_ABOVE_LIST))
    if problems or trim is None or vin is None:
        return None, problems
    fields.pop("currency", None)
    return ImportRow(vin=vin, trim_id=trim[0], model_id=trim[1], **fields), []


def _trim(value: Any, index: CatalogIndex) -> tuple[int, int]:
    code = _required("trim", _text("trim", value)).lower()
    if code not in index.trims:
        raise RowProblem("trim", unknown_code("trim", code, index.trims.keys()), UNKNOWN_CODE)
    return index.trims[code]


def _required(column: str, parsed: Any) -> Any:
    if parsed is None:
        raise RowProblem(column, f"{column} is required", REQUIRED)
    return parsed


def _store(value: Any, index: CatalogIndex, model_id: int | None) -> int:
    code = _required("store", _text("store", value)).lower()
    if code not in index.stores:
        raise RowProblem("store", unknown_code("store", code, index.stores.keys()), UNKNOWN_CODE)
    return index.stores[code]


def _model_year(value: Any, index: CatalogIndex, model_id: int | None) -> int:
    year = _required("model_year", _integer("model_year", value))
    low, high = MODEL_YEARS
    if not low <= year <= high:
        raise RowProblem("model_year", f"model_year {year} is outside {low}-{high}", OUT_OF_RANGE)
    return year


def _list_price(value: Any, index: CatalogIndex, model_id: int | None) -> Decimal:
    return _required("list_price", _amount("list_price", value))


def _offer_price(value: Any, index: CatalogIndex, model_id: int | None) -> Decimal | None:
    return _amount("offer_price", value)


def _mileage(value: Any, index: CatalogIndex, model_id: int | None) -> int | None:
    mileage = _integer("mileage_km", value)
    if mileage is not None and mileage < 0:
        raise RowProblem("mileage_km", f"mileage_km cannot be negative, got {mileage}", OUT_OF_RANGE)
    if mileage is not None and mileage > MAX_MILEAGE_KM:
        reason = f"mileage_km {mileage} is above {MAX_MILEAGE_KM:,}; is it in metres?"
        raise RowProblem("mileage_km", reason, OUT_OF_RANGE)
    return mileage


def _test_drive_fleet(value: Any, index: CatalogIndex, model_id: int | None) -> bool | None:
    return _flag("test_drive_fleet", value)


def _status(value: Any, index: CatalogIndex, model_id: int | None) -> str | None:
    text = _text("status", value)
    if text is None:
        return None
    status = text.lower().replace("-", "_").replace(" ", "_")
    if status not in _STATUSES:
        known = ", ".join(s.value for s in VehicleStatus)
        raise RowProblem("status", f"unknown status {text!r}; use one of {known}", UNKNOWN_CODE)
    return status


def _photos(value: Any, index: CatalogIndex, model_id: int | None) -> list[str]:
    urls = _items("photo_urls", value)
    for position, url in enumerate(urls, start=1):
        if not _URL.match(url):
            reason = f"photo {position} {url!r} must start with https://, http:// or / and contain no spaces"
            raise RowProblem("photo_urls", reason)
    return urls


def _currency(value: Any, index: CatalogIndex, model_id: int | None) -> None:
    text = _text("currency", value)
    if text is not None and text.upper() != IMPORT_CURRENCY:
        reason = f"currency {text!r} is not supported; import prices in {IMPORT_CURRENCY}"
        raise RowProblem("currency", reason, UNKNOWN_CODE)


def _colour(value: Any, index: CatalogIndex, model_id: int | None) -> int | None:
    code = _text("colour", value)
    if code is None or model_id is None:  # without a known trim there is no model to check against
        return None
    code = code.lower()
    own = index.colours.get(model_id, {})
    if code in own:
        return own[code]
    model_code = index.model_codes[model_id]
    owners = index.colour_owners(code)
    if owners:
        offered = ", ".join(sorted(own)) or "none"
        reason = f"colour {code!r} belongs to {', '.join(owners)}, not {model_code}; {model_code} colours: {offered}"
        return _fail("colour", reason, NOT_OFFERED)
    return _fail("colour", unknown_code(f"{model_code} colour", code, set(own)), UNKNOWN_CODE)


def _options(value: Any, index: CatalogIndex, model_id: int | None) -> list[str]:
    codes = _items("options", value)
    return check_options(codes, model_id, index) if model_id is not None else codes


def check_options(codes: list[str], model_id: int, index: CatalogIndex) -> list[str]:
    offered = index.options_of(model_id)
    lowered = [c.lower() for c in codes]
    unknown = [c for c in lowered if c not in offered]
    if unknown:
        model_code = index.model_codes[model_id]
        reason = "; ".join(unknown_code(f"{model_code} option", c, set(offered)) for c in unknown)
        return _fail("options", reason, UNKNOWN_CODE)
    return lowered


def _fail(column: str, reason: str, code: str = INVALID_VALUE) -> Any:
    raise RowProblem(column, reason, code)


# (column, ImportRow attribute, check(value, index, model id)); required columns are checked even when absent.
_CHECKS: tuple[tuple[str, str, Callable[[Any, CatalogIndex, int | None], Any]], ...] = (
    ("store", "store_id", _store),
    ("model_year", "model_year", _model_year),
    ("list_price", "list_price", _list_price),
    ("mileage_km", "mileage_km", _mileage),
    ("offer_price", "offer_price", _offer_price),
    ("status", "status", _status),
    ("test_drive_fleet", "is_test_drive_fleet", _test_drive_fleet),
    ("photo_urls", "photo_urls", _photos),
    ("currency", "currency", _currency),
    ("colour", "colour_id", _colour),
    ("options", "option_codes", _options),
)


def new_state(row: ImportRow) -> dict[str, Any]:
    """Column values of a vehicle created from this row; raises RowProblem for a new car said to be in service."""
    if row.status == VehicleStatus.IN_SERVICE.value:
        raise RowProblem("status", f"status: {IN_SERVICE_BY_MOVE}", ILLEGAL_TRANSITION)
    offer = None if row.offer_price is KEEP else row.offer_price
    return {
        "vin": row.vin,
        "trim_id": row.trim_id,
        "colour_id": None if row.colour_id is KEEP else row.colour_id,
        "store_id": row.store_id,
        "model_year": row.model_year,
        "mileage_km": row.mileage_km or 0,
        "list_price": row.list_price,
        "offer_price": offer,
        "price": offer if offer is not None else row.list_price,
        "currency": IMPORT_CURRENCY,
        "status": row.status or VehicleStatus.AVAILABLE.value,
        "fleet_pool": (FleetPool.TEST_DRIVE if row.is_test_drive_fleet else FleetPool.SALE).value,
        "photo_urls": [] if row.photo_urls is KEEP else row.photo_urls,
        "option_codes": [] if row.option_codes is KEEP else row.option_codes,
    }


def _pool_after(row: ImportRow, pool: str) -> str:
    """The file's test_drive_fleet flag moves a car between for-sale and the test-drive fleet; a car of a mobility
    fleet keeps its pool (the flag is false for it) and cannot be flagged from a file."""
    flag = row.is_test_drive_fleet
    if flag is KEEP or flag is None:
        return pool
    if pool in (FleetPool.RENTAL.value, FleetPool.SUBSCRIPTION.value):
        if flag:
            raise RowProblem(
                "test_drive_fleet", f"the car is in the {pool} fleet; {IN_SERVICE_BY_MOVE}", ILLEGAL_TRANSITION
            )
        return pool
    return (FleetPool.TEST_DRIVE if flag else FleetPool.SALE).value


def merged_state(row: ImportRow, current: Any, index: CatalogIndex) -> dict[str, Any]:
    """Column values of an existing vehicle after applying this row; raises RowProblem if the change is illegal."""

    def pick(value: Any, attribute: str) -> Any:
        return getattr(current, attribute) if value is KEEP or value is None else value

    offer = current.offer_price if row.offer_price is KEEP else row.offer_price
    if offer is not None and offer > row.list_price:
        raise RowProblem(
            "offer_price",
            f"the current offer_price {offer} is above list_price {row.list_price}; "
            "give a new offer_price, or an empty one to end the offer",
            OFFER_ABOVE_LIST,
        )
    colour_id = current.colour_id if row.colour_id is KEEP else row.colour_id
    if colour_id is not None and index.colour_models.get(colour_id) != row.model_id:
        model_code = index.model_codes[row.model_id]
        reason = f"the vehicle's current colour is not offered for {model_code}; give one that is"
        raise RowProblem("colour", reason, NOT_OFFERED)
    option_codes = row.option_codes
    if option_codes is KEEP:  # kept options must still fit when the vehicle moves to another trim
        option_codes = list(current.option_codes or [])
        if row.trim_id != current.trim_id:
            option_codes = check_options(option_codes, row.model_id, index)
    status = row.status or current.status
    try:
        check_transition(VehicleStatus(current.status), VehicleStatus(status))
    except IllegalTransition as exc:
        raise RowProblem("status", f"status: {exc}", ILLEGAL_TRANSITION) from None
    return {
        "trim_id": row.trim_id,
        "colour_id": colour_id,
        "store_id": row.store_id,
        "model_year": row.model_year,
        "mileage_km": pick(row.mileage_km, "mileage_km"),
        "list_price": row.list_price,
        "offer_price": offer,
        "price": offer if offer is not None else row.list_price,
        "currency": IMPORT_CURRENCY,
        "status": status,
        "fleet_pool": _pool_after(row, current.fleet_pool),
        "photo_urls": pick(row.photo_urls, "photo_urls"),
        "option_codes": option_codes,
    }
