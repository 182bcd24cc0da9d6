"""Geometry of the dashboard's SVG charts (pure)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from forecourt.marketing import charts


@pytest.mark.parametrize(
    ("value", "top"),
    [
        (0, 1.0),
        (0.4, 0.5),
        (7, 10.0),
        (12, 20.0),
        (21, 25.0),
        (4_913.26, 5_000.0),
        (57_906.81, 100_000.0),
        (100, 100.0),
    ],
)
def test_nice_max(value: float, top: float) -> None:
    assert charts.nice_max(value) == top


def test_ranked_bars_keep_order_scale_to_one_axis_and_keep_exact_amounts() -> None:
    items = [("email", Decimal("10.27")), ("search", Decimal("252.11")), ("offline_event", Decimal("4913.26"))]
    chart = charts.ranked_bars(items, width=480, row_height=26)
    plot_width = chart.plot_right - chart.plot_left
    assert [row.label for row in chart.rows] == ["email", "search", "offline_event"]
    assert [row.amount for row in chart.rows] == [Decimal("10.27"), Decimal("252.11"), Decimal("4913.26")]
    # one axis up to 5,000: each bar's length is its share of it
    assert [t.value for t in chart.ticks] == [0, 1_000, 2_000, 3_000, 4_000, 5_000]
    assert chart.ticks[0].x == chart.plot_left and chart.ticks[-1].x == chart.plot_right
    for row in chart.rows:
        assert row.bar.x == chart.plot_left
        assert row.bar.width == pytest.approx(plot_width * float(row.amount) / 5_000, abs=0.05)
    # rows stack downwards without overlapping, and the chart is tall enough for the axis labels below them
    tops = [row.bar.y for row in chart.rows]
    assert tops == sorted(tops) and all(b - a >= 26 for a, b in zip(tops, tops[1:], strict=False))
    assert chart.plot_bottom == 4 + 3 * 26 and chart.height > chart.plot_bottom


def test_ranked_bars_without_items() -> None:
    chart = charts.ranked_bars([])
    assert chart.rows == [] and chart.ticks[-1].value == 1.0
