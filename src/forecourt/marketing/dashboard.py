"""The marketing dashboard's use cases: the funnel, attribution by every model side by side, weekly trends, and
their CSV exports. Reads only; the events of a request are loaded once and shared by the three parts.

Funnel: people (stitched across devices) who reached each stage in the period — visits (any ad impression,
click or site visit), vehicle views, test drives booked, credit applications, orders — broken down by the
person's first channel in the period, their city or the first model they looked at ("(none)" when unknown).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import polars as pl
from sqlalchemy.orm import Session

from forecourt.marketing import attribution_comparison, attribution_journeys, attribution_query, event_repository
from forecourt.marketing import dashboard_repository as repository
from forecourt.marketing.attribution.heuristics import UNATTRIBUTED
from forecourt.marketing.vocabulary import CONVERSION_TYPES, TOUCH_TYPES

FUNNEL_STAGES: tuple[str, ...] = ("visit", "vehicle_view", "test_drive_booked", "credit_application", "order")
DIMENSIONS: tuple[str, ...] = ("channel", "city", "model")
NONE = UNATTRIBUTED
TREND_LINES = 10  # the chart draws the largest keys; the table and CSV hold them all


@dataclass(frozen=True)
class FunnelRow:
    key: str
    counts: tuple[int, ...]  # people per stage, in FUNNEL_STAGES order


@dataclass(frozen=True)
class Funnel:
    dimension: str
    rows: list[FunnelRow]
    totals: tuple[int, ...]

    @property
    def keys(self) -> list[str]:
        return [r.key for r in self.rows]


def funnel_from_events(
    events: pl.DataFrame, dimension: str, *, vehicle_model: str | None = None, city: str | None = None
) -> Funnel:
    """People per stage and key from a `person_events_frame` of the period (touches and funnel events)."""
    if dimension not in DIMENSIONS:
        raise ValueError(f"dimension must be one of {', '.join(DIMENSIONS)}")
    stage = pl.when(pl.col("type").is_in(TOUCH_TYPES)).then(pl.lit("visit")).otherwise(pl.col("type"))
    touch = pl.col("type").is_in(TOUCH_TYPES) & pl.col("channel").is_not_null()
    people = (
        events.sort("at", "event_id")
        .with_columns(stage.alias("_stage"))
        .group_by("person_id")
        .agg(
            pl.col("channel").filter(touch).first().alias("channel"),
            pl.col("city").drop_nulls().first().alias("city"),
            pl.col("model_code").drop_nulls().first().alias("model"),
            *[(pl.col("_stage") == s).any().alias(s) for s in FUNNEL_STAGES],
        )
    )
    if vehicle_model:
        people = people.filter(pl.col("model") == vehicle_model)
    if city:
        people = people.filter(pl.col("city") == city)
    counted = (
        people.group_by(pl.col(dimension).fill_null(NONE).alias("key"))
        .agg(*[pl.col(s).sum().cast(pl.Int64) for s in FUNNEL_STAGES])
        .sort([FUNNEL_STAGES[0], "key"], descending=[True, False])
    )
    rows = [FunnelRow(key, tuple(int(c) for c in counts)) for key, *counts in counted.iter_rows()]
    totals = tuple(sum(r.counts[i] for r in rows) for i in range(len(FUNNEL_STAGES)))
    return Funnel(dimension, rows, totals)


def funnel(
    session: Session,
    period: attribution_query.Period,
    dimension: str,
    *,
    vehicle_model: str | None = None,
    city: str | None = None,
) -> Funnel:
    events = event_repository.person_events_frame(session, TOUCH_TYPES + FUNNEL_STAGES[1:], period.start, period.end)
    return funnel_from_events(events, dimension, vehicle_model=vehicle_model, city=city)


# --- weekly trends -----------------------------------------------------------------------------------------------------


def weekly_credit(
    journeys: attribution_journeys.Journeys, query: attribution_query.Query
) -> list[tuple[date, dict[str, float]]]:
    """Per week (starting Monday, in the query's zone) the query model's credit per key of conversions that week."""
    period = query.period
    paths = attribution_journeys.path_set(
        journeys,
        query.conversion,
        period.start,
        period.end,
        query.lookback,
        vehicle_model=query.vehicle_model,
        city=query.city,
    )
    week = pl.col("converted_at").dt.convert_time_zone(period.zone).dt.date() - pl.duration(
        days=pl.col("converted_at").dt.convert_time_zone(period.zone).dt.weekday() - 1
    )
    tagged = paths.paths.with_columns(week.alias("_week"))
    result = []
    for monday in weeks(period):
        subset = tagged.filter(pl.col("_week") == monday).drop("_week")
        if subset.height == 0:
            result.append((monday, {}))
            continue
        subset_paths = attribution_journeys.PathSet(subset, paths.non_converting)
        credited = attribution_journeys.credit(subset_paths, query.model, by=query.by, order=query.order)
        result.append((monday, {k: c for k, c, _ in credited.iter_rows()}))
    return result


def weeks(period: attribution_query.Period) -> list[date]:
    """The Mondays of the weeks that overlap the period."""
    monday = period.first_day - timedelta(days=period.first_day.weekday())
    out = []
    while monday <= period.last_day:
        out.append(monday)
        monday += timedelta(days=7)
    return out


def partial_weeks(period: attribution_query.Period) -> frozenset[date]:
    """The Mondays of weeks the period covers only in part (its first and last, unless they start on a Monday and
    end on a Sunday): their figures are real but cover fewer days, so a chart would show them as a drop."""
    return frozenset(w for w in weeks(period) if w < period.first_day or w + timedelta(days=6) > period.last_day)


def weekly_spend(rows: Sequence[tuple[date, str, str, Decimal]], by: str) -> dict[date, dict[str, Decimal]]:
    """Spend rows (day, channel, campaign, amount) summed per Monday and key."""
    out: dict[date, dict[str, Decimal]] = {}
    for day, channel, campaign, amount in rows:
        monday = day - timedelta(days=day.weekday())
        key = channel if by == "channel" else campaign
        bucket = out.setdefault(monday, {})
        bucket[key] = bucket.get(key, Decimal(0)) + amount
    return out


@dataclass(frozen=True)
class TrendRow:
    week: date
    key: str
    conversions: float
    spend: Decimal


@dataclass(frozen=True)
class Trends:
    weeks: list[date]
    keys: list[str]  # largest first (conversions, then spend)
    conversions: dict[str, list[float]]  # key -> per week
    spend: dict[str, list[Decimal]]
    partial: frozenset[date] = frozenset()  # weeks the period covers only in part: in the table, not the charts

    @property
    def rows(self) -> list[TrendRow]:
        return [
            TrendRow(w, k, self.conversions[k][i], self.spend[k][i])
            for i, w in enumerate(self.weeks)
            for k in self.keys
        ]


def trends(
    weekly_credit: Sequence[tuple[date, dict[str, float]]],
    weekly_spend: dict[date, dict[str, Decimal]],
    partial: frozenset[date] = frozenset(),
) -> Trends:
    weeks = [w for w, _ in weekly_credit]
    keys = {k for _, c in weekly_credit for k in c} | {k for w in weeks for k in weekly_spend.get(w, {})}
    conversions = {k: [credit.get(k, 0.0) for _, credit in weekly_credit] for k in keys}
    spend = {k: [weekly_spend.get(w, {}).get(k, Decimal(0)) for w in weeks] for k in keys}
    order = sorted(keys, key=lambda k: (-sum(conversions[k]), -sum(spend[k]), k))
    return Trends(weeks, order, conversions, spend, partial)


@dataclass(frozen=True)
class Dashboard:
    query: attribution_query.Query
    dimension: str
    funnel: Funnel
    comparison: attribution_comparison.Comparison
    trends: Trends


def dashboard(session: Session, query: attribution_query.Query, dimension: str) -> Dashboard:
    """Every part of the dashboard over one load of the period's events (and the lookback before it)."""
    period = query.period
    widest = timedelta(days=max([*attribution_query.LOOKBACK_DAYS.values(), query.lookback_days or 0]))
    types = TOUCH_TYPES + tuple(t for t in FUNNEL_STAGES[1:] if t not in CONVERSION_TYPES) + CONVERSION_TYPES
    events = event_repository.person_events_frame(session, types, period.start - widest, period.end)
    in_period = events.filter(pl.col("at") >= period.start)
    funnel_part = funnel_from_events(in_period, dimension, vehicle_model=query.vehicle_model, city=query.city)
    journeys = attribution_journeys.journeys_from_events(events)
    spend = repository.spend_totals(session, period.first_day, period.last_day, query.by)
    comparison = attribution_comparison.compare_journeys(journeys, query, spend)
    weekly = weekly_credit(journeys, query)
    spend_days = repository.spend_by_day(session, period.first_day, period.last_day)
    return Dashboard(
        query,
        dimension,
        funnel_part,
        comparison,
        trends(weekly, weekly_spend(spend_days, query.by), partial_weeks(period)),
    )


# --- CSV ---------------------------------------------------------------------------------------------------------------

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """A cell that a spreadsheet shows as text: strings starting like a formula get a leading apostrophe.
    Numbers we computed are written as they are."""
    if value is None:
        return ""
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return value
    text = value.isoformat() if isinstance(value, (date, datetime)) else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """UTF-8 with a BOM (so Excel shows Chinese text), CRLF line ends, every cell formula-safe."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([safe_cell(h) for h in header])
    for row in rows:
        writer.writerow([safe_cell(c) for c in row])
    return buffer.getvalue().encode("utf-8-sig")


def _share(value: float) -> float:
    return round(value, 4)


def funnel_csv(part: Funnel) -> bytes:
    return csv_bytes([part.dimension, *FUNNEL_STAGES], ([r.key, *r.counts] for r in part.rows))


def attribution_csv(part: attribution_comparison.Comparison) -> bytes:
    header = [
        part.query.by,
        *part.models,
        "spend",
        "test_drives",
        "cost_per_test_drive",
        "sales",
        "sales_value",
        "cost_per_sale",
        "roas",
    ]
    return csv_bytes(
        header,
        (
            [
                r.key,
                *(_share(r.credit[m]) for m in part.models),
                r.spend,
                _share(r.test_drives),
                r.cost_per_test_drive,
                _share(r.sales),
                r.sales_value,
                r.cost_per_sale,
                r.roas,
            ]
            for r in part.rows
        ),
    )


def trends_csv(part: Trends, by: str) -> bytes:
    return csv_bytes(
        ["week", by, "conversions", "spend"], ([r.week, r.key, _share(r.conversions), r.spend] for r in part.rows)
    )
