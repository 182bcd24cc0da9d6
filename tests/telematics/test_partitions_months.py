"""The months whose partitions the demo makes before it writes: across year ends, both sides included."""

from __future__ import annotations

from datetime import UTC, datetime

from forecourt.telematics.partitions import months_around


def test_months_around_crosses_year_ends_and_includes_both_ends():
    months = months_around(datetime(2026, 1, 31, 23, 0, tzinfo=UTC), back=13, ahead=1)
    assert months == {(2024, 12), *((2025, m) for m in range(1, 13)), (2026, 1), (2026, 2)}


def test_months_around_reads_the_month_in_utc():
    shanghai_new_year = datetime.fromisoformat("2027-01-01T02:00:00+08:00")  # still December in UTC
    assert months_around(shanghai_new_year, back=0, ahead=0) == {(2026, 12)}
