"""A service job's courtesy car through the API and the pages: held with the job from drop-off to pick-up (refused
with 409 `no_courtesy_car` and nothing written when none is free), confirmed with it, released by cancel and by
hold expiry, ended by completion; it blocks test drives of that car; the owner and the store's staff see it, others
do not."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from forecourt.accounts.models import User
from forecourt.core import clock
from forecourt.core.outbox import OutboxMessage
from forecourt.ownership.service_bookings import service as service_bookings
from forecourt.ownership.service_bookings.models import ServiceJob
from forecourt.testdrive.models import BookingPurpose, TestDriveBooking
from tests.backoffice.helpers import sign_in
from tests.factories import make_vehicle
from tests.ownership.service_bookings.helpers import JOBS, NOW, WORK, Workshop, confirm, hold, installed, make_workshop

pytestmark = pytest.mark.pinned_clock(NOW)

TEST_DRIVE_HOLDS = "/api/v1/test-drives/holds"


def _fleet(db_session, shop: Workshop, cars: int) -> list:
    store, trim = shop.catalog["stores"]["gz-tianhe"], shop.catalog["trims"]["mondeo-ecoboost180"]
    made = [make_vehicle(db_session, trim, store, test_drive_fleet=True) for _ in range(cars)]
    db_session.commit()
    return made


@pytest.fixture
def shop(db_session) -> Iterator[Workshop]:
    """Two bays, one courtesy car (the store's one test-drive car)."""
    workshop = make_workshop(db_session)
    workshop.catalog["fleet"] = _fleet(db_session, workshop, 1)
    for _ in installed([workshop.car]):
        yield workshop


def _loans(db_session) -> list[TestDriveBooking]:
    db_session.expire_all()
    statement = select(TestDriveBooking).where(TestDriveBooking.purpose == BookingPurpose.COURTESY.value)
    return list(db_session.scalars(statement.order_by(TestDriveBooking.id)))


def _jobs(db_session) -> int:
    return db_session.scalar(select(func.count()).select_from(ServiceJob))


def test_a_hold_with_a_courtesy_car_lends_it_from_drop_off_to_pick_up(client, db_session, shop):
    response = hold(client, shop.owner, shop.car.vin, courtesy_car=True, drop_off="2026-12-02T09:30:00+08:00")
    assert response.status_code == 201, response.text
    job = response.json()
    car = job["courtesy_car"]
    vin = shop.catalog["fleet"][0].vin
    assert car["status"] == "held" and car["model_en"] == "Mondeo" and car["vin"] == "…" + vin[-6:]
    assert vin not in response.text  # masked everywhere in the answer
    moment = datetime.fromisoformat
    assert moment(car["starts_at"]) == moment(job["drop_off_at"]) == datetime(2026, 12, 2, 1, 30, tzinfo=UTC)
    assert moment(car["ends_at"]) == moment(job["pick_up_at"]) == datetime(2026, 12, 2, 4, 30, tzinfo=UTC)
    [loan] = _loans(db_session)
    assert loan.reference == car["reference"] and loan.shopper_user_id == shop.owner_id
    assert loan.hold_expires_at == NOW + timedelta(minutes=10)  # lapses with the service hold
    assert db_session.scalars(select(ServiceJob)).one().courtesy_loan_reference == loan.reference
    confirmed = confirm(client, shop.owner, job["reference"])
    assert confirmed.status_code == 200 and confirmed.json()["courtesy_car"]["status"] == "confirmed"
    assert _loans(db_session)[0].hold_expires_at is None
    [message] = db_session.scalars(select(OutboxMessage).where(OutboxMessage.channel == "email")).all()
    assert car["vin"] in message.body and vin not in message.body  # the confirmation names the car, masked


def test_without_the_flag_no_car_is_lent(client, db_session, shop):
    response = hold(client, shop.owner, shop.car.vin)
    assert response.status_code == 201 and response.json()["courtesy_car"] is None
    assert _loans(db_session) == []


def test_no_free_car_refuses_the_hold_and_writes_nothing(client, db_session, shop):
    assert hold(client, shop.owner, shop.car.vin, courtesy_car=True).status_code == 201  # the only car, 10:00–12:30
    jobs_before = _jobs(db_session)
    refused = hold(client, shop.owner, shop.car.vin, courtesy_car=True)  # a free bay (B2), but no car
    assert refused.status_code == 409, refused.text
    assert refused.json()["code"] == "no_courtesy_car"
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert _jobs(db_session) == jobs_before and len(_loans(db_session)) == 1
    assert hold(client, shop.owner, shop.car.vin).status_code == 201  # the bay itself was free


def test_a_store_without_a_fleet_lends_nothing(client, db_session):
    shop = make_workshop(db_session)
    for _ in installed([shop.car]):
        refused = hold(client, shop.owner, shop.car.vin, courtesy_car=True)
        assert refused.status_code == 409 and refused.json()["code"] == "no_courtesy_car"
        assert _jobs(db_session) == 0 and _loans(db_session) == []


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"drop_off": "2026-12-02T09:00:00+08:00"}, 201, None),  # opening time: the car can be handed over
        ({"drop_off": "2026-12-02T08:59:00+08:00"}, 422, "courtesy_outside_hours"),
        ({"start": "2026-12-02T15:30:00+08:00"}, 201, None),  # ends 17:30, pick-up 18:00 = closing time
        ({"start": "2026-12-02T16:00:00+08:00"}, 422, "courtesy_outside_hours"),  # pick-up 18:30
    ],
)
def test_hand_overs_fall_within_opening_hours(client, db_session, shop, body, status, code):
    response = hold(client, shop.owner, shop.car.vin, courtesy_car=True, **body)
    assert response.status_code == status, response.text
    if code:
        assert response.json()["code"] == code
        assert [e["field"] for e in response.json()["errors"]] == ["courtesy_car"]
        assert _jobs(db_session) == 0 and _loans(db_session) == []
    # Without a courtesy car the same slot is fine: the rule is the loan's, not the job's.
    assert hold(client, shop.owner, shop.car.vin, **body).status_code == 201


