"""Every query of the catalog context."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from sqlalchemy import BigInteger, Row, Select, func, or_, select, type_coerce
from sqlalchemy.orm import Session, joinedload, selectinload

from forecourt.catalog.criteria import SortKey, VehicleCriteria
from forecourt.catalog.lifecycle import FleetPool
from forecourt.catalog.models import Brand, City, Colour, Option, Store, Trim, Vehicle, VehicleModel
from forecourt.core.money import to_minor_units


@dataclass(frozen=True)
class CatalogSnapshot:
    """The small tables, loaded whole: a few hundred rows that every search resolves names against."""

    brands: Sequence[Brand]
    models: Sequence[VehicleModel]
    trims: Sequence[Trim]
    colours: Sequence[Colour]
    cities: Sequence[City]
    stores: Sequence[Store]


def load_catalog_snapshot(session: Session) -> CatalogSnapshot:
    return CatalogSnapshot(
        brands=session.scalars(select(Brand).order_by(Brand.code)).all(),
        models=session.scalars(select(VehicleModel).order_by(VehicleModel.code)).all(),
        trims=session.scalars(select(Trim).order_by(Trim.code)).all(),
        colours=session.scalars(select(Colour).order_by(Colour.model_id, Colour.code)).all(),
        cities=session.scalars(select(City).order_by(City.code)).all(),
        stores=session.scalars(select(Store).order_by(Store.code)).all(),
    )


def _where(statement: Select, criteria: VehicleCriteria, *, range_indexes: bool = True) -> Select:
    """`range_indexes=False` writes the price and year ranges so no index serves them ("+ 0"), for a query
    that a covering index answers better than a range index plus table lookups."""
    price = Vehicle.price if range_indexes else type_coerce(Vehicle.price, BigInteger) + 0
    year = Vehicle.model_year if range_indexes else Vehicle.model_year + 0
    as_price = (lambda amount: amount) if range_indexes else to_minor_units
    conditions = []
    if criteria.trim_ids is not None:
        conditions.append(Vehicle.trim_id.in_(sorted(criteria.trim_ids)))
    if criteria.colour_ids is not None:
        ids = sorted(i for i in criteria.colour_ids if i is not None)
        in_ids = Vehicle.colour_id.in_(ids)
        conditions.append(or_(in_ids, Vehicle.colour_id.is_(None)) if None in criteria.colour_ids else in_ids)
    if criteria.store_ids is not None:
        conditions.append(Vehicle.store_id.in_(sorted(criteria.store_ids)))
    if criteria.statuses is not None:
        conditions.append(Vehicle.status.in_(sorted(criteria.statuses)))
    if criteria.model_years is not None:
        conditions.append(Vehicle.model_year.in_(sorted(criteria.model_years)))
    if criteria.price_min is not None:
        conditions.append(price >= as_price(criteria.price_min))
    if criteria.price_max is not None:
        conditions.append(price <= as_price(criteria.price_max))
    if criteria.year_min is not None:
        conditions.append(year >= criteria.year_min)
    if criteria.year_max is not None:
        conditions.append(year <= criteria.year_max)
    if criteria.mileage_max is not None:
        conditions.append(Vehicle.mileage_km <= criteria.mileage_max)
    if criteria.test_drive_fleet is not None:
        pool = Vehicle.fleet_pool == FleetPool.TEST_DRIVE.value
        conditions.append(pool if criteria.test_drive_fleet else ~pool)
    return statement.where(*conditions)


_ORDER = {
    SortKey.PRICE_ASC: (Vehicle.price.asc(),),
    SortKey.PRICE_DESC: (Vehicle.price.desc(),),
    SortKey.YEAR_DESC: (Vehicle.model_year.desc(), Vehicle.price.asc()),
    SortKey.YEAR_ASC: (Vehicle.model_year.asc(), Vehicle.price.asc()),
    SortKey.MILEAGE_ASC: (Vehicle.mileage_km.asc(), Vehicle.price.asc()),
    SortKey.MILEAGE_DESC: (Vehicle.mileage_km.desc(), Vehicle.price.asc()),
    SortKey.NEWEST: (Vehicle.created_at.desc(),),
}


# The same orders as expressions no index provides ("+ 0"), for few matches: see search_vehicles.
_ORDER_BY_SORTING_MATCHES = {
    SortKey.PRICE_ASC: ((type_coerce(Vehicle.price, BigInteger) + 0).asc(),),
    SortKey.PRICE_DESC: ((type_coerce(Vehicle.price, BigInteger) + 0).desc(),),
    SortKey.YEAR_DESC: ((Vehicle.model_year + 0).desc(), Vehicle.price.asc()),
    SortKey.YEAR_ASC: ((Vehicle.model_year + 0).asc(), Vehicle.price.asc()),
    SortKey.MILEAGE_ASC: ((Vehicle.mileage_km + 0).asc(), Vehicle.price.asc()),
    SortKey.MILEAGE_DESC: ((Vehicle.mileage_km + 0).desc(), Vehicle.price.asc()),
    SortKey.NEWEST: _ORDER[SortKey.NEWEST],  # arrival order hardly correlates with filters
}


def vehicle_page_ids_statement(
    criteria: VehicleCriteria, sort: SortKey, limit: int, offset: int, *, few_matches: bool = False
) -> Select:
    # The id tie-breaker makes every order total, so pages never repeat or skip a vehicle.
    order = (_ORDER_BY_SORTING_MATCHES if few_matches else _ORDER)[sort]
    return _where(select(Vehicle.id), criteria).order_by(*order, Vehicle.id.asc()).limit(limit).offset(offset)


def search_vehicles(
    session: Session, criteria: VehicleCriteria, sort: SortKey, limit: int, offset: int, *, few_matches: bool = False
) -> Sequence[Vehicle]:
    """A page of vehicles: first the page's ids (narrow rows, so sorting is cheap), then those vehicles
    with their trim, model, colour and store.

    `few_matches` (the caller knows the exact count) picks the plan: with few matches, fetch them through
    the filter's index and sort them; with many, walk the sort key's index and stop after a page. Left to
    itself the planner walks the sort index even when the filter correlates with the sort key (Lincolns
    by price sit at the far end) and scans most of the table for one page."""
    ids = session.scalars(vehicle_page_ids_statement(criteria, sort, limit, offset, few_matches=few_matches)).all()
    if not ids:
        return []
    loaded = session.scalars(select(Vehicle).where(Vehicle.id.in_(ids)).options(*_vehicle_load_options()))
    by_id = {vehicle.id: vehicle for vehicle in loaded.unique()}
    return [by_id[vehicle_id] for vehicle_id in ids]


def facet_rows_statement(criteria: VehicleCriteria) -> Select:
    columns = (Vehicle.trim_id, Vehicle.colour_id, Vehicle.store_id, Vehicle.model_year, Vehicle.status)
    # Grouped from the covering index alone: SQLite would otherwise take the price index for a price range
    # and fetch and sort the table rows.
    return _where(select(*columns, func.count()), criteria, range_indexes=False).group_by(*columns)


def facet_rows(session: Session, criteria: VehicleCriteria) -> Sequence[tuple[int, int | None, int, int, str, int]]:
    """One row per distinct (trim, colour, store, year, status) among the vehicles matching `criteria`."""
    # Through the connection: plain Core rows, without the ORM result machinery (thousands of rows).
    return session.connection().execute(facet_rows_statement(criteria)).all()


def _vehicle_load_options() -> tuple:
    return (
        joinedload(Vehicle.trim).joinedload(Trim.model).joinedload(VehicleModel.brand),
        joinedload(Vehicle.colour),
        joinedload(Vehicle.store).joinedload(Store.city),
    )


def get_vehicle_by_vin(session: Session, vin: str, *, for_update: bool = False) -> Vehicle | None:
    statement = select(Vehicle).where(Vehicle.vin == vin).options(*_vehicle_load_options())
    if for_update:
        # populate_existing: a row already loaded in this session is refreshed with the locked values,
        # so a status check after the lock sees what the lock protects.
        statement = statement.with_for_update(of=Vehicle).execution_options(populate_existing=True)
    return session.scalars(statement).unique().one_or_none()


def vehicles_for_sale_at_store(
    session: Session, store_id: int, statuses: Sequence[str], limit: int
) -> Sequence[Vehicle]:
    """A store's cars for sale in the given statuses (not its test-drive or mobility fleets), by model, trim and price, at most `limit`."""
    statement = (
        select(Vehicle)
        .join(Vehicle.trim)
        .join(Trim.model)
        .where(
            Vehicle.store_id == store_id, Vehicle.status.in_(list(statuses)), Vehicle.fleet_pool == FleetPool.SALE.value
        )
        .order_by(VehicleModel.code, Trim.code, Vehicle.price, Vehicle.id)
        .limit(limit)
        .options(*_vehicle_load_options())
    )
    return session.scalars(statement).unique().all()


