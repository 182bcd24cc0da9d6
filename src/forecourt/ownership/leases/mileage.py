"""Lease mileage: the allowance, the distance driven, the daily rate, the projected distance at the lease's end and
the projected excess-km charge, each as a step of arithmetic a page can show in English or Chinese (pure).

    allowance   A = km a year × term months ÷ 12, whole km rounded down (finance.calc.lease's rule)
    driven      s = latest reading kept − reading at delivery                       (ownership.odometer checks them)
    daily rate  r = window km ÷ window days: the last 90 days of readings, or since delivery when fewer
    days left   d = lease end − the latest reading's day
    projected   P = s + r × d, computed exactly (r is a fraction), then rounded half up to whole km
    excess      E = P − A, not below 0
    charge      C = E × the contract's own rate per km, half up to the currency's minor unit

With the rate since delivery (r = s ÷ e after e days) this is FIELD-NOTES's linear projection
s + s·t/(T − t) − A·T/12 with time counted in days (t = d, T − t = e); `linear_projection` is that formula in
any unit of time. Days, not months, because months differ in length: the first 18 and the last 6 months of a
lease delivered on 15 January 2024 are 547 and 184 days, not 3 : 1, so FIELD-NOTES's worked case (4,000 km over)
is 4,046 km over on those dates. The lease ends `term_months` calendar months after delivery (calendar_months).

The projection is hidden, with the reason and the days still needed, while there are fewer than 14 days between
the delivery reading and the latest one. A lease already past its end counts readings up to its end day only (a
later reading is ignored as `after_period`), and projects from the last of them to the end day: with a reading
on the end day itself that is the distance actually driven. The steps carry values, not sentences: wording lives
with the pages.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction

from forecourt.core.money import quantum, round_money
from forecourt.ownership.calendar_months import MONTHS_PER_YEAR, MonthsAndDays, add_months, months_and_days_between
from forecourt.ownership.odometer import (
    MIN_DAYS_OF_READINGS,
    CheckedReadings,
    OdometerReading,
    RateWindow,
    check_readings,
    rate_window,
)

MAX_TERM_MONTHS = 120  # finance.calc.lease's bound
MAX_ANNUAL_ALLOWANCE_KM = 200_000  # the residual files' bound on km a year

StepValue = int | Decimal | date


class StepKind(StrEnum):
    ALLOWANCE = "allowance"  # annual_km × term_months ÷ 12
    DRIVEN = "driven"  # latest_km − delivery_km
    DAILY_RATE = "daily_rate"  # window_km ÷ window_days (shown to 0.01)
    DAYS_LEFT = "days_left"  # lease_end − as_of
    PROJECTED = "projected"  # driven_km + window_km ÷ window_days × days_left
    EXCESS = "excess"  # projected_km − allowance_km, not below 0
    CHARGE = "charge"  # excess_km × rate_per_km


class HiddenBecause(StrEnum):
    NOT_ENOUGH_READINGS = "not_enough_readings"


@dataclass(frozen=True)
class Step:
    """One line of the arithmetic: its kind, its named inputs in order, and its result."""

    kind: StepKind
    inputs: tuple[tuple[str, StepValue], ...]
    result: StepValue

    def value(self, name: str) -> StepValue:
        return dict(self.inputs)[name]


@dataclass(frozen=True)
class LeaseMileageTerms:
    """What the contract says about distance: the delivery reading, the term, the allowance and the excess rate."""

    delivery: OdometerReading
    term_months: int
    annual_allowance_km: int
    excess_km_rate: Decimal  # the contract's own charge per km over the allowance
    currency: str = "CNY"

    def __post_init__(self) -> None:
        require_whole("term_months", self.term_months, 1, MAX_TERM_MONTHS)
        require_whole("annual_allowance_km", self.annual_allowance_km, 1, MAX_ANNUAL_ALLOWANCE_KM)
        require_rate("excess_km_rate", self.excess_km_rate)
        quantum(self.currency)  # MoneyError for a currency without known minor units
        if self.allowance_km == 0:
            raise ValueError("the allowance over the whole term rounds down to 0 km: nothing to measure against")

    @property
    def end_day(self) -> date:
        return add_months(self.delivery.day, self.term_months)

    @property
    def allowance_km(self) -> int:
        return allowance_km(self.annual_allowance_km, self.term_months)


@dataclass(frozen=True)
class Projection:
    as_of: date  # the latest reading's day
    end_day: date
    window: RateWindow
    days_left: int
    months_left: MonthsAndDays  # for showing: "5 months 12 days"
    allowance_km: int
    driven_km: int
    projected_km: int
    excess_km: int
    excess_charge: Decimal
    currency: str
    steps: tuple[Step, ...]

    @property
    def percent_over(self) -> Decimal:
        """How far the projection runs over (negative: under) the allowance, in percent to one decimal, half up."""
        return half_up(Fraction(100 * (self.projected_km - self.allowance_km), self.allowance_km), 1)


@dataclass(frozen=True)
class LeaseMileage:
    """Everything the mileage page shows; `projection` is None while hidden, and `hidden_because` says why."""

    terms: LeaseMileageTerms
    readings: CheckedReadings
    ended: bool  # today is on or after the lease's end day
    projection: Projection | None
    hidden_because: HiddenBecause | None

    @property
    def allowance_km(self) -> int:
        return self.terms.allowance_km

    @property
    def driven_km(self) -> int:
        return self.readings.driven_km

    @property
    def days_of_readings(self) -> int:
        return self.readings.days_of_readings

    @property
    def days_of_readings_needed(self) -> int:
        return max(0, MIN_DAYS_OF_READINGS - self.days_of_readings)

    @property
    def steps(self) -> tuple[Step, ...]:
        """Allowance and distance driven always; the projection's steps when it is shown."""
        start, latest = self.readings.start, self.readings.latest
        known = (
            Step(
                StepKind.ALLOWANCE,
                (("annual_km", self.terms.annual_allowance_km), ("term_months", self.terms.term_months)),
                self.allowance_km,
            ),
            Step(StepKind.DRIVEN, (("latest_km", latest.km), ("delivery_km", start.km)), self.driven_km),
        )
        return known + (self.projection.steps if self.projection else ())


