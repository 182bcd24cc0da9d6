"""Who may change what: the protected catalog writes, store scoping of imports, audit trail, security headers."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from forecourt.audit.models import AuditEvent
from forecourt.catalog.models import Vehicle
from tests.catalog.factories import row, to_csv, vin
from tests.factories import auth_headers, make_small_catalog, make_token, make_user, make_vehicle

IMPORTS = "/api/v1/inventory/imports"


@pytest.fixture
def world(db_session):
    cat = make_small_catalog(db_session)
    store_a, store_b = cat["stores"]["gz-tianhe"], cat["stores"]["sh-pudong"]
    trim = cat["trims"]["kuga-ecoboost245"]
    tokens = {
        "shopper": make_token(db_session, make_user(db_session, roles=[("shopper", None)])),
        "staff_a": make_token(db_session, make_user(db_session, roles=[("store_staff", store_a.id)])),
        "finance": make_token(db_session, make_user(db_session, roles=[("finance_officer", store_a.id)])),
        "admin": make_token(db_session, make_user(db_session, roles=[("admin", None)])),
    }
    vehicles = {"a": make_vehicle(db_session, trim, store_a), "b": make_vehicle(db_session, trim, store_b)}
    db_session.commit()
    return {"tokens": tokens, "vehicles": vehicles, "stores": (store_a, store_b), "catalog": cat}


@pytest.mark.parametrize(
    ("who", "where", "status", "code"),
    [
        (None, "a", 401, "not_authenticated"),
        ("shopper", "a", 403, "forbidden_role"),
        ("finance", "a", 403, "forbidden_role"),
        ("staff_a", "b", 403, "store_forbidden"),
        ("staff_a", "a", 200, None),
        ("admin", "b", 200, None),
    ],
)
def test_status_change_access_matrix(client, world, who, where, status, code):
    headers = auth_headers(world["tokens"][who]) if who else {}
    vehicle = world["vehicles"][where]
    response = client.post(f"/api/v1/vehicles/{vehicle.vin}/status", json={"status": "reserved"}, headers=headers)
    assert response.status_code == status, response.text
    if code:
        assert response.json()["code"] == code
        assert client.get(f"/api/v1/vehicles/{vehicle.vin}").json()["status"] == "available"
    if status == 401:
        assert response.headers["www-authenticate"] == "Bearer"


def test_status_change_is_audited(client, db_session, world):
    vehicle = world["vehicles"]["a"]
    client.post(
        f"/api/v1/vehicles/{vehicle.vin}/status",
        json={"status": "reserved"},
        headers=auth_headers(world["tokens"]["staff_a"]),
    )
    event = db_session.scalars(select(AuditEvent).where(AuditEvent.action == "vehicle.status_changed")).one()
    assert event.object_id == vehicle.vin and event.store_id == world["stores"][0].id
    assert event.details == {"from": "available", "to": "reserved"} and event.actor_user_id is not None


@pytest.mark.parametrize(("who", "status"), [(None, 401), ("shopper", 403), ("finance", 403)])
def test_import_needs_staff_or_admin(client, world, who, status):
    headers = auth_headers(world["tokens"][who]) if who else {}
    response = client.post(IMPORTS, files={"file": ("stock.csv", to_csv([row(1)]), "text/csv")}, headers=headers)
    assert response.status_code == status, response.text


def test_staff_import_is_limited_to_their_stores(client, db_session, world):
    foreign_vin = world["vehicles"]["b"].vin
    rows = [
        row(1),
        row(2, store="sh-pudong"),
        row(3, vin=foreign_vin, trim="kuga-ecoboost245", colour="", store="gz-tianhe"),
    ]
    response = client.post(
        IMPORTS,
        files={"file": ("stock.csv", to_csv(rows), "text/csv")},
        headers=auth_headers(world["tokens"]["staff_a"]),
    )
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["created"] == 1 and report["rejected"] == 2
    reasons = {e["line"]: e["reason"] for e in report["errors"]}
    assert reasons == {3: "store sh-pudong is not one of your stores", 4: "store sh-pudong is not one of your stores"}
    assert db_session.scalar(select(Vehicle.id).where(Vehicle.vin == vin(2))) is None
    event = db_session.scalars(select(AuditEvent).where(AuditEvent.action == "inventory.imported")).one()
    assert event.details["created"] == 1 and event.details["rejected"] == 2


def test_admin_import_is_unrestricted(client, db_session, world):
    rows = [row(1), row(2, store="sh-pudong")]
    response = client.post(
        IMPORTS, files={"file": ("stock.csv", to_csv(rows), "text/csv")}, headers=auth_headers(world["tokens"]["admin"])
    )
    assert response.json()["created"] == 2 and response.json()["errors"] == []


def test_public_reads_stay_anonymous(client, world):
    assert client.get("/api/v1/vehicles").status_code == 200
    assert client.get(f"/api/v1/vehicles/{world['vehicles']['a'].vin}").status_code == 200
    assert client.get("/api/v1/stores").status_code == 200


@pytest.mark.parametrize("path", ["/api/v1/stores", "/", "/vehicles", "/healthz"])
def test_security_headers(client, world, path):
    response = client.get(path)
    assert response.status_code == 200
    csp = response.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["permissions-policy"] == "camera=(), microphone=(), geolocation=()"


def test_openapi_still_served(client):
    assert client.get("/openapi.json").status_code == 200
    assert "cdn.jsdelivr.net" in client.get("/docs").headers["content-security-policy"]
