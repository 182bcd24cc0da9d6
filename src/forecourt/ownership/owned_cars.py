"""The owned cars the servicing, booking and recall use cases work on, as plain facts (no ORM, no tables).

Ownership records (`ownership/records/`, built in parallel) are the source of truth: who owns which VIN at which
store since when, with the delivery reading from the contract. Servicing only needs these facts, so its use cases
take an `OwnedCar` and never read the ownership tables (the contexts-talk-through-services rule, inside one
context whose sub-packages are written side by side). The HTTP layer and the jobs find cars through the
`OwnedCarSource` installed with `use_source`; the records sub-package installs its own at import time, and tests
install a fixed list. Until one is installed the source knows no car, so the jobs do nothing and a booking for a
VIN answers 404 — never a guess about who owns a car.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from sqlalchemy.orm import Session

from forecourt.core.errors import NotFound


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


class OwnedCarSource(Protocol):
    def active_cars(self, session: Session, today: date) -> Sequence[OwnedCar]: ...

    def car(self, session: Session, vin: str) -> OwnedCar | None: ...


class _NoCars:
    def active_cars(self, session: Session, today: date) -> Sequence[OwnedCar]:
        return ()

    def car(self, session: Session, vin: str) -> OwnedCar | None:
        return None


class FixedCars:
    """A fixed list of cars (tests, and a demo run in one process)."""

    def __init__(self, cars: Sequence[OwnedCar]) -> None:
        self.cars = {car.vin: car for car in cars}

    def active_cars(self, session: Session, today: date) -> Sequence[OwnedCar]:
        return tuple(self.cars.values())

    def car(self, session: Session, vin: str) -> OwnedCar | None:
        return self.cars.get(vin.strip().upper())


_source: OwnedCarSource = _NoCars()


def use_source(source: OwnedCarSource | None) -> OwnedCarSource:
    """Install `source` (None: no cars); returns the one it replaces, so a test can put it back."""
    global _source
    previous, _source = _source, source or _NoCars()
    return previous


def active_cars(session: Session, today: date) -> Sequence[OwnedCar]:
    return _source.active_cars(session, today)


def find_car(session: Session, vin: str) -> OwnedCar | None:
    return _source.car(session, vin)


def own_car(session: Session, user_id: int, vin: str) -> OwnedCar:
    """The caller's own car; 404 for a VIN they do not own (never whether someone else does)."""
    car = find_car(session, vin)
    if car is None or car.owner_user_id != user_id:
        raise NotFound(f"You have no car {vin}", code="car_not_found")
    return car
