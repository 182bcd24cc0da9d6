"""Attribution use cases: credit per channel or campaign for one conversion type and period, joined with spend.

Touches are the stored impression, click and visit events that carry a channel; conversions are the stored
events of the chosen type in the period. A conversion's path holds the person's touches within the lookback
window before it (30 days by default, configurable per conversion type), people being stitched across devices
by `person_events_frame`. Models come from `attribution.aggregate.run_model`.

Money: spend comes from the database as exact Decimals. Credit shares stay floats (they are shares); money
derived from them (credited value, cost per conversion) is rounded half up to the cent where it leaves this
module, and ROAS to two decimals.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import polars as pl
from sqlalchemy.orm import Session

from forecourt.core.errors import FieldError, InvalidInput
from forecourt.marketing import dashboard_repository as repository
from forecourt.marketing import event_repository
from forecourt.marketing.attribution import aggregate, heuristics
from forecourt.marketing.attribution.paths import (
    build_non_converting_paths,
    build_paths,
)
from forecourt.marketing.vocabulary import CONVERSION_TYPES, TOUCH_TYPES

MODELS: tuple[str, ...] = aggregate.MODELS
BY: tuple[str, ...] = ("channel", "campaign")
MAX_SPAN_DAYS = 366
MAX_ORDER = 3
MAX_LOOKBACK_DAYS = 180
# How far back a touch may precede each kind of conversion to count towards it.
LOOKBACK_DAYS: Mapping[str, int] = {
    "test_drive_booked": 30,
    "test_drive_taken": 30,
    "credit_application": 30,
    "order": 30,
}
CENT = Decimal("0.01")
LOAD_CHUNK = timedelta(days=7)
EARLIEST_DAY = date(2000, 1, 1)
LATEST_DAY = date(2099, 12, 31)

Progress = Callable[[str, int, int], None]  # (step, done, total)


def _no_progress(step: str, done: int, total: int) -> None:
    del step, done, total


@dataclass(frozen=True)
class Period:
    """Whole days [first_day, last_day] in a time zone (the business's, or UTC)."""

    first_day: date
    last_day: date
    zone: str = "UTC"

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first_day, time.min, ZoneInfo(self.zone)).astimezone(UTC)

    @property
    def end(self) -> datetime:
        return datetime.combine(self.last_day + timedelta(days=1), time.min, ZoneInfo(self.zone)).astimezone(UTC)

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1


@dataclass(frozen=True)
class Query:
    period: Period
    conversion: str = "test_drive_booked"
    model: str = "last_non_direct"
    order: int = 1
    by: str = "channel"
    lookback_days: int | None = None  # None: LOOKBACK_DAYS of the conversion type
    vehicle_model: str | None = None  # only conversions of this model code
    city: str | None = None  # only conversions in this city

    @property
    def lookback(self) -> timedelta:
        return timedelta(days=self.lookback_days or LOOKBACK_DAYS.get(self.conversion, 30))