VEHICLE_STATE_COLUMNS = (
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
    "status_changed_at",
)


def vehicle_states_by_vin(session: Session, vins: Sequence[str], *, lock: bool = False) -> dict[str, Row]:
    """Plain rows (id, vin and the importable columns) of the given VINs: no ORM objects, for bulk upserts.

    With lock=True the rows are locked (FOR UPDATE on PostgreSQL) until the transaction ends, so a status
    checked here cannot be changed by a concurrent writer before this transaction writes.
    """
    columns = [Vehicle.id, Vehicle.vin, *(getattr(Vehicle, name) for name in VEHICLE_STATE_COLUMNS)]
    found: dict[str, Row] = {}
    for start in range(0, len(vins), 900):  # stay under SQLite's bound-parameter limit
        statement = select(*columns).where(Vehicle.vin.in_(vins[start : start + 900]))
        if lock:
            statement = statement.with_for_update()
        found.update((row.vin, row) for row in session.execute(statement))
    return found


def list_models_with_details(session: Session) -> Sequence[VehicleModel]:
    statement = (
        select(VehicleModel)
        .options(
            joinedload(VehicleModel.brand),
            selectinload(VehicleModel.trims),
            selectinload(VehicleModel.colours),
            selectinload(VehicleModel.options),
        )
        .order_by(VehicleModel.code)
    )
    return session.scalars(statement).unique().all()


