"""The whole demo (`forecourt demo load`, with fewer cars) in a SQLite file, plus what the demo leaves out and a
page needs to show something: a quote comparison, a credit application and a reserved cash order of the demo
shopper, made through the API as a shopper would. `path_values` names a demo object for each path parameter."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from forecourt.accounts import repository as accounts
from forecourt.accounts.demo import (
    ADMIN_EMAIL,
    DEMO_PASSWORD,
    DEMO_SELF_SERVICE_STORE,
    DEMO_STORE,
    FINANCE_EMAIL,
    MANAGER_EMAIL,
    MARKETER_EMAIL,
    SHOPPER_EMAIL,
    ensure_demo_users,
)
from forecourt.app import create_app
from forecourt.catalog.demo import load_demo
from forecourt.catalog.models import Store, Vehicle
from forecourt.core.db import make_engine, make_session_factory, transaction
from forecourt.core.migrate import upgrade
from forecourt.core.settings import Settings
from forecourt.demo_day import load_customers_day
from forecourt.finance.credit.bureau import DEMO_ID_GOOD
from forecourt.finance.models import RateProgram
from forecourt.finance.programs.demo import ensure_finance_demo
from forecourt.marketing.demo import load_marketing_demo
from forecourt.marketing.leads.demo import load_lead_demo
from forecourt.marketing.leads.models import Lead
from forecourt.mobility.demo import SUBSCRIBER_EMAIL, load_mobility_demo
from forecourt.mobility.models import Subscription
from forecourt.models_registry import import_all_models
from forecourt.ownership.demo import OWNER_EMAIL, load_ownership_demo
from forecourt.ownership.models import Ownership
from forecourt.ownership.service_bookings.demo import load_service_demo
from forecourt.ownership.service_bookings.models import ServiceJob
from forecourt.telematics.demo import load_telematics_demo
from forecourt.testdrive.demo import OUT_NOW, load_test_drive_demo
from tests.web.demo_world import _rental as hold_demo_rental  # the same held rental as the width walk

SIGN_IN = "/api/v1/auth/sign-in"
ROLE_EMAILS = {
    "shopper": SHOPPER_EMAIL,
    "owner": OWNER_EMAIL,
    "subscriber": SUBSCRIBER_EMAIL,
    "store_staff": MANAGER_EMAIL,
    "finance_officer": FINANCE_EMAIL,
    "marketer": MARKETER_EMAIL,
    "admin": ADMIN_EMAIL,
}


@dataclass
class DemoSite:
    settings: Settings
    path_values: dict[str, str]  # by parameter name, or "<name>@<path fragment>" where the path says whose it is
    queries: dict[str, str] = field(default_factory=dict)  # a page's query string, for pages that need one


def build_demo_site(directory: Path) -> DemoSite:
    url = f"sqlite:///{directory / 'demo.db'}"
    import_all_models()
    engine = make_engine(url)
    upgrade(engine)
    with transaction(make_session_factory(engine)) as session:
        load_demo(session, vehicles=300, seed=2018)
        ensure_demo_users(session, "test")
        for loader in (
            ensure_finance_demo,
            load_marketing_demo,
            load_lead_demo,
            load_telematics_demo,
            load_test_drive_demo,
            load_ownership_demo,
            load_service_demo,
            lambda session: load_mobility_demo(session, Settings(environment="test", database_url="sqlite://")),
            lambda session: load_customers_day(session, Settings(environment="test", database_url="sqlite://")),
        ):
            loader(session)
    settings = Settings(environment="test", database_url=url, outbox_dir=directory / "outbox", run_jobs=False)
    with TestClient(create_app(settings)) as client:
        shopped = _shop(client, _on_sale(engine))
    with transaction(make_session_factory(engine)) as session:
        values = _demo_objects(session) | shopped
    engine.dispose()
    return DemoSite(
        settings,
        values,
        {
            "/quotes/new": f"vin={values['vin']}",
            "/orders/new": f"quote={values['cash_quote']}",
            "/finance/apply": f"quote={values['loan_quote']}",
            "/test-drives/book": f"vin={values['vin']}",
            "/backoffice/finance/review": "status=approved",  # the demo shopper's application was approved
            "/models/{code}/ways-to-drive": f"store={DEMO_SELF_SERVICE_STORE}",  # it rents and subscribes the Kuga
        },
    )


def sign_in(client: TestClient, role: str) -> str:
    """Sign the client in as the demo's `role`; returns the session's CSRF token."""
    answer = client.post(SIGN_IN, json={"identifier": ROLE_EMAILS[role], "password": DEMO_PASSWORD})
    assert answer.status_code == 200, answer.text
    return answer.json()["csrf_token"]


def _on_sale(engine) -> list[str]:
    with transaction(make_session_factory(engine)) as session:
        store_id = session.scalar(select(Store.id).where(Store.code == DEMO_STORE))
        return list(
            session.scalars(
                select(Vehicle.vin)
                .where(Vehicle.store_id == store_id, Vehicle.status == "available")
                .order_by(Vehicle.id)
                .limit(2)
            )
        )


def _shop(client: TestClient, vins: list[str]) -> dict[str, str]:
    """The demo shopper compares two cars, applies for a loan on the first and reserves the second for cash."""
    csrf = sign_in(client, "shopper")

    def post(url: str, body: dict) -> dict:
        answer = client.post(url, json=body, headers={"Idempotency-Key": str(uuid.uuid4()), "X-CSRF-Token": csrf})
        assert answer.status_code == 201, answer.text
        return answer.json()

    inputs = {"down_percent": "0.2", "term_months": 36}
    loan_car, cash_car = (post("/api/v1/quotes", {"vin": vin, **inputs}) for vin in vins)
    loan = next(q for q in loan_car["products"] if q["product"] == "loan")
    cash = next(q for q in cash_car["products"] if q["product"] == "cash")
    open_cash = next(q for q in loan_car["products"] if q["product"] == "cash")  # its car is still on sale
    applicant = {
        "full_name": "张伟",
        "id_type": "resident_id",
        "id_number": DEMO_ID_GOOD,
        "date_of_birth": "1990-03-07",
        "address": "广州市天河路88号",
        "employer": "珠江航运",
        "employment_months": 48,
        "monthly_income": "31234.56",
        "monthly_housing_cost": "2000.00",
        "monthly_other_debts": "0.00",
    }
    consents = ["prequalification", "credit_check", "share_with_provider"]
    application = post(
        "/api/v1/finance/applications", {"quote": loan["reference"], "consents": consents, "applicant": applicant}
    )
    order = post("/api/v1/orders", {"quote_reference": cash["reference"], "payment_method": "demo-card-ok"})
    rental = hold_demo_rental(client, {"X-CSRF-Token": csrf})
    return {
        "reference@/rentals/": rental,
        "vin": vins[0],
        "reference@/quotes/": loan_car["reference"],
        "loan_quote": loan["reference"],
        "cash_quote": open_cash["reference"],
        "reference@/finance/": application["reference"],
        "reference@/orders/": order["reference"],
    }


def _demo_objects(session: Session) -> dict[str, str]:
    owner = accounts.get_user_by_email(session, OWNER_EMAIL)
    store_id = session.scalar(select(Store.id).where(Store.code == DEMO_STORE))
    ownership = session.scalars(select(Ownership).where(Ownership.user_id == owner.id).order_by(Ownership.id)).first()
    job = session.scalars(
        select(ServiceJob)
        .where(ServiceJob.owner_user_id == owner.id, ServiceJob.store_id == store_id)
        .order_by(ServiceJob.id)
    ).first()
    lead = session.scalars(select(Lead).where(Lead.store_id == store_id).order_by(Lead.id)).first()
    subscriber = accounts.get_user_by_email(session, SUBSCRIBER_EMAIL)
    subscription = session.scalars(
        select(Subscription.reference).where(Subscription.subscriber_user_id == subscriber.id)
    ).first()
    return {
        "code@/models/": "kuga",
        "code": DEMO_STORE,
        "code@/programs/": session.scalars(select(RateProgram.code).order_by(RateProgram.id)).first(),
        "reference@/test-drives/": OUT_NOW,
        "reference@/service-jobs/": job.reference,
        "reference@/leads/": lead.reference,
        "reference@/ownerships/": ownership.reference,
        "reference@/garage/": ownership.reference,
        "vin@/garage/": ownership.vin,
        "reference@/subscriptions/": subscription,
    }
