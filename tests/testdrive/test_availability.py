"""Slot arithmetic: opening-hours grid, closing boundaries, buffers, lead time and horizon, DST, free vehicles."""

from __future__ import annotations

import random
import time as stopwatch
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forecourt.testdrive.availability import (
    WEEKDAYS,
    Busy,
    DriveKind,
    OpeningHours,
    Slot,
    SlotRules,
    block_end,
    candidate_windows,
    drive_window,
    free_slots,
    is_open_at,
    next_free_slots,
    overlaps,
)

NEW_YORK, BERLIN, SHANGHAI = "America/New_York", "Europe/Berlin", "Asia/Shanghai"
NINE_TO_SIX = [["09:00", "18:00"]]
ROUND_THE_CLOCK = [["00:00", "24:00"]]
NOW = datetime(2026, 1, 1, tzinfo=UTC)  # far enough back that lead time and horizon never interfere
WIDE_OPEN = {"lead_time": timedelta(0), "horizon": timedelta(days=3650)}


def every_day(intervals: list[list[str]], zone: str = BERLIN) -> OpeningHours:
    return OpeningHours.from_json(zone, {day: intervals for day in WEEKDAYS})


def accompanied(minutes: int = 60) -> SlotRules:
    return SlotRules(DriveKind.ACCOMPANIED, timedelta(minutes=minutes), **WIDE_OPEN)


def self_service(days: int) -> SlotRules:
    return SlotRules(DriveKind.SELF_SERVICE, timedelta(0), days=days, **WIDE_OPEN)


def at(zone: str, text: str, fold: int = 0) -> datetime:
    """A local wall-clock time in `zone`, as the UTC instant the module deals in."""
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(zone), fold=fold).astimezone(UTC)


def local_walls(windows: Sequence[tuple[datetime, datetime]], zone: str) -> list[str]:
    return [start.astimezone(ZoneInfo(zone)).strftime("%H:%M") for start, _ in windows]


def free_oracle(rules: SlotRules, start: datetime, end: datetime, ids: Sequence[int], busy: Sequence[Busy]) -> tuple:
    """Brute force: the vehicles none of whose busy intervals overlaps the drive plus its buffer."""
    blocked_until = block_end(rules, end)
    taken = {b.vehicle_id for b in busy if overlaps(start, blocked_until, b.start, b.end)}
    return tuple(sorted(set(ids) - taken))


# 2026-03-02 is a Monday.
@pytest.mark.parametrize(
    ("spec", "minutes", "local_start", "local_end"),
    [
        pytest.param(NINE_TO_SIX, 60, "2026-03-02 09:00", "2026-03-02 10:00", id="opening-time"),
        pytest.param(NINE_TO_SIX, 60, "2026-03-02 09:30", "2026-03-02 10:30", id="on-grid"),
        pytest.param(NINE_TO_SIX, 60, "2026-03-02 09:15", None, id="off-grid"),
        pytest.param(NINE_TO_SIX, 60, "2026-03-02 09:00:01", None, id="stray-second"),
        pytest.param([["09:15", "18:00"]], 30, "2026-03-02 09:45", "2026-03-02 10:15", id="grid-from-opening"),
        pytest.param([["09:15", "18:00"]], 30, "2026-03-02 10:00", None, id="grid-not-from-hour"),
        pytest.param(NINE_TO_SIX, 60, "2026-03-02 17:00", "2026-03-02 18:00", id="ends-at-closing"),
        pytest.param(NINE_TO_SIX, 60, "2026-03-02 17:30", None, id="runs-past-closing"),
        pytest.param(NINE_TO_SIX, 30, "2026-03-02 17:30", "2026-03-02 18:00", id="short-drive-fits"),
        pytest.param(NINE_TO_SIX, 30, "2026-03-02 18:00", None, id="at-closing"),
        pytest.param(NINE_TO_SIX, 30, "2026-03-02 08:30", None, id="before-opening"),
        pytest.param(
            [["09:00", "12:00"], ["13:00", "18:00"]], 60, "2026-03-02 11:00", "2026-03-02 12:00", id="lunch-fits"
        ),
        pytest.param([["09:00", "12:00"], ["13:00", "18:00"]], 60, "2026-03-02 11:30", None, id="into-lunch"),
        pytest.param([["09:00", "12:00"], ["13:00", "18:00"]], 60, "2026-03-02 12:30", None, id="during-lunch"),
        pytest.param(
            [["09:00", "12:00"], ["13:00", "18:00"]], 60, "2026-03-02 13:00", "2026-03-02 14:00", id="after-lunch"
        ),
        pytest.param([["08:00", "24:00"]], 60, "2026-03-02 23:00", "2026-03-03 00:00", id="closes-24:00"),
        pytest.param([["08:00", "24:00"]], 60, "2026-03-02 23:30", None, id="past-24:00"),
    ],
)
def test_accompanied_drive_window(spec: list[list[str]], minutes: int, local_start: str, local_end: str | None) -> None:
    window = drive_window(every_day(spec), accompanied(minutes), at(BERLIN, local_start))
    assert window == (None if local_end is None else (at(BERLIN, local_start), at(BERLIN, local_end)))


