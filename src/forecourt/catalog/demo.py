"""Demo data loader: the Ford/Lincoln China 2018 lineup from `demo_lineup` plus generated VIN-level stock.

Everything is deterministic: catalog rows come from the lineup, vehicles from `random.Random(seed)` and a
fixed reference date (never the wall clock), so the same seed always gives the same VINs and prices.
Nothing here commits; the caller owns the transaction.

Vehicles are produced as plain dicts by `generate_vehicle_rows` and written with bulk Core
`insert(Vehicle.__table__)` in batches, so 100,000 rows load in seconds (ORM objects one by one would take minutes).
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import insert
from sqlalchemy.orm import Session

from forecourt.catalog import repository
from forecourt.catalog.demo_lineup import BRANDS, CITIES, MODELS, STORES, ModelSpec
from forecourt.catalog.lifecycle import FleetPool, VehicleStatus
from forecourt.catalog.models import Brand, City, Colour, Option, Store, StoreKind, Trim, Vehicle, VehicleModel
from forecourt.catalog.vin import build_vin
from forecourt.core.money import to_minor_units

DEFAULT_SEED = 2018
BATCH_SIZE = 5_000
MAX_SERIAL = 999_999  # VIN positions 12-17
# Fixed so that runs are reproducible; created_at falls in the CREATED_WINDOW before it.
REFERENCE_TIME = datetime(2026, 11, 1, tzinfo=UTC)
CREATED_WINDOW = timedelta(days=180)

SELF_SERVICE_FLEET_SIZE = 40
DEALER_FLEET_SHARE = 0.03
OFFER_SHARE = 0.40
MODEL_YEAR_2018_SHARE = 0.80
OPTION_SHARE = 0.35  # chance each of a model's options is fitted
STATUS_WEIGHTS: dict[str, int] = {
    VehicleStatus.AVAILABLE.value: 85,
    VehicleStatus.IN_TRANSIT.value: 8,
    VehicleStatus.RESERVED.value: 4,
    VehicleStatus.SOLD.value: 3,
}
_CENT = Decimal("0.01")
_STATUSES = tuple(STATUS_WEIGHTS)
_STATUS_CUM_WEIGHTS = tuple(itertools.accumulate(STATUS_WEIGHTS.values()))

_Row = TypeVar("_Row")


@dataclass(frozen=True)
class CatalogIds:
    """Database ids of the lineup's rows, which is all the vehicle generator needs from the database."""

    trims: Mapping[str, int]  # trim code -> id
    colours: Mapping[tuple[str, str], int]  # (model code, colour code) -> id
    stores: Mapping[str, int]  # store code -> id


@dataclass(frozen=True)
class DemoCatalog:
    ids: CatalogIds
    created: int  # catalog rows inserted by this call
    reused: int  # catalog rows that already existed (by code) and were left as they were


# --------------------------------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------------------------------


def load_demo(session: Session, vehicles: int = 5000, seed: int = DEFAULT_SEED) -> str:
    """Insert the demo catalog (reusing rows that exist) and `vehicles` generated vehicles; flush, never commit."""
    catalog = ensure_catalog(session)
    rows = generate_vehicle_rows(catalog.ids, vehicles, seed, serial_start=next_demo_serial(session))
    inserted = insert_vehicle_rows(session, rows)
    return _summary(catalog, inserted)


def _summary(catalog: DemoCatalog, vehicles: int) -> str:
    trims = sum(len(model.trims) for model in MODELS)
    text = (
        f"loaded {len(BRANDS)} brands, {len(MODELS)} models, {trims} trims, "
        f"{len(CITIES)} cities, {len(STORES)} stores, {vehicles} vehicles"
    )
    if catalog.reused:
        text += f" (reused {catalog.reused} existing catalog rows, created {catalog.created})"
    return text


# --------------------------------------------------------------------------------------------------
# Catalog: get-or-create by code, so a second load reuses what the first one wrote
# --------------------------------------------------------------------------------------------------


class _Tally:
    def __init__(self) -> None:
        self.created = 0
        self.reused = 0


