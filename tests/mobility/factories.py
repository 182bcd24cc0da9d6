"""Shared set-up of the rental tests: the rental plans, a store with rental cars, renters and staff, the moment the
clock is pinned at, and the API steps of a rental (hold, confirm, check out, check in)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from forecourt.mobility.models import MobilityClass, RentalPlan
from tests.factories import auth_headers, make_small_catalog, make_token, make_user, make_vehicle
from tests.testdrive.helpers import key

GZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)  # 08:00 in Guangzhou; stores open 09:00–18:00
RENTAL_DAY = NOW + timedelta(days=1)  # 08:00 on the day the rentals run
RENTALS = "/api/v1/rentals"
STAFF = "/api/v1/staff/rentals"


def at(hour: int, minute: int = 0, day: int = 2) -> str:
    return datetime(2026, 12, day, hour, minute, tzinfo=GZ).isoformat()


@dataclass
class RentalWorld:
    store_code: str
    rental_cars: list[str]
    test_drive_car: str
    renter: dict[str, str]
    low_renter: dict[str, str]
    staff: dict[str, str]
    outsider: dict[str, str]


def make_plans(session: Session) -> MobilityClass:
    mid = MobilityClass(code="mid", name_en="Mid-size", name_zh="中型", model_codes=["mondeo", "kuga"], rank=1)
    session.add(mid)
    session.flush()
    session.add(
        RentalPlan(
            class_id=mid.id,
            hourly=Decimal("45.00"),
            daily=Decimal("298.00"),
            km_per_hour=20,
            km_per_day=200,
            per_km_over=Decimal("1.20"),
            late_per_hour=Decimal("60.00"),
            late_grace_minutes=30,
            energy_per_percent=Decimal("3.50"),
            deposit=Decimal("2000.00"),
            free_cancel_hours=24,
            late_cancel_keep_percent=50,
            currency="CNY",
        )
    )
    session.flush()
    return mid


def make_rental_world(session: Session) -> RentalWorld:
    """A self-service store with the rental plans, two rental cars and a test-drive car; renters and staff."""
    catalog = make_small_catalog(session)
    store = catalog["stores"]["gz-self"]
    mondeo = catalog["trims"]["mondeo-ecoboost180"]
    make_plans(session)
    cars = [make_vehicle(session, mondeo, store, pool="rental").vin for _ in range(2)]
    test_drive_car = make_vehicle(session, mondeo, store, test_drive_fleet=True).vin
    renter = make_user(session, roles=[("shopper", None)], email="renter@example.test")
    low = make_user(session, roles=[("shopper", None)], email="low@example.test")
    staff = make_user(session, roles=[("store_staff", store.id)])
    outsider = make_user(session, roles=[("store_staff", catalog["stores"]["sh-pudong"].id)])
    session.flush()
    built = RentalWorld(
        store.code,
        cars,
        test_drive_car,
        auth_headers(make_token(session, renter)),
        auth_headers(make_token(session, low)),
        auth_headers(make_token(session, staff)),
        auth_headers(make_token(session, outsider)),
    )
    session.commit()
    return built


def hold(client, world: RentalWorld, headers=None, start=None, end=None, model="mondeo"):
    body = {"store": world.store_code, "model": model, "start": start or at(10), "end": end or at(13)}
    return client.post(RENTALS, json=body, headers={**(headers or world.renter), **key()})


def confirmed(client, world: RentalWorld, headers=None, **times) -> dict:
    headers = headers or world.renter
    held = hold(client, world, headers, **times)
    assert held.status_code == 201, held.text
    answer = client.post(
        f"{RENTALS}/{held.json()['reference']}/confirm",
        json={"payment_method": "demo-card-ok"},
        headers={**headers, **key()},
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def check_out(client, world, rental: dict, odometer=10_000, energy=90, code=None):
    body = {"odometer_km": odometer, "energy_percent": energy, "pickup_code": code or rental["pickup_code"]}
    return client.post(f"{STAFF}/{rental['reference']}/check-out", json=body, headers=world.staff)


def check_in(client, world, rental: dict, odometer, energy, damage="0.00"):
    body = {"reading": {"odometer_km": odometer, "energy_percent": energy}, "damage_charge": damage}
    return client.post(f"{STAFF}/{rental['reference']}/check-in", json=body, headers=world.staff)