def get_model_by_code(session: Session, code: str) -> VehicleModel | None:
    statement = (
        select(VehicleModel)
        .where(VehicleModel.code == code)
        .options(
            joinedload(VehicleModel.brand),
            selectinload(VehicleModel.trims),
            selectinload(VehicleModel.colours),
            selectinload(VehicleModel.options),
        )
    )
    return session.scalars(statement).unique().one_or_none()


def list_stores(session: Session) -> Sequence[Store]:
    return session.scalars(select(Store).options(joinedload(Store.city)).order_by(Store.code)).all()


def get_store_by_code(session: Session, code: str) -> Store | None:
    return session.scalars(select(Store).where(Store.code == code).options(joinedload(Store.city))).one_or_none()


def count_vehicles(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Vehicle)) or 0


def list_options_for_model(session: Session, model_id: int) -> Sequence[Option]:
    return session.scalars(select(Option).where(Option.model_id == model_id)).all()


def all_rows(session: Session, entity: type) -> Sequence:
    return session.scalars(select(entity)).all()


def vin_serials_with_prefixes(session: Session, prefixes: Sequence[str]) -> Sequence[str]:
    """VIN positions 12-17 (the serial) of vehicles whose first 8 characters are one of `prefixes`."""
    statement = select(func.substr(Vehicle.vin, 12, 6)).where(func.substr(Vehicle.vin, 1, 8).in_(prefixes))
    return session.scalars(statement).all()


def _fleet_where(
    statement: Select,
    model_code: str | None,
    store_code: str | None,
    city_code: str | None,
    pool: FleetPool = FleetPool.TEST_DRIVE,
) -> Select:
    in_use = "available" if pool is FleetPool.TEST_DRIVE else "in_service"
    statement = (
        statement.join(Vehicle.trim)
        .join(Trim.model)
        .join(Vehicle.store)
        .join(Store.city)
        .where(Vehicle.fleet_pool == pool.value, Vehicle.status == in_use)
        .order_by(Vehicle.store_id, Vehicle.vin)
    )
    if model_code:
        statement = statement.where(VehicleModel.code == model_code)
    if store_code:
        statement = statement.where(Store.code == store_code)
    if city_code:
        statement = statement.where(City.code == city_code)
    return statement


def test_drive_fleet(
    session: Session, *, model_code: str | None, store_code: str | None, city_code: str | None
) -> Sequence[Vehicle]:
    """Available test-drive cars, narrowed by model, store and city, in VIN order."""
    statement = _fleet_where(select(Vehicle).options(*_vehicle_load_options()), model_code, store_code, city_code)
    return session.scalars(statement).unique().all()


def pool_fleet(session: Session, pool: FleetPool, *, store_id: int, model_codes: Collection[str]) -> Sequence[Vehicle]:
    """A store's cars of a mobility pool, of these models, in VIN order."""
    statement = _fleet_where(select(Vehicle).options(*_vehicle_load_options()), None, None, None, pool)
    statement = statement.where(Vehicle.store_id == store_id, VehicleModel.code.in_(sorted(model_codes)))
    return session.scalars(statement).unique().all()