def check_query(
    *,
    first_day: date | None,
    last_day: date | None,
    conversion: str,
    model: str,
    order: int | None,
    by: str,
    lookback_days: int | None = None,
    zone: str = "UTC",
    vehicle_model: str | None = None,
    city: str | None = None,
    today: date | None = None,
) -> Query:
    """The checked query, or InvalidInput naming every bad field. The period defaults to the 30 days up to today."""
    errors: list[FieldError] = []
    if conversion not in CONVERSION_TYPES:
        errors.append(FieldError("conversion", f"must be one of {', '.join(CONVERSION_TYPES)}", conversion))
    if model not in MODELS:
        errors.append(FieldError("model", f"must be one of {', '.join(MODELS)}", model))
    if by not in BY:
        errors.append(FieldError("by", "must be channel or campaign", by))
    if order is not None and model != "markov":
        errors.append(FieldError("order", "applies to the markov model only", order))
    if order is not None and not 1 <= order <= MAX_ORDER:
        errors.append(FieldError("order", f"must be between 1 and {MAX_ORDER}", order))
    if lookback_days is not None and not 1 <= lookback_days <= MAX_LOOKBACK_DAYS:
        errors.append(FieldError("lookback_days", f"must be between 1 and {MAX_LOOKBACK_DAYS}", lookback_days))
    today = today or datetime.now(ZoneInfo(zone)).date()
    for name, day in (("from", first_day), ("to", last_day)):
        if day is not None and not EARLIEST_DAY <= day <= LATEST_DAY:
            errors.append(FieldError(name, f"must be between {EARLIEST_DAY} and {LATEST_DAY}", day.isoformat()))
    if errors:
        raise InvalidInput(
            "The attribution query has invalid parameters", code="invalid_attribution_query", errors=errors
        )
    last = last_day or (today if first_day is None else min(today, first_day + timedelta(days=29)))
    first = first_day or last - timedelta(days=29)
    if first > last:
        errors.append(FieldError("from", "must be on or before to", first.isoformat()))
    elif (last - first).days + 1 > MAX_SPAN_DAYS:
        errors.append(FieldError("to", f"the period may span at most {MAX_SPAN_DAYS} days", last.isoformat()))
    if errors:
        raise InvalidInput(
            "The attribution query has invalid parameters", code="invalid_attribution_query", errors=errors
        )
    return Query(
        Period(first, last, zone), conversion, model, order or 1, by, lookback_days, vehicle_model or None, city or None
    )


# --- loading ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Journeys:
    """Touches (``visitor_id, at, channel, campaign``) and conversions (``conversion_id, visitor_id, at, type,
    value, model_code, city``) of people, the visitor id being the stitched person id."""

    touchpoints: pl.DataFrame
    conversions: pl.DataFrame


def load_journeys(
    session: Session, start: datetime, end: datetime, lookback: timedelta, progress: Progress = _no_progress
) -> Journeys:
    """Touches in [start − lookback, end) and conversions of every type in [start − lookback, end), loaded a week at
    a time (so a progress bar moves on long periods)."""
    first = start - lookback
    bounds = []
    at = first
    while at < end:
        bounds.append((at, min(at + LOAD_CHUNK, end)))
        at += LOAD_CHUNK
    frames = []
    for done, (a, b) in enumerate(bounds, start=1):
        frames.append(event_repository.person_events_frame(session, TOUCH_TYPES + CONVERSION_TYPES, a, b))
        progress("load", done, len(bounds))
    events = pl.concat(frames) if frames else event_repository.person_events_frame(session, (), start, end)
    return journeys_from_events(events)


def journeys_from_events(events: pl.DataFrame) -> Journeys:
    """Split a `person_events_frame` into touchpoints (touches with a channel) and conversions."""
    touches = events.filter(pl.col("type").is_in(TOUCH_TYPES) & pl.col("channel").is_not_null()).select(
        pl.col("person_id").alias("visitor_id"), "at", "channel", pl.col("campaign_code").alias("campaign")
    )
    conversions = events.filter(pl.col("type").is_in(CONVERSION_TYPES)).select(
        pl.col("event_id").alias("conversion_id"),
        pl.col("person_id").alias("visitor_id"),
        "at",
        "type",
        pl.col("value").cast(pl.Float64),
        "model_code",
        "city",
    )
    return Journeys(touches, conversions)


# --- attribution -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class PathSet:
    paths: pl.DataFrame  # converting paths of the conversion type in the period
    non_converting: pl.DataFrame


def path_set(
    journeys: Journeys,
    conversion: str,
    start: datetime,
    end: datetime,
    lookback: timedelta,
    *,
    vehicle_model: str | None = None,
    city: str | None = None,
) -> PathSet:
    of_type = journeys.conversions.filter(pl.col("type") == conversion)
    in_period = of_type.filter((pl.col("at") >= start) & (pl.col("at") < end))
    if vehicle_model:
        in_period = in_period.filter(pl.col("model_code") == vehicle_model)
    if city:
        in_period = in_period.filter(pl.col("city") == city)
    touches = journeys.touchpoints.filter(pl.col("at") < end)
    paths = build_paths(touches, in_period, lookback=lookback)
    # Null journeys: touched within the last window, no conversion of this type after the touches.
    non_converting = build_non_converting_paths(
        touches, of_type, end=end - timedelta(microseconds=1), lookback=lookback
    )
    return PathSet(paths, non_converting)


