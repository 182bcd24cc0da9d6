"""Catalog and inventory use cases. Takes the session first, may flush, never commits."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from decimal import Decimal

from sqlalchemy import Row
from sqlalchemy.orm import Session

from forecourt.audit import service as audit
from forecourt.catalog import edits, repository
from forecourt.catalog.lifecycle import (
    FleetPool,
    IllegalTransition,
    VehicleStatus,
    check_transition,
    is_on_sale,
    status_in_pool,
)
from forecourt.catalog.models import Store, Vehicle, VehicleModel
from forecourt.catalog.search import SearchOutcome, search_vehicles  # noqa: F401 - callers use service.*
from forecourt.catalog.vin import VinError, validate_vin
from forecourt.core.clock import utcnow
from forecourt.core.errors import Conflict, FieldError, Forbidden, InvalidInput, NotFound


def get_vehicle(session: Session, vin: str) -> Vehicle:
    try:
        normalized = validate_vin(vin)
    except VinError as exc:
        raise InvalidInput(
            f"{vin!r} is not a valid VIN: {exc}", code="invalid_vin", errors=[FieldError("vin", str(exc))]
        ) from exc
    vehicle = repository.get_vehicle_by_vin(session, normalized)
    if vehicle is None:
        raise NotFound(f"No vehicle with VIN {normalized}", code="vehicle_not_found")
    return vehicle


def require_on_sale(vehicle: Vehicle) -> None:
    """Refuse (409) unless the car is on sale (`lifecycle.ON_SALE`): the one check the quote, credit and order use
    cases make before they do anything with a car. A reserved car answers `vehicle_already_reserved`, any other
    status `vehicle_not_available`; both name the status, so a page can say what happens next."""
    if is_on_sale(vehicle.status):
        return
    extra = {"vin": vehicle.vin, "vehicle_status": vehicle.status}
    if vehicle.status == VehicleStatus.RESERVED.value:
        raise Conflict(
            f"Vehicle {vehicle.vin} is already reserved by another order", code="vehicle_already_reserved", extra=extra
        )
    raise Conflict(
        f"Vehicle {vehicle.vin} is {vehicle.status.replace('_', ' ')} and not for sale at the moment",
        code="vehicle_not_available",
        extra=extra,
    )


def change_vehicle_status(
    session: Session,
    vin: str,
    target: VehicleStatus,
    *,
    allowed_store_ids: Collection[int] | None = None,
    actor: int | None = None,
) -> Vehicle:
    """`allowed_store_ids`: the stores the caller may change (None: every store). Plain ids, so the catalog
    knows nothing of accounts; the caller decides who may act where. `actor` is recorded in the audit trail."""
    vehicle = get_vehicle(session, vin)
    if allowed_store_ids is not None and vehicle.store_id not in allowed_store_ids:
        # Vehicles are public, so saying that it exists leaks nothing: a 403, not a 404.
        raise Forbidden(
            f"Vehicle {vehicle.vin} belongs to store {vehicle.store.code}, which is not one of your stores",
            code="store_forbidden",
        )
    vehicle = repository.get_vehicle_by_vin(session, vehicle.vin, for_update=True) or vehicle
    try:
        check_transition(VehicleStatus(vehicle.status), target)
    except IllegalTransition as exc:
        raise Conflict(str(exc), code="illegal_status_transition", extra={"current": vehicle.status}) from exc
    if vehicle.status != target.value:
        previous = vehicle.status
        vehicle.status = target.value
        vehicle.status_changed_at = utcnow()
        session.flush()
        audit.record(
            session,
            actor,
            "vehicle.status_changed",
            "vehicle",
            vehicle.vin,
            vehicle.store_id,
            **{"from": previous, "to": target.value},
        )
    return vehicle


EDITABLE_VEHICLE_FIELDS = frozenset(
    {"offer_price", "mileage_km", "colour", "photo_urls", "is_test_drive_fleet", "status"}
)


def _check_store(vehicle: Vehicle, allowed_store_ids: Collection[int] | None) -> None:
    if allowed_store_ids is not None and vehicle.store_id not in allowed_store_ids:
        raise Forbidden(
            f"Vehicle {vehicle.vin} belongs to store {vehicle.store.code}, which is not one of your stores",
            code="store_forbidden",
        )


def get_vehicle_for_staff(session: Session, vin: str, *, allowed_store_ids: Collection[int] | None) -> Vehicle:
    """A vehicle the caller may edit (Forbidden when it belongs to another store)."""
    vehicle = get_vehicle(session, vin)
    _check_store(vehicle, allowed_store_ids)
    return vehicle


def _jsonable(value: object) -> object:
    return str(value) if isinstance(value, Decimal) else value


def update_vehicle(
    session: Session,
    vin: str,
    changes: dict[str, object],
    *,
    allowed_store_ids: Collection[int] | None,
    actor: int | None,
) -> Vehicle:
    """Apply a hand edit: offer_price (blank/None removes it), mileage_km, colour (a code of the vehicle's
    model, None/blank for none), photo_urls (a list or one URL per line), is_test_drive_fleet, status.

    Every field is checked before anything changes; problems are one InvalidInput (422) naming each field,
    or a Conflict (409) when the only problem is an illegal status change. The changed fields are audited
    with their values before and after."""
    unknown = sorted(set(changes) - EDITABLE_VEHICLE_FIELDS)
    if unknown:
        raise InvalidInput(
            f"Unknown fields: {', '.join(unknown)}",
            code="unknown_field",
            errors=[FieldError(name, "unknown field") for name in unknown],
        )
    vehicle = get_vehicle_for_staff(session, vin, allowed_store_ids=allowed_store_ids)
    vehicle = repository.get_vehicle_by_vin(session, vehicle.vin, for_update=True) or vehicle
    problems: list[edits.Problem] = []
    new: dict[str, object] = {}
    if "offer_price" in changes:
        new["offer_price"] = edits.parse_offer(changes["offer_price"], vehicle.list_price, vehicle.currency, problems)
    if "mileage_km" in changes:
        new["mileage_km"] = edits.parse_mileage(changes["mileage_km"], problems)
    if "colour" in changes:
        code = changes["colour"]
        new["colour_id"] = None
        if code is not None and str(code).strip():
            colour = next((c for c in vehicle.model.colours if c.code == str(code).strip()), None)
            if colour is None:
                problems.append(("colour", edits.MSG_COLOUR))
            else:
                new["colour_id"] = colour.id
    if "photo_urls" in changes:
        new["photo_urls"] = edits.parse_photos(changes["photo_urls"], problems)
    if "is_test_drive_fleet" in changes:
        flagged = bool(changes["is_test_drive_fleet"])
        if flagged and vehicle.status == VehicleStatus.IN_SERVICE.value:
            problems.append(("is_test_drive_fleet", edits.MSG_IN_SERVICE_POOL))
        elif vehicle.status != VehicleStatus.IN_SERVICE.value:
            new["is_test_drive_fleet"] = flagged
    status_problem: str | None = None
    if "status" in changes:
        try:
            target = VehicleStatus(str(changes["status"]))
            check_transition(VehicleStatus(vehicle.status), target)
            new["status"] = target.value
        except ValueError as exc:  # IllegalTransition is a ValueError too
            status_problem = str(exc) if isinstance(exc, IllegalTransition) else f"unknown status {changes['status']!r}"
    errors = [FieldError(name, message) for name, message in problems]
    if status_problem:
        errors.append(FieldError("status", status_problem))
        if not problems:
            raise Conflict(
                status_problem, code="illegal_status_transition", errors=errors, extra={"current": vehicle.status}
            )
    if errors:
        raise InvalidInput("Some fields are not valid", code="invalid_vehicle_change", errors=errors)

    changed: dict[str, dict[str, object]] = {}
    for name, value in new.items():
        before = getattr(vehicle, name)
        if before != value:
            changed[name] = {"before": _jsonable(before), "after": _jsonable(value)}
            setattr(vehicle, name, value)
    if "offer_price" in changed:
        vehicle.price = vehicle.offer_price if vehicle.offer_price is not None else vehicle.list_price
    if "status" in changed:
        vehicle.status_changed_at = utcnow()
    if changed:
        session.flush()
        audit.record(session, actor, "vehicle.updated", "vehicle", vehicle.vin, vehicle.store_id, changes=changed)
        if "status" in changed:
            audit.record(
                session,
                actor,
                "vehicle.status_changed",
                "vehicle",
                vehicle.vin,
                vehicle.store_id,
                **{"from": changed["status"]["before"], "to": changed["status"]["after"]},
            )
        session.refresh(vehicle)
    return vehicle


def list_managed_stores(session: Session, store_ids: Collection[int] | None) -> Sequence[Store]:
    """The stores among `store_ids` (None: every store), in code order."""
    return [s for s in repository.list_stores(session) if store_ids is None or s.id in store_ids]


def get_store_for_staff(session: Session, code: str, *, allowed_store_ids: Collection[int] | None) -> Store:
    store = get_store(session, code)
    if allowed_store_ids is not None and store.id not in allowed_store_ids:
        raise Forbidden(f"Store {store.code} is not one of your stores", code="store_forbidden")
    return store


def update_store_settings(
    session: Session,
    code: str,
    *,
    opening_hours: dict[str, list[tuple[str | None, str | None]]],
    phone: str | None,
    allowed_store_ids: Collection[int] | None,
    actor: int | None,
) -> Store:
    """Replace a store's weekly opening hours (per weekday up to two periods; none: closed) and phone."""
    store = get_store_for_staff(session, code, allowed_store_ids=allowed_store_ids)
    problems: list[edits.Problem] = []
    hours = edits.parse_opening_hours(opening_hours, problems)
    phone_n = edits.parse_phone(phone, problems)
    if problems:
        raise InvalidInput(
            "Some fields are not valid",
            code="invalid_store_settings",
            errors=[FieldError(name, message) for name, message in problems],
        )
    changed: dict[str, dict[str, object]] = {}
    if store.opening_hours != hours:
        changed["opening_hours"] = {"before": store.opening_hours, "after": hours}
        store.opening_hours = hours
    if store.phone != phone_n:
        changed["phone"] = {"before": store.phone, "after": phone_n}
        store.phone = phone_n
    if changed:
        session.flush()
        audit.record(session, actor, "store.updated", "store", store.code, store.id, changes=changed)
    return store


