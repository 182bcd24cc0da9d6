"""Odometer readings checked for sense, and the daily driving rate they show (pure: standard library only).

Readings come from the car (telematics) or are typed by the owner or a service advisor, so some are wrong: a
typo (15,000 written 1,500 or 150,000) or a replaced instrument cluster that starts again near zero. Readings are
taken in day order, each checked against the last reading kept (the first is the reading at delivery, which the
contract records and which is trusted):
- lower than it: ignored as `backwards` (a typo, or every reading after a cluster was replaced: they are all
  flagged, so the owner and the dealer can see from which day the odometer changed);
- higher by more than MAX_KM_PER_DAY for each day between them (at least one day): ignored as `implausible_jump`;
- before the delivery day, after today, or after the period counted (a lease's end): ignored as such.
Several readings on one day keep the highest sensible one. A wrong reading that is high but plausible is kept
until the car's real readings pass it; those in between are flagged `backwards`, which names the reading to fix.

The daily rate is the distance over the last RATE_WINDOW_DAYS days of readings, or since delivery when there are
fewer: the window starts at the last reading kept on or before the latest reading's day − 90 days, so with daily
readings it spans exactly 90 days and with sparse ones a little more, never less. A rate (and every prediction
built on one) needs MIN_DAYS_OF_READINGS days between the delivery reading and the latest one; with fewer the
prediction is hidden, with the reason.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from fractions import Fraction

MIN_DAYS_OF_READINGS = 14
RATE_WINDOW_DAYS = 90
# 2,000 km in a day is 83 km/h around the clock: beyond any real day's driving, well below a typo's extra digit.
MAX_KM_PER_DAY = 2_000
MAX_ODOMETER_KM = 2_000_000  # the bound the hand-over form uses; more is not an odometer


class IgnoredBecause(StrEnum):
    BEFORE_START = "before_start"  # before the delivery day
    IN_FUTURE = "in_future"  # after today: a wrong clock or date
    AFTER_PERIOD = "after_period"  # after the last day counted (a lease's end)
    BACKWARDS = "backwards"  # below the last reading kept
    IMPLAUSIBLE_JUMP = "implausible_jump"  # more than MAX_KM_PER_DAY a day above the last reading kept


@dataclass(frozen=True)
class OdometerReading:
    day: date
    km: int

    def __post_init__(self) -> None:
        if not isinstance(self.day, date):
            raise TypeError(f"day must be a date, got {self.day!r}")
        if isinstance(self.km, bool) or not isinstance(self.km, int) or not 0 <= self.km <= MAX_ODOMETER_KM:
            raise ValueError(f"km must be a whole number from 0 to {MAX_ODOMETER_KM:,}, got {self.km!r}")


@dataclass(frozen=True)
class IgnoredReading:
    reading: OdometerReading
    because: IgnoredBecause
    last_kept: OdometerReading | None  # what a backwards or jumping reading was checked against


@dataclass(frozen=True)
class CheckedReadings:
    """The readings kept (the delivery reading first, days ascending, km never falling, one a day) and the rest."""

    kept: tuple[OdometerReading, ...]
    ignored: tuple[IgnoredReading, ...]

    @property
    def start(self) -> OdometerReading:
        return self.kept[0]

    @property
    def latest(self) -> OdometerReading:
        return self.kept[-1]

    @property
    def driven_km(self) -> int:
        return self.latest.km - self.start.km

    @property
    def days_of_readings(self) -> int:
        return (self.latest.day - self.start.day).days


@dataclass(frozen=True)
class RateWindow:
    """The readings the daily rate is measured between; `since_start` when that is the delivery reading because
    there are no more than RATE_WINDOW_DAYS days of readings."""

    first: OdometerReading
    last: OdometerReading
    since_start: bool

    @property
    def km(self) -> int:
        return self.last.km - self.first.km

    @property
    def days(self) -> int:
        return (self.last.day - self.first.day).days

    @property
    def exact_rate(self) -> Fraction:
        """km a day as an exact fraction: what predictions multiply by, so no rounding creeps in before the end."""
        return Fraction(self.km, self.days)

    @property
    def km_per_day(self) -> Decimal:
        """km a day to two decimals, half up: for showing only."""
        return (Decimal(self.km) / Decimal(self.days)).quantize(Decimal("0.01"), ROUND_HALF_UP)


def check_readings(
    start: OdometerReading, readings: Iterable[OdometerReading], today: date, period_end: date | None = None
) -> CheckedReadings:
    """Keep the sensible readings from `start` (the delivery reading) up to today and `period_end`."""
    kept = [start]
    ignored: list[IgnoredReading] = []
    for reading in sorted(readings, key=lambda r: (r.day, r.km)):
        # A later reading of the same day replaces that day's point (one a day), so it is checked against the day
        # before; the delivery reading itself is never replaced: the distance driven counts from it.
        same_day = len(kept) > 1 and reading.day == kept[-1].day
        reference = kept[-2] if same_day else kept[-1]
        because = _out_of_range(reading, start, today, period_end) or _against(reference, reading)
        if because is not None:
            ignored.append(IgnoredReading(reading, because, reference if _is_sense_check(because) else None))
        elif same_day:
            kept[-1] = reading  # sorted by km within a day: the higher one
        else:
            kept.append(reading)
    return CheckedReadings(tuple(kept), tuple(ignored))


def rate_window(readings: CheckedReadings) -> RateWindow | None:
    """The last 90 days of readings (or since delivery when fewer); None below MIN_DAYS_OF_READINGS days."""
    if readings.days_of_readings < MIN_DAYS_OF_READINGS:
        return None
    latest = readings.latest
    if readings.days_of_readings <= RATE_WINDOW_DAYS:
        return RateWindow(readings.start, latest, since_start=True)
    window_start = max(
        (r for r in readings.kept if (latest.day - r.day).days >= RATE_WINDOW_DAYS), key=lambda r: (r.day, r.km)
    )
    return RateWindow(window_start, latest, since_start=False)


def _out_of_range(
    reading: OdometerReading, start: OdometerReading, today: date, period_end: date | None
) -> IgnoredBecause | None:
    if reading.day < start.day:
        return IgnoredBecause.BEFORE_START
    if reading.day > today:
        return IgnoredBecause.IN_FUTURE
    if period_end is not None and reading.day > period_end:
        return IgnoredBecause.AFTER_PERIOD
    return None


def _against(last: OdometerReading, reading: OdometerReading) -> IgnoredBecause | None:
    if reading.km < last.km:
        return IgnoredBecause.BACKWARDS
    if reading.km - last.km > MAX_KM_PER_DAY * max(1, (reading.day - last.day).days):
        return IgnoredBecause.IMPLAUSIBLE_JUMP
    return None


def _is_sense_check(because: IgnoredBecause) -> bool:
    return because in (IgnoredBecause.BACKWARDS, IgnoredBecause.IMPLAUSIBLE_JUMP)
