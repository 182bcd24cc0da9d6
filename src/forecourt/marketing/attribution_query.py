"""Attribution queries: the checked choice of period, conversion type, model, grouping and lookback window.

A conversion's path holds the person's touches within the lookback window before it (30 days by default,
configurable per conversion type).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from forecourt.core.errors import FieldError, InvalidInput
from forecourt.marketing.attribution import aggregate
from forecourt.marketing.vocabulary import CONVERSION_TYPES

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
EARLIEST_DAY = date(2000, 1, 1)
LATEST_DAY = date(2099, 12, 31)


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
