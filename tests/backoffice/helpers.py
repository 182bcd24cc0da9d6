"""Shared set-up of the back-office tests: a small catalog, users of each kind, cookie sign-in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from forecourt.audit.models import AuditEvent
from forecourt.testdrive.models import TestDriveBooking
from tests.factories import PASSWORD, make_small_catalog, make_user, make_vehicle

SIGN_IN = "/api/v1/auth/sign-in"


@dataclass
class World:
    catalog: dict[str, Any]
    users: dict[str, Any]
    vehicles: dict[str, Any]
    booking_reference: str = ""  # a held test drive of store A's car, owned by users["driver"]

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
    session.commit()
    return World(cat, users, vehicles, booking.reference)


def _held_test_drive(session: Session, driver: Any, vehicle: Any) -> TestDriveBooking:
    start = datetime(2030, 1, 2, 2, 0, tzinfo=UTC)
    booking = TestDriveBooking(reference="TD2345678A", shopper_user_id=driver.id, vehicle_id=vehicle.id,
                               store_id=vehicle.store_id, model_id=vehicle.trim.model_id, kind="accompanied",
                               status="confirmed", starts_at=start, ends_at=start + timedelta(hours=1),
                               blocks_until=start + timedelta(minutes=90))  # fmt: skip
    session.add(booking)
    session.flush()
    return booking


def sign_in(client: TestClient, user: Any) -> str:
    """Sign in through the API (sets the session cookie on the client); returns the CSRF token."""
    response = client.post(SIGN_IN, json={"identifier": user.email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return response.json()["csrf_token"]


def events(session: Session, action: str) -> list[AuditEvent]:
    session.expire_all()
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))
