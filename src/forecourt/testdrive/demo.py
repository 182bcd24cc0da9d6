"""Test-drive demo data: a normal day at the demo's self-service store, watched from the cars.

- a self-service drive that is out now: checked out this morning, its car 60 km away and on its way back, so the
  geofence alert it raised on the way out is on the staff drive page, in the calendar and in the outbox;
- yesterday's drive, completed, over one of the car's recorded trips (so the shopper sees its route);
- drives confirmed for later today, at the self-service store and at the dealer.

The drive that is out goes through the same paths as a real one: `car_watch.start` with the store's rules, then
its samples through `telematics.service.store_batch`, which raises the alert. Idempotent by reference.
"""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from forecourt.accounts import service as accounts
from forecourt.accounts.demo import DEMO_SELF_SERVICE_STORE, DEMO_STORE, MANAGER_EMAIL, SHOPPER_EMAIL
from forecourt.catalog import service as catalog
from forecourt.catalog.models import Vehicle
from forecourt.core.clock import utcnow
from forecourt.telematics import query_service as telemetry
from forecourt.telematics import service as telematics
from forecourt.telematics.query_service import Window
from forecourt.telematics.service import IncomingMessage
from forecourt.telematics.signals import telemetry_topic
from forecourt.telematics.simulation import drive
from forecourt.testdrive import car_watch, repository
from forecourt.testdrive import policy as policies
from forecourt.testdrive.availability import DriveKind
from forecourt.testdrive.models import BookingStatus, DepositKind, TestDriveBooking

SEED = 2018
OUT_NOW, TAKEN_YESTERDAY = "TDDEMOOUT001", "TDDEMODONE01"
LATER_TODAY = ("TDDEMOLATER1", "TDDEMOLATER2")
FAR_AWAY_M = 62_000.0  # beyond the default 50 km geofence


def load_test_drive_demo(session: Session, now: datetime | None = None) -> str:
    now = now or utcnow()
    shopper = accounts.find_user(session, SHOPPER_EMAIL)
    manager = accounts.find_user(session, MANAGER_EMAIL)
    if shopper is None or manager is None or repository.get_booking(session, OUT_NOW) is not None:
        return "test drives: demo drives already present (or no demo accounts)"
    fleet = catalog.list_test_drive_fleet(session, store_code=DEMO_SELF_SERVICE_STORE)
    dealer_fleet = catalog.list_test_drive_fleet(session, store_code=DEMO_STORE)
    if len(fleet) < 3:
        return "test drives: the demo's self-service store has too few test-drive cars"
    out = _out_now(session, fleet[0], shopper.id, manager.id, now)
    _taken_yesterday(session, fleet[1], shopper.id, manager.id, now)
    _later_today(session, LATER_TODAY[0], fleet[2], DriveKind.SELF_SERVICE, shopper.id, now + timedelta(hours=3))
    if dealer_fleet:  # a small demo catalog may give the dealer no test-drive car
        _later_today(
            session, LATER_TODAY[1], dealer_fleet[0], DriveKind.ACCOMPANIED, shopper.id, now + timedelta(hours=2)
        )
    drives = 3 + bool(dealer_fleet)
    return f"test drives: {drives} demo drives; {out} is out and raised an alert when it left the geofence"


def _booking(
    reference: str, vehicle: Vehicle, kind: DriveKind, shopper_id: int, starts_at: datetime, ends_at: datetime
) -> TestDriveBooking:
    return TestDriveBooking(
        reference=reference,
        shopper_user_id=shopper_id,
        vehicle_id=vehicle.id,
        store_id=vehicle.store_id,
        model_id=vehicle.trim.model_id,
        kind=kind.value,
        status=BookingStatus.CONFIRMED.value,
        starts_at=starts_at,
        ends_at=ends_at,
        blocks_until=ends_at + timedelta(minutes=30),
        contact_mobile="13800138000",
        contact_email=SHOPPER_EMAIL,
        language="zh-Hans",
        deposit_kind=DepositKind.WAIVED.value,
        deposit_reason="credit_score",
        confirmed_at=starts_at - timedelta(days=2),
        created_at=starts_at - timedelta(days=2),
    )


def _out_now(session: Session, vehicle: Vehicle, shopper_id: int, staff_id: int, now: datetime) -> str:
    out_at = now.replace(second=0, microsecond=0) - timedelta(hours=3)
    booking = _booking(OUT_NOW, vehicle, DriveKind.SELF_SERVICE, shopper_id, out_at, out_at + timedelta(days=1))
    reading = telemetry.car_reading(session, vehicle.id)
    booking.status = BookingStatus.IN_PROGRESS.value
    booking.checked_out_at, booking.checked_out_by = out_at, staff_id
    booking.odometer_out_km = reading.odometer_km if reading and reading.odometer_km else vehicle.mileage_km
    booking.energy_out_percent = reading.level_percent if reading and reading.level_percent else 80
    session.add(booking)
    session.flush()
    policy = policies.store_policy(session, vehicle.store)
    car_watch.start(session, booking, vehicle.store, policy, accounts.staff_emails(session, vehicle.store_id), out_at)
    car = telematics.sim_cars(session, [vehicle.vin])[0]
    rng = random.Random(SEED)
    trip = drive(car, out_at + timedelta(minutes=20), rng, interval_s=30, reach_m=FAR_AWAY_M, until=now)
    messages = [IncomingMessage(telemetry_topic(vehicle.vin), json.dumps(s).encode()) for s in trip.samples]
    telematics.store_batch(session, messages, now)
    return booking.reference


def _taken_yesterday(session: Session, vehicle: Vehicle, shopper_id: int, staff_id: int, now: datetime) -> None:
    """Yesterday's drive over the car's first recorded trip (the telematics demo recorded a day of them)."""
    trips = telemetry.trips_between(session, vehicle.id, Window(now - timedelta(days=2), now))
    if not trips:
        return
    trip = trips[0]
    out_at, back_at = trip.started_at - timedelta(minutes=10), trip.ended_at + timedelta(minutes=10)
    booking = _booking(TAKEN_YESTERDAY, vehicle, DriveKind.SELF_SERVICE, shopper_id, out_at, out_at + timedelta(days=1))
    km_out = round((trip.start_odometer_m or vehicle.mileage_km * 1000) / 1000)
    km_in = round((trip.end_odometer_m or vehicle.mileage_km * 1000) / 1000)
    booking.status = BookingStatus.COMPLETED.value
    booking.checked_out_at, booking.checked_out_by, booking.odometer_out_km, booking.energy_out_percent = (
        out_at,
        staff_id,
        km_out,
        80,
    )
    booking.checked_in_at, booking.checked_in_by, booking.odometer_in_km, booking.energy_in_percent = (
        back_at,
        staff_id,
        max(km_in, km_out),
        74,
    )
    # Back early: the car is free again from the moment it was returned.
    booking.ends_at, booking.blocks_until = back_at, back_at + timedelta(minutes=30)
    session.add(booking)
    session.flush()


def _later_today(
    session: Session, reference: str, vehicle: Vehicle, kind: DriveKind, shopper_id: int, at: datetime
) -> None:
    starts_at = at.replace(minute=0, second=0, microsecond=0)
    length = timedelta(days=1) if kind == DriveKind.SELF_SERVICE else timedelta(minutes=60)
    session.add(_booking(reference, vehicle, kind, shopper_id, starts_at, starts_at + length))
    session.flush()