def ensure_catalog(session: Session) -> DemoCatalog:
    """Brands, models, trims, colours, options, cities and stores of the lineup; existing codes are reused."""
    tally = _Tally()
    brands = _ensure(session, tally, Brand, lambda b: b.code, {s.code: Brand(**_columns(s)) for s in BRANDS})
    models = _ensure_models(session, tally, brands)
    trims = _ensure_trims(session, tally, models)
    colours = _ensure_colours(session, tally, models)
    _ensure_options(session, tally, models)
    cities = _ensure(session, tally, City, lambda c: c.code, {s.code: City(**_columns(s)) for s in CITIES})
    stores = _ensure_stores(session, tally, cities)
    ids = CatalogIds(
        trims={code: trim.id for code, trim in trims.items()},
        colours={key: colour.id for key, colour in colours.items()},
        stores={code: store.id for code, store in stores.items()},
    )
    return DemoCatalog(ids=ids, created=tally.created, reused=tally.reused)


def _ensure(session: Session, tally: _Tally, entity: type, key_of: Any, wanted: dict[Any, Any]) -> dict[Any, Any]:
    """Return wanted key -> row, adding (and flushing, for ids) only the rows whose key is not in the table."""
    existing = {key_of(row): row for row in repository.all_rows(session, entity)}
    result = {}
    for key, new_row in wanted.items():
        if key in existing:
            result[key] = existing[key]
            tally.reused += 1
        else:
            session.add(new_row)
            result[key] = new_row
            tally.created += 1
    session.flush()
    return result


