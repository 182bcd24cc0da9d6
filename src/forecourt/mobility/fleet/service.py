"""Fleet pools and model classes.

A car is for sale, in the test-drive fleet, the rental fleet or the subscription fleet (`catalog.FleetPool`). A move
between pools keeps every promise already made (a booked test drive, a rental, a subscription car): the one
reservation table keeps the car's uses apart whatever pool it is in, so the car serves its new pool when it is free.
The one refusal: a car goes back on sale only when nothing holds it from now on, because a buyer would take it away
from whoever was promised it. Only a car on sale or in service moves (not one reserved by a buyer, sold or on its way).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from forecourt.catalog import service as catalog
from forecourt.catalog.lifecycle import FleetPool, VehicleStatus
from forecourt.catalog.models import Store, Vehicle, VehicleModel
from forecourt.core.errors import Conflict, Forbidden, NotFound
from forecourt.mobility.fleet import repository, utilisation
from forecourt.mobility.models import MobilityClass, RentalPlan
from forecourt.mobility.rentals import repository as rental_repository
from forecourt.testdrive import reservations

MOVABLE = frozenset({VehicleStatus.AVAILABLE.value, VehicleStatus.IN_SERVICE.value})


@dataclass(frozen=True)
class PoolMove:
    vin: str
    before: str
    after: str
    promises_kept: tuple[str, ...]  # references of the reservations that still hold the car


def move_car(
    session: Session,
    vin: str,
    pool: FleetPool,
    *,
    actor: int | None,
    allowed_store_ids: Collection[int] | None,
    now: datetime,
) -> PoolMove:
    vehicle = catalog.get_vehicle(session, vin)
    if allowed_store_ids is not None and vehicle.store_id not in allowed_store_ids:
        raise Forbidden(f"Vehicle {vehicle.vin} belongs to another store", code="store_forbidden")
    before = vehicle.fleet_pool
    if before == pool.value:
        return PoolMove(vehicle.vin, before, before, tuple(reservations.live_ahead(session, vehicle.id, now=now)))
    if vehicle.status not in MOVABLE:
        raise Conflict(
            f"Vehicle {vehicle.vin} is {vehicle.status.replace('_', ' ')}; only a car on sale or in service "
            "changes fleet",
            code="pool_move_not_allowed",
            extra={"vehicle_status": vehicle.status},
        )
    catalog.lock_vehicles(session, [vehicle.id])
    promised = tuple(reservations.live_ahead(session, vehicle.id, now=now))
    if pool is FleetPool.SALE and promised:
        raise Conflict(
            f"Vehicle {vehicle.vin} is promised to {len(promised)} booking(s) ({', '.join(promised[:5])}); "
            "it goes on sale when they are over or cancelled",
            code="car_promised",
            extra={"reservations": list(promised)},
        )
    catalog.place_in_pool(session, vehicle.vin, pool, actor=actor)
    return PoolMove(vehicle.vin, before, pool.value, promised)


def classes(session: Session) -> Sequence[MobilityClass]:
    return repository.classes(session)


def class_of_model(session: Session, model_code: str) -> MobilityClass:
    found = next((c for c in repository.classes(session) if model_code in c.model_codes), None)
    if found is None:
        raise NotFound(f"Model {model_code} is in no rental or subscription class", code="model_not_offered")
    return found


def get_class(session: Session, code: str) -> MobilityClass:
    found = repository.class_by_code(session, code)
    if found is None:
        raise NotFound(f"No class {code}", code="class_not_found")
    return found


def rental_plan(session: Session, mobility_class: MobilityClass) -> RentalPlan:
    plan = repository.rental_plan(session, mobility_class.id)
    if plan is None:
        raise NotFound(f"Class {mobility_class.code} is not offered for rental", code="class_not_offered")
    return plan


@dataclass(frozen=True)
class RentalStore:
    """A store with rental cars in service, and the models it rents (those of a class with a rental plan)."""

    store: Store
    models: tuple[VehicleModel, ...]


def rental_offer(session: Session) -> list[RentalStore]:
    """Where a shopper can rent and what: stores in code order, their models in code order."""
    planned = {
        code
        for mobility_class in repository.classes(session)
        if repository.rental_plan(session, mobility_class.id)
        for code in mobility_class.model_codes
    }
    models = {model.code: model for model in catalog.list_models(session)}
    stores = catalog.stores_by_id(session)
    offer = []
    for store_id, codes in catalog.pool_store_models(session, FleetPool.RENTAL).items():
        rented = tuple(models[code] for code in codes if code in planned and code in models)
        if rented and store_id in stores:
            offer.append(RentalStore(stores[store_id], rented))
    return sorted(offer, key=lambda found: found.store.code)


def pool_cars(session: Session, pool: FleetPool, *, store_id: int, model_codes: Collection[str]) -> Sequence[Vehicle]:
    return catalog.list_pool_fleet(session, pool, store_id=store_id, model_codes=model_codes)


@dataclass(frozen=True)
class CarReport:
    vehicle: Vehicle
    use: utilisation.CarUse
    revenue: Decimal  # rentals that started in the window: time charge kept plus the bill's extras


@dataclass(frozen=True)
class FleetReport:
    store_id: int
    start: datetime
    end: datetime
    cars: list[CarReport]
    due_today: list[reservations.Use]  # out now and due back before the store's midnight
    overdue: list[reservations.Use]  # out now past their end


def fleet_report(session: Session, store_id: int, start: datetime, end: datetime, *, now: datetime) -> FleetReport:
    """Each service car of the store (test-drive, rental, subscription pools): hours out per use and per day in
    [start, end), rental revenue, and the cars due back today or overdue."""
    store = catalog.stores_by_id(session)[store_id]
    zone = ZoneInfo(store.time_zone)
    cars = list(catalog.list_store_service_fleet(session, store_id))
    ids = [car.id for car in cars]
    found = reservations.uses(session, ids, start, end, now=now)
    spans = [utilisation.Span(u.vehicle_id, u.purpose, u.start, u.end) for u in found]
    rows = utilisation.hours_out(spans, ids, start, end, zone)
    revenue: dict[int, Decimal] = {}
    started_here = {u.reference: u.vehicle_id for u in found if u.purpose == "rental" and start <= u.start < end}
    for rental in rental_repository.by_references(session, sorted(started_here)):
        vehicle_id = started_here[rental.reference]
        kept = rental.time_charge - rental.time_refunded + rental.extras
        revenue[vehicle_id] = revenue.get(vehicle_id, Decimal("0.00")) + kept
    out_now = [
        u
        for u in reservations.uses(session, ids, now, now + timedelta(seconds=1), now=now)
        if u.status == "in_progress"
    ]
    midnight = datetime.combine(now.astimezone(zone).date() + timedelta(days=1), time(0), zone)
    return FleetReport(
        store_id,
        start,
        end,
        [CarReport(car, row, revenue.get(car.id, Decimal("0.00"))) for car, row in zip(cars, rows, strict=True)],
        sorted((u for u in out_now if now <= u.due < midnight), key=lambda u: u.due),
        sorted((u for u in out_now if u.due < now), key=lambda u: u.due),
    )