@pytest.mark.parametrize("value", ["yes", 1, None, [True]])
def test_the_flag_is_a_boolean(client, shop, value):
    response = hold(client, shop.owner, shop.car.vin, courtesy_car=value)
    assert response.status_code == 422, response.text


def test_cancel_releases_the_car(client, db_session, shop):
    reference = hold(client, shop.owner, shop.car.vin, courtesy_car=True).json()["reference"]
    confirm(client, shop.owner, reference)
    cancelled = client.post(f"{JOBS}/{reference}/cancel", headers=shop.owner)
    assert cancelled.status_code == 200 and cancelled.json()["courtesy_car"]["status"] == "cancelled"
    assert _loans(db_session)[0].status == "cancelled"
    assert hold(client, shop.owner, shop.car.vin, courtesy_car=True).status_code == 201  # lent again


def test_hold_expiry_releases_the_car(client, db_session, shop):
    reference = hold(client, shop.owner, shop.car.vin, courtesy_car=True).json()["reference"]
    later = NOW + timedelta(minutes=10)
    assert service_bookings.expire_holds(db_session, later) == 1
    db_session.commit()
    assert [loan.status for loan in _loans(db_session)] == ["expired"]
    with clock.pinned(later):
        job = client.get(f"{JOBS}/{reference}", headers=shop.owner).json()
        assert job["status"] == "expired" and job["courtesy_car"]["status"] == "expired"
        assert hold(client, shop.owner, shop.car.vin, courtesy_car=True).status_code == 201


def test_a_lapsed_hold_reads_expired_and_cannot_confirm_its_loan(client, db_session, shop):
    reference = hold(client, shop.owner, shop.car.vin, courtesy_car=True).json()["reference"]
    with clock.pinned(NOW + timedelta(minutes=10)):
        assert client.get(f"{JOBS}/{reference}", headers=shop.owner).json()["courtesy_car"]["status"] == "expired"
        refused = confirm(client, shop.owner, reference)
    assert refused.status_code == 409 and refused.json()["code"] == "hold_not_active"
    assert _loans(db_session)[0].status == "held"  # the refused confirm changed nothing


def test_completion_ends_the_loan(client, db_session, shop):
    reference = hold(client, shop.owner, shop.car.vin, courtesy_car=True).json()["reference"]
    confirm(client, shop.owner, reference)
    done_at = datetime(2026, 12, 2, 4, 0, tzinfo=UTC)  # 12:00 local, before the pick-up time
    with clock.pinned(done_at):
        completed = client.post(f"{JOBS}/{reference}/complete", json=WORK, headers=shop.staff)
    assert completed.status_code == 200, completed.text
    assert completed.json()["courtesy_car"]["status"] == "completed"
    [loan] = _loans(db_session)
    assert loan.status == "completed" and loan.checked_in_at == done_at and loan.checked_in_by == shop.staff_id


def test_a_lent_car_cannot_be_test_driven_and_a_driven_car_cannot_be_lent(client, db_session, shop):
    vin = shop.catalog["fleet"][0].vin
    hold(client, shop.owner, shop.car.vin, courtesy_car=True)  # lent 10:00–12:30, blocked until 13:00
    body = {"kind": "accompanied", "vin": vin, "minutes": 60}
    key = {"Idempotency-Key": "11111111-1111-4111-8111-111111111111"}
    during = client.post(
        TEST_DRIVE_HOLDS, json={**body, "start": "2026-12-02T12:30:00+08:00"}, headers={**shop.other_owner, **key}
    )
    assert during.status_code == 409 and during.json()["code"] == "slot_taken", during.text
    key = {"Idempotency-Key": "22222222-2222-4222-8222-222222222222"}
    after = client.post(
        TEST_DRIVE_HOLDS, json={**body, "start": "2026-12-02T13:00:00+08:00"}, headers={**shop.other_owner, **key}
    )
    assert after.status_code == 201, after.text  # touching the loan's buffer end: allowed
    # The next day the car is taken by a drive 10:00–11:00 (blocked until 11:30): a loan from 10:00 is refused.
    key = {"Idempotency-Key": "33333333-3333-4333-8333-333333333333"}
    drive = client.post(
        TEST_DRIVE_HOLDS, json={**body, "start": "2026-12-03T10:00:00+08:00"}, headers={**shop.other_owner, **key}
    )
    assert drive.status_code == 201, drive.text
    refused = hold(client, shop.owner, shop.car.vin, courtesy_car=True, start="2026-12-03T10:00:00+08:00")
    assert refused.status_code == 409 and refused.json()["code"] == "no_courtesy_car"
    lent = hold(client, shop.owner, shop.car.vin, courtesy_car=True, start="2026-12-03T11:30:00+08:00")
    assert lent.status_code == 201, lent.text  # drop-off at 11:30, the drive's buffer end


