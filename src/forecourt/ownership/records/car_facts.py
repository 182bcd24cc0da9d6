"""The ownership records as the `OwnedCarSource` servicing, bookings and recalls work on: each current ownership as
an `OwnedCar` fact — the owner, the servicing store and its time zone, the delivery day and reading from the
contract, the model, powertrain and model year, and whom to tell.

The catalog knows a car it sold (its trim's powertrain and its model year). A car registered from outside the
catalog has only its model code and VIN: its model year is read from VIN position 10, its powertrain is the one
the model's trims share (or the cheapest trim's, when they differ: the schedule table falls back to the model's or
everyone's plan anyway). An owner whose account is closed keeps their car's records, but nobody is written to.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy.orm import Session

from forecourt.accounts import service as accounts
from forecourt.catalog import service as catalog
from forecourt.catalog.vin import model_year_of
from forecourt.core.errors import NotFound
from forecourt.ownership import owned_cars
from forecourt.ownership.models import Ownership
from forecourt.ownership.owned_cars import OwnedCar, OwnedCarSource
from forecourt.ownership.records import repository
from forecourt.ownership.records.service import DEFAULT_TIME_ZONE

FALLBACK_POWERTRAIN = "ice"


class RecordedCars:
    """Owned cars as the ownership records say: the source installed unless a test installs another."""

    def active_cars(self, session: Session, today: date) -> Sequence[OwnedCar]:
        zones = _store_zones(session)  # once for every car, not a lookup per car
        current = repository.all_current(session)
        return tuple(_fact(session, ownership, zones) for ownership in current if ownership.started_on <= today)

    def car(self, session: Session, vin: str) -> OwnedCar | None:
        ownership = repository.current_of_vin(session, vin.strip().upper()[:17])
        return _fact(session, ownership, _store_zones(session)) if ownership is not None else None


def source() -> OwnedCarSource:
    """The ownership records, unless a test installed other cars (owned_cars.use_source)."""
    return owned_cars.installed() or RecordedCars()


def active_cars(session: Session, today: date) -> Sequence[OwnedCar]:
    return source().active_cars(session, today)


def find_car(session: Session, vin: str) -> OwnedCar | None:
    return source().car(session, vin)


def own_car(session: Session, user_id: int, vin: str) -> OwnedCar:
    """The caller's own car; 404 for a VIN they do not own (never whether someone else does)."""
    car = find_car(session, vin)
    if car is None or car.owner_user_id != user_id:
        raise NotFound(f"You have no car {vin}", code="car_not_found")
    return car


def car_of(session: Session, ownership: Ownership) -> OwnedCar:
    """The fact of one ownership (the garage's service sections ask it of the card's ownership)."""
    return _fact(session, ownership, _store_zones(session))


def _store_zones(session: Session) -> dict[int, str]:
    return {store_id: store.time_zone or DEFAULT_TIME_ZONE for store_id, store in catalog.stores_by_id(session).items()}


def _fact(session: Session, ownership: Ownership, zones: dict[int, str]) -> OwnedCar:
    contract = repository.contract_of(session, ownership.id)
    delivered_on = contract.delivered_on if contract is not None else ownership.started_on
    delivery_km = contract.delivery_odometer_km if contract is not None else ownership.start_odometer_km
    powertrain, model_year = _model_facts(session, ownership, delivered_on)
    email, mobile = _contact(session, ownership.user_id)
    return OwnedCar(
        vin=ownership.vin,
        owner_user_id=ownership.user_id,
        store_id=ownership.store_id,
        model_code=ownership.model_code,
        powertrain=powertrain,
        model_year=model_year,
        delivered_on=delivered_on,
        delivery_km=delivery_km,
        contact_email=email,
        contact_mobile=mobile,
        time_zone=zones[ownership.store_id],
    )


def _model_facts(session: Session, ownership: Ownership, delivered_on: date) -> tuple[str, int]:
    if ownership.vehicle_id is not None:
        vehicle = catalog.get_vehicle_by_id(session, ownership.vehicle_id)
        return vehicle.trim.powertrain, vehicle.model_year
    try:
        trims = catalog.get_model(session, ownership.model_code).trims
    except NotFound:
        trims = []
    powertrains = {trim.powertrain for trim in trims}
    powertrain = powertrains.pop() if len(powertrains) == 1 else (trims[0].powertrain if trims else FALLBACK_POWERTRAIN)
    return powertrain, model_year_of(ownership.vin, delivered_on.year + 1) or delivered_on.year


def _contact(session: Session, user_id: int) -> tuple[str, str]:
    try:
        user = accounts.get_user(session, user_id)
    except NotFound:
        return "", ""
    if not user.is_active:
        return "", ""
    return user.email or "", user.mobile or ""
