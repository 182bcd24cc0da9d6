"""Inventory import, one row at a time: check a record against the catalog before any vehicle is looked at.

Pure: standard library, `core.money` and the catalog's pure modules only. The catalog is passed in as a
`CatalogIndex` of codes and ids; the current vehicle (if any) is anything with the Vehicle attributes.

Blank cells: a blank `status`, `mileage_km`, `test_drive_fleet` or `currency` keeps an existing vehicle's
value (a new vehicle gets the default); a blank `colour`, `offer_price`, `photo_urls` or `options` clears
it, so an offer can be ended by re-importing a price list. A column left out of the file entirely keeps the
existing value of every optional field.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from forecourt.catalog.inventory_cells import (
    read_amount,
    read_flag,
    read_items,
    read_text,
    read_whole_number,
    unknown_code,
)
from forecourt.catalog.inventory_row_types import (
    IMPORT_CURRENCY,
    INVALID_VALUE,
    INVALID_VIN,
    MAX_MILEAGE_KM,
    MODEL_YEARS,
    NOT_OFFERED,
    OFFER_ABOVE_LIST,
    OUT_OF_RANGE,
    REQUIRED,
    REQUIRED_COLUMNS,
    UNKNOWN_CODE,
    CatalogIndex,
    ImportRow,
    RowProblem,
)
from forecourt.catalog.lifecycle import VehicleStatus
from forecourt.catalog.vin import VinError, validate_vin

_REQUIRED = frozenset(REQUIRED_COLUMNS)
_URL = re.compile(r"(?:https?://|/)\S*\Z")  # https://, http:// or a site path; no spaces
_STATUSES = frozenset(s.value for s in VehicleStatus)


def check_vin(values: Mapping[str, Any]) -> str:
    text = read_text("vin", values.get("vin"))
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
    code = _required("trim", read_text("trim", value)).lower()
    if code not in index.trims:
        raise RowProblem("trim", unknown_code("trim", code, index.trims.keys()), UNKNOWN_CODE)
    return index.trims[code]


def _required(column: str, parsed: Any) -> Any:
    if parsed is None:
        raise RowProblem(column, f"{column} is required", REQUIRED)
    return parsed


def _store(value: Any, index: CatalogIndex, model_id: int | None) -> int:
    code = _required("store", read_text("store", value)).lower()
    if code not in index.stores:
        raise RowProblem("store", unknown_code("store", code, index.stores.keys()), UNKNOWN_CODE)
    return index.stores[code]


def _model_year(value: Any, index: CatalogIndex, model_id: int | None) -> int:
    year = _required("model_year", read_whole_number("model_year", value))
    low, high = MODEL_YEARS
    if not low <= year <= high:
        raise RowProblem("model_year", f"model_year {year} is outside {low}-{high}", OUT_OF_RANGE)
    return year


def _list_price(value: Any, index: CatalogIndex, model_id: int | None) -> Decimal:
    return _required("list_price", read_amount("list_price", value))


def _offer_price(value: Any, index: CatalogIndex, model_id: int | None) -> Decimal | None:
    return read_amount("offer_price", value)


def _mileage(value: Any, index: CatalogIndex, model_id: int | None) -> int | None:
    mileage = read_whole_number("mileage_km", value)
    if mileage is not None and mileage < 0:
        raise RowProblem("mileage_km", f"mileage_km cannot be negative, got {mileage}", OUT_OF_RANGE)
    if mileage is not None and mileage > MAX_MILEAGE_KM:
        reason = f"mileage_km {mileage} is above {MAX_MILEAGE_KM:,}; is it in metres?"
        raise RowProblem("mileage_km", reason, OUT_OF_RANGE)
    return mileage


def _test_drive_fleet(value: Any, index: CatalogIndex, model_id: int | None) -> bool | None:
    return read_flag("test_drive_fleet", value)


def _status(value: Any, index: CatalogIndex, model_id: int | None) -> str | None:
    text = read_text("status", value)
    if text is None:
        return None
    status = text.lower().replace("-", "_").replace(" ", "_")
    if status not in _STATUSES:
        known = ", ".join(s.value for s in VehicleStatus)
        raise RowProblem("status", f"unknown status {text!r}; use one of {known}", UNKNOWN_CODE)
    return status


def _photos(value: Any, index: CatalogIndex, model_id: int | None) -> list[str]:
    urls = read_items("photo_urls", value)
    for position, url in enumerate(urls, start=1):
        if not _URL.match(url):
            reason = f"photo {position} {url!r} must start with https://, http:// or / and contain no spaces"
            raise RowProblem("photo_urls", reason)
    return urls


def _currency(value: Any, index: CatalogIndex, model_id: int | None) -> None:
    text = read_text("currency", value)
    if text is not None and text.upper() != IMPORT_CURRENCY:
        reason = f"currency {text!r} is not supported; import prices in {IMPORT_CURRENCY}"
        raise RowProblem("currency", reason, UNKNOWN_CODE)


def _colour(value: Any, index: CatalogIndex, model_id: int | None) -> int | None:
    code = read_text("colour", value)
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
    codes = read_items("options", value)
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
