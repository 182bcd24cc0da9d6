"""The availability use case: free test-drive slots for a model or a VIN, at a store or across a city."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from forecourt.catalog import service as catalog
from forecourt.catalog.models import Store
from forecourt.core.errors import DomainError, FieldError, InvalidInput
from forecourt.testdrive import policy as policies
from forecourt.testdrive.availability import DriveKind, Slot, free_slots
from forecourt.testdrive.service import busy_intervals

MAX_RANGE_DAYS = 31


@dataclass(frozen=True)
class SlotQuery:
    kind: DriveKind
    first_day: date
    last_day: date
    minutes: int = 60
    days: int = 1
    vin: str | None = None
    model_code: str | None = None
    store_code: str | None = None
    city_code: str | None = None


@dataclass(frozen=True)
class FleetCar:
    id: int
    vin: str
    store_id: int


@dataclass(frozen=True)
class StoreSlots:
    store: Store
    vins: tuple[str, ...]  # the store's cars that match (free or not)
    slots: tuple[Slot, ...]


def _check(query: SlotQuery) -> None:
    if query.last_day < query.first_day:
        raise InvalidInput(
            "`to` must not be before `from`", code="invalid_range", errors=[FieldError("to", "before from")]
        )
    if (query.last_day - query.first_day).days >= MAX_RANGE_DAYS:
        raise InvalidInput(
            f"Ask for at most {MAX_RANGE_DAYS} days at a time",
            code="range_too_long",
            errors=[FieldError("to", f"at most {MAX_RANGE_DAYS} days after from")],
        )
    if not (query.vin or query.model_code):
        raise InvalidInput(
            "Say which car: a vin or a model",
            code="vehicle_not_specified",
            errors=[FieldError("model", "give a model or a vin")],
        )
    if not (query.vin or query.store_code or query.city_code):
        raise InvalidInput(
            "Say where: a store or a city",
            code="place_not_specified",
            errors=[FieldError("city", "give a city or a store")],
        )


def _fleet(session: Session, query: SlotQuery) -> list[FleetCar]:
    if query.vin:
        vehicle = catalog.get_vehicle(session, query.vin)
        bookable = vehicle.is_test_drive_fleet and vehicle.status == "available"
        return [FleetCar(vehicle.id, vehicle.vin, vehicle.store_id)] if bookable else []
    if query.store_code:
        catalog.get_store(session, query.store_code)
    if query.model_code:
        catalog.get_model(session, query.model_code)
    rows = catalog.list_test_drive_fleet_rows(
        session, model_code=query.model_code, store_code=query.store_code, city_code=query.city_code
    )
    return [FleetCar(row.id, row.vin, row.store_id) for row in rows]


def find_slots(session: Session, query: SlotQuery, now: datetime) -> list[StoreSlots]:
    _check(query)
    by_store: dict[int, list[FleetCar]] = defaultdict(list)
    for car in _fleet(session, query):
        by_store[car.store_id].append(car)
    stores = catalog.stores_by_id(session) if by_store else {}
    results = []
    for store_id, cars in by_store.items():
        store = stores[store_id]
        policy = policies.store_policy(session, store)
        try:
            policies.check_drive_offered(policy, query.kind, query.minutes, query.days)
        except DomainError:
            continue  # this store does not offer that drive; others in the city may
        rules = policies.slot_rules(policy, query.kind, minutes=query.minutes, days=query.days)
        zone = ZoneInfo(store.time_zone)
        start = datetime.combine(query.first_day, time.min, zone)
        end = datetime.combine(query.last_day + timedelta(days=query.days + 1), time.min, zone) + rules.buffer
        ids = [car.id for car in cars]
        busy = busy_intervals(session, ids, start, end, now, rules.buffer)
        slots = free_slots(policies.opening_hours(store), rules, ids, busy, query.first_day, query.last_day, now)
        results.append(StoreSlots(store, tuple(car.vin for car in cars), tuple(slots)))
    return sorted(results, key=lambda r: r.store.code)