def test_closed_and_missing_days_offer_nothing() -> None:
    hours = OpeningHours.from_json(BERLIN, {"mon": NINE_TO_SIX, "sun": []})  # tue..sat missing: closed
    windows = candidate_windows(hours, accompanied(), date(2026, 3, 2), date(2026, 3, 8), NOW)
    assert {start.astimezone(ZoneInfo(BERLIN)).date() for start, _ in windows} == {date(2026, 3, 2)}
    assert drive_window(hours, accompanied(), at(BERLIN, "2026-03-08 10:00")) is None


def test_grid_of_a_day_with_lunch_break() -> None:
    hours = every_day([["09:00", "11:00"], ["14:00", "16:00"]])
    windows = candidate_windows(hours, accompanied(60), date(2026, 3, 2), date(2026, 3, 2), NOW)
    assert local_walls(windows, BERLIN) == ["09:00", "09:30", "10:00", "14:00", "14:30", "15:00"]


@pytest.mark.parametrize(
    ("zone", "day", "missing", "repeated"),
    [
        pytest.param(NEW_YORK, date(2026, 3, 8), ["02:00", "02:30"], [], id="new-york-spring-forward"),
        pytest.param(NEW_YORK, date(2026, 11, 1), [], ["01:00", "01:30"], id="new-york-fall-back"),
        pytest.param(BERLIN, date(2026, 3, 29), ["02:00", "02:30"], [], id="berlin-spring-forward"),
        pytest.param(BERLIN, date(2026, 10, 25), [], ["02:00", "02:30"], id="berlin-fall-back"),
        pytest.param(SHANGHAI, date(2026, 3, 8), [], [], id="shanghai-no-dst"),
    ],
)
def test_dst_days_offer_each_existing_wall_time_once(
    zone: str, day: date, missing: list[str], repeated: list[str]
) -> None:
    hours, rules = every_day(ROUND_THE_CLOCK, zone), accompanied(30)
    windows = candidate_windows(hours, rules, day, day, NOW)
    walls = local_walls(windows, zone)
    assert len(walls) == 48 - len(missing) and len(set(walls)) == len(walls)
    assert not set(missing) & set(walls)
    assert all(end - start == timedelta(minutes=30) for start, end in windows)  # real elapsed time
    for wall in repeated:  # the second pass of a repeated hour is never a start
        assert drive_window(hours, rules, at(zone, f"{day} {wall}", fold=0)) is not None
        assert drive_window(hours, rules, at(zone, f"{day} {wall}", fold=1)) is None


def test_accompanied_drive_across_spring_forward_lasts_real_time() -> None:
    window = drive_window(every_day(ROUND_THE_CLOCK, NEW_YORK), accompanied(60), at(NEW_YORK, "2026-03-08 01:30"))
    assert window is not None
    assert window[1].astimezone(ZoneInfo(NEW_YORK)).strftime("%H:%M") == "03:30"
    assert window[1] - window[0] == timedelta(hours=1)


@pytest.mark.parametrize(
    ("zone", "local_start", "days", "real_length"),
    [
        pytest.param(SHANGHAI, "2026-03-02 10:00", 1, timedelta(hours=24), id="shanghai-1-day"),
        pytest.param(SHANGHAI, "2026-03-02 10:00", 2, timedelta(hours=48), id="shanghai-2-days"),
        pytest.param(SHANGHAI, "2026-03-02 10:00", 3, timedelta(hours=72), id="shanghai-3-days"),
        pytest.param(NEW_YORK, "2026-03-07 10:00", 1, timedelta(hours=23), id="new-york-spring-forward"),
        pytest.param(NEW_YORK, "2026-03-06 10:00", 3, timedelta(hours=71), id="new-york-3-days-over-gap"),
        pytest.param(NEW_YORK, "2026-10-31 10:00", 1, timedelta(hours=25), id="new-york-fall-back"),
        pytest.param(BERLIN, "2026-03-28 10:00", 2, timedelta(hours=47), id="berlin-spring-forward"),
        pytest.param(BERLIN, "2026-10-24 17:30", 1, timedelta(hours=25), id="berlin-fall-back"),
    ],
)
def test_self_service_returns_same_wall_time(zone: str, local_start: str, days: int, real_length: timedelta) -> None:
    start = at(zone, local_start)
    window = drive_window(every_day(NINE_TO_SIX, zone), self_service(days), start)
    assert window is not None
    assert window[1] - window[0] == real_length
    returned = window[1].astimezone(ZoneInfo(zone))
    assert (returned.date() - start.astimezone(ZoneInfo(zone)).date()).days == days
    assert returned.strftime("%H:%M") == local_start[-5:]