def display_names(session: Session, lang_suffix: str) -> dict[str, dict[str, str]]:
    """Codes of models, cities and stores to their names in one language ("zh" or "en"), for pages that show
    rows of other contexts (leads, applications) which keep only the codes."""
    snapshot = repository.load_catalog_snapshot(session)
    return {
        kind: {row.code: getattr(row, f"name_{lang_suffix}") for row in rows}
        for kind, rows in (("model", snapshot.models), ("city", snapshot.cities), ("store", snapshot.stores))
    }


def list_models(session: Session) -> Sequence[VehicleModel]:
    return repository.list_models_with_details(session)


def get_model(session: Session, code: str) -> VehicleModel:
    model = repository.get_model_by_code(session, code)
    if model is None:
        raise NotFound(f"No model with code {code!r}", code="model_not_found")
    return model


def list_stores(session: Session) -> Sequence[Store]:
    return repository.list_stores(session)


def get_store(session: Session, code: str) -> Store:
    store = repository.get_store_by_code(session, code)
    if store is None:
        raise NotFound(f"No store with code {code!r}", code="store_not_found")
    return store


def list_test_drive_fleet(
    session: Session, *, model_code: str | None = None, store_code: str | None = None, city_code: str | None = None
) -> Sequence[Vehicle]:
    """The cars a shopper may book a test drive in: flagged for the fleet and available."""
    return repository.test_drive_fleet(session, model_code=model_code, store_code=store_code, city_code=city_code)


