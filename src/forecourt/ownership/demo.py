"""Ownership demo data: two owners of gz-tianhe's cars, with a loan and leases of different ages, whose odometers
come from recorded telematics samples.

- owner@demo.forecourt.dev: a Kuga on a 36-month lease at 10,000 km a year delivered 33 months ago, driven about
  13,000 km a year — on pace to run ~30 % over, with its lease-end options showing (the end is under 120 days
  away); and a Mondeo on a 36-month loan delivered 8 months ago.
- owner2@demo.forecourt.dev: a Focus on a 36-month lease delivered 10 days ago: its projection is hidden until
  14 days of readings.
- owner3@ and owner4@demo.forecourt.dev: an Explorer and a Mondeo on loans, 14 and 20 months old — the other customers
  of the workshop's day (ownership.service_bookings.demo).

Made through the real use cases: each car is priced by finance's quote comparison (today's programs), sold through
the catalog's status changes, and registered by the store's staff (ownership.records.register, which prices the
contract again with finance.calc); each car reports one sample a day (its odometer at the evening's last stop)
through telematics' ingest path (`store_batch`), as the live system would have stored them. Deterministic (seeded)
for a given day; idempotent: an owner who already has cars is left alone.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from forecourt.accounts import repository as accounts_repository
from forecourt.accounts import service as accounts
from forecourt.accounts.demo import DEMO_PASSWORD, DEMO_STORE, MANAGER_EMAIL
from forecourt.accounts.principal import Role, RoleGrant
from forecourt.catalog import service as catalog
from forecourt.catalog.lifecycle import VehicleStatus
from forecourt.core.clock import utcnow
from forecourt.finance.quotes import service as quotes
from forecourt.ownership.calendar_months import add_months
from forecourt.ownership.records import service as records
from forecourt.ownership.records.contracts import terms_from_quote
from forecourt.telematics import repository as telematics_repository
from forecourt.telematics import service as telematics
from forecourt.telematics.service import IncomingMessage
from forecourt.telematics.signals import FUEL_LEVEL, ODOMETER, telemetry_topic

SEED = 2018
OWNER_EMAIL = "owner@demo.forecourt.dev"
OWNER2_EMAIL = "owner2@demo.forecourt.dev"
OWNER3_EMAIL = "owner3@demo.forecourt.dev"
OWNER4_EMAIL = "owner4@demo.forecourt.dev"
OWNERS = ((OWNER_EMAIL, "Demo owner"), (OWNER2_EMAIL, "Demo owner 2"), (OWNER3_EMAIL, "李明"), (OWNER4_EMAIL, "张伟"))
EVENING = time(20, 30)


@dataclass(frozen=True)
class DemoCar:
    owner: str
    model: str
    product: str
    months_ago: int
    days_ago: int
    km_a_year: int  # how far the owner drives
    annual_mileage: int = 10_000  # the contract's allowance (leases)


CARS = (
    DemoCar(OWNER_EMAIL, "kuga", "lease", 33, 0, 13_000),  # ~30 % over 10,000 km a year
    DemoCar(OWNER_EMAIL, "mondeo", "loan", 8, 0, 15_000),
    DemoCar(OWNER2_EMAIL, "focus", "lease", 0, 10, 12_000),
    DemoCar(OWNER3_EMAIL, "explorer", "loan", 14, 0, 12_000),
    DemoCar(OWNER4_EMAIL, "mondeo", "loan", 20, 0, 18_000),
)


def load_ownership_demo(session: Session, now: datetime | None = None) -> str:
    now = now or utcnow()
    store = catalog.get_store(session, DEMO_STORE)
    staff = accounts_repository.get_user_by_email(session, MANAGER_EMAIL)
    if staff is None:
        return "ownership: skipped (no demo store manager)"
    zone = ZoneInfo(store.time_zone)
    today = now.astimezone(zone).date()
    owners = {email: _owner(session, email, name) for email, name in OWNERS}
    if any(records.list_for_owner(session, user_id) for user_id in owners.values()):
        return "ownership: demo owners already have their cars"
    rng = random.Random(SEED)
    made, samples = [], 0
    used: set[int] = set()
    for car in CARS:
        row = _available_car(session, store.id, car.model, used)
        if row is None:
            continue
        used.add(row.id)
        delivered = add_months(today, -car.months_ago) - timedelta(days=car.days_ago)
        ownership = _sell(session, row.vin, car, owners[car.owner], staff.id, store.id, delivered, today, now)
        samples += _drive(
            session, row.vin, ownership.start_odometer_km, delivered, today, car.km_a_year, zone, rng, now
        )
        made.append(f"{car.model} {car.product}")
    return (
        f"ownership: {len(made)} demo car(s) registered to their owners ({', '.join(made)}; {samples:,} samples); "
        f"owners {', '.join(email for email, _ in OWNERS)} / {DEMO_PASSWORD}"
    )


def _owner(session: Session, email: str, name: str) -> int:
    user = accounts_repository.get_user_by_email(session, email)
    if user is None:
        user = accounts.create_user(
            session, email=email, password=DEMO_PASSWORD, display_name=name, grants=[RoleGrant(Role.SHOPPER)]
        )
    return user.id


def _available_car(session: Session, store_id: int, model: str, used: set[int]):
    rows = catalog.list_searchable_vehicle_rows(session)
    return next((r for r in rows if r.store_id == store_id and r.model_code == model and r.id not in used), None)


def _sell(
    session: Session,
    vin: str,
    car: DemoCar,
    owner_id: int,
    staff_id: int,
    store_id: int,
    delivered: date,
    today: date,
    now: datetime,
):
    vehicle = catalog.get_vehicle(session, vin)
    inputs = quotes.QuoteInputs(term_months=36, down_percent=Decimal("0.2"), annual_mileage=car.annual_mileage)
    comparison = quotes.compare(session, vin, inputs, today, user_id=owner_id)
    quote = comparison.quote_for(car.product)
    assert quote is not None, f"the demo programs offer no {car.product} on {vin}: {comparison.not_offered}"
    terms = terms_from_quote(
        product=quote.product,
        currency=quote.currency,
        price=quote.price,
        inputs=quote.inputs,
        figures=quote.figures,
        delivered_on=delivered,
        delivery_odometer_km=vehicle.mileage_km,
        quote_reference=None,
    )
    catalog.change_vehicle_status(session, vin, VehicleStatus.RESERVED, actor=staff_id)
    catalog.change_vehicle_status(session, vin, VehicleStatus.SOLD, actor=staff_id)
    registration = records.Registration(vin, owner_id, store_id, replace(terms, figures={}))
    return records.register(session, registration, actor=staff_id, allowed_store_ids=None, now=now)


def _drive(
    session: Session,
    vin: str,
    start_km: int,
    delivered: date,
    today: date,
    km_a_year: int,
    zone: ZoneInfo,
    rng: random.Random,
    now: datetime,
) -> int:
    """One sample an evening from the day after delivery to yesterday: the odometer in metres and the fuel level."""
    vehicle = catalog.get_vehicle(session, vin)
    if telematics_repository.credential_of(session, vehicle.id) is None:
        telematics.provision(session, vin, now)  # the demo keeps no password: no car will connect
    metres, messages, day, seq = start_km * 1000, [], delivered + timedelta(days=1), 0
    daily = km_a_year / 365
    while day < today:
        metres += max(0, round(rng.gauss(daily, daily / 4) * 1000))
        seq += 1
        ts = datetime.combine(day, EVENING, zone).astimezone(UTC)
        signals = {ODOMETER: metres, FUEL_LEVEL: round(rng.uniform(15, 95), 1)}
        messages.append(
            IncomingMessage(
                telemetry_topic(vin), json.dumps({"seq": seq, "ts": ts.isoformat(), "signals": signals}).encode()
            )
        )
        day += timedelta(days=1)
    return telematics.store_batch(session, messages, now).stored if messages else 0
