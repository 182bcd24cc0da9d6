"""The day and week grids of the back office's store calendars (test drives by car, service jobs by bay).

A day is drawn in half-hour steps across the store's opening hours, widened to fit what is booked; each row is a run
of cells, one per free step and one spanning each booking it draws. A week lists each day's bookings. Pure: the page
modules pass the bookings in with a function that tells their start and end.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any, Generic, TypeVar

GRID_STEP = timedelta(minutes=30)
WEEKDAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # the keys of a store's opening hours
T = TypeVar("T")


@dataclass(frozen=True)
class Window:
    """The days a calendar shows: one day, or the Monday-to-Sunday week of `day`, and where its pager leads."""

    day: date
    view: str  # "day" or "week"
    days: list[date]
    previous: date
    next: date


def window(day: date, view: str | None) -> Window:
    week = view == "week"
    first = day - timedelta(days=day.weekday()) if week else day
    step = timedelta(days=7 if week else 1)
    return Window(
        day,
        "week" if week else "day",
        [first + timedelta(days=i) for i in range(7 if week else 1)],
        day - step,
        day + step,
    )


@dataclass(frozen=True)
class Cell(Generic[T]):
    span: int  # grid steps
    item: T | None = None  # the booking drawn across them, or None for a free step
    clipped: bool = False  # it starts before or ends after the grid


def grid_hours(
    opening_hours: Mapping[str, Any] | None,
    day: date,
    spans: Iterable[tuple[datetime, datetime]],
    zone: tzinfo,
    *,
    closed: tuple[int, int],
) -> tuple[int, int]:
    """The hours a day's grid spans: the store's opening hours that day (`closed` when it is closed), widened to fit
    the bookings' `spans`."""
    periods = (opening_hours or {}).get(WEEKDAY_KEYS[day.weekday()]) or []
    first = min((int(str(p[0])[:2]) for p in periods), default=closed[0])
    last = max((math.ceil(int(str(p[1])[:2]) + int(str(p[1])[3:5]) / 60) for p in periods), default=closed[1])
    for starts_at, ends_at in spans:
        start, end = starts_at.astimezone(zone), ends_at.astimezone(zone)
        if start.date() == day:
            first = min(first, start.hour)
        if end.date() == day:
            last = max(last, end.hour + (1 if end.minute else 0))
    return max(0, first), min(24, max(last, first + 1))


def grid_start(day: date, first_hour: int, zone: tzinfo) -> datetime:
    return datetime.combine(day, time(first_hour), zone)


def day_cells(
    items: Sequence[T], span: Callable[[T], tuple[datetime, datetime]], start: datetime, steps: int
) -> list[Cell[T]]:
    """One row of a day's grid from `start`, `steps` long: a cell per free step, one across each booking. A booking
    partly under one already drawn is drawn from where that one ends; one wholly under it, or outside the grid, is
    left out (the page lists it below the grid)."""
    cells: list[Cell[T]] = []
    position = 0
    for item in sorted(items, key=lambda one: span(one)[0]):
        starts_at, ends_at = span(item)
        begin = math.floor((starts_at - start) / GRID_STEP)
        end = math.ceil((ends_at - start) / GRID_STEP)
        clipped = begin < 0 or end > steps
        begin, end = max(begin, position, 0), min(end, steps)
        if end <= begin:
            continue
        cells.extend(Cell(1) for _ in range(begin - position))
        cells.append(Cell(end - begin, item, clipped))
        position = end
    cells.extend(Cell(1) for _ in range(steps - position))
    return cells
