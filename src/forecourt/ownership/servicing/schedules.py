"""Service schedules as data, and the next service predicted from the odometer (pure).

A plan is two intervals, each "km or months, whichever comes first": the first service, counted from delivery,
and the recurring one, counted from the last service done (so a service done early or late moves the next one).
Plans are kept per model code and powertrain; a car takes the most specific row: (model, powertrain), (model,
any), (any, powertrain), then (any, any). The defaults follow China dealer practice (FIELD-NOTES "Service"):
first service at 5,000 km or 3 months, then every 10,000 km or 6 months. Battery-electric cars have their own
default (no oil, coolant or spark plugs: a yearly inspection): first at 10,000 km or 12 months, then every
20,000 km or 12 months, the interval of the larger Chinese EV makers; a maker's table, imported as a file
(schedule_files), replaces either.

The next service is due on the earlier of two days: the calendar day (`months` after the counting point, by
calendar_months) and the day the odometer is predicted to reach the km (its reading + interval km). The km day is
the first day on which the latest reading plus the daily rate (ownership.odometer's window: last 90 days or since
delivery) × the days since reaches the due km, so it is rounded up to a whole day. It is not predicted, with the
reason, while there are fewer than 14 days of readings, while the car is not driven (rate 0), or when it lies
more than ten years ahead; the calendar day still stands. When the odometer has already passed the due km, the service is due by distance as of that reading.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from forecourt.finance.calc.policy import POWERTRAINS
from forecourt.ownership.calendar_months import add_months
from forecourt.ownership.odometer import CheckedReadings, OdometerReading, rate_window

MAX_INTERVAL_KM = 100_000
MAX_INTERVAL_MONTHS = 60
MAX_PREDICTION_DAYS = 3_650  # ten years; a slower pace predicts nothing useful (and could pass date.max)

PlanKey = tuple[str | None, str | None]  # (model code, powertrain); None = any


@dataclass(frozen=True)
class ServiceInterval:
    km: int
    months: int

    def __post_init__(self) -> None:
        for name, value, high in (("km", self.km, MAX_INTERVAL_KM), ("months", self.months, MAX_INTERVAL_MONTHS)):
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= high:
                raise ValueError(f"interval {name} must be a whole number from 1 to {high:,}, got {value!r}")


@dataclass(frozen=True)
class ServicePlan:
    model_code: str | None  # None: every model
    powertrain: str | None  # None: every powertrain
    first: ServiceInterval
    recurring: ServiceInterval

    def __post_init__(self) -> None:
        if self.powertrain is not None and self.powertrain not in POWERTRAINS:
            raise ValueError(f"powertrain must be one of {', '.join(POWERTRAINS)} or None, got {self.powertrain!r}")
        if self.model_code is not None and not self.model_code:
            raise ValueError("model_code must be a catalog code or None for every model")

    @property
    def key(self) -> PlanKey:
        return (self.model_code, self.powertrain)


@dataclass(frozen=True)
class ScheduleTable:
    plans: tuple[ServicePlan, ...]

    def __post_init__(self) -> None:
        keys = [plan.key for plan in self.plans]
        repeated = sorted({_key_text(k) for k in keys if keys.count(k) > 1})
        if repeated:
            raise ValueError(f"a schedule table holds one plan per model and powertrain; repeated: {repeated}")

    def plan_for(self, model_code: str, powertrain: str) -> ServicePlan:
        """The most specific plan: (model, powertrain), (model, any), (any, powertrain), (any, any)."""
        by_key = {plan.key: plan for plan in self.plans}
        for key in ((model_code, powertrain), (model_code, None), (None, powertrain), (None, None)):
            if key in by_key:
                return by_key[key]
        raise LookupError(f"no service plan for {model_code} ({powertrain}) and no plan for every car")


DEFAULT_PLAN = ServicePlan(None, None, first=ServiceInterval(5_000, 3), recurring=ServiceInterval(10_000, 6))
DEFAULT_BEV_PLAN = ServicePlan(None, "bev", first=ServiceInterval(10_000, 12), recurring=ServiceInterval(20_000, 12))
DEFAULT_TABLE = ScheduleTable((DEFAULT_PLAN, DEFAULT_BEV_PLAN))


class DueBy(StrEnum):
    DATE = "date"  # the calendar day comes first (or on the same day)
    DISTANCE = "distance"  # the odometer is predicted to reach the km first


class KmDayHiddenBecause(StrEnum):
    NOT_ENOUGH_READINGS = "not_enough_readings"
    NOT_DRIVEN = "not_driven"
    TOO_FAR_OFF = "too_far_off"  # more than MAX_PREDICTION_DAYS away at this rate: the calendar day comes first


@dataclass(frozen=True)
class ServiceDue:
    """The next service by the plan: the km and calendar day, and the reading they are counted from."""

    first_service: bool
    interval: ServiceInterval
    counted_from: OdometerReading  # delivery, or the last service done
    due_km: int
    due_day: date


@dataclass(frozen=True)
class NextService:
    due: ServiceDue
    km_reached_on: date | None  # predicted day the odometer reaches due_km; None when not predicted
    km_day_hidden_because: KmDayHiddenBecause | None
    due_on: date  # the earlier of due.due_day and km_reached_on
    due_by: DueBy
    as_of: OdometerReading  # the latest reading kept

    @property
    def km_left(self) -> int:
        return self.due.due_km - self.as_of.km


def service_due(plan: ServicePlan, delivery: OdometerReading, last_service: OdometerReading | None) -> ServiceDue:
    """The first interval from delivery when no service is recorded, else the recurring one from the last."""
    first = last_service is None
    interval = plan.first if first else plan.recurring
    counted_from = delivery if last_service is None else last_service
    return ServiceDue(
        first_service=first,
        interval=interval,
        counted_from=counted_from,
        due_km=counted_from.km + interval.km,
        due_day=add_months(counted_from.day, interval.months),
    )


def next_service(due: ServiceDue, readings: CheckedReadings) -> NextService:
    """When the service is due: the calendar day or the predicted km day, whichever first."""
    latest = readings.latest
    km_day, hidden = km_reached_on(due.due_km, readings)
    if km_day is not None and km_day < due.due_day:
        return NextService(due, km_day, None, km_day, DueBy.DISTANCE, latest)
    return NextService(due, km_day, hidden, due.due_day, DueBy.DATE, latest)


def km_reached_on(due_km: int, readings: CheckedReadings) -> tuple[date | None, KmDayHiddenBecause | None]:
    """The first day the odometer reaches `due_km` at the current daily rate, or None and why not."""
    latest = readings.latest
    if latest.km >= due_km:
        return latest.day, None
    window = rate_window(readings)
    if window is None:
        return None, KmDayHiddenBecause.NOT_ENOUGH_READINGS
    if window.km == 0:
        return None, KmDayHiddenBecause.NOT_DRIVEN
    days = math.ceil((due_km - latest.km) / window.exact_rate)
    if days > MAX_PREDICTION_DAYS:
        return None, KmDayHiddenBecause.TOO_FAR_OFF
    return latest.day + timedelta(days=days), None


def _key_text(key: PlanKey) -> str:
    return f"{key[0] or 'every model'} / {key[1] or 'every powertrain'}"
