"""The store calendars' grid (web.calendar_grid): the days a view shows, the hours a day spans, and the cells of a row.
Pure: no database."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from forecourt.web.calendar_grid import Cell, day_cells, grid_hours, grid_start, window

GZ = ZoneInfo("Asia/Shanghai")
WEDNESDAY = date(2026, 12, 2)
HOURS = {"wed": [["09:00", "17:30"]], "sat": [["10:00", "12:00"], ["13:00", "16:00"]]}


def at(hour: int, minute: int = 0, day: date = WEDNESDAY) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=GZ)


@pytest.mark.parametrize(
    ("view", "shown", "days", "previous", "following"),
    [
        (None, "day", [WEDNESDAY], date(2026, 12, 1), date(2026, 12, 3)),
        ("day", "day", [WEDNESDAY], date(2026, 12, 1), date(2026, 12, 3)),
        ("month", "day", [WEDNESDAY], date(2026, 12, 1), date(2026, 12, 3)),  # anything else: a day
        (
            "week",
            "week",
            [date(2026, 11, 30) + timedelta(days=i) for i in range(7)],
            date(2026, 11, 25),
            date(2026, 12, 9),
        ),
    ],
)
def test_a_view_is_a_day_or_the_monday_to_sunday_week_and_pages_by_it(view, shown, days, previous, following):
    assert window(WEDNESDAY, view) == type(window(WEDNESDAY, view))(WEDNESDAY, shown, days, previous, following)


@pytest.mark.parametrize(
    ("day", "spans", "hours"),
    [
        (WEDNESDAY, [], (9, 18)),  # closes at 17:30: the grid runs to the end of that hour
        (date(2026, 12, 5), [], (10, 16)),  # two periods on Saturday: the first opening to the last closing
        (date(2026, 12, 6), [], (8, 20)),  # closed on Sunday: the hours the caller gives
        (WEDNESDAY, [(at(7, 30), at(8, 30))], (7, 18)),  # a booking before opening widens the start
        (WEDNESDAY, [(at(17, 0), at(18, 0))], (9, 18)),  # one ending on the hour needs no more
        (WEDNESDAY, [(at(17, 0), at(18, 1))], (9, 19)),  # one minute past it does
        (WEDNESDAY, [(at(20, 0, date(2026, 12, 1)), at(10, 0))], (9, 18)),  # starting the day before: not widened
    ],
)
def test_a_day_spans_the_opening_hours_widened_to_fit_the_bookings(day, spans, hours):
    assert grid_hours(HOURS, day, spans, GZ, closed=(8, 20)) == hours


def test_a_row_has_a_cell_per_free_step_and_one_across_each_booking():
    start = grid_start(WEDNESDAY, 9, GZ)
    assert start == at(9)
    first, overlapping, later = (at(9, 30), at(10, 30)), (at(10, 0), at(11, 0)), (at(11, 10), at(11, 50))
    spans = {"first": first, "overlapping": overlapping, "later": later}
    cells = day_cells(["later", "overlapping", "first"], spans.get, start, 6)  # 09:00-12:00
    # The overlapping booking is drawn from where the first one ends; free steps are a cell each.
    assert cells == [Cell(1), Cell(2, "first"), Cell(1, "overlapping"), Cell(2, "later")]


def test_a_booking_wholly_under_another_is_left_out_of_the_row():
    spans = {"long": (at(9), at(11)), "inside": (at(9, 30), at(10, 30))}
    cells = day_cells(list(spans), spans.get, grid_start(WEDNESDAY, 9, GZ), 5)
    assert cells == [Cell(4, "long"), Cell(1)]  # the page lists "inside" below the grid


def test_a_booking_running_past_the_grid_is_cut_to_it_and_marked():
    spans = {"early": (at(8), at(9, 30)), "late": (at(10, 30), at(13)), "outside": (at(14), at(15))}
    cells = day_cells(list(spans), spans.get, grid_start(WEDNESDAY, 9, GZ), 4)  # 09:00-11:00
    assert cells == [Cell(1, "early", True), Cell(1), Cell(1), Cell(1, "late", True)]
