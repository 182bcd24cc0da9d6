"""Rentals end to end through the API: quote, hold → confirm (deposit waived or paid), pick-up with the code, return
with the bill from the readings, balance, cancellation refunds; and fleet pools (who may move a car where, and that
one reservation table keeps every use of a car apart whatever its pool)."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from forecourt.catalog.models import Vehicle
from forecourt.core import clock
from forecourt.core.errors import Conflict
from forecourt.testdrive import courtesy
from forecourt.testdrive.models import TestDriveBooking
from tests.mobility.factories import (
    GZ,
    NOW,
    RENTAL_DAY,
    RENTALS,
    at,
    check_in,
    check_out,
    confirmed,
    hold,
)
from tests.testdrive.helpers import HIGH_SCORE_ID, LOW_SCORE_ID, key, verify

pytestmark = pytest.mark.pinned_clock(NOW)


def test_the_quote_prices_the_time_and_names_the_class(client, world):
    answer = client.get(
        f"{RENTALS}/quote", params={"store": world.store_code, "model": "mondeo", "start": at(10), "end": at(13)}
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["mobility_class"], body["hours"], body["days"]) == ("mid", 3, 0)
    assert Decimal(body["time_charge"]) == Decimal("135.00") and body["km_included"] == 60
    assert Decimal(body["deposit"]) == Decimal("2000.00") and body["cars"] == 2


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        ("2026-11-30T10:00:00+08:00", at(13), "start"),  # in the past
        (at(10), at(10, 59), "end"),  # under an hour
        (at(8), at(12), "start"),  # before opening
        (at(10), at(18, 30), "end"),  # after closing
    ],
)
def test_bad_times_are_refused_with_the_field(client, world, start, end, field):
    answer = hold(client, world, start=start, end=end)
    assert answer.status_code == 422, answer.text
    assert answer.json()["code"] == "rental_times_invalid"
    assert field in {e["field"] for e in answer.json()["errors"]}


def test_exactly_an_hour_within_opening_hours_is_a_rental(client, world):
    assert hold(client, world, start=at(17), end=at(18)).status_code == 201


def test_a_high_score_renter_rents_with_the_deposit_waived_picks_up_and_pays_only_the_time(client, world, db_session):
    verify(client, world.renter, HIGH_SCORE_ID)
    rental = confirmed(client, world)
    assert rental["status"] == "confirmed" and rental["deposit_kind"] == "waived"
    assert rental["deposit_reason"] == "credit_score" and Decimal(rental["deposit"]) == 0
    assert len(rental["pickup_code"]) == 8
    early = check_out(client, world, rental)
    assert early.status_code == 409 and early.json()["code"] == "outside_pickup_window"
    with clock.pinned(RENTAL_DAY + timedelta(hours=1, minutes=50)):  # 09:50, inside the pick-up window
        wrong = check_out(client, world, rental, code="00000000")
        assert wrong.status_code == 403 and wrong.json()["code"] == "pickup_code_wrong", wrong.text
        out = check_out(client, world, rental)
        assert out.status_code == 200, out.text
        assert out.json()["status"] == "in_progress"
    with clock.pinned(RENTAL_DAY + timedelta(hours=4, minutes=50)):  # 12:50, ten minutes early
        back = check_in(client, world, rental, 10_060, 90)
    assert back.status_code == 200, back.text
    body = back.json()
    assert body["status"] == "returned" and Decimal(body["extras"]) == 0 and Decimal(body["balance_due"]) == 0
    assert [line["code"] for line in body["bill"]] == ["time", "km_over", "late", "energy", "damage"]


def test_a_low_score_renter_pays_a_deposit_that_covers_the_extras_and_gets_the_rest_back(client, world):
    verify(client, world.low_renter, LOW_SCORE_ID)
    rental = confirmed(client, world, world.low_renter)
    assert rental["deposit_kind"] == "deposit" and Decimal(rental["deposit"]) == Decimal("2000.00")
    with clock.pinned(RENTAL_DAY + timedelta(hours=2)):
        assert check_out(client, world, rental).status_code == 200
    # Due 13:00; back 14:31: 30 min grace passed, so two started hours late (from 13:00) = 120.00;
    # 61 km over the 60 included = 73.20 at 1.20; 10 points below pick-up = 35.00 at 3.50; damage 100.00.
    with clock.pinned(RENTAL_DAY + timedelta(hours=6, minutes=31)):
        back = check_in(client, world, rental, 10_121, 80, damage="100.00")
    assert back.status_code == 200, back.text
    bill = {line["code"]: Decimal(line["amount"]) for line in back.json()["bill"]}
    assert bill == {
        "time": Decimal("135.00"),
        "km_over": Decimal("73.20"),
        "late": Decimal("120.00"),
        "energy": Decimal("35.00"),
        "damage": Decimal("100.00"),
    }
    assert Decimal(back.json()["extras"]) == Decimal("328.20")
    assert Decimal(back.json()["deposit_refunded"]) == Decimal("1671.80")
    assert Decimal(back.json()["balance_due"]) == 0 and back.json()["status"] == "returned"


def test_extras_beyond_a_waived_deposit_are_a_balance_the_renter_pays_once(client, world):
    verify(client, world.renter, HIGH_SCORE_ID)
    rental = confirmed(client, world)
    with clock.pinned(RENTAL_DAY + timedelta(hours=2)):
        check_out(client, world, rental)
    with clock.pinned(RENTAL_DAY + timedelta(hours=5)):
        back = check_in(client, world, rental, 10_160, 90)  # 100 km over = 120.00
    assert back.json()["status"] == "balance_due" and Decimal(back.json()["balance_due"]) == Decimal("120.00")
    headers = {**world.renter, **key()}
    paid = client.post(f"{RENTALS}/{rental['reference']}/pay", json={"payment_method": "demo-card-ok"}, headers=headers)
    assert paid.status_code == 200 and paid.json()["status"] == "settled"
    replay = client.post(
        f"{RENTALS}/{rental['reference']}/pay", json={"payment_method": "demo-card-ok"}, headers=headers
    )
    assert replay.headers.get("Idempotent-Replayed") == "true"


@pytest.mark.parametrize(
    ("before_start", "refund"),
    [
        (timedelta(hours=24), Decimal("135.00")),  # exactly the free-cancellation notice
        (timedelta(hours=23, minutes=59), Decimal("67.50")),  # just inside it: half kept
        (timedelta(0), Decimal("0.00")),  # at the start
    ],
)
def test_the_renters_cancel_refunds_the_time_by_the_plans_rule_and_the_deposit_in_full(
    client, world, before_start, refund
):
    verify(client, world.low_renter, LOW_SCORE_ID)
    rental = confirmed(client, world, world.low_renter, start=at(10, day=3), end=at(13, day=3))
    start = datetime(2026, 12, 3, 10, tzinfo=GZ)
    with clock.pinned(start - before_start):
        answer = client.post(f"{RENTALS}/{rental['reference']}/cancel", headers=world.low_renter)
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "cancelled"
    assert Decimal(answer.json()["time_refunded"]) == refund
    assert Decimal(answer.json()["deposit_refunded"]) == Decimal("2000.00")


def test_the_store_cancels_with_a_full_refund_and_another_store_cannot(client, world):
    verify(client, world.renter, HIGH_SCORE_ID)
    rental = confirmed(client, world)
    refused = client.post(f"{RENTALS}/{rental['reference']}/cancel", headers=world.outsider)
    assert refused.status_code == 404
    with clock.pinned(NOW + timedelta(hours=1)):
        answer = client.post(f"{RENTALS}/{rental['reference']}/cancel", headers=world.staff)
    assert answer.status_code == 200 and Decimal(answer.json()["time_refunded"]) == Decimal("135.00")


def test_an_unverified_renter_is_told_to_verify_a_licence(client, world):
    held = hold(client, world)
    answer = client.post(
        f"{RENTALS}/{held.json()['reference']}/confirm",
        json={"payment_method": "demo-card-ok"},
        headers={**world.renter, **key()},
    )
    assert answer.status_code == 409 and answer.json()["code"] == "licence_not_verified"
    assert answer.json()["next_step"]["action"] == "verify_licence"


def test_two_cars_rent_twice_and_a_third_rental_of_the_same_time_is_refused(client, world, db_session):
    assert hold(client, world).status_code == 201
    assert hold(client, world, world.low_renter).status_code == 201
    third = hold(client, world)
    assert third.status_code == 409 and third.json()["code"] == "no_rental_car"
    # The store's 30-minute turnaround: 13:30 is free again, 13:29 is not.
    assert hold(client, world, start=at(13, 29), end=at(15)).status_code == 409
    assert hold(client, world, start=at(13, 30), end=at(15)).status_code == 201


def test_a_rental_car_is_not_for_sale_nor_found_by_shoppers(client, world):
    listing = client.get("/api/v1/vehicles", params={"store": world.store_code})
    vins = {v["vin"] for v in listing.json()["items"]}
    assert world.test_drive_car in vins and not vins & set(world.rental_cars)


def pool(client, world, vin: str, target: str, headers=None):
    return client.post(f"/api/v1/staff/vehicles/{vin}/pool", json={"pool": target}, headers=headers or world.staff)


def test_a_promised_car_keeps_its_promise_across_pools_and_goes_on_sale_only_when_free(client, world, db_session):
    verify(client, world.renter, HIGH_SCORE_ID)
    rental = confirmed(client, world)
    car = rental["vin"]
    moved = pool(client, world, car, "test_drive")
    assert moved.status_code == 200, moved.text
    assert moved.json()["promises_kept"] == [rental["reference"]]
    # Now in the test-drive fleet: a test drive that overlaps its rental is refused by the one reservation table.
    shopper = world.low_renter
    drive = {"kind": "self_service", "vin": car, "start": at(12), "days": 1}
    taken = client.post("/api/v1/test-drives/holds", json=drive, headers={**shopper, **key()})
    assert taken.status_code == 409, taken.text
    free = client.post(
        "/api/v1/test-drives/holds", json={**drive, "start": at(14)}, headers={**shopper, **key()}
    )  # 13:00 + 30 min turnaround ≤ 14:00
    assert free.status_code == 201, free.text
    refused = pool(client, world, car, "sale")
    assert refused.status_code == 409 and refused.json()["code"] == "car_promised"
    assert set(refused.json()["reservations"]) == {rental["reference"], free.json()["reference"]}
    for reference in (rental["reference"],):
        client.post(f"{RENTALS}/{reference}/cancel", headers=world.renter)
    client.post(f"/api/v1/test-drives/bookings/{free.json()['reference']}/cancel", json={}, headers=shopper)
    on_sale = pool(client, world, car, "sale")
    assert on_sale.status_code == 200, on_sale.text
    vehicle = db_session.scalars(select(Vehicle).where(Vehicle.vin == car)).one()
    db_session.refresh(vehicle)
    assert (vehicle.fleet_pool, vehicle.status) == ("sale", "available")


def test_only_a_car_on_sale_or_in_service_moves_and_only_by_its_stores_staff(client, world, db_session):
    assert pool(client, world, world.rental_cars[0], "subscription", world.outsider).status_code == 403
    vehicle = db_session.scalars(select(Vehicle).where(Vehicle.vin == world.test_drive_car)).one()
    vehicle.status = "reserved"
    db_session.commit()
    refused = pool(client, world, world.test_drive_car, "rental")
    assert refused.status_code == 409 and refused.json()["code"] == "pool_move_not_allowed"
    vehicle.status = "available"
    db_session.commit()
    moved = pool(client, world, world.test_drive_car, "rental")
    assert moved.status_code == 200 and moved.json()["after"] == "rental"
    db_session.refresh(vehicle)
    assert vehicle.status == "in_service"


def test_the_database_refuses_a_pool_and_status_that_disagree(db_session, world):
    from sqlalchemy.exc import IntegrityError

    vehicle = db_session.scalars(select(Vehicle).where(Vehicle.vin == world.rental_cars[0])).one()
    vehicle.status = "available"  # a rental car put on sale without its pool
    with pytest.raises(IntegrityError):
        db_session.flush()
    db_session.rollback()


def test_a_courtesy_loan_cannot_take_a_car_rented_out_at_the_time(client, world, db_session):
    verify(client, world.renter, HIGH_SCORE_ID)
    rental = confirmed(client, world)
    moved = pool(client, world, rental["vin"], "test_drive")  # the courtesy fleet is the test-drive fleet
    assert moved.status_code == 200
    other_car = world.test_drive_car
    db_session.scalars(select(Vehicle).where(Vehicle.vin == other_car)).one().status = "reserved"
    db_session.commit()
    store = rental["store"]
    from forecourt.catalog import service as catalog

    store_id = catalog.get_store(db_session, store).id
    start = datetime(2026, 12, 2, 11, tzinfo=GZ)
    from forecourt.accounts.models import User

    borrower = db_session.scalars(select(User).where(User.email == "low@example.test")).one().id
    request = courtesy.LoanRequest(store_id, borrower, start, start + timedelta(hours=1), NOW + timedelta(minutes=10))
    with pytest.raises(Conflict) as refused:
        courtesy.lend(db_session, request, now=NOW)
    assert refused.value.code == "no_courtesy_car"
    rows = db_session.scalars(select(TestDriveBooking).where(TestDriveBooking.purpose == "rental")).all()
    assert [row.reference for row in rows] == [rental["reference"]]
