"""Geometry of the dashboard's server-rendered SVG charts (pure: standard library only).

Templates draw what these functions compute: grouped bars (attribution by model), stacked horizontal bars (the
funnel) and lines (weekly trends). Values are plain numbers; labels are passed through untouched (the template
escapes them). Every chart has a fixed viewBox, so it scales with the page.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

PALETTE: tuple[str, ...] = (
    "#0b4ea2",
    "#d1495b",
    "#2a9d8f",
    "#e9a03b",
    "#6a4c93",
    "#3d8bd9",
    "#8a5a44",
    "#5c946e",
    "#c86bfa",
    "#4a4a4a",
    "#9aa5b1",
    "#1b998b",
)


def colour(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


def nice_max(value: float) -> float:
    """The smallest 1, 2, 2.5 or 5 × 10^k at or above `value` (1 for nothing), for a readable axis."""
    if value <= 0 or not math.isfinite(value):
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power + 1e-9 * power:
            return step * power
    return 10 * power


@dataclass(frozen=True)
class Tick:
    value: float
    y: float


def _ticks(top: float, plot_top: float, plot_height: float) -> list[Tick]:
    """Gridlines at round values: a top of 2 × 10^k gets 4 steps, 1, 2.5 and 5 × 10^k get 5."""
    mantissa = top / 10 ** math.floor(math.log10(top))
    count = 4 if math.isclose(mantissa, 2.0) else 5
    return [Tick(top * i / count, plot_top + plot_height * (1 - i / count)) for i in range(count + 1)]


def tick_label(value: float) -> str:
    """1,250 / 12.5 / 0.25: thousands grouped, no trailing zeros."""
    text = f"{value:,.2f}".rstrip("0").rstrip(".")
    return text or "0"


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    fill: str
    series: str  # the bar's series (a model; a funnel's key)
    group: str  # its group (a channel; a funnel's stage)
    value: float


@dataclass(frozen=True)
class Group:
    label: str
    x: float  # centre of the group, for its label


@dataclass(frozen=True)
class Legend:
    label: str
    fill: str


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    plot_left: float
    plot_bottom: float
    bars: list[Bar]
    groups: list[Group]
    ticks: list[Tick]
    legend: list[Legend]


def grouped_bars(
    groups: Sequence[str], series: Sequence[tuple[str, Sequence[float]]], *, width: int = 960, height: int = 320
) -> BarChart:
    """Vertical bars: one group per label, one bar per series inside each group (series i, group j = values[j])."""
    left, right, top, bottom = 56.0, 8.0, 12.0, 48.0
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = nice_max(max((v for _, values in series for v in values), default=0.0))
    slot = plot_w / max(len(groups), 1)
    bar_w = max(1.0, (slot * 0.8) / max(len(series), 1))
    bars = []
    for s, (name, values) in enumerate(series):
        for g, value in enumerate(values):
            h = plot_h * max(value, 0.0) / peak
            x = left + g * slot + slot * 0.1 + s * bar_w
            bars.append(
                Bar(
                    round(x, 1),
                    round(top + plot_h - h, 1),
                    round(bar_w, 1),
                    round(h, 1),
                    colour(s),
                    name,
                    groups[g],
                    value,
                )
            )
    return BarChart(
        width,
        height,
        left,
        top + plot_h,
        bars,
        [Group(label, round(left + (g + 0.5) * slot, 1)) for g, label in enumerate(groups)],
        _ticks(peak, top, plot_h),
        [Legend(name, colour(s)) for s, (name, _) in enumerate(series)],
    )


@dataclass(frozen=True)
class StackRow:
    label: str
    y: float
    total: float
    segments: list[Bar]


@dataclass(frozen=True)
class StackChart:
    width: int
    height: int
    plot_left: float
    rows: list[StackRow]
    legend: list[Legend]


def stacked_rows(
    rows: Sequence[str],
    keys: Sequence[str],
    values: Sequence[Sequence[float]],
    *,
    width: int = 960,
    row_height: int = 34,
) -> StackChart:
    """Horizontal bars, one per row (a funnel stage), split into one segment per key; values[row][key]."""
    left, right = 170.0, 80.0
    plot_w = width - left - right
    peak = max((sum(v) for v in values), default=0.0) or 1.0
    out = []
    for r, label in enumerate(rows):
        x = left
        segments = []
        for k, key in enumerate(keys):
            w = plot_w * max(values[r][k], 0.0) / peak
            if w > 0:
                segments.append(
                    Bar(
                        round(x, 1),
                        r * row_height + 6,
                        round(w, 1),
                        row_height - 12,
                        colour(k),
                        key,
                        label,
                        values[r][k],
                    )
                )
            x += w
        out.append(StackRow(label, r * row_height + row_height / 2 + 5, sum(values[r]), segments))
    return StackChart(width, len(rows) * row_height + 4, left, out, [Legend(k, colour(i)) for i, k in enumerate(keys)])


@dataclass(frozen=True)
class Line:
    label: str
    stroke: str
    points: str  # the polyline's "x,y x,y ..."
    dots: list[tuple[float, float, str, float]]  # x, y, x label, value


@dataclass(frozen=True)
class LineChart:
    width: int
    height: int
    plot_left: float
    plot_right: float
    plot_bottom: float
    lines: list[Line]
    x_labels: list[Group]
    ticks: list[Tick]


def lines(
    x_labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float]]],
    *,
    width: int = 960,
    height: int = 300,
    every: int = 1,
) -> LineChart:
    """One polyline per series over evenly spaced x positions; every `every`-th x label is kept. The right margin
    holds half of the last label, which is centred on the last point."""
    left, right, top, bottom = 64.0, 28.0, 12.0, 36.0
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = nice_max(max((v for _, values in series for v in values), default=0.0))
    step = plot_w / max(len(x_labels) - 1, 1)
    out = []
    for s, (name, values) in enumerate(series):
        pts = [
            (round(left + i * step, 1), round(top + plot_h * (1 - max(v, 0.0) / peak), 1)) for i, v in enumerate(values)
        ]
        out.append(
            Line(
                name,
                colour(s),
                " ".join(f"{x},{y}" for x, y in pts),
                [(x, y, x_labels[i], values[i]) for i, (x, y) in enumerate(pts)],
            )
        )
    labels = [Group(label, round(left + i * step, 1)) for i, label in enumerate(x_labels) if i % max(every, 1) == 0]
    return LineChart(width, height, left, width - right, top + plot_h, out, labels, _ticks(peak, top, plot_h))


@dataclass(frozen=True)
class RowBar:
    label: str
    y: float  # baseline of the row's label text
    bar: Bar
    amount: Decimal | float  # the value as given (an exact amount stays exact for its label)


@dataclass(frozen=True)
class XTick:
    value: float
    x: float


@dataclass(frozen=True)
class RowBarChart:
    width: int
    height: int
    plot_left: float
    plot_right: float
    plot_bottom: float
    rows: list[RowBar]
    ticks: list[XTick]  # value ticks along the horizontal axis


def ranked_bars(
    items: Sequence[tuple[str, Decimal | float]], *, width: int = 480, row_height: int = 26, fill: str = PALETTE[0]
) -> RowBarChart:
    """Horizontal bars on one value axis, one row per (label, amount) in the order given: a ranking such as the
    cost per test drive of each channel, where a bar's length is all that is compared."""
    left, right, top, bottom = 150.0, 84.0, 4.0, 22.0
    plot_w = width - left - right
    peak = nice_max(max((float(v) for _, v in items), default=0.0))
    rows = []
    for i, (label, amount) in enumerate(items):
        y = top + i * row_height
        length = round(plot_w * max(float(amount), 0.0) / peak, 1)
        rows.append(
            RowBar(
                label,
                y + row_height / 2 + 4,
                Bar(left, y + 4, length, row_height - 8, fill, label, label, float(amount)),
                amount,
            )
        )
    plot_bottom = top + len(items) * row_height
    ticks = [XTick(t.value, round(left + plot_w * t.value / peak, 1)) for t in _ticks(peak, 0.0, 1.0)]
    return RowBarChart(width, int(plot_bottom + bottom), left, left + plot_w, plot_bottom, rows, ticks)
