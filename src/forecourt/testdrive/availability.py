"""Pure slot arithmetic for test-drive bookings: which drives a store offers and which vehicles are free for them.

Every datetime in or out is timezone-aware UTC. Opening hours are local wall-clock times, so all grid and
opening-hours reasoning happens in the store's zone; durations of accompanied drives are real elapsed time.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from functools import lru_cache
from zoneinfo import ZoneInfo

import numpy as np

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
END_OF_DAY = time.max  # stands for a "24:00" closing time: `time` cannot hold midnight of the next day
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)

Interval = tuple[time, time]
Window = tuple[datetime, datetime]


class DriveKind(StrEnum):
    ACCOMPANIED = "accompanied"
    SELF_SERVICE = "self_service"


@dataclass(frozen=True)
class OpeningHours:
    time_zone: str
    by_weekday: tuple[tuple[Interval, ...], ...]  # Monday first; sorted, non-overlapping (opens, closes)

    def __post_init__(self) -> None:
        ZoneInfo(self.time_zone)  # fail at construction, not at the first lookup, on an unknown zone
        if len(self.by_weekday) != 7:
            raise ValueError("opening hours need exactly 7 weekdays, Monday first")
        for intervals in self.by_weekday:
            for opens, closes in intervals:
                if not opens < closes:
                    raise ValueError(f"opening interval {opens}–{closes} must open before it closes")
            for (_, earlier_close), (later_open, _) in zip(intervals, intervals[1:]):
                if later_open < earlier_close:
                    raise ValueError("opening intervals of a day must be sorted and must not overlap")

    @classmethod
    def from_json(cls, time_zone: str, data: Mapping[str, Sequence[Sequence[str]]]) -> OpeningHours:
        unknown = set(data) - set(WEEKDAYS)
        if unknown:
            raise ValueError(f"unknown weekday keys {sorted(unknown)}; use {', '.join(WEEKDAYS)}")
        by_weekday = tuple(tuple(sorted(_parse_interval(pair) for pair in data.get(day, []))) for day in WEEKDAYS)
        return cls(time_zone, by_weekday)

    def intervals_on(self, day: date) -> tuple[Interval, ...]:
        return self.by_weekday[day.weekday()]


def _parse_interval(pair: Sequence[str]) -> Interval:
    opens, closes = pair
    return _parse_clock(opens), _parse_clock(closes, closing=True)


def _parse_clock(text: str, *, closing: bool = False) -> time:
    if text == "24:00":
        if not closing:
            raise ValueError("24:00 is only valid as a closing time")
        return END_OF_DAY
    return time.fromisoformat(text)


@dataclass(frozen=True)
class SlotRules:
    kind: DriveKind
    duration: timedelta
    days: int = 1
    step: timedelta = timedelta(minutes=30)
    buffer: timedelta = timedelta(minutes=30)
    lead_time: timedelta = timedelta(hours=2)
    horizon: timedelta = timedelta(days=30)

    def __post_init__(self) -> None:
        if self.kind == DriveKind.ACCOMPANIED and self.duration <= timedelta(0):
            raise ValueError("an accompanied drive needs a positive duration")
        if self.kind == DriveKind.SELF_SERVICE and not 1 <= self.days <= 3:
            raise ValueError("a self-service drive lasts 1 to 3 days")
        if self.step <= timedelta(0) or self.buffer < timedelta(0):
            raise ValueError("step must be positive and buffer non-negative")


@dataclass(frozen=True)
class Busy:
    """An existing booking holding a vehicle over [start, end), end already including the trailing buffer."""

    vehicle_id: int
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Slot:
    start: datetime
    end: datetime
    vehicle_ids: tuple[int, ...]


def overlaps(a_start: datetime, a_end: datetime, b_start: datetime, b_end: datetime) -> bool:
    return a_start < b_end and b_start < a_end


def block_end(rules: SlotRules, end: datetime) -> datetime:
    return end + rules.buffer


def _require_aware(moment: datetime) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{moment} has no time zone: pass timezone-aware UTC datetimes")


def _local_to_utc(day: date, wall: time, zone: ZoneInfo) -> datetime | None:
    """The UTC instant of a local wall-clock time (fold=0 when ambiguous), or None inside a DST gap."""
    local = datetime.combine(day, wall, zone)
    instant = local.astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) != local.replace(tzinfo=None):
        return None
    return instant


def _close_utc(day: date, closes: time, zone: ZoneInfo) -> datetime:
    if closes == END_OF_DAY:
        return datetime.combine(day + timedelta(days=1), time.min, zone).astimezone(UTC)
    return datetime.combine(day, closes, zone).astimezone(UTC)


def _within_opening(hours: OpeningHours, day: date, wall: time) -> bool:
    return any(opens <= wall <= closes for opens, closes in hours.intervals_on(day))


def is_open_at(hours: OpeningHours, moment: datetime) -> bool:
    """Whether the store is open at `moment` (its local wall clock within an interval, both ends included): a car
    is handed over or back only then, e.g. a courtesy car at a service job's drop-off and pick-up."""
    _require_aware(moment)
    local = moment.astimezone(ZoneInfo(hours.time_zone))
    return _within_opening(hours, local.date(), local.time())