def credit(paths: PathSet, model: str, *, by: str = "channel", order: int = 1) -> pl.DataFrame:
    """``key, conversions, value`` (floats) of one model."""
    return aggregate.run_model(paths.paths, paths.non_converting, model, by=by, order=order)  # type: ignore[arg-type]


def _money(amount: float | Decimal) -> Decimal:
    return (amount if isinstance(amount, Decimal) else Decimal(repr(float(amount)))).quantize(CENT, ROUND_HALF_UP)


def _per(spend: Decimal, credited: float) -> Decimal | None:
    if credited <= 0:
        return None
    return (spend / Decimal(repr(credited))).quantize(CENT, ROUND_HALF_UP)


def _roas(value: Decimal, spend: Decimal) -> Decimal | None:
    return None if spend == 0 else (value / spend).quantize(CENT, ROUND_HALF_UP)


@dataclass(frozen=True)
class CreditRow:
    key: str
    conversions: float  # credited conversions (a share may be fractional)
    value: Decimal  # credited conversion value, rounded to the cent
    spend: Decimal
    cost_per_conversion: Decimal | None  # spend / credited conversions
    roas: Decimal | None  # credited value / spend


@dataclass(frozen=True)
class Report:
    query: Query
    rows: list[CreditRow]
    conversions: int
    value: Decimal
    spend: Decimal
    currency: str = "CNY"

    @property
    def cost_per_conversion(self) -> Decimal | None:
        return _per(self.spend, float(self.conversions))

    @property
    def roas(self) -> Decimal | None:
        return _roas(self.value, self.spend) if self.value else None  # no value (test drives): no ROAS


def cost_rows(credited: pl.DataFrame, spend: Mapping[str, Decimal]) -> list[CreditRow]:
    """Credit joined with exact spend per key (via `heuristics.cost_metrics`, which decides the key set and order);
    the money columns are recomputed from the Decimal spend and rounded half up."""
    spend_frame = pl.DataFrame(
        {"key": list(spend), "amount": [float(a) for a in spend.values()]},
        schema={"key": pl.String, "amount": pl.Float64},
    )
    joined = heuristics.cost_metrics(credited, spend_frame)
    rows = []
    for key, conversions, value, *_ in joined.iter_rows():
        exact = spend.get(key, Decimal(0))
        money_value = _money(value)
        rows.append(
            CreditRow(key, conversions, money_value, exact, _per(exact, conversions), _roas(money_value, exact))
        )
    return rows


def report_from_paths(
    query: Query, paths: PathSet, spend: Mapping[str, Decimal], progress: Progress = _no_progress
) -> Report:
    progress("solve", 0, 1)
    credited = credit(paths, query.model, by=query.by, order=query.order)
    progress("solve", 1, 1)
    rows = cost_rows(credited, spend)
    value = _money(float(paths.paths["value"].cast(pl.Float64).fill_null(0.0).sum()))
    if not value:  # conversions that carry no value (test drives, applications) have no return on spend
        rows = [replace(row, roas=None) for row in rows]
    return Report(query, rows, paths.paths.height, value, sum(spend.values(), Decimal(0)))


def attribution_report(session: Session, query: Query, progress: Progress = _no_progress) -> Report:
    """Credit, spend, cost per conversion and ROAS per channel or campaign for one model."""
    period = query.period
    journeys = load_journeys(session, period.start, period.end, query.lookback, progress)
    progress("paths", 0, 1)
    paths = path_set(
        journeys,
        query.conversion,
        period.start,
        period.end,
        query.lookback,
        vehicle_model=query.vehicle_model,
        city=query.city,
    )
    progress("paths", 1, 1)
    spend = repository.spend_totals(session, period.first_day, period.last_day, query.by)
    return report_from_paths(query, paths, spend, progress)


