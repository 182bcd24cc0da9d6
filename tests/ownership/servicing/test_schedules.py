"""Service schedules: the default tables, the most specific plan, the next service by date or km, whichever first."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from forecourt.ownership.odometer import OdometerReading, check_readings
from forecourt.ownership.servicing.schedules import (
    DEFAULT_BEV_PLAN,
    DEFAULT_PLAN,
    DEFAULT_TABLE,
    DueBy,
    KmDayHiddenBecause,
    ScheduleTable,
    ServiceInterval,
    ServicePlan,
    next_service,
    service_due,
)

DELIVERY = OdometerReading(date(2025, 1, 10), 12)


def on(days: int, km: int) -> OdometerReading:
    return OdometerReading(DELIVERY.day + timedelta(days=days), km)


def test_the_default_tables_follow_china_dealer_practice_and_bev_has_its_own():
    assert (DEFAULT_PLAN.first, DEFAULT_PLAN.recurring) == (ServiceInterval(5_000, 3), ServiceInterval(10_000, 6))
    assert DEFAULT_TABLE.plan_for("mondeo", "ice") is DEFAULT_PLAN
    assert DEFAULT_TABLE.plan_for("kuga", "phev") is DEFAULT_PLAN
    assert DEFAULT_TABLE.plan_for("mustang-mach-e", "bev") is DEFAULT_BEV_PLAN


def test_the_most_specific_plan_wins():
    def plan(model, powertrain, km):
        return ServicePlan(model, powertrain, ServiceInterval(km, 3), ServiceInterval(km, 6))

    table = ScheduleTable(
        (plan(None, None, 1), plan(None, "hybrid", 2), plan("kuga", None, 3), plan("kuga", "hybrid", 4))
    )
    assert table.plan_for("kuga", "hybrid").first.km == 4
    assert table.plan_for("kuga", "ice").first.km == 3
    assert table.plan_for("focus", "hybrid").first.km == 2
    assert table.plan_for("focus", "ice").first.km == 1
    with pytest.raises(LookupError):
        ScheduleTable((plan("kuga", None, 3),)).plan_for("focus", "ice")


def test_a_table_holds_one_plan_per_model_and_powertrain():
    with pytest.raises(ValueError, match="every model / bev"):
        ScheduleTable((DEFAULT_BEV_PLAN, DEFAULT_BEV_PLAN))


@pytest.mark.parametrize(
    "make",
    [
        lambda: ServiceInterval(0, 3),
        lambda: ServiceInterval(5_000, 0),
        lambda: ServiceInterval(100_001, 3),
        lambda: ServiceInterval(5_000, 61),
        lambda: ServiceInterval(5_000.0, 3),
        lambda: ServicePlan(None, "diesel", ServiceInterval(1, 1), ServiceInterval(1, 1)),
        lambda: ServicePlan("", None, ServiceInterval(1, 1), ServiceInterval(1, 1)),
    ],
)
def test_intervals_and_plans_are_checked(make):
    with pytest.raises(ValueError):
        make()


def test_the_first_service_counts_from_delivery_the_next_from_the_last_service():
    first = service_due(DEFAULT_PLAN, DELIVERY, last_service=None)
    assert (first.first_service, first.due_km, first.due_day) == (True, 5_012, date(2025, 4, 10))
    last = OdometerReading(date(2025, 4, 2), 4_800)  # done a little early
    later = service_due(DEFAULT_PLAN, DELIVERY, last_service=last)
    assert (later.first_service, later.counted_from, later.due_km, later.due_day) == (
        False,
        last,
        14_800,
        date(2025, 10, 2),
    )


def test_a_light_driver_is_due_by_date():
    readings = check_readings(DELIVERY, [on(30, 612)], today=on(30, 0).day)  # 20 km a day
    service = next_service(service_due(DEFAULT_PLAN, DELIVERY, None), readings)
    # 4,400 km left at 20 a day is 220 days: long after the 3-month day.
    assert (service.km_reached_on, service.due_on, service.due_by) == (on(250, 0).day, date(2025, 4, 10), DueBy.DATE)
    assert service.km_left == 4_400


def test_a_heavy_driver_is_due_by_km_on_the_day_the_km_is_reached_rounded_up():
    readings = check_readings(DELIVERY, [on(30, 2_112)], today=on(30, 0).day)  # 70 km a day
    service = next_service(service_due(DEFAULT_PLAN, DELIVERY, None), readings)
    # 2,900 km left at 70 a day is 41.4 days: reached on the 42nd day after the reading, before the 3-month day.
    assert (service.km_reached_on, service.due_on, service.due_by) == (on(72, 0).day, on(72, 0).day, DueBy.DISTANCE)
    assert service.due_on < service.due.due_day == date(2025, 4, 10)


def test_the_km_day_on_the_calendar_day_counts_as_due_by_date():
    # 50 km a day from day 45 (at 2,262 km): 2,750 km left is exactly 55 days, day 100 = 2025-04-20.
    due = service_due(ServicePlan(None, None, ServiceInterval(5_000, 3), ServiceInterval(10_000, 6)), DELIVERY, None)
    readings = check_readings(DELIVERY, [on(45, 2_262)], today=on(45, 0).day)
    service = next_service(replace(due, due_day=on(100, 0).day), readings)
    assert service.km_reached_on == service.due.due_day == service.due_on
    assert service.due_by is DueBy.DATE


@pytest.mark.parametrize(
    ("readings", "because"),
    [
        ([on(13, 600)], KmDayHiddenBecause.NOT_ENOUGH_READINGS),
        ([on(40, 12)], KmDayHiddenBecause.NOT_DRIVEN),
        ([on(90, 12 + 9)], KmDayHiddenBecause.TOO_FAR_OFF),  # 0.1 km a day: 4,991 km is 136 years off
    ],
)
def test_without_a_usable_rate_the_calendar_day_stands_and_says_why(readings, because):
    checked = check_readings(DELIVERY, readings, today=on(100, 0).day)
    service = next_service(service_due(DEFAULT_PLAN, DELIVERY, None), checked)
    assert (service.km_reached_on, service.km_day_hidden_because) == (None, because)
    assert (service.due_on, service.due_by) == (date(2025, 4, 10), DueBy.DATE)


def test_an_odometer_past_the_due_km_is_due_as_of_that_reading_even_before_14_days():
    checked = check_readings(DELIVERY, [on(5, 5_200)], today=on(5, 0).day)
    service = next_service(service_due(DEFAULT_PLAN, DELIVERY, None), checked)
    assert (service.km_reached_on, service.due_on, service.due_by) == (on(5, 0).day, on(5, 0).day, DueBy.DISTANCE)
    assert service.km_left == -188


def test_an_electric_car_follows_its_own_table():
    due = service_due(DEFAULT_TABLE.plan_for("mustang-mach-e", "bev"), DELIVERY, None)
    assert (due.due_km, due.due_day) == (10_012, date(2026, 1, 10))
