"""Pace warnings at 10 % and 20 % over the allowance: boundaries, each at most once, the highest when both."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecourt.ownership.leases.mileage import LeaseMileageTerms, lease_mileage
from forecourt.ownership.leases.pace_warnings import (
    PaceThreshold,
    PaceWarnings,
    newly_reached,
    pace_warnings,
    reached_thresholds,
)
from forecourt.ownership.odometer import OdometerReading

OVER_10, OVER_20 = PaceThreshold.OVER_10, PaceThreshold.OVER_20
DELIVERY = OdometerReading(date(2025, 1, 1), 0)
TERMS = LeaseMileageTerms(DELIVERY, 12, 12_000, Decimal("0.50"))  # 365 days, 12,000 km


@pytest.mark.parametrize(
    ("projected", "reached"),
    [(13_199, ()), (13_200, (OVER_10,)), (14_399, (OVER_10,)), (14_400, (OVER_10, OVER_20)), (9_000, ())],
)
def test_thresholds_are_reached_at_exactly_10_and_20_percent_over(projected, reached):
    assert reached_thresholds(projected, 12_000) == reached


def mileage_at(day: int, driven: int, today_offset: int = 0):
    reading = OdometerReading(DELIVERY.day + timedelta(days=day), driven)
    return lease_mileage(TERMS, [reading], DELIVERY.day + timedelta(days=day + today_offset))


def test_10_then_20_each_sent_once():
    first = pace_warnings(mileage_at(73, 2_700), already_reached=())  # 2,700 × 365 / 73 = 13,500: 12.5 % over
    assert first == PaceWarnings((OVER_10,), OVER_10)
    again = pace_warnings(mileage_at(80, 2_960), already_reached={10})  # still over 10 %: nothing new
    assert again == PaceWarnings((), None)
    higher = pace_warnings(mileage_at(100, 4_000), already_reached={10})  # 14,600: 21.7 % over
    assert higher == PaceWarnings((OVER_20,), OVER_20)
    assert pace_warnings(mileage_at(120, 6_000), already_reached={10, 20}) == PaceWarnings((), None)


def test_both_reached_at_once_sends_only_the_20_percent_warning():
    assert pace_warnings(mileage_at(30, 1_500), already_reached=()) == PaceWarnings((OVER_10, OVER_20), OVER_20)


def test_a_lower_threshold_after_a_higher_one_is_recorded_but_not_sent():
    assert newly_reached((OVER_10,), already_reached={20}) == PaceWarnings((OVER_10,), None)


def test_no_warning_while_hidden_or_once_the_lease_has_ended():
    assert pace_warnings(mileage_at(10, 2_000), ()) == PaceWarnings((), None)  # 10 days of readings
    ended = mileage_at(200, 9_000, today_offset=200)
    assert ended.ended and ended.projection is not None
    assert pace_warnings(ended, ()) == PaceWarnings((), None)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(5_000, 20_000), max_size=40))
def test_each_threshold_is_warned_about_at_most_once_and_never_a_lower_after_a_higher(projections):
    reached: set[int] = set()
    sent: list[PaceThreshold] = []
    for projected in projections:
        decision = newly_reached(reached_thresholds(projected, 12_000), reached)
        reached |= {int(t) for t in decision.newly_reached}
        if decision.send is not None:
            sent.append(decision.send)
    assert sent == sorted(set(sent))
