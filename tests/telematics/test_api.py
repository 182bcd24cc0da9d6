"""The telematics API: what staff of the car's store read, audited; the window rules; the refusals."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from forecourt.audit.models import AuditEvent
from forecourt.core import clock
from forecourt.telematics.service import store_batch
from forecourt.telematics.signals import DTC_LIST, IGNITION, LATITUDE, LONGITUDE, ODOMETER, SPEED
from tests.factories import auth_headers, make_token, make_user
from tests.telematics.factories import NOW, message, provisioned_cars, sample


@pytest.fixture
def car_and_staff(db_session: Session):
    (car,) = provisioned_cars(db_session)
    staff = make_user(db_session, roles=[("store_staff", car.store_id)])
    token = make_token(db_session, staff)
    drive = [
        sample(1, 0, **{IGNITION: "ON", ODOMETER: 10_000, LATITUDE: 23.10, LONGITUDE: 113.20, SPEED: 0.0}),
        sample(2, 1, **{ODOMETER: 10_900, LATITUDE: 23.108, LONGITUDE: 113.20, SPEED: 55.0, DTC_LIST: ["P0301"]}),
        sample(3, 2, **{IGNITION: "LOCK", ODOMETER: 11_000, LATITUDE: 23.109, LONGITUDE: 113.20, SPEED: 0.0}),
    ]
    store_batch(db_session, [message(car.vin, *drive)], NOW)
    db_session.commit()
    with clock.pinned(NOW):
        yield car, token


def test_latest_state_with_open_fault_codes_in_plain_words(client: TestClient, car_and_staff, db_session) -> None:
    car, token = car_and_staff
    answer = client.get(f"/api/v1/vehicles/{car.vin}/telemetry/latest", headers=auth_headers(token))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["reported"] is True and body["seq"] == 3 and body["odometer_m"] == 11_000
    assert body["ignition"] == "LOCK" and body["latitude"] == 23.109
    (code,) = body["open_fault_codes"]
    assert code["code"] == "P0301" and code["description_en"] == "Cylinder 1 misfire"
    assert code["description_zh"] == "第 1 缸缺火" and code["severe"] is True
    views = db_session.scalars(select(AuditEvent).where(AuditEvent.action == "telemetry.viewed")).all()
    assert [(v.object_id, v.details["view"]) for v in views] == [(car.vin, "latest")]


def test_samples_are_paginated_with_a_total(client: TestClient, car_and_staff) -> None:
    car, token = car_and_staff
    url = f"/api/v1/vehicles/{car.vin}/telemetry/samples?page_size=2"
    first = client.get(url, headers=auth_headers(token)).json()
    assert (first["total"], first["pages"], [s["seq"] for s in first["items"]]) == (3, 2, [1, 2])
    second = client.get(url + "&page=2", headers=auth_headers(token)).json()
    assert [s["seq"] for s in second["items"]] == [3]
    assert second["items"][0]["signals"][IGNITION] == "LOCK"


def test_trips_and_alerts(client: TestClient, car_and_staff) -> None:
    car, token = car_and_staff
    (trip,) = client.get(f"/api/v1/vehicles/{car.vin}/trips", headers=auth_headers(token)).json()["trips"]
    assert trip["odometer_distance_m"] == 1_000 and trip["samples"] == 3 and trip["gps_agrees"] is True
    assert trip["max_speed_kmh"] == 55.0 and trip["start"] == [23.10, 113.20]
    history = client.get(f"/api/v1/vehicles/{car.vin}/alerts", headers=auth_headers(token)).json()
    assert [c["code"] for c in history["fault_codes"]] == ["P0301"]


@pytest.mark.parametrize(
    ("query", "status", "code"),
    [
        ("from=2026-12-07T10:00:00Z&to=2026-12-07T09:00:00Z", 422, "invalid_window"),
        ("from=2026-11-01T00:00:00Z&to=2026-12-02T00:00:01Z", 422, "window_too_long"),
        ("from=2026-11-01T00:00:00Z&to=2026-12-02T00:00:00Z", 200, None),  # exactly 31 days
        ("page_size=1001", 422, "validation_error"),
        ("page=0", 422, "validation_error"),
    ],
)
def test_window_and_page_limits(client: TestClient, car_and_staff, query: str, status: int, code: str | None) -> None:
    car, token = car_and_staff
    answer = client.get(f"/api/v1/vehicles/{car.vin}/telemetry/samples?{query}", headers=auth_headers(token))
    assert answer.status_code == status, answer.text
    if code:
        assert answer.json()["code"] == code


def test_a_car_that_never_reported_and_other_stores(client: TestClient, db_session: Session, car_and_staff) -> None:
    _car, token = car_and_staff
    (silent,) = provisioned_cars(db_session)  # another store
    db_session.commit()
    refused = client.get(f"/api/v1/vehicles/{silent.vin}/telemetry/latest", headers=auth_headers(token))
    assert refused.status_code == 403
    admin = make_token(db_session, make_user(db_session, roles=[("admin", None)]))
    db_session.commit()
    body = client.get(f"/api/v1/vehicles/{silent.vin}/telemetry/latest", headers=auth_headers(admin)).json()
    assert body["reported"] is False and body["odometer_m"] is None and body["open_fault_codes"] == []
    assert datetime(2026, 12, 7, tzinfo=UTC) < NOW
