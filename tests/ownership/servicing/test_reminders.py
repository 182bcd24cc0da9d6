"""Service reminders: notice at 30 days, soon at 14 days or 500 km, due; each stage sent once, stages only rise."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecourt.ownership.odometer import OdometerReading, check_readings
from forecourt.ownership.servicing.reminders import (
    ReminderStage,
    ReminderThresholds,
    reminder_stage,
    stage_change,
    stage_for,
)
from forecourt.ownership.servicing.schedules import DEFAULT_PLAN, next_service, service_due

NONE, NOTICE, SOON, DUE = ReminderStage
FAR_KM = 5_000


@pytest.mark.parametrize(
    ("days_left", "km_left", "stage"),
    [
        (31, FAR_KM, NONE),
        (30, FAR_KM, NOTICE),
        (15, FAR_KM, NOTICE),
        (14, FAR_KM, SOON),
        (1, FAR_KM, SOON),
        (0, FAR_KM, DUE),
        (-5, FAR_KM, DUE),
        (90, 501, NONE),
        (90, 500, SOON),
        (90, 1, SOON),
        (90, 0, DUE),
        (90, -20, DUE),
        (20, 400, SOON),
    ],
)
def test_stage_boundaries_are_inclusive(days_left, km_left, stage):
    assert reminder_stage(days_left, km_left) is stage


def test_thresholds_are_data():
    heavy = ReminderThresholds(notice_days=45, soon_days=21, soon_km=1_500)
    assert reminder_stage(40, FAR_KM, heavy) is NOTICE
    assert reminder_stage(60, 1_500, heavy) is SOON
    with pytest.raises(ValueError):
        ReminderThresholds(notice_days=10, soon_days=14)
    with pytest.raises(ValueError):
        ReminderThresholds(soon_km=-1)


@pytest.mark.parametrize(
    ("highest", "now", "newly", "send"),
    [
        (NONE, NONE, (), None),
        (NONE, NOTICE, (NOTICE,), NOTICE),
        (NOTICE, NOTICE, (), None),
        (NOTICE, SOON, (SOON,), SOON),
        (NONE, DUE, (NOTICE, SOON, DUE), DUE),  # passed over in one step: only the highest is sent
        (SOON, NOTICE, (), None),  # the km day moved later: nothing is sent again
        (DUE, NONE, (), None),
    ],
)
def test_stage_change_sends_only_new_stages(highest, now, newly, send):
    change = stage_change(highest, now)
    assert (change.newly_reached, change.send, change.highest) == (newly, send, max(highest, now))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(list(ReminderStage)), max_size=30))
def test_reminder_stages_progress_and_never_repeat(evaluations):
    highest, sent, reached = NONE, [], []
    for now in evaluations:
        change = stage_change(highest, now)
        reached.extend(change.newly_reached)
        if change.send is not None:
            sent.append(change.send)
        highest = change.highest
    assert reached == sorted(set(reached))
    assert sent == sorted(set(sent))
    assert set(sent) <= set(reached)
    assert highest == max([NONE, *evaluations])


@settings(max_examples=300, deadline=None)
@given(
    days=st.tuples(st.integers(-60, 400), st.integers(0, 200)),
    km=st.tuples(st.integers(-3_000, 12_000), st.integers(0, 5_000)),
)
def test_the_stage_never_falls_as_time_passes_and_km_are_driven(days, km):
    (days_left, days_passed), (km_left, km_driven) = days, km
    assert reminder_stage(days_left - days_passed, km_left - km_driven) >= reminder_stage(days_left, km_left)


def test_a_daily_job_over_a_cars_first_two_services_sends_each_stage_exactly_once():
    """70 km a day: the first service (5,000 km) is reached on day 72, before its 3-month day; it is done on day 73
    at 5,110 km, so the next (15,110 km) is reached 143 days later, on day 216, before its 6-month day. Each
    prediction needs 14 days of readings since delivery or the last service."""
    delivery = OdometerReading(date(2025, 1, 10), 0)
    per_day, sent = 70, []
    last_service, highest, readings = None, NONE, []
    for day in range(1, 330):
        today = delivery.day + timedelta(days=day)
        readings.append(OdometerReading(today, per_day * day))
        due = service_due(DEFAULT_PLAN, delivery, last_service)
        service = next_service(due, check_readings(last_service or delivery, readings, today))
        change = stage_change(highest, stage_for(service, today))
        highest = change.highest
        if change.send is not None:
            sent.append((day, due.due_km, change.send))
        if change.send is DUE:  # the owner books and the service is done the next day: a new due service
            last_service, highest = OdometerReading(today + timedelta(days=1), per_day * (day + 1)), NONE
            readings = []
    assert sent == [
        (42, 5_000, NOTICE),
        (58, 5_000, SOON),
        (72, 5_000, DUE),
        (186, 15_110, NOTICE),
        (202, 15_110, SOON),
        (216, 15_110, DUE),
    ]