# --- all models side by side -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ComparisonRow:
    key: str
    credit: dict[str, float]  # model -> credited conversions of the query's conversion type
    spend: Decimal
    test_drives: float  # test drives booked credited by the query's model
    cost_per_test_drive: Decimal | None  # spend / test_drives
    sales: float  # orders credited by the query's model
    sales_value: Decimal  # their credited value, rounded to the cent
    cost_per_sale: Decimal | None  # spend / sales
    roas: Decimal | None  # sales_value / spend


@dataclass(frozen=True)
class Comparison:
    query: Query
    models: tuple[str, ...]
    rows: list[ComparisonRow]
    conversions: int
    totals: dict[str, float] = field(default_factory=dict)
    spend: Decimal = Decimal(0)

    @property
    def test_drives(self) -> float:
        return sum(row.test_drives for row in self.rows)

    @property
    def sales(self) -> float:
        return sum(row.sales for row in self.rows)

    @property
    def sales_value(self) -> Decimal:
        return sum((row.sales_value for row in self.rows), Decimal(0))

    @property
    def cost_per_test_drive(self) -> Decimal | None:
        return _per(self.spend, self.test_drives)

    @property
    def cost_per_sale(self) -> Decimal | None:
        return _per(self.spend, self.sales)

    @property
    def roas(self) -> Decimal | None:
        return _roas(self.sales_value, self.spend)


def compare_journeys(journeys: Journeys, query: Query, spend: Mapping[str, Decimal]) -> Comparison:
    """One row per key: every model's credit for the query's conversion type, then spend and the cost per test
    drive, cost per sale and ROAS under the query's model."""
    period = query.period

    def paths_of(conversion: str) -> PathSet:
        lookback = timedelta(days=query.lookback_days or LOOKBACK_DAYS.get(conversion, 30))
        return path_set(
            journeys, conversion, period.start, period.end, lookback, vehicle_model=query.vehicle_model, city=query.city
        )

    main = paths_of(query.conversion)
    credited = {m: credit(main, m, by=query.by, order=query.order) for m in MODELS}
    table = aggregate.side_by_side(credited)

    def credit_of(conversion: str) -> pl.DataFrame:  # the query's own conversion type is credited already
        if conversion == query.conversion:
            return credited[query.model]
        return credit(paths_of(conversion), query.model, by=query.by, order=query.order)

    drive_credit = {k: c for k, c, _ in credit_of("test_drive_booked").iter_rows()}
    sale_credit = {k: (c, v) for k, c, v in credit_of("order").iter_rows()}
    keys = list(table["key"])
    keys += [k for k in spend if k not in keys]
    keys += [k for k in list(drive_credit) + list(sale_credit) if k not in keys]
    by_key = {row[0]: row[1:] for row in table.iter_rows()}
    rows = []
    for key in keys:
        spent = spend.get(key, Decimal(0))
        credits = dict(zip(MODELS, by_key.get(key, (0.0,) * len(MODELS)), strict=True))
        drives_credited = drive_credit.get(key, 0.0)
        sold, sold_value = sale_credit.get(key, (0.0, 0.0))
        value = _money(sold_value)
        rows.append(
            ComparisonRow(
                key,
                credits,
                spent,
                drives_credited,
                _per(spent, drives_credited),
                sold,
                value,
                _per(spent, sold),
                _roas(value, spent),
            )
        )
    # The chosen model's ranking; credit equal but for float noise (two channels with the same removal effect) is a
    # tie, broken by spend and key, so the order does not hang on the last bit of a solve.
    rows.sort(key=lambda r: (-round(r.credit[query.model], 9), -r.spend, r.key))
    totals = {m: float(table[m].sum()) if table.height else 0.0 for m in MODELS}
    return Comparison(query, MODELS, rows, main.paths.height, totals, sum(spend.values(), Decimal(0)))


def compare_models(session: Session, query: Query) -> Comparison:
    period = query.period
    widest = max([*LOOKBACK_DAYS.values(), query.lookback_days or 0])
    journeys = load_journeys(session, period.start, period.end, timedelta(days=widest))
    spend = repository.spend_totals(session, period.first_day, period.last_day, query.by)
    return compare_journeys(journeys, query, spend)