@pytest.mark.parametrize(
    ("spec", "local_start", "days", "offered"),
    [
        pytest.param({"mon": NINE_TO_SIX, "tue": NINE_TO_SIX}, "2026-03-02 17:30", 1, True, id="pick-up-before-close"),
        pytest.param({"mon": NINE_TO_SIX, "tue": NINE_TO_SIX}, "2026-03-02 18:00", 1, False, id="pick-up-at-close"),
        pytest.param({"mon": NINE_TO_SIX, "wed": NINE_TO_SIX}, "2026-03-02 10:00", 1, False, id="return-day-closed"),
        pytest.param({"mon": NINE_TO_SIX, "wed": NINE_TO_SIX}, "2026-03-02 10:00", 2, True, id="return-after-2-days"),
        pytest.param(
            {"mon": NINE_TO_SIX, "thu": [["12:00", "18:00"]]}, "2026-03-02 10:00", 3, False, id="return-before-opening"
        ),
        pytest.param(
            {"mon": NINE_TO_SIX, "thu": [["10:00", "18:00"]]}, "2026-03-02 10:00", 3, True, id="return-at-opening"
        ),
        pytest.param(
            {"mon": NINE_TO_SIX, "tue": [["08:00", "10:00"]]}, "2026-03-02 10:00", 1, True, id="return-at-closing"
        ),
        pytest.param(
            {"mon": [["20:00", "24:00"]], "tue": [["20:00", "24:00"]]}, "2026-03-02 23:30", 1, True, id="24:00"
        ),
    ],
)
def test_self_service_return_must_be_in_opening_hours(spec: dict, local_start: str, days: int, offered: bool) -> None:
    window = drive_window(OpeningHours.from_json(BERLIN, spec), self_service(days), at(BERLIN, local_start))
    assert (window is not None) == offered


def test_self_service_return_inside_dst_gap_is_not_offered() -> None:
    assert drive_window(every_day(ROUND_THE_CLOCK, NEW_YORK), self_service(1), at(NEW_YORK, "2026-03-07 02:30")) is None


def test_lead_time_and_horizon_bound_starts_inclusively() -> None:
    hours, now = every_day(ROUND_THE_CLOCK, SHANGHAI), at(SHANGHAI, "2026-03-02 08:00")
    rules = SlotRules(
        DriveKind.ACCOMPANIED, timedelta(minutes=30), lead_time=timedelta(hours=2), horizon=timedelta(days=2)
    )
    windows = candidate_windows(hours, rules, date(2026, 3, 1), date(2026, 3, 10), now)
    assert windows[0][0] == now + timedelta(hours=2) and windows[-1][0] == now + timedelta(days=2)
    assert len(windows) == 2 * 48 - 4 + 1


@pytest.mark.parametrize(
    ("local_start", "free"),
    [
        pytest.param("2026-03-02 08:30", True, id="block-touches-busy-start"),
        pytest.param("2026-03-02 09:00", False, id="buffer-reaches-into-busy"),
        pytest.param("2026-03-02 09:30", False, id="drive-overlaps-busy"),
        pytest.param("2026-03-02 10:00", False, id="starts-inside-busy"),
        pytest.param("2026-03-02 10:30", True, id="starts-as-busy-ends"),
    ],
)
def test_buffer_blocks_vehicle_half_open(local_start: str, free: bool) -> None:
    rules = accompanied(60)  # 60 min drive + 30 min buffer
    held_by_one = Busy(1, at(BERLIN, "2026-03-02 10:00"), at(BERLIN, "2026-03-02 10:30"))
    busy = [held_by_one, Busy(99, NOW, NOW + timedelta(days=999))]  # vehicle 99 is not asked about
    slots = free_slots(every_day([["08:00", "18:00"]]), rules, [2, 1], busy, date(2026, 3, 2), date(2026, 3, 2), NOW)
    by_start = {slot.start: slot.vehicle_ids for slot in slots}
    assert by_start[at(BERLIN, local_start)] == ((1, 2) if free else (2,))


