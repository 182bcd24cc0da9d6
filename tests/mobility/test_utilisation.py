"""Fleet utilisation arithmetic: clipping to the window, overlaps counted once, local days split at the store's
midnight, idle cars listed, hours rounded half up."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from forecourt.mobility.fleet.utilisation import Span, days_allowed, hours_out, local_window, report_days

GZ = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 12, 1, tzinfo=GZ)
END = datetime(2026, 12, 3, tzinfo=GZ)  # two local days, 48 hours


def at(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, second, tzinfo=GZ)


def test_an_idle_car_has_a_row_of_zeros():
    (row,) = hours_out([], [7], START, END, GZ)
    assert (row.vehicle_id, row.hours, row.share, row.by_purpose, row.by_day) == (7, Decimal("0.00"), 0, {}, {})


def test_spans_are_clipped_to_the_window():
    spans = [Span(1, "rental", START - timedelta(hours=5), START + timedelta(hours=2))]
    spans.append(Span(1, "subscription", END - timedelta(hours=1), END + timedelta(days=20)))
    (row,) = hours_out(spans, [1], START, END, GZ)
    assert row.hours == Decimal("3.00")
    assert row.by_purpose == {"rental": Decimal("2.00"), "subscription": Decimal("1.00")}
    assert row.share == Decimal("0.0625")  # 3 of 48 hours


def test_overlapping_uses_of_one_car_count_once_in_its_total_but_each_in_its_use():
    spans = [Span(1, "test_drive", at(1, 10), at(1, 12)), Span(1, "rental", at(1, 11), at(1, 14))]
    (row,) = hours_out(spans, [1], START, END, GZ)
    assert row.hours == Decimal("4.00")
    assert row.by_purpose == {"rental": Decimal("3.00"), "test_drive": Decimal("2.00")}


def test_touching_spans_merge_and_other_cars_stay_apart():
    spans = [
        Span(1, "rental", at(1, 10), at(1, 11)),
        Span(1, "rental", at(1, 11), at(1, 12)),
        Span(2, "rental", at(1, 9), at(1, 10)),
    ]
    one, two, idle = hours_out(spans, [1, 2, 3], START, END, GZ)
    assert (one.hours, two.hours, idle.hours) == (Decimal("2.00"), Decimal("1.00"), Decimal("0.00"))


def test_a_night_out_is_split_at_the_stores_midnight_not_utcs():
    # 22:00 to 02:00 local; UTC's midnight is 08:00 local and must not split it.
    (row,) = hours_out([Span(1, "rental", at(1, 22), at(2, 2))], [1], START, END, GZ)
    assert row.by_day == {date(2026, 12, 1): Decimal("2.00"), date(2026, 12, 2): Decimal("2.00")}


@pytest.mark.parametrize(
    ("seconds", "hours"),
    [(90, Decimal("0.03")), (89, Decimal("0.02")), (1800, Decimal("0.50")), (1, Decimal("0.00"))],
)
def test_hours_are_rounded_half_up_to_the_hundredth(seconds, hours):
    (row,) = hours_out([Span(1, "rental", at(1, 10), at(1, 10) + timedelta(seconds=seconds))], [1], START, END, GZ)
    assert row.hours == hours  # 90 s is 0.025 h exactly: half up gives 0.03 where half even would give 0.02


def test_an_empty_window_is_refused():
    with pytest.raises(ValueError, match="window"):
        hours_out([], [1], END, START, GZ)


def test_the_window_may_be_given_in_utc():
    (row,) = hours_out([Span(1, "rental", at(1, 10), at(1, 12))], [1], START.astimezone(UTC), END.astimezone(UTC), GZ)
    assert row.by_day == {date(2026, 12, 1): Decimal("2.00")}


def test_a_report_covers_the_last_30_days_unless_told():
    today = date(2026, 12, 2)
    assert report_days(None, None, today) == (date(2026, 11, 3), today)
    assert report_days(None, date(2026, 11, 30), today) == (date(2026, 11, 1), date(2026, 11, 30))
    assert report_days(date(2026, 11, 29), None, today) == (date(2026, 11, 29), today)


@pytest.mark.parametrize(
    ("first", "last", "allowed"),
    [
        (date(2026, 12, 1), date(2026, 12, 1), True),  # one day
        (date(2026, 12, 2), date(2026, 12, 1), False),  # backwards
        (date(2026, 12, 1), date(2026, 12, 1) + timedelta(days=92), True),  # 93 days
        (date(2026, 12, 1), date(2026, 12, 1) + timedelta(days=93), False),  # 94 days
    ],
)
def test_a_report_is_at_most_93_days_in_order(first, last, allowed):
    assert days_allowed(first, last) is allowed


def test_a_reports_window_runs_from_the_stores_midnight_to_the_one_after_its_last_day():
    assert local_window(date(2026, 12, 1), date(2026, 12, 2), GZ) == (START, END)
    assert local_window(date(2026, 12, 1), date(2026, 12, 1), GZ) == (START, at(2, 0))
