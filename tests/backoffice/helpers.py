"""Shared set-up of the back-office tests: a small catalog, users of each kind, cookie sign-in."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from forecourt.audit.models import AuditEvent
from tests.factories import PASSWORD, make_small_catalog, make_user, make_vehicle

SIGN_IN = "/api/v1/auth/sign-in"


@dataclass
class World:
    catalog: dict[str, Any]
    users: dict[str, Any]
    vehicles: dict[str, Any]

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
    }
    mondeo = cat["trims"]["mondeo-ecoboost180"]
    vehicles = {
        "a": make_vehicle(session, mondeo, store_a, cat["colours"]["white"]),
        "a_reserved": make_vehicle(session, mondeo, store_a, status="reserved"),
        "b": make_vehicle(session, cat["trims"]["kuga-ecoboost245"], store_b),
    }
    session.commit()
    return World(cat, users, vehicles)


def sign_in(client: TestClient, user: Any) -> str:
    """Sign in through the API (sets the session cookie on the client); returns the CSRF token."""
    response = client.post(SIGN_IN, json={"identifier": user.email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return response.json()["csrf_token"]


def events(session: Session, action: str) -> list[AuditEvent]:
    session.expire_all()
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))
