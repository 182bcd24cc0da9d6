"""A self-service drive is watched from the car from check-out to check-in, by the store's rules; an accompanied
drive is not. The rules are part of the store's test-drive settings and refused there when they make no sense."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from forecourt.catalog.models import Store
from forecourt.core import clock
from forecourt.core.outbox import OutboxMessage
from forecourt.telematics import service as telematics
from forecourt.telematics.service import IncomingMessage
from forecourt.telematics.signals import LATITUDE, LONGITUDE, telemetry_topic
from forecourt.telematics.watching.models import VehicleWatch, WatchAlert
from forecourt.telematics.watching.rules import Circle, Polygon
from forecourt.testdrive.car_watch import watch_rules
from forecourt.testdrive.rules import StorePolicy, geofence_polygon
from tests.testdrive.helpers import BOOKINGS, NOW, hold, key, verify

SETTINGS = "/api/v1/stores/gz-self-service/test-drive-settings"
OUT_AT = NOW + timedelta(hours=26)  # 10:00 local on the 2nd, in the pick-up window of SLOT


def _confirmed_self_service(client, fleet, days: int = 1) -> tuple[str, str]:
    verify(client, fleet.shopper)
    held = hold(client, fleet.shopper, vin=fleet.self_service_car.vin, kind="self_service", days=days)
    reference = held.json()["reference"]
    confirmed = client.post(f"{BOOKINGS}/{reference}/confirm", json={}, headers={**fleet.shopper, **key()})
    return reference, confirmed.json()["pickup_code"]


def _check_out(client, fleet, reference: str, code: str | None = None) -> None:
    body = {"odometer_km": 12000, "energy_percent": 80, **({"pickup_code": code} if code else {})}
    with clock.pinned(OUT_AT):
        out = client.post(f"{BOOKINGS}/{reference}/check-out", json=body, headers=fleet.staff)
    assert out.status_code == 200, out.text


def test_check_out_starts_the_watch_and_check_in_ends_it(client, fleet, db_session):
    reference, code = _confirmed_self_service(client, fleet)
    _check_out(client, fleet, reference, code)
    watch = db_session.scalar(select(VehicleWatch))
    assert watch.subject == f"test_drive:{reference}" and watch.closed_at is None and watch.started_at == OUT_AT
    assert watch.rules["geofence"]["radius_m"] == 50_000.0  # the default: 50 km around the store
    assert watch.rules["speed_limit_kmh"] == 120.0
    # Due back at the end of the 1-day drive plus the store's 15 minutes' grace.
    assert watch.return_due_at == OUT_AT + timedelta(days=1, minutes=15)
    assert watch.notify  # the store's staff
    assert watch.link == f"/backoffice/test-drives/{reference}"

    vin = fleet.self_service_car.vin
    with clock.pinned(OUT_AT):
        telematics.provision(db_session, vin, OUT_AT)
        far = {"seq": 1, "ts": (OUT_AT + timedelta(hours=1)).isoformat(), "signals": {LATITUDE: 24.0, LONGITUDE: 113.3}}
        telematics.store_batch(db_session, [IncomingMessage(telemetry_topic(vin), json.dumps(far).encode())], OUT_AT)
    db_session.commit()
    assert db_session.scalars(select(WatchAlert.kind)).all() == ["geofence_exit"]
    notices = db_session.scalars(select(OutboxMessage).where(OutboxMessage.subject.contains("Left the area"))).all()
    assert [n.recipient for n in notices] == watch.notify

    with clock.pinned(OUT_AT + timedelta(hours=5)):
        back = client.post(
            f"{BOOKINGS}/{reference}/check-in", json={"odometer_km": 12100, "energy_percent": 60}, headers=fleet.staff
        )
    assert back.status_code == 200, back.text
    db_session.expire_all()
    assert db_session.scalar(select(VehicleWatch)).closed_at == OUT_AT + timedelta(hours=5)


def test_an_accompanied_drive_is_not_watched(client, fleet, db_session):
    verify(client, fleet.shopper)
    held = hold(client, fleet.shopper, vin=fleet.dealer_cars[0].vin)
    reference = held.json()["reference"]
    client.post(f"{BOOKINGS}/{reference}/confirm", json={}, headers={**fleet.shopper, **key()})
    _check_out(client, fleet, reference)
    assert db_session.scalar(select(VehicleWatch)) is None


def test_the_store_sets_the_rules_and_zero_turns_one_off(client, fleet, db_session):
    polygon = "23.0,113.0; 23.5,113.0; 23.5,113.6; 23.0,113.6"
    changed = client.patch(
        SETTINGS,
        json={"watch_geofence_polygon": polygon, "watch_speed_limit_kmh": 0, "watch_fault_codes": False},
        headers=fleet.staff,
    )
    assert changed.status_code == 200, changed.text
    reference, code = _confirmed_self_service(client, fleet)
    _check_out(client, fleet, reference, code)
    rules = db_session.scalar(select(VehicleWatch)).rules
    assert rules["geofence"]["polygon"][1] == [23.5, 113.0]
    assert rules["speed_limit_kmh"] is None and rules["new_fault_codes"] is False


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"watch_geofence_km": -1}, "watch_geofence_km"),
        ({"watch_geofence_km": 501}, "watch_geofence_km"),
        ({"watch_speed_limit_kmh": 251}, "watch_speed_limit_kmh"),
        ({"watch_low_level_percent": 101}, "watch_low_level_percent"),
        ({"watch_geofence_polygon": "23,113; 24,113"}, "watch_geofence_polygon"),
        ({"watch_geofence_polygon": "23,113; 24,113; north,113"}, "watch_geofence_polygon"),
        ({"watch_geofence_polygon": "23,113; 24,113; 91,113"}, "watch_geofence_polygon"),
        ({"watch_geofence_polygon": "23,113; 24,113; nan,113"}, "watch_geofence_polygon"),
    ],
)
def test_rules_that_make_no_sense_are_refused(client, fleet, changes, field):
    refused = client.patch(SETTINGS, json=changes, headers=fleet.staff)
    assert refused.status_code == 422, refused.text
    assert [error["field"] for error in refused.json()["errors"]] == [field]


def test_the_limits_themselves_are_allowed(client, fleet):
    edges = {"watch_geofence_km": 500, "watch_speed_limit_kmh": 250, "watch_low_level_percent": 0}
    assert client.patch(SETTINGS, json=edges, headers=fleet.staff).status_code == 200
    assert client.patch(SETTINGS, json={"watch_geofence_km": 0}, headers=fleet.staff).status_code == 200


def test_rules_from_the_policy():
    store = Store(latitude=23.1, longitude=113.2)
    due = NOW + timedelta(days=1)
    circle = watch_rules(StorePolicy(watch_geofence_km=30), store, due)
    assert circle.geofence == Circle((23.1, 113.2), 30_000.0) and circle.return_due_at == due
    assert circle.low_fuel_pct == circle.low_charge_pct == 15.0
    off = watch_rules(StorePolicy(watch_geofence_km=0, watch_low_level_percent=0), store, due)
    assert off.geofence is None and off.low_fuel_pct is None
    polygon = watch_rules(StorePolicy(watch_geofence_polygon="1,2;3,4;5,6"), store, due)
    assert polygon.geofence == Polygon(((1.0, 2.0), (3.0, 4.0), (5.0, 6.0)))
    assert geofence_polygon("  ") == ()
    with pytest.raises(ValueError, match="at most 50 corners"):
        geofence_polygon("1,2;" * 600)


def test_a_car_watched_for_something_else_is_not_handed_over_and_nothing_changes(client, fleet, db_session):
    from forecourt.telematics.watching import service as watching
    from forecourt.telematics.watching.rules import WatchRules

    reference, code = _confirmed_self_service(client, fleet)
    car = fleet.self_service_car
    other = watching.WatchStart("rental:R1", car.id, car.store_id, WatchRules(), (), "/rentals/R1")
    watching.start_watch(db_session, other, NOW)
    db_session.commit()
    body = {"odometer_km": 12000, "energy_percent": 80, "pickup_code": code}
    with clock.pinned(OUT_AT):
        refused = client.post(f"{BOOKINGS}/{reference}/check-out", json=body, headers=fleet.staff)
    assert refused.status_code == 409 and refused.json()["code"] == "vehicle_already_watched"
    db_session.expire_all()
    assert client.get(f"{BOOKINGS}/{reference}", headers=fleet.staff).json()["status"] == "confirmed"
    assert db_session.scalars(select(VehicleWatch.subject)).all() == ["rental:R1"]


def test_the_minute_job_alerts_once_when_the_car_is_not_back(client, fleet, db_session, db_connection):
    from functools import partial

    from forecourt.jobs import run_due_jobs
    from tests.conftest import _joined_session

    reference, code = _confirmed_self_service(client, fleet)
    _check_out(client, fleet, reference, code)
    due = db_session.scalar(select(VehicleWatch.return_due_at))
    factory = partial(_joined_session, db_connection)  # the app's factory, inside the test's transaction
    assert run_due_jobs(factory, {}, due).overdue_alerts == 0  # exactly at the return time: not yet late
    assert run_due_jobs(factory, {}, due + timedelta(minutes=1)).overdue_alerts == 1
    assert run_due_jobs(factory, {}, due + timedelta(minutes=2)).overdue_alerts == 0
    db_session.expire_all()
    assert db_session.scalars(select(WatchAlert.kind)).all() == ["overdue"]
