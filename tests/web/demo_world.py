"""The whole demo (as `forecourt demo load` writes it, the stores' customers' day included, on a smaller catalog and a
shorter marketing history) served by a live server, with the demo shopper's own quote, credit application and order
made through the JSON API — and the ids of one object of each kind, for tests that walk every page as the people of
the demo see it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from forecourt.accounts.demo import (
    ADMIN_EMAIL,
    DEMO_PASSWORD,
    DEMO_SELF_SERVICE_STORE,
    DEMO_STORE,
    FINANCE_EMAIL,
    MANAGER_EMAIL,
    MARKETER_EMAIL,
    SHOPPER_EMAIL,
)
from forecourt.accounts.models import User
from forecourt.catalog.models import Store, Vehicle
from forecourt.core import clock
from forecourt.core.settings import Settings
from forecourt.demo_day import load_customers_day
from forecourt.finance.models import RateProgram
from forecourt.finance.programs.demo import ensure_finance_demo
from forecourt.marketing.demo import load_marketing_demo
from forecourt.marketing.leads.demo import load_lead_demo
from forecourt.marketing.leads.models import Lead
from forecourt.mobility.demo import SUBSCRIBER_EMAIL, load_mobility_demo
from forecourt.mobility.models import Subscription
from forecourt.ownership.demo import OWNER_EMAIL, load_ownership_demo
from forecourt.ownership.models import Ownership
from forecourt.ownership.service_bookings.demo import load_service_demo
from forecourt.ownership.service_bookings.models import ServiceJob
from forecourt.telematics.demo import load_telematics_demo
from forecourt.testdrive.demo import LATER_TODAY, OUT_NOW, load_test_drive_demo
from forecourt.testdrive.models import TestDriveBooking
from tests.finance.credit.helpers import body as application_body
from tests.live_server import demo_database

# The people of the demo, by role; None signs nobody in. The owner is a shopper with cars in the garage; the
# subscriber has a subscription that swapped class and was invoiced (mobility.demo).
ROLE_EMAILS: dict[str, str | None] = {
    "anonymous": None,
    "shopper": SHOPPER_EMAIL,
    "owner": OWNER_EMAIL,
    "subscriber": SUBSCRIBER_EMAIL,
    "store_manager": MANAGER_EMAIL,
    "finance_officer": FINANCE_EMAIL,
    "marketer": MARKETER_EMAIL,
    "admin": ADMIN_EMAIL,
}


def _load_every_demo(session: Session) -> dict[str, str]:
    """What `forecourt demo load` adds to the catalog and accounts (`demo_database` loads those)."""
    ensure_finance_demo(session)
    load_marketing_demo(session, visitors=3_000, days=42)
    load_lead_demo(session)
    load_telematics_demo(session)
    load_test_drive_demo(session)
    load_ownership_demo(session)
    load_service_demo(session)
    settings = Settings(environment="test", database_url="sqlite://")  # the served app's keys: it opens what is sealed
    load_mobility_demo(session, settings)
    load_customers_day(session, settings)
    session.flush()
    return _demo_ids(session)


def _demo_ids(session: Session) -> dict[str, str]:
    def one(statement) -> str:
        value = session.scalars(statement.limit(1)).first()
        assert value is not None, f"the demo has nothing for {statement}"
        return str(value)

    store = session.scalars(select(Store).where(Store.code == DEMO_STORE)).one()
    owner = session.scalars(select(User).where(User.email == OWNER_EMAIL)).one()
    subscriber = session.scalars(select(User).where(User.email == SUBSCRIBER_EMAIL)).one()
    lease = session.scalars(
        select(Ownership).where(Ownership.user_id == owner.id, Ownership.model_code == "kuga")
    ).one()
    on_sale = select(Vehicle.vin).where(Vehicle.store_id == store.id, Vehicle.status == "available")
    return {
        "store": DEMO_STORE,
        "vin": one(on_sale.order_by(Vehicle.id)),
        "other_vin": one(on_sale.order_by(Vehicle.id.desc())),
        "watched_vin": one(
            select(Vehicle.vin)
            .join(TestDriveBooking, TestDriveBooking.vehicle_id == Vehicle.id)
            .where(TestDriveBooking.reference == OUT_NOW)
        ),
        "drive_out": OUT_NOW,
        "my_drive": LATER_TODAY[0],
        "owned_vin": lease.vin,
        "ownership": lease.reference,
        "owners_job": one(
            select(ServiceJob.reference)
            .where(ServiceJob.owner_user_id == owner.id)
            .order_by(ServiceJob.starts_at.desc())
        ),
        "lead": one(select(Lead.reference).where(Lead.store_id == store.id, Lead.status == "new").order_by(Lead.id)),
        "program": one(select(RateProgram.code).where(RateProgram.product == "loan").order_by(RateProgram.id)),
        "subscription": one(select(Subscription.reference).where(Subscription.subscriber_user_id == subscriber.id)),
        "model": "kuga",  # rented and subscribed at the self-service store (mobility/demo.py): all four ways to drive
        "self_service_store": DEMO_SELF_SERVICE_STORE,
    }


@dataclass(frozen=True)
class DemoWorld:
    database_url: str
    ids: dict[str, str]  # demo values by name, filled into page paths


def make_demo_world(directory: Path) -> DemoWorld:
    url, ids = demo_database(directory, vehicles=120, then=_load_every_demo)
    return DemoWorld(url, ids)


def add_shoppers_journey(base_url: str, ids: dict[str, str]) -> None:
    """The demo shopper compares finance for a car and applies for its loan, reserves another car for cash and holds
    a rental car, through the JSON API of the live server: their quote, application, order and rental pages then
    have something to show."""
    with httpx.Client(base_url=base_url, timeout=30) as client:
        signed_in = client.post("/api/v1/auth/sign-in", json={"identifier": SHOPPER_EMAIL, "password": DEMO_PASSWORD})
        signed_in.raise_for_status()
        headers = {"X-CSRF-Token": signed_in.json()["csrf_token"]}

        def post(path: str, payload: dict) -> dict:
            response = client.post(path, json=payload, headers={**headers, "Idempotency-Key": str(uuid.uuid4())})
            assert response.status_code == 201, (path, response.status_code, response.text[:500])
            return response.json()

        terms = {"term_months": 36, "down_percent": "0.2"}
        compared = post("/api/v1/quotes", {"vin": ids["vin"], **terms})
        loan, cash = (_product(compared, name) for name in ("loan", "cash"))
        application = post("/api/v1/finance/applications", application_body(loan))
        reserved = _product(post("/api/v1/quotes", {"vin": ids["other_vin"], **terms}), "cash")
        order = post("/api/v1/orders", {"quote_reference": reserved, "payment_method": "demo-card-ok"})
        rental = _rental(client, headers)
    ids |= {
        "rental": rental,
        "quote": compared["reference"],
        "loan_quote": loan,
        "cash_quote": cash,
        "application": application["reference"],
        "order": order["reference"],
    }


def _rental(client: httpx.Client, headers: dict[str, str]) -> str:
    """A Mondeo held at the self-service store for three hours in the morning, on the first day ahead it is open."""
    today = clock.utcnow().astimezone(ZoneInfo("Asia/Shanghai")).date()
    for days in range(2, 9):
        start = datetime.combine(today + timedelta(days=days), time(10), ZoneInfo("Asia/Shanghai"))
        body = {"store": DEMO_SELF_SERVICE_STORE, "model": "mondeo", "start": start.isoformat()}
        body["end"] = (start + timedelta(hours=3)).isoformat()
        response = client.post("/api/v1/rentals", json=body, headers={**headers, "Idempotency-Key": str(uuid.uuid4())})
        if response.status_code == 201:
            return response.json()["reference"]
    raise AssertionError(f"no rental could be held: {response.status_code} {response.text[:500]}")


def _product(comparison: dict, product: str) -> str:
    return next(p["reference"] for p in comparison["products"] if p["product"] == product)