def lease_mileage(terms: LeaseMileageTerms, readings: Iterable[OdometerReading], today: date) -> LeaseMileage:
    """Check the readings and project the lease's distance to its end (hidden below 14 days of readings)."""
    checked = check_readings(terms.delivery, readings, today, period_end=terms.end_day)
    window = rate_window(checked)
    ended = today >= terms.end_day
    if window is None:
        return LeaseMileage(terms, checked, ended, None, HiddenBecause.NOT_ENOUGH_READINGS)
    projection = project_to(terms.end_day, terms.allowance_km, checked, window, terms.excess_km_rate, terms.currency)
    return LeaseMileage(terms, checked, ended, projection, None)


def project_to(
    end_day: date,
    allowance: int,
    readings: CheckedReadings,
    window: RateWindow,
    excess_km_rate: Decimal,
    currency: str,
) -> Projection:
    """The projection to `end_day` against `allowance` km (also used for a lease extended by some months)."""
    as_of = readings.latest.day
    days_left = max(0, (end_day - as_of).days)
    driven = readings.driven_km
    projected = half_up(linear_projection(driven, window.km, window.days, days_left), 0)
    projected_km = int(projected)
    excess = max(0, projected_km - allowance)
    charge = excess_charge(excess, excess_km_rate, currency)
    steps = (
        Step(StepKind.DAILY_RATE, (("window_km", window.km), ("window_days", window.days)), window.km_per_day),
        Step(StepKind.DAYS_LEFT, (("lease_end", end_day), ("as_of", as_of)), days_left),
        Step(
            StepKind.PROJECTED,
            (
                ("driven_km", driven),
                ("window_km", window.km),
                ("window_days", window.days),
                ("days_left", days_left),
            ),
            projected_km,
        ),
        Step(StepKind.EXCESS, (("projected_km", projected_km), ("allowance_km", allowance)), excess),
        Step(StepKind.CHARGE, (("excess_km", excess), ("rate_per_km", excess_km_rate)), charge),
    )
    return Projection(
        as_of=as_of,
        end_day=end_day,
        window=window,
        days_left=days_left,
        months_left=months_and_days_between(as_of, end_day),
        allowance_km=allowance,
        driven_km=driven,
        projected_km=projected_km,
        excess_km=excess,
        excess_charge=charge,
        currency=currency,
        steps=steps,
    )


def linear_projection(driven: int, window_km: int, window_time: int, time_left: int) -> Fraction:
    """s + window distance ÷ window time × time left, exactly; the time unit is the caller's (days here)."""
    if window_time <= 0:
        raise ValueError(f"the rate needs a window of positive length, got {window_time}")
    return driven + Fraction(window_km, window_time) * time_left


def allowance_km(annual_km: int, term_months: int) -> int:
    """km a year × months ÷ 12, whole km rounded down, as finance.calc.lease discloses `mileage_allowance_total`."""
    return annual_km * term_months // MONTHS_PER_YEAR


def excess_charge(excess_km: int, rate_per_km: Decimal, currency: str = "CNY") -> Decimal:
    """excess km × rate per km, rounded half up to the currency's minor unit once, at the end."""
    if excess_km < 0:
        raise ValueError(f"excess km cannot be negative, got {excess_km}")
    require_rate("rate_per_km", rate_per_km)
    return round_money(Decimal(excess_km) * rate_per_km, currency)


def half_up(value: Fraction, places: int) -> Decimal:
    """An exact fraction rounded half away from zero (ROUND_HALF_UP) to `places` decimals, without passing through
    a binary float or an intermediate Decimal division."""
    scaled = abs(value) * 10**places
    whole = math.floor(scaled + Fraction(1, 2))
    return Decimal(whole if value >= 0 else -whole).scaleb(-places)


def require_rate(name: str, rate: Decimal) -> None:
    if isinstance(rate, float) or not isinstance(rate, Decimal) or not rate.is_finite() or rate < 0:
        raise ValueError(f"{name} must be a finite Decimal ≥ 0 (floats cannot hold money exactly), got {rate!r}")


def require_whole(name: str, value: int, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"{name} must be a whole number from {low} to {high:,}, got {value!r}")
