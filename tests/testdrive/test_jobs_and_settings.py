"""Time-driven jobs (expiry, reminders, follow-ups), store settings and availability input checks."""

from __future__ import annotations

from datetime import timedelta
from functools import partial

from sqlalchemy import select
from sqlalchemy.orm import Session

from forecourt.core import clock
from forecourt.core.outbox import OutboxMessage
from forecourt.jobs import run_due_jobs
from forecourt.testdrive.models import TestDriveBooking
from tests.conftest import _joined_session
from tests.testdrive.helpers import BOOKINGS, NOW, confirm, hold, verify

AVAILABILITY = "/api/v1/test-drives/availability"


def _subjects(session: Session) -> list[str]:
    session.expire_all()
    return [m.subject for m in session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))]


def test_jobs_expire_holds_remind_and_follow_up(client, fleet, db_session, db_connection):
    lapsing = hold(client, fleet.other_shopper, vin=fleet.dealer_cars[1].vin).json()["reference"]
    verify(client, fleet.shopper)
    reference = hold(client, fleet.shopper, vin=fleet.dealer_cars[0].vin).json()["reference"]
    confirm(client, fleet.shopper, reference)
    factory = partial(_joined_session, db_connection)  # the app's factory, inside the test's transaction

    report = run_due_jobs(factory, {}, NOW + timedelta(minutes=15))
    assert report.expired_holds == 1 and report.reminders == 0
    assert (
        db_session.scalars(select(TestDriveBooking.status).where(TestDriveBooking.reference == lapsing)).one()
        == "expired"
    )

    assert run_due_jobs(factory, {}, NOW + timedelta(hours=3)).reminders == 1  # the drive is 26 h after NOW
    assert run_due_jobs(factory, {}, NOW + timedelta(hours=4)).reminders == 0  # once only
    with clock.pinned(NOW + timedelta(hours=26)):
        client.post(
            f"{BOOKINGS}/{reference}/check-out", json={"odometer_km": 10, "energy_percent": 90}, headers=fleet.staff
        )
    with clock.pinned(NOW + timedelta(hours=27)):
        client.post(
            f"{BOOKINGS}/{reference}/check-in", json={"odometer_km": 42, "energy_percent": 80}, headers=fleet.staff
        )
    assert run_due_jobs(factory, {}, NOW + timedelta(hours=28)).follow_ups == 0  # not yet two hours after return
    assert run_due_jobs(factory, {}, NOW + timedelta(hours=29, minutes=1)).follow_ups == 1
    subjects = _subjects(db_session)
    assert any(s.startswith("明天试驾") or s.startswith("Your test drive is coming up") for s in subjects)
    assert any("Mondeo" in s or "蒙迪欧" in s for s in subjects)


def test_staff_change_store_settings_and_bad_values_are_explained(client, fleet):
    url = "/api/v1/stores/gz-tianhe/test-drive-settings"
    assert client.get(url, headers=fleet.staff).json()["buffer_minutes"] == 30
    changed = client.patch(url, json={"buffer_minutes": 45, "accompanied_minutes": [30]}, headers=fleet.staff)
    assert changed.status_code == 200 and changed.json()["buffer_minutes"] == 45
    bad = client.patch(url, json={"self_service_max_days": 9}, headers=fleet.staff)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "self_service_max_days"
    unknown = client.patch(url, json={"bufer_minutes": 45}, headers=fleet.staff)
    assert unknown.status_code == 422 and "bufer_minutes" in unknown.json()["detail"]
    assert client.patch(url, json={"buffer_minutes": 0}, headers=fleet.outsider_staff).status_code == 403
    assert client.patch(url, json={"buffer_minutes": 0}, headers=fleet.shopper).status_code == 403
    # A 60-minute drive is no longer offered there.
    assert hold(client, fleet.shopper, vin=fleet.dealer_cars[0].vin).json()["code"] == "duration_not_offered"


def test_self_service_slots_in_the_city(client, fleet):
    found = client.get(
        AVAILABILITY,
        params={
            "model": "mondeo",
            "city": "guangzhou",
            "kind": "self_service",
            "days": 2,
            "from": "2026-12-02",
            "to": "2026-12-03",
        },
    ).json()
    assert [s["store"] for s in found["stores"]] == ["gz-self-service"]  # dealers do not offer self-service
    first = found["stores"][0]["slots"][0]
    assert first["start"].startswith("2026-12-02T01:00") and first["end"].startswith("2026-12-04T01:00")


def test_availability_input_is_checked(client, fleet):
    cases = [
        ({"city": "guangzhou"}, "vehicle_not_specified"),
        ({"model": "mondeo"}, "place_not_specified"),
        ({"model": "mondeo", "city": "guangzhou", "from": "2026-12-05", "to": "2026-12-01"}, "invalid_range"),
        ({"model": "mondeo", "city": "guangzhou", "from": "2026-12-01", "to": "2027-03-01"}, "range_too_long"),
        ({"model": "mondeo", "city": "guangzhou", "kind": "teleport"}, "validation_error"),
        ({"model": "nosuchmodel", "city": "guangzhou"}, "model_not_found"),
    ]
    for params, code in cases:
        response = client.get(AVAILABILITY, params=params)
        assert 400 <= response.status_code < 500 and response.json()["code"] == code, (params, response.text)


def test_jobs_purge_idempotency_records_past_their_retention_only(fleet, db_session, db_connection):
    from forecourt.core.idempotency import RETENTION, IdempotencyRecord

    now = NOW + timedelta(days=3)
    ages = {
        "kept-at-the-cutoff": RETENTION,
        "purged-a-second-older": RETENTION + timedelta(seconds=1),
        "new": timedelta(0),
    }
    for key, age in ages.items():
        db_session.add(IdempotencyRecord(scope="user:1", key=key, fingerprint="f" * 64, created_at=now - age))
    db_session.flush()
    factory = partial(_joined_session, db_connection)
    assert run_due_jobs(factory, {}, now).idempotency_records_purged == 1
    assert run_due_jobs(factory, {}, now).idempotency_records_purged == 0
    db_session.expire_all()
    assert sorted(db_session.scalars(select(IdempotencyRecord.key))) == ["kept-at-the-cutoff", "new"]
