"""Odometer readings: typos and replaced clusters flagged, one point a day, the 14-day rule, the 90-day window."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from forecourt.ownership.odometer import (
    MAX_KM_PER_DAY,
    IgnoredBecause,
    OdometerReading,
    check_readings,
    rate_window,
)

DELIVERY = OdometerReading(date(2025, 1, 10), 12)
TODAY = date(2026, 1, 10)


def on(days: int, km: int) -> OdometerReading:
    return OdometerReading(DELIVERY.day + timedelta(days=days), km)


def test_a_backwards_typo_is_ignored_and_names_the_reading_it_was_checked_against():
    checked = check_readings(DELIVERY, [on(10, 500), on(20, 50), on(30, 1500)], TODAY)
    assert checked.kept == (DELIVERY, on(10, 500), on(30, 1500))
    (ignored,) = checked.ignored
    assert ignored.reading == on(20, 50)
    assert ignored.because is IgnoredBecause.BACKWARDS
    assert ignored.last_kept == on(10, 500)


def test_an_extra_digit_is_an_implausible_jump_and_the_next_true_reading_is_kept():
    checked = check_readings(DELIVERY, [on(10, 1500), on(11, 15_500), on(12, 1550)], TODAY)
    assert [r.km for r in checked.kept] == [12, 1500, 1550]
    assert [(i.reading.km, i.because) for i in checked.ignored] == [(15_500, IgnoredBecause.IMPLAUSIBLE_JUMP)]


def test_the_jump_limit_is_per_day_between_readings_and_inclusive():
    at_limit = check_readings(DELIVERY, [on(1, 12 + MAX_KM_PER_DAY)], TODAY)
    over = check_readings(DELIVERY, [on(1, 12 + MAX_KM_PER_DAY + 1)], TODAY)
    three_days = check_readings(DELIVERY, [on(3, 12 + 3 * MAX_KM_PER_DAY)], TODAY)
    assert at_limit.latest.km == 12 + MAX_KM_PER_DAY and not at_limit.ignored
    assert over.latest == DELIVERY and over.ignored[0].because is IgnoredBecause.IMPLAUSIBLE_JUMP
    assert three_days.latest.km == 12 + 3 * MAX_KM_PER_DAY


def test_a_replaced_cluster_flags_every_later_reading_as_backwards():
    readings = [on(100, 9_000), on(101, 40), on(130, 900), on(160, 1_800)]
    checked = check_readings(DELIVERY, readings, TODAY)
    assert checked.latest == on(100, 9_000)
    assert [i.because for i in checked.ignored] == [IgnoredBecause.BACKWARDS] * 3
    assert {i.last_kept for i in checked.ignored} == {on(100, 9_000)}


def test_readings_outside_the_period_are_ignored_with_their_reason():
    before = OdometerReading(DELIVERY.day - timedelta(days=1), 5)
    future = OdometerReading(TODAY + timedelta(days=1), 20_000)
    after_end = on(60, 3_000)
    checked = check_readings(DELIVERY, [before, future, after_end, on(40, 2_000)], TODAY, period_end=on(50, 0).day)
    assert checked.kept == (DELIVERY, on(40, 2_000))
    reasons = {i.reading: (i.because, i.last_kept) for i in checked.ignored}
    assert reasons == {
        before: (IgnoredBecause.BEFORE_START, None),
        future: (IgnoredBecause.IN_FUTURE, None),
        after_end: (IgnoredBecause.AFTER_PERIOD, None),
    }


def test_one_point_a_day_the_highest_checked_against_the_day_before():
    # Two 1,900 km steps on one day would be 3,800 km in a day: the second is checked against the day before.
    checked = check_readings(DELIVERY, [on(5, 300), on(6, 2_200), on(6, 4_100), on(6, 2_150)], TODAY)
    assert checked.kept == (DELIVERY, on(5, 300), on(6, 2_200))
    assert [(i.reading.km, i.because) for i in checked.ignored] == [(4_100, IgnoredBecause.IMPLAUSIBLE_JUMP)]


def test_the_delivery_reading_is_never_replaced_by_a_reading_of_the_same_day():
    checked = check_readings(DELIVERY, [on(0, 40), on(0, 60)], TODAY)
    assert checked.start == DELIVERY
    assert checked.kept == (DELIVERY, on(0, 60))
    assert checked.driven_km == 48


@pytest.mark.parametrize(("days", "shown"), [(0, False), (13, False), (14, True), (15, True)])
def test_a_rate_needs_14_days_of_readings(days, shown):
    checked = check_readings(DELIVERY, [on(days, 12 + 40 * days)] if days else [], TODAY)
    assert checked.days_of_readings == days
    assert (rate_window(checked) is not None) is shown


def test_up_to_90_days_the_rate_is_since_delivery():
    checked = check_readings(DELIVERY, [on(30, 1_512), on(90, 4_512)], TODAY)
    window = rate_window(checked)
    assert window is not None and window.since_start
    assert (window.first, window.last, window.km, window.days) == (DELIVERY, on(90, 4_512), 4_500, 90)


def test_past_90_days_of_daily_readings_the_window_is_exactly_the_last_90_days():
    # 100 km a day for 110 days, then 50 km a day for 90: the rate is the recent 50, not the average.
    readings = [on(d, 12 + 100 * d) for d in range(1, 111)]
    readings += [on(110 + d, 12 + 11_000 + 50 * d) for d in range(1, 91)]
    window = rate_window(check_readings(DELIVERY, readings, TODAY))
    assert window is not None and not window.since_start
    assert (window.first.day, window.days, window.km) == (on(110, 0).day, 90, 4_500)
    assert window.km_per_day == Decimal("50.00")


def test_with_sparse_readings_the_window_starts_at_the_last_reading_90_or_more_days_back():
    checked = check_readings(DELIVERY, [on(60, 3_012), on(100, 5_012), on(200, 9_012)], TODAY)
    window = rate_window(checked)
    assert window is not None
    assert (window.first, window.days, window.km) == (on(100, 5_012), 100, 4_000)


def test_the_shown_rate_is_rounded_half_up_from_the_exact_ratio():
    window = rate_window(check_readings(DELIVERY, [on(40, 12 + 201)], TODAY))  # 201 / 40 = 5.025
    assert window is not None
    assert window.km_per_day == Decimal("5.03")
    assert window.exact_rate * 40 == 201


@pytest.mark.parametrize("km", [-1, 2_000_001, 1.5, True, "100"])
def test_a_reading_is_a_whole_number_of_km(km):
    with pytest.raises(ValueError):
        OdometerReading(date(2025, 1, 1), km)