def list_pool_fleet(
    session: Session, pool: FleetPool, *, store_id: int, model_codes: Collection[str]
) -> Sequence[Vehicle]:
    """A store's cars in the rental or subscription pool, of these models."""
    return repository.pool_fleet(session, pool, store_id=store_id, model_codes=model_codes)


def list_store_service_fleet(session: Session, store_id: int) -> Sequence[Vehicle]:
    """A store's cars that serve test drives, rentals or subscriptions."""
    return repository.store_service_fleet(session, store_id)


def pool_store_models(session: Session, pool: FleetPool) -> dict[int, list[str]]:
    """The model codes each store has in service in a mobility pool, by store id."""
    found: dict[int, list[str]] = {}
    for store_id, model_code in repository.pool_store_models(session, pool):
        found.setdefault(store_id, []).append(model_code)
    return found


def place_in_pool(session: Session, vin: str, pool: FleetPool, *, actor: int | None) -> Vehicle:
    """Move a car to `pool`, its status with it (`lifecycle.status_in_pool`). The caller (mobility.pools) decides
    whether the move is legal; the table's constraint checks that pool and status agree."""
    vehicle = repository.get_vehicle_by_vin(session, vin, for_update=True)
    if vehicle is None:
        raise NotFound(f"No vehicle with VIN {vin}", code="vehicle_not_found")
    previous = vehicle.fleet_pool
    vehicle.fleet_pool = pool.value
    status = status_in_pool(pool, VehicleStatus(vehicle.status)).value
    if status != vehicle.status:
        vehicle.status, vehicle.status_changed_at = status, utcnow()
    session.flush()
    audit.record(
        session,
        actor,
        "vehicle.pool_changed",
        "vehicle",
        vehicle.vin,
        vehicle.store_id,
        **{"from": previous, "to": pool.value},
    )
    return vehicle


