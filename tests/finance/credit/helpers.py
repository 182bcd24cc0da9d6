"""Shared set-up of the credit-application tests: a car, a provider with loan programs, quotes written straight
to the table (as the quote work stores them), people of every role, and request bodies."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from forecourt.core.references import new_reference
from forecourt.finance.credit.bureau import DEMO_ID_FAIR, DEMO_ID_GOOD, DEMO_ID_LATE_PAYER, DEMO_ID_NO_FILE
from forecourt.finance.models import Quote
from tests.factories import auth_headers, make_small_catalog, make_token, make_user, make_vehicle
from tests.finance.factories import make_provider, make_standard_programs

NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
PREQUALIFY = "/api/v1/finance/prequalifications"
APPLY = "/api/v1/finance/applications"
REVIEW = "/api/v1/finance/review/applications"
GOOD_ID, FAIR_ID, NO_FILE_ID, LATE_ID = DEMO_ID_GOOD, DEMO_ID_FAIR, DEMO_ID_NO_FILE, DEMO_ID_LATE_PAYER
BIRTH = {GOOD_ID: "1990-03-07", FAIR_ID: "1992-08-15", NO_FILE_ID: "1985-06-15", LATE_ID: "1988-01-01"}
INCOME = "31234.56"  # digits that appear nowhere else, for the privacy checks
ALL_CONSENTS = ["prequalification", "credit_check", "share_with_provider"]


@dataclass
class Finance:
    catalog: dict
    car: Any  # a Mondeo at gz-tianhe, 179,800
    other_car: Any  # a Kuga at sh-pudong
    provider: Any
    programs: dict
    quote: str  # the shopper's 36-month loan quote of `car`, 20% down
    other_store_quote: str  # the shopper's quote of `other_car`
    cash_quote: str
    users: dict
    headers: dict[str, dict[str, str]]


def make_quote(
    session: Session,
    user_id: int | None,
    vehicle: Any,
    program: Any | None,
    *,
    down: str = "35960.00",
    term: int = 36,
    expires: datetime | None = None,
) -> Quote:
    quote = Quote(
        reference=new_reference("Q"),
        user_id=user_id,
        vehicle_id=vehicle.id,
        store_id=vehicle.store_id,
        product=program.product if program else "cash",
        program_id=program.id if program else None,
        price=vehicle.price,
        currency="CNY",
        monthly_payment=Decimal("4310.93"),
        inputs={"down_payment": down, "term_months": term, "balloon": "0"},
        figures={"monthly_payment": "4310.93"},
        disclosure={},
        created_at=NOW,
        expires_at=expires or NOW + timedelta(days=30),
    )
    session.add(quote)
    session.flush()
    return quote


def make_finance(session: Session) -> Finance:
    cat = make_small_catalog(session)
    stores = cat["stores"]
    car = make_vehicle(session, cat["trims"]["mondeo-ecoboost180"], stores["gz-tianhe"])
    other_car = make_vehicle(session, cat["trims"]["kuga-ecoboost245"], stores["sh-pudong"])
    provider = make_provider(session)
    programs = make_standard_programs(session, provider)
    users = {
        "shopper": make_user(session, roles=[("shopper", None)], email="applicant@example.test"),
        "other_shopper": make_user(session, roles=[("shopper", None)]),
        "staff_a": make_user(session, roles=[("store_staff", stores["gz-tianhe"].id)]),
        "staff_b": make_user(session, roles=[("store_staff", stores["sh-pudong"].id)]),
        "officer": make_user(session, roles=[("finance_officer", None)]),
        "officer_a": make_user(session, roles=[("finance_officer", stores["gz-tianhe"].id)]),
        "officer_b": make_user(session, roles=[("finance_officer", stores["sh-pudong"].id)]),
        "admin": make_user(session, roles=[("admin", None)]),
    }
    shopper = users["shopper"]
    quote = make_quote(session, shopper.id, car, programs["loan-36"])
    other_quote = make_quote(session, shopper.id, other_car, programs["loan-36"], down="49960.00")
    cash = make_quote(session, shopper.id, car, None)
    headers = {name: auth_headers(make_token(session, user)) for name, user in users.items()}
    session.commit()
    return Finance(
        cat, car, other_car, provider, programs, quote.reference, other_quote.reference, cash.reference, users, headers
    )


def applicant(id_number: str = GOOD_ID, **changes: Any) -> dict[str, Any]:
    body = {
        "full_name": "Zhang Wei",
        "id_type": "resident_id",
        "id_number": id_number,
        "date_of_birth": BIRTH.get(id_number, "1990-03-07"),
        "address": "88 Tianhe Road, Guangzhou",
        "employer": "Pearl River Shipping",
        "employment_months": 48,
        "monthly_income": INCOME,
        "monthly_housing_cost": "2000.00",
        "monthly_other_debts": "0.00",
    }
    return {**body, **changes}


def body(quote: str, consents: list[str] | None = None, **person: Any) -> dict[str, Any]:
    id_number = person.pop("id_number", GOOD_ID)
    return {
        "quote": quote,
        "consents": ALL_CONSENTS if consents is None else consents,
        "applicant": applicant(id_number, **person),
    }


def key() -> dict[str, str]:
    return {"Idempotency-Key": str(uuid.uuid4())}


def submit(client, headers: dict[str, str], payload: dict[str, Any], url: str = APPLY, lang: str = "en") -> Any:
    return client.post(url, json=payload, headers={**headers, **key(), "Accept-Language": lang})
