"""Calendar months: the end of a term, and "months and days left" when the day of the month does not match."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecourt.ownership.calendar_months import MonthsAndDays, add_months, months_and_days_between


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2025, 1, 15), 24, date(2027, 1, 15)),
        (date(2025, 1, 31), 1, date(2025, 2, 28)),  # clamped to the shorter month's last day
        (date(2024, 1, 31), 1, date(2024, 2, 29)),  # leap year
        (date(2025, 1, 31), 2, date(2025, 3, 31)),  # counted from the first day, not chained through February
        (date(2025, 11, 30), 3, date(2026, 2, 28)),
        (date(2025, 12, 15), 1, date(2026, 1, 15)),
        (date(2025, 3, 31), -1, date(2025, 2, 28)),
        (date(2025, 5, 20), 0, date(2025, 5, 20)),
    ],
)
def test_add_months(day, months, expected):
    assert add_months(day, months) == expected


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (date(2025, 1, 15), date(2025, 7, 15), MonthsAndDays(6, 0)),
        (date(2025, 1, 15), date(2025, 7, 14), MonthsAndDays(5, 29)),
        (date(2025, 1, 31), date(2025, 3, 15), MonthsAndDays(1, 15)),  # to 28 February, then 15 days
        (date(2025, 1, 31), date(2025, 2, 28), MonthsAndDays(1, 0)),
        (date(2025, 2, 28), date(2025, 3, 27), MonthsAndDays(0, 27)),
        (date(2025, 6, 1), date(2025, 6, 1), MonthsAndDays(0, 0)),
        (date(2025, 6, 2), date(2025, 6, 1), MonthsAndDays(0, 0)),  # past the end: nothing left
    ],
)
def test_months_and_days_between(start, end, expected):
    assert months_and_days_between(start, end) == expected


@settings(max_examples=300, deadline=None)
@given(start=st.dates(date(2000, 1, 1), date(2090, 1, 1)), days=st.integers(0, 4000))
def test_months_and_days_add_back_up_to_the_end(start, days):
    end = start + timedelta(days=days)
    left = months_and_days_between(start, end)
    assert add_months(start, left.months) + timedelta(days=left.days) == end
    assert add_months(start, left.months + 1) > end  # as many whole months as fit
