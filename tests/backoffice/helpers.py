"""Shared set-up of the back-office tests: a small catalog, users of each kind, cookie sign-in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from forecourt.audit.models import AuditEvent
from forecourt.core.clock import utcnow
from forecourt.finance.models import CreditApplication, FinanceProvider, Order, Quote
from forecourt.marketing.leads.models import Lead
from forecourt.marketing.leads.repository import tasks_of_lead
from forecourt.marketing.models import MarketingEvent
from forecourt.marketing.subscribers import on_new_events
from forecourt.mobility.models import Rental, Subscription
from forecourt.ownership.models import Ownership, OwnershipContract
from forecourt.ownership.service_bookings.models import ServiceBay, ServiceJob
from forecourt.testdrive.models import TestDriveBooking
from tests.factories import PASSWORD, make_small_catalog, make_user, make_vehicle
from tests.mobility.factories import make_plans

SIGN_IN = "/api/v1/auth/sign-in"


@dataclass
class World:
    catalog: dict[str, Any]
    users: dict[str, Any]
    vehicles: dict[str, Any]
    booking_reference: str = ""  # a held test drive of store A's car, owned by users["driver"]
    order_reference: str = ""  # a reserved order of store A's reserved car, owned by users["driver"]
    application_reference: str = ""  # a credit application (manual review) for store A's car, by users["driver"]
    lead_reference: str = ""  # a new lead routed to store A, with its open first-contact task
    lead_task_id: int = 0
    ownership_reference: str = ""  # a lease of users["driver"], registered at store A (a VIN outside the catalog)
    service_job_reference: str = ""  # a confirmed service job in store A's bay, owned by users["driver"]
    rental_reference: str = ""  # a confirmed rental of store A's rental car, by users["driver"]
    subscription_reference: str = ""  # an active subscription of users["driver"] at store A

    @property
    def store_a(self) -> Any:
        return self.catalog["stores"]["gz-tianhe"]

    @property
    def store_b(self) -> Any:
        return self.catalog["stores"]["sh-pudong"]


def make_world(session: Session) -> World:
    cat = make_small_catalog(session)
    store_a, store_b = cat["stores"]["gz-tianhe"], cat["stores"]["sh-pudong"]
    users = {
        "shopper": make_user(session, roles=[("shopper", None)]),
        "staff_a": make_user(session, roles=[("store_staff", store_a.id)]),
        "staff_b": make_user(session, roles=[("store_staff", store_b.id)]),
        "admin": make_user(session, roles=[("admin", None)]),
        "driver": make_user(session, roles=[("shopper", None)]),
    }
    mondeo = cat["trims"]["mondeo-ecoboost180"]
    vehicles = {
        "a": make_vehicle(session, mondeo, store_a, cat["colours"]["white"]),
        "a_reserved": make_vehicle(session, mondeo, store_a, status="reserved"),
        "b": make_vehicle(session, cat["trims"]["kuga-ecoboost245"], store_b),
    }
    booking = _held_test_drive(session, users["driver"], vehicles["a"])
    order = _reserved_order(session, users["driver"], vehicles["a_reserved"])
    application = _credit_application(session, users["driver"], vehicles["a"])
    lead = _lead_of_store(session, users["driver"], store_a)
    service_job = _service_job(session, users["driver"], store_a)
    ownership = _ownership_at_store(session, users["driver"], store_a)
    rental = _confirmed_rental(session, users["driver"], make_vehicle(session, mondeo, store_a, pool="rental"))
    session.commit()
    return World(
        cat,
        users,
        vehicles,
        booking.reference,
        order.reference,
        application.reference,
        lead.reference,
        tasks_of_lead(session, lead.id)[0].id,
        ownership.reference,
        service_job.reference,
        rental.reference,
        _subscription(session, users["driver"], store_a).reference,
    )


def _subscription(session: Session, subscriber: Any, store: Any) -> Subscription:
    subscription = Subscription(
        reference="SB2345678A",
        subscriber_user_id=subscriber.id,
        store_id=store.id,
        status="active",
        started_on=date(2026, 1, 1),
        minimum_until=date(2026, 3, 31),
        km_carried=0,
        payment_method="demo-card-ok",
        decision=[],
    )
    session.add(subscription)
    session.flush()
    return subscription


def _confirmed_rental(session: Session, renter: Any, vehicle: Any) -> Rental:
    mobility_class = make_plans(session)
    start = datetime(2030, 1, 3, 2, 0, tzinfo=UTC)
    session.add(
        TestDriveBooking(
            reference="RN2345678A",
            purpose="rental",
            shopper_user_id=renter.id,
            vehicle_id=vehicle.id,
            store_id=vehicle.store_id,
            model_id=vehicle.trim.model_id,
            kind="self_service",
            status="confirmed",
            starts_at=start,
            ends_at=start + timedelta(hours=3),
            blocks_until=start + timedelta(hours=3, minutes=30),
        )
    )
    rental = Rental(
        reference="RN2345678A",
        renter_user_id=renter.id,
        store_id=vehicle.store_id,
        class_id=mobility_class.id,
        rates={},
        time_charge=Decimal("135.00"),
        km_included=60,
        bill=[],
    )
    session.add(rental)
    session.flush()
    return rental


def _ownership_at_store(session: Session, owner: Any, store: Any) -> Ownership:
    ownership = Ownership(
        reference="OW2345678A",
        vin="LFV3A23C9J3000017",
        vehicle_id=None,
        model_code="mondeo",
        user_id=owner.id,
        store_id=store.id,
        status="current",
        source="registered",
        started_on=date(2026, 1, 1),
        start_odometer_km=10,
    )
    session.add(ownership)
    session.flush()
    session.add(
        OwnershipContract(
            ownership_id=ownership.id,
            product="lease",
            currency="CNY",
            price=Decimal("200000.00"),
            down_payment=Decimal("20000.00"),
            term_months=36,
            monthly_payment=Decimal("4000.00"),
            money_factor=Decimal("0.0015"),
            residual_value=Decimal("100000.00"),
            annual_allowance_km=15000,
            excess_km_rate=Decimal("0.50"),
            delivered_on=date(2026, 1, 1),
            delivery_odometer_km=10,
            figures={},
        )
    )
    session.flush()
    return ownership


def _service_job(session: Session, owner: Any, store: Any) -> ServiceJob:
    bay = ServiceBay(store_id=store.id, code="W1", name="World bay", active=True)
    session.add(bay)
    session.flush()
    start = datetime(2030, 1, 2, 2, 0, tzinfo=UTC)
    job = ServiceJob(
        reference="SV2345678A",
        vin="LVSHCAMB9JZ000123",
        owner_user_id=owner.id,
        store_id=store.id,
        bay_id=bay.id,
        job_type="periodic_service",
        status="confirmed",
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        drop_off_at=start,
        pick_up_at=start + timedelta(hours=2, minutes=30),
    )
    session.add(job)
    session.flush()
    return job


def _lead_of_store(session: Session, person: Any, store: Any) -> Lead:
    event = MarketingEvent(
        event_id=f"access-matrix-{person.id}",
        type="quote_request",
        occurred_at=utcnow(),
        source="api",
        user_id=person.id,
        model_code="mondeo",
        city="guangzhou",
        store_code=store.code,
    )
    session.add(event)
    session.flush()
    on_new_events(session, [event])
    return session.scalars(select(Lead).where(Lead.user_id == person.id)).one()


def _held_test_drive(session: Session, driver: Any, vehicle: Any) -> TestDriveBooking:
    start = datetime(2030, 1, 2, 2, 0, tzinfo=UTC)
    booking = TestDriveBooking(
        reference="TD2345678A",
        shopper_user_id=driver.id,
        vehicle_id=vehicle.id,
        store_id=vehicle.store_id,
        model_id=vehicle.trim.model_id,
        kind="accompanied",
        status="confirmed",
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        blocks_until=start + timedelta(minutes=90),
    )
    session.add(booking)
    session.flush()
    return booking


def _reserved_order(session: Session, buyer: Any, vehicle: Any) -> Order:
    order = Order(
        reference="OR2345678A",
        user_id=buyer.id,
        vehicle_id=vehicle.id,
        store_id=vehicle.store_id,
        status="reserved",
        price=vehicle.price,
        currency=vehicle.currency,
        deposit_amount=Decimal("5000.00"),
    )
    session.add(order)
    session.flush()
    return order


def _credit_application(session: Session, applicant: Any, vehicle: Any) -> CreditApplication:
    """A credit application row as finance/credit/service.py writes one (the tokens are stand-ins: never opened)."""
    provider = FinanceProvider(code="world-credit", name_en="World Credit", name_zh="世界金融", underwriting_rules={})
    session.add(provider)
    session.flush()
    quote = Quote(
        reference="QW2345678A",
        user_id=applicant.id,
        vehicle_id=vehicle.id,
        store_id=vehicle.store_id,
        product="loan",
        price=vehicle.price,
        currency="CNY",
        inputs={},
        figures={},
        disclosure={},
        expires_at=datetime(2030, 1, 1, tzinfo=UTC),
    )
    session.add(quote)
    session.flush()
    application = CreditApplication(
        reference="CA2345678A",
        kind="application",
        user_id=applicant.id,
        store_id=vehicle.store_id,
        vehicle_id=vehicle.id,
        quote_id=quote.id,
        provider_id=provider.id,
        status="manual_review",
        full_name_enc="fc1:x",
        full_name_masked="Z***",
        id_type="resident_id",
        id_number_enc="fc1:x",
        id_number_masked="4****************1",
        id_number_index="0" * 64,
        date_of_birth_enc="fc1:x",
        address_enc="fc1:x",
        employer_enc="fc1:x",
        employment_months=24,
        monthly_income_enc="fc1:x",
        monthly_housing_enc="fc1:x",
        monthly_debts_enc="fc1:x",
        income_band="CNY 10,000–20,000 / month",
        decision={"outcome": "manual_review", "reasons": [], "stipulations": []},
    )
    session.add(application)
    session.flush()
    return application


def sign_in(client: TestClient, user: Any) -> str:
    """Sign in through the API (sets the session cookie on the client); returns the CSRF token."""
    response = client.post(SIGN_IN, json={"identifier": user.email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return response.json()["csrf_token"]


def events(session: Session, action: str) -> list[AuditEvent]:
    session.expire_all()
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))
