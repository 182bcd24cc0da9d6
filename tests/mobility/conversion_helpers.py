"""A subscriber whose sedan subscription (3,000.00 a month) started on 1 December 2026 and whose December invoice
is paid, a finance provider with the standard programs, and the clock's moments the conversion tests use: shared
by the API tests (test_subscription_conversion) and the page tests (test_conversion_pages)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from forecourt.core import clock
from forecourt.core.settings import Settings
from forecourt.integrations import build_integrations
from forecourt.mobility.models import MobilityClass, SubscriptionPlan
from forecourt.mobility.subscriptions import billing_run
from tests.factories import auth_headers, make_small_catalog, make_token, make_user, make_vehicle
from tests.finance.factories import make_provider, make_residuals, make_standard_programs
from tests.testdrive.helpers import HIGH_SCORE_ID, key, verify

SUBSCRIBED = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)  # 08:00 on 1 December in Guangzhou
BILLED = datetime(2027, 1, 1, 1, 0, tzinfo=UTC)  # December is over: its invoice, 3,000.00, is made and paid
CONVERTING = datetime(2027, 1, 9, 2, 0, tzinfo=UTC)  # 10:00 on 9 January: the subscription's last day
SUBS = "/api/v1/subscriptions"
PAYMENTS = build_integrations(Settings(environment="test")).payments
PRICE = Decimal("179800.00")
D = Decimal


@dataclass
class World:
    car: Any  # the sedan class's subscription car, a Mondeo at 179,800.00
    twin: Any  # the same trim at the same price, on sale
    users: list[Any]  # the subscriber (verified, a high credit score), someone else
    headers: list[dict[str, str]]


def _class(session: Session, code: str, name_zh: str, models: list[str], price: str, km: int, over: str) -> None:
    mobility_class = MobilityClass(code=code, name_en=code.upper(), name_zh=name_zh, model_codes=models, rank=0)
    session.add(mobility_class)
    session.flush()
    session.add(
        SubscriptionPlan(class_id=mobility_class.id, monthly_price=D(price), km_per_month=km, per_km_over=D(over))
    )


def make_world(client: Any, session: Session) -> World:
    catalog = make_small_catalog(session)
    store, trims = catalog["stores"]["gz-self"], catalog["trims"]
    _class(session, "sedan", "轿车", ["mondeo"], "3000.00", 1500, "0.80")
    _class(session, "suv", "SUV", ["kuga"], "4500.00", 2000, "1.00")
    car = make_vehicle(session, trims["mondeo-ecoboost180"], store, pool="subscription", price=str(PRICE))
    make_vehicle(session, trims["kuga-ecoboost245"], store, pool="subscription")  # for a swap
    twin = make_vehicle(session, trims["mondeo-ecoboost180"], store, price=str(PRICE))
    provider = make_provider(session)
    make_standard_programs(session, provider)
    make_residuals(session, provider, "mondeo")
    users = [make_user(session, roles=[("shopper", None)]) for _ in range(2)]
    session.commit()
    headers = [auth_headers(make_token(session, user)) for user in users]
    with clock.pinned(SUBSCRIBED):
        verify(client, headers[0], HIGH_SCORE_ID)
    return World(car, twin, users, headers)


def subscribe(client: Any, world: World, start: str = "2026-12-01") -> str:
    body = {"store": "gz-self-service", "mobility_class": "sedan", "start": start, "payment_method": "demo-card-ok"}
    with clock.pinned(SUBSCRIBED):
        made = client.post(SUBS, json=body, headers={**world.headers[0], **key()})
    assert made.status_code == 201, made.text
    return made.json()["reference"]


def billed(client: Any, session: Session, world: World) -> str:
    """A subscription whose December is invoiced and paid (3,000.00)."""
    reference = subscribe(client, world)
    assert billing_run.bill_due(session, PAYMENTS, now=BILLED) == 1
    session.commit()
    return reference
