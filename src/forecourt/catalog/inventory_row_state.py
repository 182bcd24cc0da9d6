"""Inventory import, applying a checked row: the column values of a vehicle created from it, or of an existing
vehicle after it, refusing what the lifecycle or the fleets do not allow.

Pure: standard library and the catalog's pure modules only; the current vehicle is anything with the Vehicle
attributes.
"""

from __future__ import annotations

from typing import Any

from forecourt.catalog.inventory_row_types import (
    ILLEGAL_TRANSITION,
    IMPORT_CURRENCY,
    IN_SERVICE_BY_MOVE,
    KEEP,
    NOT_OFFERED,
    OFFER_ABOVE_LIST,
    CatalogIndex,
    ImportRow,
    RowProblem,
)
from forecourt.catalog.inventory_rows import check_options
from forecourt.catalog.lifecycle import FleetPool, IllegalTransition, VehicleStatus, check_transition


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