def test_windows_without_a_free_vehicle_are_omitted() -> None:
    busy = [Busy(1, at(BERLIN, "2026-03-02 09:00"), at(BERLIN, "2026-03-02 17:00"))]
    slots = free_slots(every_day(NINE_TO_SIX), accompanied(30), [1], busy, date(2026, 3, 2), date(2026, 3, 2), NOW)
    assert local_walls([(s.start, s.end) for s in slots], BERLIN) == ["17:00", "17:30"]


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ((0, 2), (2, 4), False),
        ((2, 4), (0, 2), False),
        ((0, 3), (2, 4), True),
        ((1, 2), (0, 4), True),
        ((0, 1), (3, 4), False),
    ],
)
def test_overlaps_is_half_open(a: tuple[int, int], b: tuple[int, int], expected: bool) -> None:
    hour = lambda n: NOW + timedelta(hours=n)  # noqa: E731
    assert overlaps(hour(a[0]), hour(a[1]), hour(b[0]), hour(b[1])) is expected


def test_next_free_slots_order_limit_and_reach() -> None:
    hours, rules = every_day(NINE_TO_SIX), accompanied(60)
    after = at(BERLIN, "2026-03-02 16:00")
    busy = [Busy(1, at(BERLIN, "2026-03-02 16:00"), at(BERLIN, "2026-03-03 09:30"))]
    slots = next_free_slots(hours, rules, [1], busy, after=after, now=NOW, limit=4)
    assert local_walls([(s.start, s.end) for s in slots], BERLIN) == ["09:30", "10:00", "10:30", "11:00"]
    assert [s.start for s in slots] == sorted(s.start for s in slots) and all(s.start >= after for s in slots)
    assert len(next_free_slots(hours, rules, [1], busy, after=after, now=NOW)) == 3
    assert next_free_slots(hours, rules, [1], busy, after=after, now=NOW, limit=0) == []
    blocked = [Busy(1, after, after + timedelta(days=20))]
    assert next_free_slots(hours, rules, [1], blocked, after=after, now=NOW, search_days=14) == []
    near_horizon = SlotRules(
        DriveKind.ACCOMPANIED, timedelta(hours=1), lead_time=timedelta(0), horizon=timedelta(hours=5)
    )
    now = at(BERLIN, "2026-03-02 08:00")
    starts = [s.start for s in next_free_slots(hours, near_horizon, [1], [], after=now, now=now, limit=20)]
    assert len(starts) == 9 and starts[-1] == now + timedelta(hours=5)  # 09:00..13:00, the horizon inclusive


@pytest.mark.parametrize(
    ("zone", "spec"),
    [
        (BERLIN, {"mon": [["10:00", "09:00"]]}),
        (BERLIN, {"mon": [["09:00", "12:00"], ["11:00", "18:00"]]}),
        (BERLIN, {"monday": NINE_TO_SIX}),
        (BERLIN, {"mon": [["24:00", "24:00"]]}),
        ("Mars/Olympus_Mons", {"mon": NINE_TO_SIX}),
    ],
)
def test_malformed_opening_hours_are_refused(zone: str, spec: dict) -> None:
    with pytest.raises((ValueError, KeyError)):
        OpeningHours.from_json(zone, spec)


def test_rules_and_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError):
        SlotRules(DriveKind.SELF_SERVICE, timedelta(0), days=4)
    with pytest.raises(ValueError):
        SlotRules(DriveKind.ACCOMPANIED, timedelta(0))
    with pytest.raises(ValueError):
        drive_window(every_day(NINE_TO_SIX), accompanied(), datetime(2026, 3, 2, 10))


ZONES = st.sampled_from([NEW_YORK, BERLIN, SHANGHAI])
DST_DAYS = st.sampled_from(
    [date(2026, 3, 7), date(2026, 3, 28), date(2026, 10, 24), date(2026, 10, 31), date(2026, 6, 1)]
)
QUICK = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def busy_lists(draw: st.DrawFn, start: datetime, vehicles: int) -> list[Busy]:
    entries = []
    for _ in range(draw(st.integers(0, 12))):
        begin = start + timedelta(minutes=15 * draw(st.integers(0, 4 * 24 * 4)))
        length = timedelta(minutes=15 * draw(st.integers(1, 24)))
        entries.append(Busy(draw(st.integers(1, vehicles + 1)), begin, begin + length))  # vehicles+1 is not asked for
    return entries


