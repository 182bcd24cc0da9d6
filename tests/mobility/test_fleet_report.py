"""The store's fleet report through the API: hours out across rentals and test drives, rental revenue, returns due
today and overdue cars; only staff of the store see it."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from forecourt.core import clock
from tests.mobility.factories import NOW, RENTAL_DAY, check_in, check_out, confirmed
from tests.testdrive.helpers import HIGH_SCORE_ID, verify

pytestmark = pytest.mark.pinned_clock(NOW)

FLEET = "/api/v1/staff/stores/gz-self-service/fleet"


def test_hours_out_revenue_and_overdue_cars(client, world):
    verify(client, world.renter, HIGH_SCORE_ID)
    returned = confirmed(client, world)  # 10:00-13:00
    with clock.pinned(RENTAL_DAY + timedelta(hours=2)):
        check_out(client, world, returned)  # 10:00
    with clock.pinned(RENTAL_DAY + timedelta(hours=5)):
        check_in(client, world, returned, 10_160, 90)  # 13:00, 100 km over: 120.00
    late = confirmed(client, world, start="2026-12-02T14:00:00+08:00", end="2026-12-02T16:00:00+08:00")
    with clock.pinned(RENTAL_DAY + timedelta(hours=6)):
        check_out(client, world, late)  # 14:00
    with clock.pinned(RENTAL_DAY + timedelta(hours=9)):  # 17:00: an hour past its 16:00 end
        report = client.get(FLEET, params={"from": "2026-12-02", "to": "2026-12-02"}, headers=world.staff)
    assert report.status_code == 200, report.text
    cars = {car["vin"]: car for car in report.json()["cars"]}
    assert set(cars) == {*world.rental_cars, world.test_drive_car}
    first = cars[returned["vin"]]
    assert Decimal(first["hours_by_use"]["rental"]) >= Decimal("3.00")
    out_total = sum(Decimal(car["hours_out"]) for car in cars.values())
    assert out_total == Decimal("6.00")  # 3 h returned + 3 h out so far (14:00-17:00)
    revenue = sum(Decimal(car["revenue"]) for car in cars.values())
    assert revenue == Decimal("135.00") + Decimal("120.00") + Decimal("90.00")  # two time charges + the km over
    assert [o["reference"] for o in report.json()["overdue"]] == [late["reference"]]
    assert report.json()["due_today"] == []
    with clock.pinned(RENTAL_DAY + timedelta(hours=7)):  # 15:00: due at 16:00, today
        early = client.get(FLEET, params={"from": "2026-12-02", "to": "2026-12-02"}, headers=world.staff)
    assert [o["reference"] for o in early.json()["due_today"]] == [late["reference"]]
    assert early.json()["overdue"] == []


def test_only_the_stores_staff_see_its_fleet_and_a_bad_range_is_named(client, world):
    assert client.get(FLEET, headers=world.outsider).status_code == 403
    assert client.get(FLEET, headers=world.renter).status_code == 403
    bad = client.get(FLEET, params={"from": "2026-12-05", "to": "2026-12-01"}, headers=world.staff)
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_range"


def test_the_report_takes_93_days_and_not_94(client, world):
    quarter = client.get(FLEET, params={"from": "2026-09-01", "to": "2026-12-02"}, headers=world.staff)
    assert quarter.status_code == 200, quarter.text[:500]
    assert quarter.json()["start"].startswith("2026-09-01T00:00:00") and quarter.json()["end"].startswith("2026-12-03")
    longer = client.get(FLEET, params={"from": "2026-08-31", "to": "2026-12-02"}, headers=world.staff)
    assert longer.status_code == 422 and longer.json()["code"] == "invalid_range"
