"""The demo loader: catalog idempotency and the vehicle generator's rules.

Database tests run on SQLite and PostgreSQL (via `db_session`); rule and distribution checks on large
samples generate rows in memory with placeholder ids, so they need no database.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from forecourt.catalog.demo import (
    CREATED_WINDOW,
    REFERENCE_TIME,
    SELF_SERVICE_FLEET_SIZE,
    CatalogIds,
    generate_vehicle_rows,
    load_demo,
)
from forecourt.catalog.demo_lineup import BRANDS, CITIES, MODELS, STORES
from forecourt.catalog.models import Brand, City, Colour, Option, Store, Trim, Vehicle, VehicleModel
from forecourt.catalog.vin import validate_vin

CATALOG_TABLES = (Brand, VehicleModel, Trim, Colour, Option, City, Store)
MODEL_OF_TRIM = {trim.code: model for model in MODELS for trim in model.trims}
STORE_SPECS = {store.code: store for store in STORES}


def placeholder_ids() -> CatalogIds:
    """Sequential fake ids for every lineup row: enough for the generator, which never reads the database."""
    trims = [trim.code for model in MODELS for trim in model.trims]
    colours = [(model.code, colour.code) for model in MODELS for colour in model.colours]
    return CatalogIds(
        trims={code: n for n, code in enumerate(trims, 1)},
        colours={key: n for n, key in enumerate(colours, 1)},
        stores={store.code: n for n, store in enumerate(STORES, 1)},
    )


IDS = placeholder_ids()
TRIM_CODE = {n: code for code, n in IDS.trims.items()}
STORE_CODE = {n: code for code, n in IDS.stores.items()}


@pytest.fixture(scope="module")
def sample() -> list[dict[str, Any]]:
    return list(generate_vehicle_rows(IDS, 5_000, seed=2018))


def _count(session: Session, entity: type) -> int:
    return session.scalar(select(func.count()).select_from(entity)) or 0


# --------------------------------------------------------------------------------------------------
# Database: load, read back, load again
# --------------------------------------------------------------------------------------------------


def test_load_demo_inserts_lineup_and_vehicles(db_session: Session) -> None:
    summary = load_demo(db_session, vehicles=300, seed=7)

    trims = sum(len(model.trims) for model in MODELS)
    assert (
        summary == f"loaded 2 brands, {len(MODELS)} models, {trims} trims, 5 cities, {len(STORES)} stores, 300 vehicles"
    )
    assert _count(db_session, Brand) == len(BRANDS)
    assert _count(db_session, VehicleModel) == len(MODELS)
    assert _count(db_session, Trim) == trims
    assert _count(db_session, Colour) == sum(len(model.colours) for model in MODELS)
    assert _count(db_session, Option) == sum(len(model.options) for model in MODELS)
    assert _count(db_session, City) == len(CITIES)
    assert _count(db_session, Store) == len(STORES)
    assert _count(db_session, Vehicle) == 300


def test_loaded_vehicles_read_back_and_follow_the_rules(db_session: Session) -> None:
    load_demo(db_session, vehicles=300, seed=7)
    db_session.expire_all()  # read what the database stored, not what the session remembers
    vehicles = db_session.scalars(
        select(Vehicle).options(
            joinedload(Vehicle.trim).joinedload(Trim.model).joinedload(VehicleModel.brand),
            joinedload(Vehicle.store),
            joinedload(Vehicle.colour),
        )
    ).all()

    assert len({vehicle.vin for vehicle in vehicles}) == 300
    for vehicle in vehicles:
        assert validate_vin(vehicle.vin) == vehicle.vin
        assert vehicle.colour is not None and vehicle.colour.model_id == vehicle.trim.model_id
        assert isinstance(vehicle.price, Decimal) and vehicle.price == (vehicle.offer_price or vehicle.list_price)
        assert vehicle.list_price == vehicle.trim.msrp + vehicle.colour.surcharge
        assert vehicle.created_at.utcoffset() == timedelta(0)
        assert REFERENCE_TIME - CREATED_WINDOW <= vehicle.created_at < REFERENCE_TIME
        assert vehicle.updated_at == vehicle.status_changed_at == vehicle.created_at
        is_lincoln = vehicle.trim.model.brand.code == "lincoln"
        if vehicle.store.kind == "self_service":
            assert vehicle.is_test_drive_fleet and vehicle.status == "available" and not is_lincoln
        else:
            assert ("lincoln" in vehicle.store.code) == is_lincoln


def test_loading_twice_reuses_catalog_and_keeps_vins_unique(db_session: Session) -> None:
    load_demo(db_session, vehicles=100, seed=1)
    catalog_counts = {entity.__name__: _count(db_session, entity) for entity in CATALOG_TABLES}

    summary = load_demo(db_session, vehicles=100, seed=1)  # same seed: only the serials differ

    assert "reused" in summary and "created 0" in summary
    assert {entity.__name__: _count(db_session, entity) for entity in CATALOG_TABLES} == catalog_counts
    assert _count(db_session, Vehicle) == 200
    assert db_session.scalar(select(func.count(func.distinct(Vehicle.vin)))) == 200


# --------------------------------------------------------------------------------------------------
# Generator (no database)
# --------------------------------------------------------------------------------------------------


def _fingerprint(rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [(r["vin"], r["store_id"], r["list_price"], r["offer_price"], r["status"], r["created_at"]) for r in rows]


def test_same_seed_gives_same_rows_and_another_seed_differs() -> None:
    first = list(generate_vehicle_rows(IDS, 500, seed=42))
    again = list(generate_vehicle_rows(IDS, 500, seed=42))
    other = list(generate_vehicle_rows(IDS, 500, seed=43))

    assert first == again
    assert _fingerprint(first) != _fingerprint(other)


def test_serial_start_moves_the_vin_range() -> None:
    low = {row["vin"] for row in generate_vehicle_rows(IDS, 200, seed=5)}
    high = {row["vin"] for row in generate_vehicle_rows(IDS, 200, seed=5, serial_start=201)}

    assert len(low) == len(high) == 200
    assert not low & high
    assert {vin[-6:] for vin in high} == {f"{n:06d}" for n in range(201, 401)}


def test_serials_beyond_six_digits_are_refused() -> None:
    with pytest.raises(ValueError, match="do not fit"):
        next(generate_vehicle_rows(IDS, 10, serial_start=999_995))


def test_every_vin_is_valid_and_unique(sample: list[dict[str, Any]]) -> None:
    vins = [row["vin"] for row in sample]
    assert len(set(vins)) == len(vins)
    assert all(validate_vin(vin) == vin for vin in vins)


def test_money_is_exact_and_offers_are_whole_hundreds_off(sample: list[dict[str, Any]]) -> None:
    for row in sample:
        list_price, offer = row["list_price"], row["offer_price"]
        assert row["price"] == (offer if offer is not None else list_price)
        for amount in (list_price, offer, row["price"]):
            assert amount is None or (isinstance(amount, Decimal) and amount.as_tuple().exponent >= -2)
        if offer is not None:
            discount = list_price - offer
            assert discount % 100 == 0
            assert list_price * Decimal("0.02") - 100 < discount <= list_price * Decimal("0.12")


def test_store_assignment_respects_brands_and_self_service(sample: list[dict[str, Any]]) -> None:
    self_service = [row for row in sample if STORE_SPECS[STORE_CODE[row["store_id"]]].kind == "self_service"]
    assert len(self_service) == SELF_SERVICE_FLEET_SIZE
    for row in self_service:
        assert row["fleet_pool"] == "test_drive" and row["status"] == "available"
        assert 1_000 <= row["mileage_km"] <= 15_000
        assert MODEL_OF_TRIM[TRIM_CODE[row["trim_id"]]].brand_code == "ford"
    for row in sample:
        store = STORE_SPECS[STORE_CODE[row["store_id"]]]
        if store.kind == "dealer":
            is_lincoln = MODEL_OF_TRIM[TRIM_CODE[row["trim_id"]]].brand_code == "lincoln"
            assert ("lincoln" in store.code) == is_lincoln


def test_distributions_are_roughly_as_specified(sample: list[dict[str, Any]]) -> None:
    dealer_rows = [row for row in sample if STORE_SPECS[STORE_CODE[row["store_id"]]].kind == "dealer"]
    statuses = Counter(row["status"] for row in dealer_rows)
    share = {status: statuses[status] / len(dealer_rows) for status in statuses}

    # Dealer fleet cars (~3%) are always available, which lifts "available" a little above 85%.
    assert 0.82 <= share["available"] <= 0.90
    assert 0.06 <= share["in_transit"] <= 0.10
    assert 0.025 <= share["reserved"] <= 0.055
    assert 0.015 <= share["sold"] <= 0.045
    assert 0.015 <= sum(row["fleet_pool"] == "test_drive" for row in dealer_rows) / len(dealer_rows) <= 0.045
    assert 0.36 <= sum(row["offer_price"] is not None for row in sample) / len(sample) <= 0.44
    assert 0.76 <= sum(row["model_year"] == 2018 for row in sample) / len(sample) <= 0.84
    new_stock = [row for row in sample if row["fleet_pool"] != "test_drive"]
    assert all(0 <= row["mileage_km"] <= 50 for row in new_stock)


def test_every_model_appears_and_popular_models_dominate(sample: list[dict[str, Any]]) -> None:
    per_model = Counter(MODEL_OF_TRIM[TRIM_CODE[row["trim_id"]]].code for row in sample)
    assert set(per_model) == {model.code for model in MODELS}
    assert per_model["escort"] > 3 * per_model["navigator"]  # popularity 10 vs 1


def test_photos_options_and_timestamps(sample: list[dict[str, Any]]) -> None:
    for row in sample:
        model = MODEL_OF_TRIM[TRIM_CODE[row["trim_id"]]]
        assert 1 <= len(row["photo_urls"]) <= 3
        assert all(
            url.startswith(f"/static/photos/{model.code}/") and url.endswith(".jpg") for url in row["photo_urls"]
        )
        assert set(row["option_codes"]) <= {option.code for option in model.options}
        assert row["created_at"].tzinfo is not None
        assert REFERENCE_TIME - CREATED_WINDOW <= row["created_at"] < REFERENCE_TIME
