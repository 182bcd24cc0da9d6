"""Shared set-up of the service-booking tests: a store with bays, an owner with a car, staff, a pinned clock."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy.orm import Session

from forecourt.ownership import owned_cars
from forecourt.ownership.owned_cars import FixedCars, OwnedCar
from forecourt.ownership.service_bookings import service as bookings
from tests.factories import auth_headers, make_small_catalog, make_token, make_user, make_vehicle

NOW = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)  # 08:00 in Guangzhou, a Tuesday
SLOT = "2026-12-02T10:00:00+08:00"
HOLDS = "/api/v1/service-bookings/holds"
JOBS = "/api/v1/service-bookings"
WORK = {  # what the staff record when they complete a periodic service
    "odometer_km": 4800,
    "work_done": "Oil and filter, inspection",
    "parts": [
        {"name": "Oil filter", "quantity": 1, "unit_price": "68.00"},
        {"name": "Oil 5W-30 (L)", "quantity": 5, "unit_price": "59.90"},
    ],
    "cost": "667.50",
}


@dataclass
class Workshop:
    catalog: dict
    car: OwnedCar  # the owner's Mondeo, serviced at gz-tianhe
    owner: dict[str, str]
    other_owner: dict[str, str]
    staff: dict[str, str]  # staff of gz-tianhe
    outsider_staff: dict[str, str]  # staff of sh-pudong
    owner_id: int
    staff_id: int


def make_workshop(session: Session, bays: int = 2) -> Workshop:
    catalog = make_small_catalog(session)
    store = catalog["stores"]["gz-tianhe"]
    vehicle = make_vehicle(session, catalog["trims"]["mondeo-ecoboost180"], store, status="sold", model_year=2026)
    owner = make_user(session, roles=[("shopper", None)], email="owner@example.test")
    other = make_user(session, roles=[("shopper", None)], email="other-owner@example.test")
    staff = make_user(session, roles=[("store_staff", store.id)])
    outsider = make_user(session, roles=[("store_staff", catalog["stores"]["sh-pudong"].id)])
    for number in range(1, bays + 1):
        bookings.add_bay(session, store, f"B{number}", f"Bay {number}", actor=None)
    bookings.add_advisor(session, store, "Wang Fang", actor=None)
    bookings.add_advisor(session, store, "Chen Jie", actor=None)
    car = OwnedCar(
        vin=vehicle.vin,
        owner_user_id=owner.id,
        store_id=store.id,
        model_code="mondeo",
        powertrain="ice",
        model_year=2026,
        delivered_on=date(2026, 9, 1),
        delivery_km=10,
        contact_email="owner@example.test",
        contact_mobile="13800138000",
        language="en",
    )
    workshop = Workshop(
        catalog,
        car,
        auth_headers(make_token(session, owner)),
        auth_headers(make_token(session, other)),
        auth_headers(make_token(session, staff)),
        auth_headers(make_token(session, outsider)),
        owner.id,
        staff.id,
    )
    session.commit()
    return workshop


def installed(cars: list[OwnedCar]) -> Iterator[FixedCars]:
    source = FixedCars(cars)
    previous = owned_cars.use_source(source)
    try:
        yield source
    finally:
        owned_cars.use_source(previous)


def key() -> dict[str, str]:
    return {"Idempotency-Key": str(uuid.uuid4())}


def hold(client, headers: dict[str, str], vin: str, **body) -> object:
    body = {"vin": vin, "store": "gz-tianhe", "job_type": "periodic_service", "start": SLOT, **body}
    return client.post(HOLDS, json=body, headers={**headers, **key()})


def confirm(client, headers: dict[str, str], reference: str) -> object:
    return client.post(f"{JOBS}/{reference}/confirm", headers={**headers, **key()})