def _window_at(
    hours: OpeningHours, rules: SlotRules, zone: ZoneInfo, day: date, interval: Interval, wall: time
) -> Window | None:
    """The drive starting at `wall` on `day`, already known to be on `interval`'s grid, if it fits."""
    start = _local_to_utc(day, wall, zone)
    if start is None:
        return None
    if rules.kind == DriveKind.ACCOMPANIED:
        end = start + rules.duration
        return (start, end) if end <= _close_utc(day, interval[1], zone) else None
    return_day = day + timedelta(days=rules.days)
    end = _local_to_utc(return_day, wall, zone)
    if end is None or not _within_opening(hours, return_day, wall):
        return None
    return start, end


def _grid(day: date, interval: Interval, step: timedelta) -> Iterator[time]:
    opens, closes = interval
    moment, close = datetime.combine(day, opens), datetime.combine(day, closes)
    while moment < close and moment.date() == day:
        yield moment.time()
        moment += step


def _on_grid(day: date, interval: Interval, wall: time, step: timedelta) -> bool:
    opens, closes = interval
    since_opening = datetime.combine(day, wall) - datetime.combine(day, opens)
    return opens <= wall < closes and since_opening % step == timedelta(0)


def drive_window(hours: OpeningHours, rules: SlotRules, start: datetime) -> Window | None:
    _require_aware(start)
    zone = ZoneInfo(hours.time_zone)
    local = start.astimezone(zone)
    if local.fold:
        return None  # the repeated hour after a fall-back: starts are offered on its first pass only
    day, wall = local.date(), local.time()
    for interval in hours.intervals_on(day):
        if _on_grid(day, interval, wall, rules.step):
            return _window_at(hours, rules, zone, day, interval, wall)
    return None


def candidate_windows(
    hours: OpeningHours, rules: SlotRules, first_day: date, last_day: date, now: datetime
) -> list[Window]:
    return list(_candidate_windows(hours, rules, first_day, last_day, now))


@lru_cache(maxsize=256)
def _candidate_windows(
    hours: OpeningHours, rules: SlotRules, first_day: date, last_day: date, now: datetime
) -> tuple[Window, ...]:
    """Cached: the stores of a city usually share opening hours and rules, so one availability search asks
    for the same windows once per store (the arguments are frozen, so the cache cannot go stale)."""
    _require_aware(now)
    zone = ZoneInfo(hours.time_zone)
    earliest, latest = now + rules.lead_time, now + rules.horizon
    # A day of margin: around some DST switches the local date does not grow monotonically with the instant.
    day = max(first_day, earliest.astimezone(zone).date() - timedelta(days=1))
    last_day = min(last_day, latest.astimezone(zone).date() + timedelta(days=1))
    windows: list[Window] = []
    while day <= last_day:
        for interval in hours.intervals_on(day):
            for wall in _grid(day, interval, rules.step):
                window = _window_at(hours, rules, zone, day, interval, wall)
                if window is not None and earliest <= window[0] <= latest:
                    windows.append(window)
        day += timedelta(days=1)
    windows.sort()
    return tuple(windows)