@QUICK
@given(
    zone=ZONES,
    day=DST_DAYS,
    kind=st.sampled_from(list(DriveKind)),
    minutes=st.sampled_from([30, 60, 90]),
    data=st.data(),
)
def test_free_slots_match_brute_force_oracle(
    zone: str, day: date, kind: DriveKind, minutes: int, data: st.DataObject
) -> None:
    hours = every_day([["00:00", "03:00"], ["08:00", "24:00"]], zone)
    rules = SlotRules(kind, timedelta(minutes=minutes), days=data.draw(st.integers(1, 3)), **WIDE_OPEN)
    ids = [3, 1, 2]
    busy = data.draw(busy_lists(at(zone, f"{day} 00:00"), len(ids)))
    windows = candidate_windows(hours, rules, day, day + timedelta(days=1), NOW)
    expected = [Slot(s, e, free_oracle(rules, s, e, ids, busy)) for s, e in windows]
    assert free_slots(hours, rules, ids, busy, day, day + timedelta(days=1), NOW) == [
        x for x in expected if x.vehicle_ids
    ]


@QUICK
@given(zone=ZONES, day=DST_DAYS, minutes=st.integers(0, 2 * 24 * 4).map(lambda n: 15 * n))
def test_drive_window_agrees_with_candidate_windows(zone: str, day: date, minutes: int) -> None:
    hours, rules = every_day([["00:00", "03:00"], ["09:30", "21:00"]], zone), accompanied(60)
    windows = candidate_windows(hours, rules, day - timedelta(days=1), day + timedelta(days=3), NOW)
    instant = at(zone, f"{day} 00:00") + timedelta(minutes=minutes)
    window = drive_window(hours, rules, instant)
    assert (window in windows) if window else instant not in {start for start, _ in windows}


def test_month_of_slots_for_thirty_vehicles() -> None:
    hours = every_day([["09:00", "21:00"]], BERLIN)
    rules = SlotRules(DriveKind.ACCOMPANIED, timedelta(minutes=30), horizon=timedelta(days=40))
    now, rng, ids = at(BERLIN, "2026-03-01 06:00"), random.Random(7), list(range(1, 31))
    busy = []
    for vehicle_id in ids:
        for _ in range(10):
            begin = now + timedelta(days=rng.randrange(31), hours=3 + rng.randrange(12), minutes=30 * rng.randrange(2))
            busy.append(Busy(vehicle_id, begin, begin + timedelta(minutes=30 * rng.randrange(1, 6))))
    began = stopwatch.perf_counter()
    slots = free_slots(hours, rules, ids, busy, date(2026, 3, 2), date(2026, 3, 31), now)
    print(f"free_slots, 30 days x 30 vehicles: {(stopwatch.perf_counter() - began) * 1000:.1f} ms")
    windows = candidate_windows(hours, rules, date(2026, 3, 2), date(2026, 3, 31), now)
    assert len(windows) == 30 * 24
    expected = [Slot(s, e, free_oracle(rules, s, e, ids, busy)) for s, e in windows]
    assert slots == [slot for slot in expected if slot.vehicle_ids]
    assert any(len(slot.vehicle_ids) < len(ids) for slot in slots)  # the busy list did take cars away


@pytest.mark.parametrize(
    ("local", "open_"),
    [
        ("2026-12-02T08:59:00", False),  # a minute before opening
        ("2026-12-02T09:00:00", True),  # opening: a hand-over may happen then
        ("2026-12-02T18:00:00", True),  # closing: still open
        ("2026-12-02T18:01:00", False),
        ("2026-12-02T13:00:00", False),  # the lunch break between two intervals
    ],
)
def test_is_open_at_includes_both_ends_of_an_interval(local: str, open_: bool) -> None:
    hours = every_day([["09:00", "12:00"], ["14:00", "18:00"]], SHANGHAI)
    moment = datetime.fromisoformat(local).replace(tzinfo=ZoneInfo(SHANGHAI)).astimezone(UTC)
    assert is_open_at(hours, moment) is open_


def test_is_open_at_refuses_a_naive_moment() -> None:
    with pytest.raises(ValueError):
        is_open_at(every_day(NINE_TO_SIX), datetime(2026, 12, 2, 10, 0))
