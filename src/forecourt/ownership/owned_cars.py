"""The owned cars the servicing, booking and recall use cases work on, as plain facts (no ORM, no tables).

Ownership records (`ownership/records/`, built in parallel) are the source of truth: who owns which VIN at which
store since when, with the delivery reading from the contract. Servicing only needs these facts, so its use cases
take an `OwnedCar` and never read the ownership tables (the contexts-talk-through-services rule, inside one
context whose sub-packages are written side by side). The HTTP layer and the jobs find cars through the
ownership records through `records.car_facts` (active_cars, find_car, own_car), unless a test installs a fixed
list with `use_source`. This module imports nothing of ownership, so every sub-package may use the facts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session


@dataclass(frozen=True)
class OwnedCar:
    vin: str
    owner_user_id: int
    store_id: int  # the servicing dealer: where the car was bought or registered
    model_code: str
    powertrain: str  # ice, hybrid, phev, bev (finance.calc.policy.POWERTRAINS)
    model_year: int
    delivered_on: date
    delivery_km: int
    contact_email: str = ""
    contact_mobile: str = ""
    language: str = "zh-Hans"
    time_zone: str = "Asia/Shanghai"  # the servicing store's: the day reminders and bookings count in

    def local_day(self, now: datetime) -> date:
        return now.astimezone(ZoneInfo(self.time_zone)).date()


class OwnedCarSource(Protocol):
    def active_cars(self, session: Session, today: date) -> Sequence[OwnedCar]: ...

    def car(self, session: Session, vin: str) -> OwnedCar | None: ...


class FixedCars:
    """A fixed list of cars (tests, and a demo run in one process)."""

    def __init__(self, cars: Sequence[OwnedCar]) -> None:
        self.cars = {car.vin: car for car in cars}

    def active_cars(self, session: Session, today: date) -> Sequence[OwnedCar]:
        return tuple(self.cars.values())

    def car(self, session: Session, vin: str) -> OwnedCar | None:
        return self.cars.get(vin.strip().upper())


_installed: OwnedCarSource | None = None


def installed() -> OwnedCarSource | None:
    """The source a test installed; None: the ownership records (records.car_facts)."""
    return _installed


def use_source(replacement: OwnedCarSource | None) -> OwnedCarSource | None:
    """Install `replacement` (None: the ownership records again); returns the one it replaces, so a test can put
    it back."""
    global _installed
    previous, _installed = _installed, replacement
    return previous