def store_service_fleet(session: Session, store_id: int) -> Sequence[Vehicle]:
    """A store's cars in the test-drive, rental and subscription pools (on sale or in service), by pool and VIN."""
    statement = (
        select(Vehicle)
        .where(
            Vehicle.store_id == store_id,
            Vehicle.fleet_pool != FleetPool.SALE.value,
            Vehicle.status.in_(("available", "in_service")),
        )
        .order_by(Vehicle.fleet_pool, Vehicle.vin)
        .options(*_vehicle_load_options())
    )
    return session.scalars(statement).unique().all()


def pool_store_models(session: Session, pool: FleetPool) -> Sequence[Row]:
    """(store_id, model_code) of every store with cars in service in a mobility pool, once per model."""
    statement = (
        select(Vehicle.store_id, VehicleModel.code)
        .join(Vehicle.trim)
        .join(Trim.model)
        .where(Vehicle.fleet_pool == pool.value, Vehicle.status == "in_service")
        .group_by(Vehicle.store_id, VehicleModel.code)
        .order_by(Vehicle.store_id, VehicleModel.code)
    )
    return session.execute(statement).all()


def get_vehicle_by_id(session: Session, vehicle_id: int) -> Vehicle | None:
    """From the session's identity map when this request has loaded the car already (a booking's or order's
    use case asks for its car several times), else one query with its trim, model, store and city."""
    return session.get(Vehicle, vehicle_id, options=_vehicle_load_options())


def test_drive_fleet_rows(
    session: Session, *, model_code: str | None, store_code: str | None, city_code: str | None
) -> Sequence[Row]:
    """(id, vin, store_id) of available test-drive cars: what an availability search needs, without
    loading every car's trim, model, colour and store as objects."""
    statement = select(Vehicle.id, Vehicle.vin, Vehicle.store_id)
    return session.execute(_fleet_where(statement, model_code, store_code, city_code)).all()


def searchable_vehicle_rows(
    session: Session, *, city_code: str | None = None, body_type: str | None = None
) -> Sequence[Row]:
    """(id, vin, price_minor, currency, model_code, trim_code, store_id, powertrain) of every available car,
    optionally in one city and of one body type: plain rows with the price in fen, for a vectorised search
    (the search by monthly payment) over the whole inventory without loading ORM objects."""
    statement = (
        select(
            Vehicle.id,
            Vehicle.vin,
            type_coerce(Vehicle.price, BigInteger).label("price_minor"),
            Vehicle.currency,
            VehicleModel.code.label("model_code"),
            Trim.code.label("trim_code"),
            Vehicle.store_id,
            Trim.powertrain,
        )
        .join(Vehicle.trim)
        .join(Trim.model)
        .join(Vehicle.store)
        .join(Store.city)
        .where(Vehicle.status == "available")
        .order_by(Vehicle.id)
    )
    if city_code:
        statement = statement.where(City.code == city_code)
    if body_type:
        statement = statement.where(VehicleModel.body_type == body_type)
    return session.connection().execute(statement).all()


def lock_vehicles(session: Session, vehicle_ids: Sequence[int]) -> None:
    """Lock the vehicles' rows until the transaction ends, in id order (so two lockers never deadlock).
    PostgreSQL only; SQLite has no row locks (its writers are serialised by BEGIN IMMEDIATE)."""
    if vehicle_ids and session.get_bind().dialect.name == "postgresql":
        statement = select(Vehicle.id).where(Vehicle.id.in_(sorted(vehicle_ids))).order_by(Vehicle.id)
        session.execute(statement.with_for_update())


def model_stock_by_store(session: Session, model_code: str) -> dict[int, int]:
    """{store id: number of available or in-transit cars of the model} (stores without one are left out)."""
    statement = (
        select(Vehicle.store_id, func.count())
        .join(Vehicle.trim)
        .join(Trim.model)
        .where(VehicleModel.code == model_code, Vehicle.status.in_(("available", "in_transit")))
        .group_by(Vehicle.store_id)
    )
    return {store_id: count for store_id, count in session.execute(statement).all()}


def existing_model_codes(session: Session, codes: Sequence[str]) -> set[str]:
    return set(session.scalars(select(VehicleModel.code).where(VehicleModel.code.in_(list(codes))))) if codes else set()
