"""A small world for the ownership tests: a catalog, finance programs and residuals, owners and staff, completed
orders made from real stored quotes (finance.quotes.compare), and odometer readings stored through telematics'
own ingest path (`store_batch`), so the lease figures come from the same rows the live system would hold."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from forecourt.core import clock
from forecourt.finance.models import Order, Quote
from forecourt.finance.orders import service as orders
from forecourt.finance.quotes import service as quotes
from forecourt.ownership.models import Ownership
from forecourt.ownership.records import service as records
from forecourt.telematics import partitions
from forecourt.telematics import service as telematics
from forecourt.telematics.service import IncomingMessage
from forecourt.telematics.signals import ODOMETER, telemetry_topic
from tests.factories import auth_headers, make_small_catalog, make_token, make_user, make_vehicle
from tests.finance.factories import make_provider, make_residuals, make_standard_programs

NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)  # 10:00 in Guangzhou
SHANGHAI = ZoneInfo("Asia/Shanghai")
GARAGE = "/api/v1/garage"
OWNERSHIPS = "/api/v1/ownerships"


@dataclass
class World:
    catalog: dict[str, Any]
    users: dict[str, Any]
    headers: dict[str, dict[str, str]]
    programs: dict[str, Any]

    @property
    def store(self) -> Any:
        return self.catalog["stores"]["gz-tianhe"]


def make_world(session: Session) -> World:
    # Every month a test may store samples in, created up front: the ingest creates a missing month's partition on
    # a connection of its own, which would wait behind a test transaction that has already stored samples.
    months = [(year, month) for year in (2024, 2025, 2026, 2027) for month in range(1, 13)]
    partitions.ensure_partitions(session.get_bind().engine, months)
    cat = make_small_catalog(session)
    provider = make_provider(session)
    programs = make_standard_programs(session, provider)
    for model in ("mondeo", "kuga"):
        make_residuals(session, provider, model)
    stores = cat["stores"]
    users = {
        "owner": make_user(session, roles=[("shopper", None)]),
        "other": make_user(session, roles=[("shopper", None)]),
        "buyer": make_user(session, roles=[("shopper", None)], mobile="13912345678"),
        "staff": make_user(session, roles=[("store_staff", stores["gz-tianhe"].id)]),
        "outsider": make_user(session, roles=[("store_staff", stores["sh-pudong"].id)]),
        "admin": make_user(session, roles=[("admin", None)]),
    }
    headers = {name: auth_headers(make_token(session, user)) for name, user in users.items()}
    session.commit()
    return World(cat, users, headers, programs)


def sold_car(session: Session, world: World, trim: str = "kuga-ecoboost245", store: str = "gz-tianhe", **kw: Any):
    return make_vehicle(session, world.catalog["trims"][trim], world.catalog["stores"][store], **kw)


def completed_order(
    session: Session, world: World, product: str, *, vehicle: Any = None, user: str = "owner", mileage: int = 10_000
) -> tuple[Ownership, Quote]:
    """A real comparison of the car, an order on the product's quote, confirmed and completed by staff."""
    vehicle = vehicle or sold_car(session, world)
    inputs = quotes.QuoteInputs(term_months=36, down_percent=Decimal("0.2"), annual_mileage=mileage)
    with clock.pinned(NOW):
        comparison = quotes.compare(session, vehicle.vin, inputs, NOW.date(), user_id=world.users[user].id)
        quote = comparison.quote_for(product)
        assert quote is not None, f"{product} not offered: {comparison.not_offered}"
        order = Order(
            reference="OR" + uuid.uuid4().hex[:8].upper(),
            user_id=world.users[user].id,
            vehicle_id=vehicle.id,
            store_id=vehicle.store_id,
            quote_id=quote.id,
            product=product,
            status="confirmed",
            price=quote.price,
            currency=quote.currency,
            deposit_amount=Decimal("5000.00"),
            created_at=NOW,
            updated_at=NOW,
        )
        session.add(order)
        vehicle.status = "reserved"
        session.flush()
        orders.complete(session, order.reference, world.users["staff"].id, now=NOW)
    session.commit()
    ownership = session.query(Ownership).filter_by(order_reference=order.reference).one()
    return ownership, quote


def record_odometer(session: Session, vin: str, readings: list[tuple[date, int]], *, seq_start: int = 1) -> int:
    """One sample a day at 20:00 Guangzhou time with the odometer in metres, through the ingest's own path."""
    if telematics.repository.credential_of(session, _vehicle_id(session, vin)) is None:
        telematics.provision(session, vin, NOW)
    messages = []
    for n, (day, km) in enumerate(readings):
        ts = datetime.combine(day, time(20, 0), SHANGHAI).astimezone(UTC)
        sample = {"seq": seq_start + n, "ts": ts.isoformat(), "signals": {ODOMETER: km * 1000}}
        messages.append(IncomingMessage(telemetry_topic(vin), json.dumps(sample).encode()))
    stored = telematics.store_batch(session, messages, NOW + timedelta(days=1)).stored
    session.commit()
    return stored


def _vehicle_id(session: Session, vin: str) -> int:
    from forecourt.catalog import service as catalog

    return catalog.get_vehicle(session, vin).id


def daily_readings(start: date, start_km: int, days: int, km_per_day: int) -> list[tuple[date, int]]:
    return [(start + timedelta(days=d), start_km + d * km_per_day) for d in range(1, days + 1)]


def backdate(session: Session, ownership: Ownership, delivered_on: date) -> None:
    """Move an ownership's delivery back in time (a lease delivered months ago): the contract counts from it."""
    contract = records.contract_of(session, ownership)
    assert contract is not None
    contract.delivered_on = delivered_on
    ownership.started_on = delivered_on
    session.commit()
