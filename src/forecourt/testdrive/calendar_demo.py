"""Test-drive demo data: the two Guangzhou stores' calendars on a normal day, for the demo's customers
(`accounts.demo.CUSTOMERS`), beside the drives of `testdrive/demo.py`.

- gz-tianhe (accompanied): drives taken two days ago and yesterday, a no-show yesterday afternoon, four drives today
  (10:00, 11:30, 14:00, 16:00: taken, out or still to come by the time the demo loads), two tomorrow, one the day after;
- gz-self-service (one-day drives): one taken two days ago, a no-show yesterday morning, two taken out yesterday
  afternoon and two this morning — each out for a day from its start, so at any hour two or more are out now — one
  tomorrow and one the day after.

Every drive goes through the real use cases at its own time (the clock pinned to it, as the demo simulator may): held
and confirmed two days before it starts by a customer the demo identity provider verified as a driver (the deposit
paid with the demo card unless their credit score waives it), checked out by the store manager five minutes after its
start with the pick-up code the confirmation sent, checked in near its end, or marked a no-show once the store may —
each step only if its time has come. Readings come from a seeded generator. A drive takes the first of its models
with a free car (then any model of the store's fleet); a small catalog without one skips the drive. Idempotent:
nothing is added once the customers have drives.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from forecourt.accounts import service as accounts
from forecourt.accounts.demo import (
    CUSTOMER,
    DEMO_SELF_SERVICE_STORE,
    DEMO_STORE,
    MANAGER_EMAIL,
    DemoCustomer,
    ensure_demo_customers,
)
from forecourt.catalog import service as catalog
from forecourt.catalog.models import Store
from forecourt.core import clock
from forecourt.core.crypto import field_cipher_from_config
from forecourt.core.errors import DomainError
from forecourt.core.settings import Settings
from forecourt.identity import service as identity
from forecourt.identity.providers import IdentityClaim
from forecourt.integrations import Integrations, build_integrations
from forecourt.testdrive import handover, lifecycle
from forecourt.testdrive import service as bookings
from forecourt.testdrive.availability import DriveKind
from forecourt.testdrive.handover import Reading
from forecourt.testdrive.models import TestDriveBooking

SEED = 2018
BOOKED_AHEAD = timedelta(days=2)
OUT_AFTER_START = timedelta(minutes=5)
SELF_SERVICE_BACK_EARLY = timedelta(minutes=20)
ACCOMPANIED = DriveKind.ACCOMPANIED
SELF_SERVICE = DriveKind.SELF_SERVICE


@dataclass(frozen=True)
class DemoDrive:
    customer: str  # a key of accounts.demo.CUSTOMER
    kind: DriveKind
    day: int  # days from the store's today
    at: time  # local start
    models: tuple[str, ...]  # tried first, in order
    shows_up: bool = True
    minutes: int = 60  # accompanied drives

    @property
    def store_code(self) -> str:
        return DEMO_STORE if self.kind is ACCOMPANIED else DEMO_SELF_SERVICE_STORE


DRIVES = (
    DemoDrive("liu.qiang", ACCOMPANIED, -2, time(10), ("focus", "kuga")),
    DemoDrive("lin.feng", ACCOMPANIED, -2, time(14), ("mondeo", "taurus")),
    DemoDrive("huang.li", ACCOMPANIED, -1, time(11), ("kuga", "escort")),
    DemoDrive("ma.chao", ACCOMPANIED, -1, time(15), ("explorer", "everest"), shows_up=False),
    DemoDrive("sun.yue", ACCOMPANIED, 0, time(10), ("mondeo", "focus")),
    DemoDrive("zhou.jie", ACCOMPANIED, 0, time(11, 30), ("explorer", "everest"), minutes=30),
    DemoDrive("ma.chao", ACCOMPANIED, 0, time(14), ("taurus", "mondeo")),
    DemoDrive("wu.jing", ACCOMPANIED, 0, time(16), ("escort", "focus")),
    DemoDrive("zhou.jie", ACCOMPANIED, 1, time(10, 30), ("everest", "explorer")),
    DemoDrive("hu.min", ACCOMPANIED, 1, time(15, 30), ("kuga", "focus")),
    DemoDrive("wu.jing", ACCOMPANIED, 2, time(11), ("focus", "escort"), minutes=30),
    DemoDrive("zhou.jie", SELF_SERVICE, -2, time(9, 30), ("edge", "explorer")),
    DemoDrive("lin.feng", SELF_SERVICE, -1, time(9), ("mustang", "edge"), shows_up=False),
    DemoDrive("huang.li", SELF_SERVICE, -1, time(13, 30), ("ecosport", "escort")),
    DemoDrive("hu.min", SELF_SERVICE, -1, time(18), ("everest", "explorer")),
    DemoDrive("lin.feng", SELF_SERVICE, 0, time(9), ("edge", "taurus")),
    DemoDrive("he.xue", SELF_SERVICE, 0, time(13, 30), ("mustang", "everest")),
    DemoDrive("liu.qiang", SELF_SERVICE, 1, time(10), ("explorer", "edge")),
    DemoDrive("wu.jing", SELF_SERVICE, 2, time(12), ("ecosport", "focus")),
)


@dataclass
class _Desk:
    """What every step needs: the session, the outside services, the store manager who hands the cars over."""

    session: Session
    settings: Settings
    integrations: Integrations
    manager_id: int
    now: datetime
    rng: random.Random
    fleet_models: dict[str, list[str]] = field(default_factory=dict)  # by store code, read once

    def models_at(self, store: Store) -> list[str]:
        if store.code not in self.fleet_models:
            fleet = catalog.list_test_drive_fleet(self.session, store_code=store.code)
            self.fleet_models[store.code] = sorted({vehicle.model.code for vehicle in fleet})
        return self.fleet_models[store.code]


def load_calendar_demo(session: Session, settings: Settings, now: datetime | None = None) -> str:
    now = now or clock.utcnow()
    manager = accounts.find_user(session, MANAGER_EMAIL)
    if manager is None:
        return "store calendars: skipped (no demo store manager)"
    customers = ensure_demo_customers(session)
    if any(bookings.list_my_bookings(session, user_id) for user_id in customers.values()):
        return "store calendars: the customers' drives are already there"
    desk = _Desk(session, settings, build_integrations(settings), manager.id, now, random.Random(SEED))
    for customer in CUSTOMER.values():
        _verify_driver(desk, customer, customers[customer.email])
    made = [booking for drive in DRIVES if (booking := _maybe(desk, drive, customers)) is not None]
    if not made:
        return "store calendars: no free test-drive car for the customers' drives"
    shown = ", ".join(
        f"{count} {status.replace('_', ' ')}" for status, count in sorted(Counter(m.status for m in made).items())
    )
    return f"store calendars: {len(made)} customers' drives at {DEMO_STORE} and {DEMO_SELF_SERVICE_STORE} ({shown})"


def _verify_driver(desk: _Desk, customer: DemoCustomer, user_id: int) -> None:
    """A month ago, with a licence valid for years."""
    checked_at = desk.now - timedelta(days=30)
    with clock.pinned(checked_at):
        identity.verify_driver(
            desk.session,
            user_id,
            IdentityClaim(customer.name, customer.id_number, date(desk.now.year + 6, 1, 1)),
            identity=desk.integrations.identity,
            credit=desk.integrations.credit,
            secret_key=desk.settings.secret_key.get_secret_value(),
            cipher=_cipher(desk.settings),
            today=checked_at.date(),
        )


def _maybe(desk: _Desk, drive: DemoDrive, customers: dict[str, int]) -> TestDriveBooking | None:
    """One drive in a savepoint: a refusal (no free car, the store closed that day) leaves nothing of it behind."""
    try:
        with desk.session.begin_nested():
            return _drive(desk, drive, customers[CUSTOMER[drive.customer].email])
    except DomainError:
        return None


def _drive(desk: _Desk, drive: DemoDrive, user_id: int) -> TestDriveBooking | None:
    store = catalog.get_store(desk.session, drive.store_code)
    zone = ZoneInfo(store.time_zone)
    today = desk.now.astimezone(zone).date()
    start = datetime.combine(today + timedelta(days=drive.day), drive.at, zone)
    booked_at = min(start - BOOKED_AHEAD, desk.now - timedelta(hours=1))
    held = _hold(desk, drive, store, user_id, start, booked_at)
    if held is None:
        return None
    code = _confirm(desk, store, user_id, held.reference, booked_at + timedelta(minutes=3))
    if not drive.shows_up:
        return _no_show(desk, held.reference)
    out_at = held.starts_at + OUT_AFTER_START
    if out_at > desk.now:
        return held
    booking = _check_out(desk, store, held.reference, code, out_at)
    back_at = booking.ends_at - SELF_SERVICE_BACK_EARLY if drive.kind is SELF_SERVICE else booking.ends_at
    if back_at > desk.now:
        return booking
    return _check_in(desk, booking, back_at)


def _hold(
    desk: _Desk, drive: DemoDrive, store: Store, user_id: int, start: datetime, at: datetime
) -> TestDriveBooking | None:
    customer = CUSTOMER[drive.customer]
    shopper = bookings.Shopper(user_id, customer.email, None, "zh-Hans")
    fleet = desk.models_at(store)
    for model in [m for m in drive.models if m in fleet] + [m for m in fleet if m not in drive.models]:
        request = bookings.DriveRequest(
            drive.kind, start, minutes=drive.minutes, model_code=model, store_code=store.code
        )
        try:
            with desk.session.begin_nested(), clock.pinned(at):
                return bookings.hold(desk.session, shopper, request, ip="", now=at)
        except DomainError:
            continue  # no free car of this model then, or one the customer drove lately: the next model
    return None


def _confirm(desk: _Desk, store: Store, user_id: int, reference: str, at: datetime) -> str | None:
    with clock.pinned(at):
        confirmation = lifecycle.confirm(
            desk.session,
            user_id,
            reference,
            payment_method="demo-card-ok",
            payment_provider=desk.integrations.payments,
            secret_key=desk.settings.secret_key.get_secret_value(),
            cipher=_cipher(desk.settings),
            now=at,
            salespeople=accounts.staff_user_ids(desk.session, store.id),
        )
    return confirmation.pickup_code


def _no_show(desk: _Desk, reference: str) -> TestDriveBooking:
    booking = bookings.get_booking(desk.session, reference)
    at = handover.no_show_allowed_from(desk.session, booking) + timedelta(minutes=1)
    if at > desk.now:
        return booking
    with clock.pinned(at):
        return handover.mark_no_show(
            desk.session, reference, staff_user_id=desk.manager_id, allowed_store_ids=None, now=at
        )


def _check_out(desk: _Desk, store: Store, reference: str, code: str | None, at: datetime) -> TestDriveBooking:
    vehicle = catalog.get_vehicle_by_id(desk.session, bookings.get_booking(desk.session, reference).vehicle_id)
    reading = Reading(vehicle.mileage_km + desk.rng.randint(0, 40), desk.rng.randint(78, 96))
    with clock.pinned(at):
        return handover.check_out(
            desk.session,
            reference,
            reading,
            staff_user_id=desk.manager_id,
            allowed_store_ids=None,
            pickup_code=code,
            secret_key=desk.settings.secret_key.get_secret_value(),
            now=at,
            alert_recipients=accounts.staff_emails(desk.session, store.id),
        )


def _check_in(desk: _Desk, booking: TestDriveBooking, at: datetime) -> TestDriveBooking:
    out_km, out_level = booking.odometer_out_km or 0, booking.energy_out_percent or 80
    far = desk.rng.randint(60, 180) if booking.kind == SELF_SERVICE.value else desk.rng.randint(8, 25)
    reading = Reading(out_km + far, max(out_level - far // 12, 10))
    with clock.pinned(at):
        return handover.check_in(
            desk.session,
            booking.reference,
            reading,
            staff_user_id=desk.manager_id,
            allowed_store_ids=None,
            payment_provider=desk.integrations.payments,
            now=at,
        )


def _cipher(settings: Settings):
    return field_cipher_from_config(
        settings.field_encryption_keys.get_secret_value(), settings.secret_key.get_secret_value()
    )
