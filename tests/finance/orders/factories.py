"""Rows for the order tests: quotes and credit applications made directly with the ORM (the quote and
application use cases are built separately), and a small world of cars, shoppers and staff."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from forecourt.finance.models import CreditApplication, FinanceProvider, Quote
from tests.factories import auth_headers, make_small_catalog, make_token, make_user, make_vehicle

NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)  # 10:00 in Guangzhou
ORDERS = "/api/v1/orders"
_serials = itertools.count(1)


def make_quote(
    session: Session,
    user: Any,
    vehicle: Any,
    *,
    product: str = "cash",
    price: str | Decimal | None = None,
    expires_at: datetime | None = None,
    reference: str | None = None,
) -> Quote:
    quote = Quote(
        reference=reference or f"QT{next(_serials):06d}{uuid.uuid4().hex[:4].upper()}",
        user_id=user.id if user is not None else None,
        vehicle_id=vehicle.id,
        store_id=vehicle.store_id,
        product=product,
        program_id=None,
        price=Decimal(price) if price is not None else vehicle.price,
        currency=vehicle.currency,
        monthly_payment=Decimal("0.00") if product == "cash" else Decimal("3999.00"),
        inputs={"product": product},
        figures={},
        disclosure={},
        created_at=NOW,
        expires_at=expires_at or NOW + timedelta(days=7),
    )
    session.add(quote)
    session.flush()
    return quote


def _provider(session: Session) -> FinanceProvider:
    provider = session.query(FinanceProvider).filter_by(code="order-test-finance").one_or_none()
    if provider is None:
        provider = FinanceProvider(
            code="order-test-finance",
            name_en="Test Finance",
            name_zh="测试金融",
            underwriting_rules={},
            bureau="demo-bureau",
        )
        session.add(provider)
        session.flush()
    return provider


def make_application(
    session: Session, quote: Quote, status: str, *, kind: str = "application", created_at: datetime | None = None
) -> CreditApplication:
    application = CreditApplication(
        reference=f"CA{next(_serials):06d}{uuid.uuid4().hex[:4].upper()}",
        kind=kind,
        user_id=quote.user_id,
        store_id=quote.store_id,
        vehicle_id=quote.vehicle_id,
        quote_id=quote.id,
        provider_id=_provider(session).id,
        status=status,
        full_name_enc="x",
        full_name_masked="L*",
        id_type="resident_id",
        id_number_enc="x",
        id_number_masked="1101**********1234",
        id_number_index=uuid.uuid4().hex,
        date_of_birth_enc="x",
        address_enc="x",
        employer_enc="x",
        employment_months=24,
        monthly_income_enc="x",
        monthly_housing_enc="x",
        monthly_debts_enc="x",
        income_band="20k-30k",
        credit_score=720,
        decision={"outcome": status},
        created_at=created_at or NOW,
        updated_at=created_at or NOW,
    )
    session.add(application)
    session.flush()
    return application


@dataclass
class OrderWorld:
    catalog: dict
    cheap: Any  # Mondeo at gz-tianhe, CNY 179,800: deposit 5,000
    mid: Any  # Mondeo hybrid at gz-tianhe, CNY 252,800: deposit 10,000
    luxury: Any  # Navigator at gz-tianhe, CNY 1,348,000: deposit 20,000
    pudong_car: Any  # Kuga at sh-pudong
    users: dict[str, Any]
    headers: dict[str, dict[str, str]]

    @property
    def store(self) -> Any:
        return self.catalog["stores"]["gz-tianhe"]


def make_order_world(session: Session) -> OrderWorld:
    cat = make_small_catalog(session)
    trims, stores = cat["trims"], cat["stores"]
    users = {
        "buyer": make_user(session, roles=[("shopper", None)]),
        "other": make_user(session, roles=[("shopper", None)]),
        "staff": make_user(session, roles=[("store_staff", stores["gz-tianhe"].id)]),
        "outsider": make_user(session, roles=[("store_staff", stores["sh-pudong"].id)]),
        "admin": make_user(session, roles=[("admin", None)]),
    }
    world = OrderWorld(
        cat,
        make_vehicle(session, trims["mondeo-ecoboost180"], stores["gz-tianhe"]),
        make_vehicle(session, trims["mondeo-hybrid"], stores["gz-tianhe"]),
        make_vehicle(session, trims["navigator-reserve"], stores["gz-tianhe"]),
        make_vehicle(session, trims["kuga-ecoboost245"], stores["sh-pudong"]),
        users,
        {name: auth_headers(make_token(session, user)) for name, user in users.items()},
    )
    session.commit()
    return world


def key() -> dict[str, str]:
    return {"Idempotency-Key": str(uuid.uuid4())}


def reserve(client, headers: dict[str, str], quote: Quote | str, method: str = "demo-card-ok", **extra_headers: str):
    reference = quote if isinstance(quote, str) else quote.reference
    return client.post(
        ORDERS,
        json={"quote_reference": reference, "payment_method": method},
        headers={**headers, **key(), **extra_headers},
    )