def get_vehicle_by_id(session: Session, vehicle_id: int) -> Vehicle:
    vehicle = repository.get_vehicle_by_id(session, vehicle_id)
    if vehicle is None:
        raise NotFound(f"No vehicle with id {vehicle_id}", code="vehicle_not_found")
    return vehicle


def list_test_drive_fleet_rows(
    session: Session, *, model_code: str | None = None, store_code: str | None = None, city_code: str | None = None
) -> Sequence[Row]:
    """(id, vin, store_id) of the cars `list_test_drive_fleet` returns, as plain rows (availability search)."""
    return repository.test_drive_fleet_rows(session, model_code=model_code, store_code=store_code, city_code=city_code)


def stores_by_id(session: Session) -> dict[int, Store]:
    return {store.id: store for store in repository.list_stores(session)}


def list_searchable_vehicle_rows(
    session: Session, *, city_code: str | None = None, body_type: str | None = None
) -> Sequence[Row]:
    """Available cars as plain rows (id, vin, price_minor, currency, model_code, trim_code, store_id, powertrain),
    optionally narrowed to a city and a body type: the input of the finance search by monthly payment."""
    return repository.searchable_vehicle_rows(session, city_code=city_code, body_type=body_type)


def list_vehicles_for_sale_at_store(session: Session, store_id: int, limit: int = 100) -> Sequence[Vehicle]:
    """The store's cars for sale (available or on the way, not its test-drive fleet): a picker of a new car."""
    return repository.vehicles_for_sale_at_store(session, store_id, ("available", "in_transit"), limit)


def lock_vehicles(session: Session, vehicle_ids: Sequence[int]) -> None:
    """Serialise writers that decide about the same cars (e.g. two holds racing for one test-drive car)."""
    repository.lock_vehicles(session, vehicle_ids)


def model_stock_by_store(session: Session, model_code: str) -> dict[int, int]:
    """Which stores sell (have in stock or on the way) a model: {store id: cars}. Used to route leads."""
    return repository.model_stock_by_store(session, model_code)


def unknown_model_codes(session: Session, codes: Sequence[str]) -> list[str]:
    """The codes among `codes` that name no vehicle model, in the order given (for other contexts' validation)."""
    known = repository.existing_model_codes(session, list(dict.fromkeys(codes)))
    return [code for code in dict.fromkeys(codes) if code not in known]