def _columns(spec: Any, *, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    """A spec's scalar fields as column values (nested tuples and non-column fields are skipped)."""
    return {
        f.name: getattr(spec, f.name)
        for f in fields(spec)
        if f.name not in skip and not isinstance(getattr(spec, f.name), tuple)
    }


_MODEL_ONLY_FIELDS = ("brand_code", "wmi", "vds", "plant_code", "popularity")


def _ensure_models(session: Session, tally: _Tally, brands: dict[str, Brand]) -> dict[str, VehicleModel]:
    wanted = {
        spec.code: VehicleModel(brand_id=brands[spec.brand_code].id, **_columns(spec, skip=_MODEL_ONLY_FIELDS))
        for spec in MODELS
    }
    return _ensure(session, tally, VehicleModel, lambda m: m.code, wanted)


def _ensure_trims(session: Session, tally: _Tally, models: dict[str, VehicleModel]) -> dict[str, Trim]:
    wanted = {
        trim.code: Trim(model_id=models[spec.code].id, **_columns(trim)) for spec in MODELS for trim in spec.trims
    }
    return _ensure(session, tally, Trim, lambda t: t.code, wanted)


def _ensure_colours(session: Session, tally: _Tally, models: dict[str, VehicleModel]) -> dict[tuple[str, str], Colour]:
    # Keyed by (model id, code) to match the table's unique constraint, then re-keyed by model code.
    wanted = {
        (models[spec.code].id, colour.code): Colour(model_id=models[spec.code].id, **_columns(colour))
        for spec in MODELS
        for colour in spec.colours
    }
    by_id = _ensure(session, tally, Colour, lambda c: (c.model_id, c.code), wanted)
    return {
        (spec.code, colour.code): by_id[(models[spec.code].id, colour.code)]
        for spec in MODELS
        for colour in spec.colours
    }


def _ensure_options(session: Session, tally: _Tally, models: dict[str, VehicleModel]) -> None:
    wanted = {
        (models[spec.code].id, option.code): Option(model_id=models[spec.code].id, **_columns(option))
        for spec in MODELS
        for option in spec.options
    }
    _ensure(session, tally, Option, lambda o: (o.model_id, o.code), wanted)


def _ensure_stores(session: Session, tally: _Tally, cities: dict[str, City]) -> dict[str, Store]:
    wanted = {
        spec.code: Store(
            city_id=cities[spec.city_code].id,
            # A fresh copy: the ORM may mutate the dict, and the lineup is shared module-level data.
            opening_hours={day: [list(pair) for pair in pairs] for day, pairs in spec.opening_hours.items()},
            **_columns(spec, skip=("city_code", "opening_hours")),
        )
        for spec in STORES
    }
    return _ensure(session, tally, Store, lambda s: s.code, wanted)


# --------------------------------------------------------------------------------------------------
# Vehicles: pure generation (no database) + batched bulk insert
# --------------------------------------------------------------------------------------------------


def next_demo_serial(session: Session) -> int:
    """1 + the highest serial among vehicles with a demo WMI+VDS, so repeated loads never reuse a VIN."""
    prefixes = sorted({spec.wmi + spec.vds for spec in MODELS})
    tails = repository.vin_serials_with_prefixes(session, prefixes)
    # Imported VINs may carry letters in the serial; only numeric serials can collide with ours.
    return max((int(tail) for tail in tails if tail.isdigit()), default=0) + 1


def insert_vehicle_rows(session: Session, rows: Iterable[dict[str, Any]], batch_size: int = BATCH_SIZE) -> int:
    """Bulk-insert vehicle dicts in batches (bounded memory, one executemany per batch); return the count."""
    # Core insert on the session's own connection (same transaction): the ORM bulk path of
    # session.execute(insert(Vehicle), ...) costs ~2.5x more per row. Column types (Money, UTCDateTime,
    # JSON) still process every value.
    connection = session.connection()
    inserted = 0
    for batch in _batches(rows, batch_size):
        connection.execute(insert(Vehicle.__table__), batch)
        inserted += len(batch)
    return inserted


def _batches(items: Iterable[_Row], size: int) -> Iterator[list[_Row]]:
    iterator = iter(items)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


@dataclass(frozen=True)
class _ModelPlan:
    spec: ModelSpec
    trims: tuple[tuple[int, Decimal], ...]  # (trim id, msrp), cheapest first as in the lineup
    trim_cum_weights: tuple[int, ...]
    colours: tuple[tuple[int, str, Decimal], ...]  # (colour id, colour code, surcharge)
    option_codes: tuple[str, ...]

    @property
    def is_lincoln(self) -> bool:
        return self.spec.brand_code == "lincoln"


@dataclass(frozen=True)
class _Plan:
    models: tuple[_ModelPlan, ...]
    model_cum_weights: tuple[int, ...]
    ford_models: tuple[_ModelPlan, ...]
    ford_cum_weights: tuple[int, ...]
    ford_dealers: tuple[int, ...]  # store ids
    lincoln_dealers: tuple[int, ...]
    self_service: tuple[int, ...]


def _model_plan(spec: ModelSpec, ids: CatalogIds) -> _ModelPlan:
    # Cheapest trim weighs n+1, the dearest 2: uniform-ish, with entry trims a bit more common.
    trim_weights = [len(spec.trims) + 1 - rank for rank in range(len(spec.trims))]
    return _ModelPlan(
        spec=spec,
        trims=tuple((ids.trims[t.code], t.msrp) for t in spec.trims),
        trim_cum_weights=tuple(itertools.accumulate(trim_weights)),
        colours=tuple((ids.colours[(spec.code, c.code)], c.code, c.surcharge) for c in spec.colours),
        option_codes=tuple(o.code for o in spec.options),
    )


def _build_plan(ids: CatalogIds) -> _Plan:
    models = tuple(_model_plan(spec, ids) for spec in MODELS)
    ford = tuple(m for m in models if not m.is_lincoln)
    dealers = [s for s in STORES if s.kind == StoreKind.DEALER.value]
    lincoln = tuple(ids.stores[s.code] for s in dealers if "lincoln" in s.code)
    others = tuple(ids.stores[s.code] for s in dealers if "lincoln" not in s.code)
    all_dealers = lincoln + others
    return _Plan(
        models=models,
        model_cum_weights=tuple(itertools.accumulate(m.spec.popularity for m in models)),
        ford_models=ford,
        ford_cum_weights=tuple(itertools.accumulate(m.spec.popularity for m in ford)),
        # Fall back to any dealer only when a brand has no dedicated store at all.
        ford_dealers=others or all_dealers,
        lincoln_dealers=lincoln or all_dealers,
        self_service=tuple(ids.stores[s.code] for s in STORES if s.kind == StoreKind.SELF_SERVICE.value),
    )


def generate_vehicle_rows(
    ids: CatalogIds, count: int, seed: int = DEFAULT_SEED, *, serial_start: int = 1
) -> Iterator[dict[str, Any]]:
    """Yield `count` vehicle rows for `insert(Vehicle)`; the same ids, seed and serial_start give the same rows.

    Serials run serial_start .. serial_start + count - 1; callers adding to a table that already has demo
    vehicles pass `next_demo_serial(session)` so VINs stay unique.
    """
    if count < 0:
        raise ValueError("count must not be negative")
    if serial_start < 1 or serial_start + count - 1 > MAX_SERIAL:
        raise ValueError(f"serials {serial_start}..{serial_start + count - 1} do not fit in 1..{MAX_SERIAL}")
    rng = random.Random(seed)
    plan = _build_plan(ids)
    serials = itertools.count(serial_start)
    fleet_per_store = min(SELF_SERVICE_FLEET_SIZE, count // (10 * max(1, len(plan.self_service))))
    for store_id in plan.self_service:
        for _ in range(fleet_per_store):
            model = rng.choices(plan.ford_models, cum_weights=plan.ford_cum_weights)[0]
            yield _vehicle_row(rng, model, store_id, next(serials), fleet=True)
    for _ in range(count - fleet_per_store * len(plan.self_service)):
        model = rng.choices(plan.models, cum_weights=plan.model_cum_weights)[0]
        store_id = rng.choice(plan.lincoln_dealers if model.is_lincoln else plan.ford_dealers)
        yield _vehicle_row(rng, model, store_id, next(serials), fleet=rng.random() < DEALER_FLEET_SHARE)


def _vehicle_row(rng: random.Random, model: _ModelPlan, store_id: int, serial: int, *, fleet: bool) -> dict[str, Any]:
    trim_id, msrp = rng.choices(model.trims, cum_weights=model.trim_cum_weights)[0]
    colour_id, colour_code, surcharge = rng.choice(model.colours)
    year = 2018 if rng.random() < MODEL_YEAR_2018_SHARE else 2019
    list_price = (msrp + surcharge).quantize(_CENT)
    offer_price = _offer_price(rng, list_price) if rng.random() < OFFER_SHARE else None
    created_at = REFERENCE_TIME - timedelta(seconds=rng.randrange(int(CREATED_WINDOW.total_seconds())))
    spec = model.spec
    return {
        "vin": build_vin(spec.wmi, spec.vds, year, spec.plant_code, serial),
        "trim_id": trim_id,
        "colour_id": colour_id,
        "store_id": store_id,
        "model_year": year,
        # Test-drive cars have been driven; new stock only has delivery kilometres.
        "mileage_km": rng.randint(1_000, 15_000) if fleet else rng.randint(0, 50),
        "list_price": list_price,
        "offer_price": offer_price,
        "price": offer_price if offer_price is not None else list_price,
        "currency": "CNY",
        # A test-drive car must be bookable, so fleet cars are always available.
        "status": VehicleStatus.AVAILABLE.value if fleet else _pick_status(rng),
        "fleet_pool": FleetPool.TEST_DRIVE.value if fleet else FleetPool.SALE.value,
        "photo_urls": [f"/static/photos/{spec.code}/{colour_code}-{n}.jpg" for n in range(1, rng.randint(1, 3) + 1)],
        "option_codes": [code for code in model.option_codes if rng.random() < OPTION_SHARE],
        "created_at": created_at,
        "updated_at": created_at,
        "status_changed_at": created_at,
    }


def _pick_status(rng: random.Random) -> str:
    return rng.choices(_STATUSES, cum_weights=_STATUS_CUM_WEIGHTS)[0]


def _offer_price(rng: random.Random, list_price: Decimal) -> Decimal | None:
    """list_price minus a 2%-12% discount rounded down to whole 100 CNY; integer arithmetic, no floats."""
    basis_points = rng.randint(200, 1_200)
    discount_yuan = to_minor_units(list_price) * basis_points // (10_000 * 100)
    discount_yuan -= discount_yuan % 100
    if discount_yuan <= 0:  # only for very cheap cars; an offer equal to the list price is no offer
        return None
    return (list_price - Decimal(discount_yuan)).quantize(_CENT)
