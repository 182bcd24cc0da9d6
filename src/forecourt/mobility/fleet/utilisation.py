"""How much a fleet's cars are out, across every use: pure arithmetic over the spans each car was out.

A span is one use of one car (a test drive, a courtesy loan, a rental, a subscription) with the time it was out.
`hours_out` clips each span to the window, merges overlaps within one car (a car out twice at once counts once: the
reservation table never lets that happen, but a late return running into the next hand-over must not count double),
and reports hours per car, per use and per local day. Hours are Decimals to two places, half up, so a row's uses
add up to its total as shown.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from decimal import ROUND_HALF_UP, Decimal

HOUR = Decimal(3600)
CENTS = Decimal("0.01")
DEFAULT_DAYS = 30  # a report's local days when none are asked for: the last 30, today included
MAX_DAYS = 93  # the most local days one report covers (a quarter)


@dataclass(frozen=True)
class Span:
    vehicle_id: int
    purpose: str
    start: datetime
    end: datetime


@dataclass(frozen=True)
class CarUse:
    vehicle_id: int
    hours: Decimal  # out in the window, overlaps merged
    by_purpose: dict[str, Decimal]  # hours of each use (each clipped to the window)
    by_day: dict[date, Decimal]  # hours out on each local day of the window
    share: Decimal  # hours out ÷ hours in the window, 0..1 to four places


def report_days(first: date | None, last: date | None, today: date) -> tuple[date, date]:
    """The first and last local day of a report: as asked, or ending today and starting DEFAULT_DAYS before the end."""
    last = last or today
    return first or last - timedelta(days=DEFAULT_DAYS - 1), last


def days_allowed(first: date, last: date) -> bool:
    """From `first` to `last`, both included: in order, and at most MAX_DAYS days."""
    return first <= last <= first + timedelta(days=MAX_DAYS - 1)


def local_window(first: date, last: date, zone: tzinfo) -> tuple[datetime, datetime]:
    """The instants of a report: from the store's midnight starting `first` to the one ending `last`."""
    return datetime.combine(first, time(0), zone), datetime.combine(last + timedelta(days=1), time(0), zone)


def _hours(span: timedelta) -> Decimal:
    return (Decimal(span.total_seconds()) / HOUR).quantize(CENTS, rounding=ROUND_HALF_UP)


def _merge(intervals: Iterable[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    merged: list[tuple[datetime, datetime]] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _days(start: datetime, end: datetime, zone: tzinfo) -> Iterable[tuple[date, timedelta]]:
    """The local days [start, end) touches, with the time of it on each."""
    cursor = start
    while cursor < end:
        local = cursor.astimezone(zone)
        next_midnight = datetime(local.year, local.month, local.day, tzinfo=zone) + timedelta(days=1)
        stop = min(end, next_midnight.astimezone(start.tzinfo))
        yield local.date(), stop - cursor
        cursor = stop


def hours_out(
    spans: Sequence[Span], vehicle_ids: Sequence[int], window_start: datetime, window_end: datetime, zone: tzinfo
) -> list[CarUse]:
    """One row per car of `vehicle_ids` (idle cars too), in that order."""
    if window_end <= window_start:
        raise ValueError("the window must end after it starts")
    window_hours = Decimal((window_end - window_start).total_seconds()) / HOUR
    clipped: dict[int, list[tuple[str, datetime, datetime]]] = defaultdict(list)
    for span in spans:
        start, end = max(span.start, window_start), min(span.end, window_end)
        if start < end:
            clipped[span.vehicle_id].append((span.purpose, start, end))
    rows = []
    for vehicle_id in vehicle_ids:
        uses = clipped.get(vehicle_id, [])
        by_purpose: dict[str, timedelta] = defaultdict(timedelta)
        for purpose, start, end in uses:
            by_purpose[purpose] += end - start
        merged = _merge((start, end) for _, start, end in uses)
        by_day: dict[date, timedelta] = defaultdict(timedelta)
        for start, end in merged:
            for day, length in _days(start, end, zone):
                by_day[day] += length
        total = sum((end - start for start, end in merged), timedelta())
        share = (Decimal(total.total_seconds()) / HOUR / window_hours).quantize(Decimal("0.0001"), ROUND_HALF_UP)
        rows.append(
            CarUse(
                vehicle_id,
                _hours(total),
                {purpose: _hours(length) for purpose, length in sorted(by_purpose.items())},
                {day: _hours(length) for day, length in sorted(by_day.items())},
                share,
            )
        )
    return rows
