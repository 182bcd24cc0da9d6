"""Service booking through the API: slots, hold → confirm with an Idempotency-Key, expiry, cancel, completion with
the next service due, the owner's history, and who may see or do what."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from forecourt.core import clock
from forecourt.core.outbox import OutboxMessage
from forecourt.ownership.servicing.models import ServiceRecord
from tests.ownership.service_bookings.helpers import (
    JOBS,
    NOW,
    SLOT,
    WORK,
    Workshop,
    confirm,
    hold,
    installed,
    key,
    make_workshop,
)

pytestmark = pytest.mark.pinned_clock(NOW)


@pytest.fixture
def shop(db_session) -> Iterator[Workshop]:
    workshop = make_workshop(db_session)
    yield from _with_cars(workshop)


def _with_cars(workshop: Workshop) -> Iterator[Workshop]:
    for _ in installed([workshop.car]):
        yield workshop


def test_slots_are_the_store_hours_on_a_30_minute_grid(client, shop):
    response = client.get(
        "/api/v1/service-bookings/availability", params={"store": "gz-tianhe", "from": "2026-12-02", "to": "2026-12-02"}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["bays"] == 2 and body["minutes"] == 120
    starts = [s["start"] for s in body["slots"]]
    assert "2026-12-02T02:00:00Z" in starts  # 10:00 local
    assert all(s["free_bays"] == 2 for s in body["slots"])


def test_hold_confirm_and_the_owner_sees_it(client, db_session, shop):
    held = hold(client, shop.owner, shop.car.vin)
    assert held.status_code == 201, held.text
    job = held.json()
    assert job["status"] == "held" and job["bay"] == "B1"
    assert job["drop_off_at"] == job["starts_at"]
    assert job["pick_up_at"] == "2026-12-02T04:30:00Z"  # two hours of work, then 30 minutes to hand back
    confirmed = confirm(client, shop.owner, job["reference"])
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["status"] == "confirmed" and confirmed.json()["advisor"] in ("Chen Jie", "Wang Fang")
    mine = client.get(JOBS, headers=shop.owner).json()
    assert [j["reference"] for j in mine] == [job["reference"]]
    messages = db_session.scalars(select(OutboxMessage).where(OutboxMessage.subject.contains(job["reference"]))).all()
    assert len(messages) == 1


def test_confirm_is_idempotent_with_the_same_key(client, shop):
    reference = hold(client, shop.owner, shop.car.vin).json()["reference"]
    headers = {**shop.owner, **key()}
    first = client.post(f"{JOBS}/{reference}/confirm", headers=headers)
    again = client.post(f"{JOBS}/{reference}/confirm", headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert first.json() == again.json()


def test_a_hold_needs_an_idempotency_key(client, shop):
    body = {"vin": shop.car.vin, "store": "gz-tianhe", "job_type": "periodic_service", "start": SLOT}
    response = client.post("/api/v1/service-bookings/holds", json=body, headers=shop.owner)
    assert response.status_code in (400, 422), response.text


def test_a_hold_expires_after_ten_minutes(client, shop):
    reference = hold(client, shop.owner, shop.car.vin).json()["reference"]
    with clock.pinned(NOW + timedelta(minutes=10)):
        response = confirm(client, shop.owner, reference)
        assert client.get(f"{JOBS}/{reference}", headers=shop.owner).json()["status"] == "expired"
    assert response.status_code == 409 and response.json()["code"] == "hold_not_active"


def test_a_hold_one_second_before_expiry_confirms(client, shop):
    reference = hold(client, shop.owner, shop.car.vin).json()["reference"]
    with clock.pinned(NOW + timedelta(minutes=10) - timedelta(seconds=1)):
        assert confirm(client, shop.owner, reference).status_code == 200


def test_an_expired_hold_frees_the_bay(client, db_session):
    shop = make_workshop(db_session, bays=1)
    for _ in installed([shop.car]):
        assert hold(client, shop.owner, shop.car.vin).status_code == 201
        taken = hold(client, shop.owner, shop.car.vin)
        assert taken.status_code == 409 and taken.json()["code"] == "slot_taken"
        assert taken.json()["next_free_slots"], "the refusal offers the next free times"
        with clock.pinned(NOW + timedelta(minutes=10)):
            assert hold(client, shop.owner, shop.car.vin).status_code == 201


def test_two_bays_take_two_jobs_at_once_and_no_third(client, shop):
    assert hold(client, shop.owner, shop.car.vin).json()["bay"] == "B1"
    assert hold(client, shop.owner, shop.car.vin).json()["bay"] == "B2"
    assert hold(client, shop.owner, shop.car.vin).status_code == 409


def test_back_to_back_jobs_share_a_bay(client, db_session):
    shop = make_workshop(db_session, bays=1)
    for _ in installed([shop.car]):
        assert hold(client, shop.owner, shop.car.vin).status_code == 201  # 10:00–12:00
        assert hold(client, shop.owner, shop.car.vin, start="2026-12-02T12:00:00+08:00").status_code == 201
        assert hold(client, shop.owner, shop.car.vin, start="2026-12-02T11:30:00+08:00").status_code == 409


@pytest.mark.parametrize(
    ("start", "code"),
    [
        ("2026-12-02T10:15:00+08:00", "slot_not_offered"),  # off the grid
        ("2026-12-02T17:00:00+08:00", "slot_not_offered"),  # would end after closing
        ("2026-12-01T09:30:00+08:00", "too_soon"),  # 1.5 hours ahead
        ("2027-01-05T10:00:00+08:00", "too_far_ahead"),
    ],
)
def test_refused_starts(client, shop, start, code):
    response = hold(client, shop.owner, shop.car.vin, start=start)
    assert response.status_code == 422 and response.json()["code"] == code, response.text


def test_lead_time_boundary(client, shop):
    assert hold(client, shop.owner, shop.car.vin, start="2026-12-01T10:00:00+08:00").status_code == 201  # exactly 2 h


@pytest.mark.parametrize(
    ("drop_off", "status"),
    [("2026-12-01T22:00:00+08:00", 201), ("2026-12-01T21:59:00+08:00", 422), ("2026-12-02T10:01:00+08:00", 422)],
)
def test_drop_off_from_12_hours_before_to_the_start(client, shop, drop_off, status):
    assert hold(client, shop.owner, shop.car.vin, drop_off=drop_off).status_code == status


def test_only_the_owner_books_a_car(client, shop):
    response = hold(client, shop.other_owner, shop.car.vin)
    assert response.status_code == 404 and response.json()["code"] == "car_not_found"
    unknown = hold(client, shop.owner, "LVSHCAMB9JZ000123")
    assert unknown.status_code == 404


def test_others_cannot_see_confirm_or_cancel_a_job(client, shop):
    reference = hold(client, shop.owner, shop.car.vin).json()["reference"]
    assert client.get(f"{JOBS}/{reference}", headers=shop.other_owner).status_code == 404
    assert confirm(client, shop.other_owner, reference).status_code == 404
    assert client.post(f"{JOBS}/{reference}/cancel", headers=shop.other_owner).status_code == 404
    assert client.get(f"{JOBS}/{reference}", headers=shop.outsider_staff).status_code == 403
    assert client.get(f"{JOBS}/{reference}", headers=shop.staff).status_code == 200


def test_cancel_frees_the_bay_and_only_once(client, db_session):
    shop = make_workshop(db_session, bays=1)
    for _ in installed([shop.car]):
        reference = hold(client, shop.owner, shop.car.vin).json()["reference"]
        assert client.post(f"{JOBS}/{reference}/cancel", headers=shop.owner).json()["status"] == "cancelled"
        again = client.post(f"{JOBS}/{reference}/cancel", headers=shop.owner)
        assert again.status_code == 409 and again.json()["code"] == "job_not_cancellable"
        assert hold(client, shop.owner, shop.car.vin).status_code == 201


def _booked(client, shop) -> str:
    reference = hold(client, shop.owner, shop.car.vin).json()["reference"]
    assert confirm(client, shop.owner, reference).status_code == 200
    return reference


def test_completion_records_the_work_and_the_next_service(client, db_session, shop):
    reference = _booked(client, shop)
    with clock.pinned(NOW + timedelta(days=1, hours=5)):
        response = client.post(f"{JOBS}/{reference}/complete", json=WORK, headers=shop.staff)
    assert response.status_code == 200, response.text
    job = response.json()
    assert job["status"] == "completed" and job["cost"] == "667.50" and job["odometer_km"] == 4800
    # First periodic service done on 2 Dec 2026 at 4,800 km: the next is 10,000 km or 6 months from it.
    assert job["next_due_km"] == 14800 and job["next_due_on"] == "2027-06-02"
    assert len(job["parts"]) == 2
    record = db_session.scalars(select(ServiceRecord).where(ServiceRecord.reference == reference)).one()
    assert record.done_on == date(2026, 12, 2) and record.periodic
    history = client.get(f"/api/v1/cars/{shop.car.vin}/service-history", headers=shop.owner)
    assert [j["reference"] for j in history.json()] == [reference]
    assert client.get(f"/api/v1/cars/{shop.car.vin}/service-history", headers=shop.other_owner).status_code == 404


def test_only_a_confirmed_job_completes_and_only_by_its_store(client, shop):
    held = hold(client, shop.owner, shop.car.vin).json()["reference"]
    refused = client.post(f"{JOBS}/{held}/complete", json=WORK, headers=shop.staff)
    assert refused.status_code == 409 and refused.json()["code"] == "job_not_confirmed"
    reference = _booked(client, shop)
    assert client.post(f"{JOBS}/{reference}/complete", json=WORK, headers=shop.outsider_staff).status_code == 403
    assert client.post(f"{JOBS}/{reference}/complete", json=WORK, headers=shop.owner).status_code == 403
    assert client.post(f"{JOBS}/{reference}/complete", json=WORK, headers=shop.staff).status_code == 200
    again = client.post(f"{JOBS}/{reference}/complete", json=WORK, headers=shop.staff)
    assert again.status_code == 409


def test_a_repair_does_not_reset_the_schedule(client, shop):
    reference = hold(client, shop.owner, shop.car.vin, job_type="repair").json()["reference"]
    confirm(client, shop.owner, reference)
    job = client.post(f"{JOBS}/{reference}/complete", json=WORK, headers=shop.staff).json()
    # Still the first service: 5,000 km or 3 months from delivery (1 Sep 2026, 10 km).
    assert job["next_due_km"] == 5010 and job["next_due_on"] == "2026-12-01"


def test_store_calendar_is_for_its_staff(client, shop):
    reference = _booked(client, shop)
    day = client.get("/api/v1/stores/gz-tianhe/service-bookings", params={"date": "2026-12-02"}, headers=shop.staff)
    assert [j["reference"] for j in day.json()] == [reference]
    assert client.get("/api/v1/stores/gz-tianhe/service-bookings", headers=shop.outsider_staff).status_code == 403
    assert client.get("/api/v1/stores/gz-tianhe/service-bookings", headers=shop.owner).status_code == 403