def _micros(moment: datetime) -> int:
    return (moment - _EPOCH) // _MICROSECOND


def _busy_by_vehicle(busy: Sequence[Busy], vehicle_ids: set[int]) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """Per vehicle: busy starts ascending (epoch µs) and the latest end among the intervals up to each start."""
    spans: dict[int, list[tuple[int, int]]] = {}
    for entry in busy:
        if entry.vehicle_id in vehicle_ids and entry.start < entry.end:  # an empty interval holds nothing
            spans.setdefault(entry.vehicle_id, []).append((_micros(entry.start), _micros(entry.end)))
    by_vehicle: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    for vehicle_id, intervals in spans.items():
        as_array = np.array(sorted(intervals), dtype=np.int64)
        by_vehicle[vehicle_id] = (as_array[:, 0], np.maximum.accumulate(as_array[:, 1]))
    return by_vehicle


def _free_matrix(rules: SlotRules, windows: Sequence[Window], ids: list[int], busy: Sequence[Busy]) -> np.ndarray:
    """free[v, w]: vehicle ids[v] holds nothing over window w's [start, end + buffer)."""
    starts = np.array([_micros(start) for start, _ in windows], dtype=np.int64)
    block_ends = np.array([_micros(block_end(rules, end)) for _, end in windows], dtype=np.int64)
    free = np.ones((len(ids), len(windows)), dtype=bool)
    row_of = {vehicle_id: row for row, vehicle_id in enumerate(ids)}
    for vehicle_id, (busy_starts, latest_ends) in _busy_by_vehicle(busy, set(ids)).items():
        # Of the intervals starting before the block ends, one reaches into it iff the latest-ending one does.
        before = np.searchsorted(busy_starts, block_ends, side="left") - 1
        free[row_of[vehicle_id]] = (before < 0) | (latest_ends[np.maximum(before, 0)] <= starts)
    return free


def _slots(rules: SlotRules, windows: Sequence[Window], vehicle_ids: Sequence[int], busy: Sequence[Busy]) -> list[Slot]:
    ids = sorted(set(vehicle_ids))
    if not windows or not ids:
        return []
    free = _free_matrix(rules, windows, ids, busy)
    id_array = np.array(ids, dtype=np.int64)
    return [
        Slot(windows[column][0], windows[column][1], tuple(id_array[free[:, column]].tolist()))
        for column in np.flatnonzero(free.any(axis=0))
    ]


def free_slots(
    hours: OpeningHours,
    rules: SlotRules,
    vehicle_ids: Sequence[int],
    busy: Sequence[Busy],
    first_day: date,
    last_day: date,
    now: datetime,
) -> list[Slot]:
    return _slots(rules, candidate_windows(hours, rules, first_day, last_day, now), vehicle_ids, busy)


def next_free_slots(
    hours: OpeningHours,
    rules: SlotRules,
    vehicle_ids: Sequence[int],
    busy: Sequence[Busy],
    after: datetime,
    now: datetime,
    limit: int = 3,
    search_days: int = 14,
) -> list[Slot]:
    _require_aware(after)
    latest = min(after + timedelta(days=search_days), now + rules.horizon)
    if limit <= 0 or latest < after:
        return []
    zone = ZoneInfo(hours.time_zone)
    first_day, last_day = after.astimezone(zone).date(), latest.astimezone(zone).date()
    windows = [w for w in candidate_windows(hours, rules, first_day, last_day, now) if after <= w[0] <= latest]
    return _slots(rules, windows, vehicle_ids, busy)[:limit]