def test_a_second_car_is_lent_when_the_first_is_out(client, db_session, shop):
    second = _fleet(db_session, shop, 1)[0]
    first = hold(client, shop.owner, shop.car.vin, courtesy_car=True).json()["courtesy_car"]["vin"]
    other = hold(client, shop.owner, shop.car.vin, courtesy_car=True).json()["courtesy_car"]["vin"]
    fleet = {"…" + car.vin[-6:] for car in [shop.catalog["fleet"][0], second]}
    assert first != other and {first, other} == fleet


def test_others_cannot_see_the_loan(client, db_session, shop):
    job = hold(client, shop.owner, shop.car.vin, courtesy_car=True).json()
    loan = job["courtesy_car"]["reference"]
    assert client.get(f"{JOBS}/{job['reference']}", headers=shop.other_owner).status_code == 404
    assert client.get(JOBS, headers=shop.other_owner).json() == []
    assert client.get(f"/api/v1/test-drives/bookings/{loan}", headers=shop.other_owner).status_code == 404
    assert client.get(f"/api/v1/test-drives/bookings/{loan}", headers=shop.owner).status_code == 404  # not a drive
    assert client.get(f"{JOBS}/{job['reference']}", headers=shop.outsider_staff).status_code == 403
    staff_view = client.get(f"{JOBS}/{job['reference']}", headers=shop.staff).json()
    assert staff_view["courtesy_car"]["reference"] == loan
    calendar = client.get(
        "/api/v1/stores/gz-tianhe/service-bookings", params={"date": "2026-12-02"}, headers=shop.staff
    )
    assert calendar.json()[0]["courtesy_car"]["reference"] == loan


# --- pages ---------------------------------------------------------------------------------------------------------


def _hidden(page: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert found, f"no hidden {name}"
    return html.unescape(found.group(1))


def test_the_owner_ticks_the_box_and_sees_the_car_and_staff_see_it_on_the_calendar(client, db_session, shop):
    csrf = sign_in(client, db_session.get(User, shop.owner_id))
    service = f"/garage/cars/{shop.car.vin}/service"
    page = client.get(service, params={"date": "2026-12-02"})
    assert 'name="courtesy_car"' in page.text
    form = {
        "csrf_token": csrf,
        "idempotency_key": _hidden(page.text, "idempotency_key"),
        "store": "gz-tianhe",
        "job_type": "periodic_service",
        "start": "2026-12-02T10:00:00+08:00",
        "courtesy_car": "1",
    }
    booked = client.post(f"{service}/book", data=form, follow_redirects=False)
    assert booked.status_code == 303, booked.text
    job_page = client.get(booked.headers["location"])
    vin = shop.catalog["fleet"][0].vin
    assert 'id="courtesy-car"' in job_page.text and vin[-6:] in job_page.text and vin not in job_page.text
    # The same form again with another key: the only car is lent, so the page says so and nothing is written.
    form["idempotency_key"] = "44444444-4444-4444-8444-444444444444"
    refused = client.post(f"{service}/book", data=form, follow_redirects=False)
    assert refused.status_code == 409 and 'data-code="no_courtesy_car"' in refused.text
    assert _jobs(db_session) == 1
    client.cookies.clear()
    sign_in(client, db_session.get(User, shop.staff_id))
    calendar = client.get("/backoffice/stores/gz-tianhe/service", params={"date": "2026-12-02"})
    assert calendar.status_code == 200 and "td-courtesy" in calendar.text and vin[-6:] in calendar.text
    week = client.get("/backoffice/stores/gz-tianhe/service", params={"date": "2026-12-02", "view": "week"})
    assert week.status_code == 200
    reference = booked.headers["location"].rsplit("/", 1)[1]
    staff_job = client.get(f"/backoffice/service-jobs/{reference}")
    assert 'id="courtesy-car"' in staff_job.text


def test_another_owner_gets_the_not_your_car_page_for_a_job_with_a_loan(client, db_session, shop):
    reference = hold(client, shop.owner, shop.car.vin, courtesy_car=True).json()["reference"]
    other = db_session.scalars(select(User).where(User.email == "other-owner@example.test")).one()
    sign_in(client, other)
    page = client.get(f"/garage/service-jobs/{reference}")
    assert page.status_code == 404 and "courtesy-car" not in page.text
