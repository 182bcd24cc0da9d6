"""The booking flow through the API, on SQLite and PostgreSQL: hold → verify → confirm, idempotency, races."""

from __future__ import annotations

from datetime import timedelta

from prometheus_client import REGISTRY
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from forecourt.core import clock
from forecourt.core.outbox import OutboxMessage
from forecourt.payments.models import Payment
from forecourt.testdrive.models import TestDriveBooking
from tests.testdrive.helpers import (
    BOOKINGS,
    HOLDS,
    LATER_SLOT,
    LOW_SCORE_ID,
    NOW,
    SLOT,
    confirm,
    hold,
    key,
    verify,
)


def _rows(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(TestDriveBooking))


def test_hold_verify_confirm_with_waived_deposit(client, fleet, db_session):
    car = fleet.dealer_cars[0]
    held = hold(client, fleet.shopper, vin=car.vin)
    assert held.status_code == 201, held.text
    booking = held.json()
    assert booking["status"] == "held" and booking["vin"] == car.vin
    assert booking["hold_expires_at"].startswith("2026-12-01T00:10")

    refused = confirm(client, fleet.shopper, booking["reference"])
    assert refused.status_code == 409 and refused.json()["code"] == "licence_not_verified"

    verification = verify(client, fleet.shopper)
    assert verification["verified"] and verification["credit_score"] == 780
    assert verification["id_number"] == "4****************1"
    assert client.get(f"{BOOKINGS}/{booking['reference']}/deposit", headers=fleet.shopper).json()["kind"] == "waived"

    confirmed = confirm(client, fleet.shopper, booking["reference"])
    assert confirmed.status_code == 200, confirmed.text
    body = confirmed.json()
    assert body["status"] == "confirmed" and body["deposit"]["kind"] == "waived" and body["pickup_code"] is None
    db_session.expire_all()
    messages = db_session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    email = next(m for m in messages if m.channel == "email")
    assert email.recipient == "driver@example.test" and booking["reference"] in email.subject
    invite = email.attachments[0]["content"]
    assert "BEGIN:VCALENDAR" in invite and f"UID:{booking['reference']}@forecourt.dev" in invite
    assert "DTSTART:20261202T020000Z" in invite and "DTEND:20261202T030000Z" in invite
    assert any(m.channel == "sms" and m.recipient == "13800138000" for m in messages)


