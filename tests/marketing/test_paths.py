"""Conversion paths: lookback windows per type, ordering and ties, empty paths, scale."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta, timezone

import numpy as np
import polars as pl
import pytest

from forecourt.marketing.attribution.heuristics import attribute
from forecourt.marketing.attribution.paths import (
    NON_CONVERTING_COLUMNS,
    PATH_COLUMNS,
    build_non_converting_paths,
    build_paths,
)

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def touches(*rows: tuple[str, timedelta, str, str | None]) -> pl.DataFrame:
    """Rows of (visitor, time before T0, channel, campaign)."""
    return pl.DataFrame(
        {
            "visitor_id": [r[0] for r in rows],
            "at": [T0 - r[1] for r in rows],
            "channel": [r[2] for r in rows],
            "campaign": [r[3] for r in rows],
        },
        schema={"visitor_id": pl.String, "at": pl.Datetime("us", "UTC"), "channel": pl.String, "campaign": pl.String},
    )


def conversions(*rows: tuple[str, str, str, float, timedelta]) -> pl.DataFrame:
    """Rows of (conversion id, visitor, type, value, time before T0)."""
    return pl.DataFrame(
        {
            "conversion_id": [r[0] for r in rows],
            "visitor_id": [r[1] for r in rows],
            "type": [r[2] for r in rows],
            "value": [r[3] for r in rows],
            "at": [T0 - r[4] for r in rows],
        },
        schema={
            "conversion_id": pl.String,
            "visitor_id": pl.String,
            "type": pl.String,
            "value": pl.Float64,
            "at": pl.Datetime("us", "UTC"),
        },
    )


def test_one_row_per_conversion_in_input_order_with_aligned_lists() -> None:
    tp = touches(
        ("v1", 5 * DAY, "search", "spring"),
        ("v1", 2 * DAY, "email", None),
        ("v1", 10 * DAY, "social", "launch"),
        ("v2", DAY, "display", "spring"),
    )
    cv = conversions(("c2", "v2", "order", 900.0, timedelta(0)), ("c1", "v1", "test_drive_booked", 0.0, timedelta(0)))
    paths = build_paths(tp, cv)
    assert paths.columns == list(PATH_COLUMNS)
    assert paths["conversion_id"].to_list() == ["c2", "c1"]
    first = paths.row(1, named=True)
    assert first["channels"] == ["social", "search", "email"]
    assert first["campaigns"] == ["launch", "spring", None]
    assert first["seconds_before"] == [10 * 86_400, 5 * 86_400, 2 * 86_400]
    assert first["converted_at"] == T0
    assert paths.row(0, named=True)["channels"] == ["display"]


@pytest.mark.parametrize(
    ("age", "lookback", "included"),
    [
        (timedelta(days=31), {}, False),  # default 30 days
        (timedelta(days=31), {"order": timedelta(days=45)}, True),
        (timedelta(days=31), {"test_drive_booked": timedelta(days=45)}, False),  # other type keeps 30
        (timedelta(days=30), {}, False),  # the window is open at its start ...
        (timedelta(days=30) - timedelta(microseconds=1), {}, True),
        (timedelta(0), {}, True),  # ... and closed at the conversion
        (-timedelta(seconds=1), {}, False),  # touches after the conversion never count
    ],
)
def test_lookback_window_per_type(age: timedelta, lookback: dict[str, timedelta], included: bool) -> None:
    paths = build_paths(
        touches(("v", age, "search", None)),
        conversions(("c", "v", "order", 1.0, timedelta(0))),
        lookback=lookback,
    )
    assert paths["channels"].to_list() == ([["search"]] if included else [[]])


def test_each_conversion_type_uses_its_own_window_in_one_call() -> None:
    tp = touches(("v", 31 * DAY, "email", "c31"), ("v", 10 * DAY, "search", "c10"))
    cv = conversions(
        ("drive", "v", "test_drive_booked", 0.0, timedelta(0)),
        ("order", "v", "order", 30_000.0, timedelta(0)),
    )
    paths = build_paths(tp, cv, lookback={"test_drive_booked": timedelta(days=30), "order": timedelta(days=45)})
    assert paths["channels"].to_list() == [["search"], ["email", "search"]]


def test_single_timedelta_applies_to_all_types() -> None:
    tp = touches(("v", 8 * DAY, "email", None), ("v", 6 * DAY, "search", None))
    cv = conversions(("a", "v", "order", 1.0, timedelta(0)), ("b", "v", "application", 1.0, timedelta(0)))
    paths = build_paths(tp, cv, lookback=timedelta(days=7))
    assert paths["channels"].to_list() == [["search"], ["search"]]


def test_ties_keep_input_order() -> None:
    tp = touches(
        ("v", DAY, "zeta", None),
        ("v", 2 * DAY, "first", None),
        ("v", DAY, "alpha", None),
        ("v", DAY, "mid", None),
    )
    paths = build_paths(tp, conversions(("c", "v", "order", 1.0, timedelta(0))))
    assert paths["channels"].to_list() == [["first", "zeta", "alpha", "mid"]]


def test_conversion_without_touches_keeps_empty_lists() -> None:
    tp = touches(("other", DAY, "search", None), ("v", 40 * DAY, "email", None))
    paths = build_paths(tp, conversions(("c", "v", "order", 5.0, timedelta(0))))
    row = paths.row(0, named=True)
    assert (row["channels"], row["campaigns"], row["seconds_before"]) == ([], [], [])
    assert paths.schema["channels"] == pl.List(pl.String)
    assert paths.schema["seconds_before"] == pl.List(pl.Int64)


def test_empty_touchpoints_frame() -> None:
    paths = build_paths(touches(), conversions(("c", "v", "order", 5.0, timedelta(0))))
    assert paths["channels"].to_list() == [[]]


def test_a_touch_before_two_conversions_counts_for_both() -> None:
    tp = touches(("v", 5 * DAY, "search", None), ("v", DAY, "email", None))
    cv = conversions(
        ("drive", "v", "test_drive_booked", 0.0, 3 * DAY),
        ("order", "v", "order", 1.0, timedelta(0)),
    )
    assert build_paths(tp, cv)["channels"].to_list() == [["search"], ["search", "email"]]


def test_seconds_before_are_whole_seconds_and_time_zones_are_normalised() -> None:
    cet = timezone(timedelta(hours=1))
    tp = pl.DataFrame(
        {
            "visitor_id": ["v"],
            "at": [T0 - timedelta(seconds=90, milliseconds=700)],
            "channel": ["x"],
            "campaign": [None],
        }
    ).with_columns(pl.col("at").dt.convert_time_zone("Europe/Berlin"))
    cv = pl.DataFrame(
        {"conversion_id": ["c"], "visitor_id": ["v"], "type": ["order"], "value": [1.0], "at": [T0.astimezone(cet)]}
    )
    assert build_paths(tp, cv)["seconds_before"].to_list() == [[90]]


def test_naive_datetimes_are_refused() -> None:
    tp = touches(("v", DAY, "x", None)).with_columns(pl.col("at").dt.replace_time_zone(None))
    with pytest.raises(ValueError, match="timezone-aware"):
        build_paths(tp, conversions(("c", "v", "order", 1.0, timedelta(0))))


def test_non_positive_lookback_is_refused() -> None:
    with pytest.raises(ValueError, match="positive"):
        build_paths(touches(), conversions(), lookback={"order": timedelta(0)})


def test_non_converting_paths_keep_touches_after_the_last_conversion() -> None:
    end = T0
    tp = touches(
        ("never", 40 * DAY, "tv", None),  # before the window
        ("never", 20 * DAY, "search", "s"),
        ("never", 3 * DAY, "email", None),
        ("never", -DAY, "social", None),  # after end
        ("converted", 10 * DAY, "search", None),
        ("converted", 2 * DAY, "display", None),
        ("again", 10 * DAY, "search", None),
        ("again", 2 * DAY, "display", "d"),
    )
    cv = conversions(
        ("c1", "converted", "order", 1.0, DAY),  # after both touches: nothing left
        ("c2", "again", "order", 1.0, 5 * DAY),  # between the touches: the later one remains
        ("c3", "never", "order", 1.0, -2 * DAY),  # after end: ignored
    )
    paths = build_non_converting_paths(tp, cv, end=end)
    assert paths.columns == list(NON_CONVERTING_COLUMNS)
    assert paths.rows() == [
        ("again", ["display"], ["d"], [2 * 86_400]),
        ("never", ["search", "email"], ["s", None], [20 * 86_400, 3 * 86_400]),
    ]


def test_non_converting_paths_use_the_widest_window_of_a_mapping() -> None:
    tp = touches(("v", 40 * DAY, "tv", None))
    paths = build_non_converting_paths(tp, conversions(), end=T0, lookback={"order": timedelta(days=45)})
    assert paths["channels"].to_list() == [["tv"]]
    assert build_non_converting_paths(tp, conversions(), end=T0).height == 0


def test_non_converting_paths_need_an_aware_end() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        build_non_converting_paths(touches(), conversions(), end=datetime(2026, 1, 1))


def generated(n_touches: int, n_visitors: int, n_conversions: int, seed: int = 7) -> tuple[pl.DataFrame, pl.DataFrame]:
    rng = np.random.default_rng(seed)
    start = np.datetime64("2026-01-01T00:00:00", "us")
    span_us = 180 * 86_400 * 1_000_000
    channels = np.array(["search", "social", "email", "display", "direct", "affiliate", "video"])
    campaigns = np.array([f"cmp-{i}" for i in range(50)], dtype=object)
    campaign = campaigns[rng.integers(0, 50, n_touches)]
    campaign[rng.random(n_touches) < 0.3] = None
    tp = pl.DataFrame(
        {
            "visitor_id": np.char.add("v", rng.integers(0, n_visitors, n_touches).astype(str)),
            "at": start + rng.integers(0, span_us, n_touches).astype("timedelta64[us]"),
            "channel": channels[rng.integers(0, len(channels), n_touches)],
            "campaign": campaign,
        }
    ).with_columns(pl.col("at").dt.replace_time_zone("UTC"))
    types = np.array(["test_drive_booked", "test_drive_taken", "application", "order"])
    cv = pl.DataFrame(
        {
            "conversion_id": [f"c{i}" for i in range(n_conversions)],
            "visitor_id": np.char.add("v", rng.integers(0, n_visitors, n_conversions).astype(str)),
            "at": start + rng.integers(0, span_us, n_conversions).astype("timedelta64[us]"),
            "type": types[rng.integers(0, len(types), n_conversions)],
            "value": rng.uniform(0, 50_000, n_conversions),
        }
    ).with_columns(pl.col("at").dt.replace_time_zone("UTC"))
    return tp, cv


@pytest.mark.slow
def test_one_million_touchpoints_timing(capsys: pytest.CaptureFixture[str]) -> None:
    tp, cv = generated(n_touches=1_000_000, n_visitors=50_000, n_conversions=50_000)
    lookback = {"order": timedelta(days=45)}
    timings = []
    started = time.perf_counter()
    paths = build_paths(tp, cv, lookback=lookback)
    timings.append(("build_paths", time.perf_counter() - started))
    started = time.perf_counter()
    non_converting = build_non_converting_paths(tp, cv, end=datetime(2026, 7, 1, tzinfo=UTC), lookback=lookback)
    timings.append(("build_non_converting_paths", time.perf_counter() - started))
    for model in ("linear", "time_decay", "position_based", "last_non_direct"):
        started = time.perf_counter()
        credit = attribute(paths, model)
        timings.append((f"attribute {model}", time.perf_counter() - started))
        assert credit["conversions"].sum() == pytest.approx(cv.height)
    assert paths.height == cv.height
    assert non_converting.height > 0
    with capsys.disabled():
        print(
            f"\n1,000,000 touchpoints, {cv.height:,} conversions, {paths['channels'].list.len().sum():,} path touches"
        )
        for name, seconds in timings:
            print(f"  {name:<28} {seconds:7.3f} s")
