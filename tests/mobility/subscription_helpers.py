"""What the subscription page tests share: two classes with plans and one car of each at the self-service store,
four shoppers, and the steps a shopper takes on the pages (sign in, verify a licence, subscribe)."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from forecourt.mobility.models import MobilityClass, SubscriptionPlan
from tests.backoffice.helpers import sign_in
from tests.factories import make_small_catalog, make_user, make_vehicle
from tests.testdrive.helpers import HIGH_SCORE_ID

NOW = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)  # 08:00 in Guangzhou
STORE = "gz-self-service"
CHOICE = {
    "store": STORE,
    "mobility_class": "sedan",
    "start": "2026-12-01",
    "handover": "pickup",
    "payment_method": "demo-card-ok",
}


@dataclass
class People:
    subscriber: Any
    low: Any
    fresh: Any
    other: Any


def make_family(session: Session, store: Any, trims: dict) -> None:
    """Two classes with plans (a sedan at 3,000.00 and 1,500 km, an SUV at 4,500.00 and 2,000 km) and one car of
    each in the store's subscription fleet."""
    for rank, (code, en, zh, models, price, km, over) in enumerate(
        (
            ("sedan", "Sedan", "轿车", ["mondeo"], "3000.00", 1500, "0.80"),
            ("suv", "SUV", "SUV车型", ["kuga"], "4500.00", 2000, "1.00"),
        )
    ):
        mobility_class = MobilityClass(code=code, name_en=en, name_zh=zh, model_codes=models, rank=rank)
        session.add(mobility_class)
        session.flush()
        session.add(
            SubscriptionPlan(
                class_id=mobility_class.id, monthly_price=Decimal(price), km_per_month=km, per_km_over=Decimal(over)
            )
        )
    make_vehicle(session, trims["mondeo-ecoboost180"], store, pool="subscription")
    make_vehicle(session, trims["kuga-ecoboost245"], store, pool="subscription")


def switch_to(client, user: Any) -> str:
    """Sign out whoever is signed in and sign `user` in (English pages); the CSRF token."""
    client.cookies.clear()
    client.cookies.set("lang", "en")
    return sign_in(client, user)


def hidden(page: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert found, f"no hidden field {name}"
    return html.unescape(found.group(1))


def page_and_csrf(client, url: str) -> tuple[str, str]:
    response = client.get(url)
    assert response.status_code == 200, response.text[:800]
    return response.text, hidden(response.text, "csrf_token")


def verify_licence(client, id_number: str = HIGH_SCORE_ID, expiry: str = "2030-01-01", **choice: str):
    _, csrf = page_and_csrf(client, "/subscribe")
    licence = {"full_name": "Li Lei", "id_number": id_number, "licence_expiry": expiry, "licence_class": "C1"}
    return client.post("/subscribe/verify", data={"csrf_token": csrf, **licence, **choice}, follow_redirects=False)


def subscribe(client, key: str | None = None, **changes: str):
    page, csrf = page_and_csrf(client, "/subscribe")
    data = {**CHOICE, **changes, "csrf_token": csrf, "idempotency_key": key or hidden(page, "idempotency_key")}
    return client.post("/subscribe", data=data, follow_redirects=False)


def subscribed(client, user: Any, **changes: str) -> str:
    """Sign `user` in, verify a licence with a good score and subscribe; the subscription's reference."""
    sign_in(client, user)
    assert verify_licence(client).status_code == 303
    answer = subscribe(client, **changes)
    assert answer.status_code == 303, answer.text[:1500]
    return answer.headers["location"].split("?")[0].rsplit("/", 1)[1]


def make_subscribers(session: Session) -> People:
    catalog = make_small_catalog(session)
    make_family(session, catalog["stores"]["gz-self"], catalog["trims"])
    built = People(*(make_user(session, roles=[("shopper", None)]) for _ in range(4)))
    session.commit()
    return built