def test_same_key_replays_the_answer_and_books_once(client, fleet, db_session):
    headers = {**fleet.shopper, **key()}
    body = {"vin": fleet.dealer_cars[0].vin, "start": SLOT}
    first = client.post(HOLDS, json=body, headers=headers)
    second = client.post(HOLDS, json=body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json() and second.headers["Idempotent-Replayed"] == "true"
    assert _rows(db_session) == 1
    other_body = client.post(HOLDS, json={**body, "start": LATER_SLOT}, headers=headers)
    assert other_body.status_code == 422 and other_body.json()["code"] == "idempotency_key_reused"
    assert _rows(db_session) == 1


def test_a_write_without_an_idempotency_key_is_refused(client, fleet, db_session):
    response = client.post(HOLDS, json={"vin": fleet.dealer_cars[0].vin, "start": SLOT}, headers=fleet.shopper)
    assert response.status_code == 422 and response.json()["code"] == "idempotency_key_missing"
    assert _rows(db_session) == 0


def _slot_conflicts() -> float:
    return REGISTRY.get_sample_value("forecourt_testdrive_slot_conflicts_total", {"kind": "accompanied"}) or 0.0


def test_second_hold_on_the_same_car_gets_409_with_next_free_slots(client, fleet, db_session):
    vin = fleet.dealer_cars[0].vin
    conflicts = _slot_conflicts()
    held = hold(client, fleet.shopper, vin=vin)
    assert held.status_code == 201 and _slot_conflicts() == conflicts
    lost = hold(client, fleet.other_shopper, vin=vin, start="2026-12-02T10:30:00+08:00")
    assert lost.status_code == 409, lost.text
    problem = lost.json()
    assert problem["code"] == "slot_taken"
    assert _slot_conflicts() == conflicts + 1  # the metric counts where the conflict is found
    unverified = confirm(client, fleet.shopper, held.json()["reference"])
    assert unverified.status_code == 409 and unverified.json()["code"] == "licence_not_verified"
    assert _slot_conflicts() == conflicts + 1  # other 409s of the booking routes are not slot conflicts
    # 10:00-11:00 plus a 30-minute buffer: the car is next free at 11:30.
    assert problem["next_free_slots"][0]["start"] == "2026-12-02T03:30:00+00:00"
    assert _rows(db_session) == 1


def test_a_model_hold_takes_the_next_free_car(client, fleet):
    first = hold(client, fleet.shopper, model="mondeo", store="gz-tianhe")
    second = hold(client, fleet.other_shopper, model="mondeo", store="gz-tianhe")
    assert first.status_code == second.status_code == 201
    assert {first.json()["vin"], second.json()["vin"]} == {c.vin for c in fleet.dealer_cars}
    availability = client.get(
        "/api/v1/test-drives/availability",
        params={"model": "mondeo", "city": "guangzhou", "from": "2026-12-02", "to": "2026-12-02"},
    ).json()
    slots = {s["start"]: s["free_vehicles"] for s in availability["stores"][0]["slots"]}
    assert "2026-12-02T02:00:00Z" not in slots and "2026-12-02T02:00:00+00:00" not in slots
    assert max(slots.values()) == 2


def test_an_expired_hold_frees_the_car_and_cannot_be_confirmed(client, fleet):
    vin = fleet.dealer_cars[0].vin
    reference = hold(client, fleet.shopper, vin=vin).json()["reference"]
    verify(client, fleet.shopper)
    with clock.pinned(NOW + timedelta(minutes=11)):
        assert hold(client, fleet.other_shopper, vin=vin).status_code == 201
        late = confirm(client, fleet.shopper, reference)
    assert late.status_code == 409 and late.json()["code"] == "hold_not_active"


def test_low_score_pays_a_deposit_and_gets_it_back_on_early_cancel(client, fleet, db_session):
    verify(client, fleet.shopper, LOW_SCORE_ID)
    reference = hold(client, fleet.shopper, vin=fleet.dealer_cars[0].vin).json()["reference"]
    unpaid = confirm(client, fleet.shopper, reference)
    assert unpaid.status_code == 422 and unpaid.json()["code"] == "payment_method_required"
    declined = confirm(client, fleet.shopper, reference, payment_method="demo-card-declined")
    assert declined.status_code == 402
    paid = confirm(client, fleet.shopper, reference, payment_method="demo-card-ok")
    assert paid.status_code == 200 and paid.json()["deposit"] == {
        "kind": "deposit",
        "amount": "99.00",
        "currency": "CNY",
        "reason": "score_below_threshold",
    }
    cancelled = client.post(f"{BOOKINGS}/{reference}/cancel", json={"reason": "plans changed"}, headers=fleet.shopper)
    assert cancelled.status_code == 200 and cancelled.json()["refunded_amount"] == "99.00"
    payment = db_session.scalars(select(Payment)).one()
    assert payment.status == "refunded"


def test_a_late_cancel_refunds_half(client, fleet):
    verify(client, fleet.shopper, LOW_SCORE_ID)
    reference = hold(client, fleet.shopper, vin=fleet.dealer_cars[0].vin).json()["reference"]
    confirm(client, fleet.shopper, reference, payment_method="demo-card-ok")
    with clock.pinned(NOW + timedelta(hours=23)):  # 3 hours before the drive
        cancelled = client.post(f"{BOOKINGS}/{reference}/cancel", json={}, headers=fleet.shopper)
    assert cancelled.json()["refunded_amount"] == "49.50"


def test_reschedule_moves_the_drive(client, fleet):
    verify(client, fleet.shopper)
    reference = hold(client, fleet.shopper, vin=fleet.dealer_cars[0].vin).json()["reference"]
    confirm(client, fleet.shopper, reference)
    moved = client.post(f"{BOOKINGS}/{reference}/reschedule", json={"start": LATER_SLOT}, headers=fleet.shopper)
    assert moved.status_code == 200, moved.text
    assert moved.json()["starts_at"] == "2026-12-02T06:00:00Z"
    # The old time is free again.
    assert hold(client, fleet.other_shopper, vin=fleet.dealer_cars[0].vin).status_code == 201


def test_someone_elses_booking_is_not_found(client, fleet):
    reference = hold(client, fleet.shopper, vin=fleet.dealer_cars[0].vin).json()["reference"]
    assert client.get(f"{BOOKINGS}/{reference}", headers=fleet.other_shopper).status_code == 404
    assert client.post(f"{BOOKINGS}/{reference}/cancel", json={}, headers=fleet.other_shopper).status_code == 404
    assert client.get(f"{BOOKINGS}/{reference}", headers=fleet.outsider_staff).status_code == 403
    assert client.get(f"{BOOKINGS}/{reference}", headers=fleet.staff).status_code == 200


def test_self_service_pick_up_code_check_out_and_late_check_in(client, fleet, db_session):
    verify(client, fleet.shopper)
    car = fleet.self_service_car
    held = hold(client, fleet.shopper, vin=car.vin, kind="self_service", days=2)
    assert held.status_code == 201, held.text
    reference = held.json()["reference"]
    assert held.json()["ends_at"] == "2026-12-04T02:00:00Z"
    headers = {**fleet.shopper, **key()}
    confirmed = client.post(f"{BOOKINGS}/{reference}/confirm", json={}, headers=headers)
    code = confirmed.json()["pickup_code"]
    assert code and len(code) == 8 and code.isdigit()
    replay = client.post(f"{BOOKINGS}/{reference}/confirm", json={}, headers=headers)
    assert replay.json()["pickup_code"] is None  # a one-time secret is not kept for replays
    db_session.expire_all()
    assert code not in str(db_session.scalars(select(TestDriveBooking)).one().pickup_code_hash)

    reading = {"odometer_km": 12000, "energy_percent": 80}
    checkout = f"{BOOKINGS}/{reference}/check-out"
    assert (
        client.post(checkout, json={**reading, "pickup_code": code}, headers=fleet.staff).json()["code"]
        == "outside_pickup_window"
    )
    with clock.pinned(NOW + timedelta(hours=26)):  # 10:00 local on the 2nd
        wrong = client.post(checkout, json={**reading, "pickup_code": "00000000"}, headers=fleet.staff)
        assert wrong.status_code == 403 and wrong.json()["tries_left"] == 4
        out = client.post(checkout, json={**reading, "pickup_code": code}, headers=fleet.staff)
        assert out.status_code == 200 and out.json()["status"] == "in_progress"
    with clock.pinned(NOW + timedelta(hours=26 + 48, minutes=90)):  # 90 minutes late
        back = client.post(
            f"{BOOKINGS}/{reference}/check-in", json={"odometer_km": 12250, "energy_percent": 40}, headers=fleet.staff
        )
    assert back.status_code == 200, back.text
    assert back.json()["status"] == "completed" and back.json()["late_fee"] == "100.00"


def test_check_in_refuses_an_odometer_below_check_out(client, fleet):
    verify(client, fleet.shopper)
    reference = hold(client, fleet.shopper, vin=fleet.dealer_cars[0].vin).json()["reference"]
    confirm(client, fleet.shopper, reference)
    with clock.pinned(NOW + timedelta(hours=26)):
        client.post(
            f"{BOOKINGS}/{reference}/check-out", json={"odometer_km": 500, "energy_percent": 90}, headers=fleet.staff
        )
        back = client.post(
            f"{BOOKINGS}/{reference}/check-in", json={"odometer_km": 400, "energy_percent": 90}, headers=fleet.staff
        )
    assert back.status_code == 422 and back.json()["code"] == "invalid_reading"


def test_no_show_after_the_grace_period(client, fleet):
    verify(client, fleet.shopper)
    reference = hold(client, fleet.shopper, vin=fleet.dealer_cars[0].vin).json()["reference"]
    confirm(client, fleet.shopper, reference)
    with clock.pinned(NOW + timedelta(hours=26, minutes=5)):
        early = client.post(f"{BOOKINGS}/{reference}/no-show", headers=fleet.staff)
    assert early.status_code == 409
    with clock.pinned(NOW + timedelta(hours=26, minutes=20)):
        assert client.post(f"{BOOKINGS}/{reference}/no-show", headers=fleet.outsider_staff).status_code == 403
        marked = client.post(f"{BOOKINGS}/{reference}/no-show", headers=fleet.staff)
    assert marked.json()["status"] == "no_show"
    figures = client.get(
        "/api/v1/test-drives/figures", params={"from": "2026-12-01", "to": "2026-12-31"}, headers=fleet.staff
    ).json()
    assert figures == [
        {
            "store": "gz-tianhe",
            "model": "mondeo",
            "bookings": 1,
            "completed": 0,
            "no_shows": 1,
            "cancelled": 0,
            "show_rate": "0.000",
            "no_show_rate": "1.000",
            "average_drive_minutes": None,
        }
    ]


def test_one_self_service_drive_at_a_time(client, fleet, db_session):
    from tests.factories import make_vehicle

    make_vehicle(
        db_session,
        fleet.catalog["trims"]["kuga-ecoboost245"],
        fleet.catalog["stores"]["gz-self"],
        test_drive_fleet=True,
    )
    db_session.commit()
    assert hold(client, fleet.shopper, vin=fleet.self_service_car.vin, kind="self_service").status_code == 201
    second = hold(
        client,
        fleet.shopper,
        model="kuga",
        store="gz-self-service",
        kind="self_service",
        start="2026-12-05T10:00:00+08:00",
    )
    assert second.status_code == 409 and second.json()["code"] == "self_service_active_limit"


def test_hold_rate_limit_per_account(client, fleet):
    starts = [f"2026-12-{day:02d}T10:00:00+08:00" for day in range(2, 9)]
    answers = [hold(client, fleet.shopper, vin=fleet.dealer_cars[0].vin, start=s).status_code for s in starts]
    assert answers[:5] == [201] * 5 and answers[5] == 429


def test_slots_outside_the_rules_are_refused(client, fleet):
    vin = fleet.dealer_cars[0].vin
    assert hold(client, fleet.shopper, vin=vin, start="2026-12-02T10:10:00+08:00").json()["code"] == "slot_not_offered"
    assert hold(client, fleet.shopper, vin=vin, start="2026-12-02T17:30:00+08:00").json()["code"] == "slot_not_offered"
    assert hold(client, fleet.shopper, vin=vin, start="2026-12-01T09:00:00+08:00").json()["code"] == "too_soon"
    assert hold(client, fleet.shopper, vin=vin, start="2027-02-01T10:00:00+08:00").json()["code"] == "too_far_ahead"
    assert hold(client, fleet.shopper, vin=vin, kind="self_service").json()["code"] == "drive_kind_not_offered"
    assert hold(client, fleet.shopper, vin=vin, minutes=45).json()["code"] == "duration_not_offered"


def test_premium_membership_waives_the_deposit(client, fleet, admin_token):
    verify(client, fleet.shopper, LOW_SCORE_ID)
    user_id = fleet.shopper_id
    url = f"/api/v1/users/{user_id}/premium-membership"
    assert client.put(url, json={"premium_member": True}, headers=fleet.staff).status_code == 403
    granted = client.put(url, json={"premium_member": True}, headers={"Authorization": f"Bearer {admin_token}"})
    assert granted.status_code == 200 and granted.json()["premium_member"] is True
    reference = hold(client, fleet.shopper, vin=fleet.dealer_cars[0].vin).json()["reference"]
    assert confirm(client, fleet.shopper, reference).json()["deposit"]["reason"] == "premium_membership"


def test_an_accompanied_drive_gets_a_free_salesperson(client, fleet):
    verify(client, fleet.shopper)
    verify(client, fleet.other_shopper, "11010519491231002X", "Han Meimei")
    first = hold(client, fleet.shopper, vin=fleet.dealer_cars[0].vin).json()["reference"]
    second = hold(client, fleet.other_shopper, vin=fleet.dealer_cars[1].vin).json()["reference"]
    assigned = confirm(client, fleet.shopper, first).json()["salesperson_user_id"]
    assert assigned == fleet.staff_id
    # The store's only salesperson is busy then: the second drive waits for one to be assigned at check-out.
    assert confirm(client, fleet.other_shopper, second).json()["salesperson_user_id"] is None


def test_a_car_still_out_cannot_be_handed_over_again(client, fleet, db_session):
    verify(client, fleet.shopper)
    verify(client, fleet.other_shopper, "11010519491231002X", "Han Meimei")
    vin = fleet.dealer_cars[0].vin
    first = hold(client, fleet.shopper, vin=vin).json()["reference"]
    confirm(client, fleet.shopper, first)
    second = hold(client, fleet.other_shopper, vin=vin, start="2026-12-02T12:00:00+08:00").json()["reference"]
    confirm(client, fleet.other_shopper, second)
    reading = {"odometer_km": 100, "energy_percent": 90}
    with clock.pinned(NOW + timedelta(hours=26)):
        assert client.post(f"{BOOKINGS}/{first}/check-out", json=reading, headers=fleet.staff).status_code == 200
    with clock.pinned(NOW + timedelta(hours=28)):  # the first shopper is an hour late
        blocked = client.post(f"{BOOKINGS}/{second}/check-out", json=reading, headers=fleet.staff)
    assert blocked.status_code == 409 and blocked.json()["other_booking"] == first
