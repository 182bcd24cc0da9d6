"""Billing for self-service rental (hourly and daily) and monthly subscription from the same fleet (pure).

Rental: the booked period (start → due) is prepaid as whole 24-hour days plus started hours, the hourly part never
dearer than one more day; at the return the bill adds km beyond what the booked period includes, started hours late
past a grace, energy returned below the pick-up level, and damage. Cancelling refunds all, part or nothing of the
prepaid time by how long before the start it happens.

Subscription: billed in arrears at the end of each billing period, day-weighted over the period's segments (a swap
to another model class or a pause splits the period); unused km roll over up to a cap.

Every bill line is rounded half up to the cent on its own, and the total is the sum of the rounded lines, so the
figures a page shows always add up. See docs/mobility.md#billing-arithmetic for each rule with a worked example.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from forecourt.core.money import round_money

HOUR = timedelta(hours=1)
DAY = timedelta(hours=24)
ZERO = Decimal("0.00")


class LineCode(StrEnum):
    TIME = "time"
    KM_OVER = "km_over"
    LATE = "late"
    ENERGY = "energy"
    DAMAGE = "damage"
    SUBSCRIPTION = "subscription"
    PAUSE = "pause"
    SWAP_FEE = "swap_fee"


class Unit(StrEnum):
    HOURS = "hours"
    KM = "km"
    PERCENT_POINTS = "percent_points"
    DAYS = "days"
    ITEMS = "items"


@dataclass(frozen=True)
class BillLine:
    """One line of a bill: what it is, the quantity shown beside it, and its amount rounded to the cent."""

    code: LineCode
    quantity: int
    unit: Unit
    amount: Decimal
    class_code: str | None = None  # subscription lines only: the model class the days were spent in


# --- rental -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RentalRates:
    hourly: Decimal  # per started hour
    daily: Decimal  # per 24 h
    km_per_hour: int  # included per billed hour
    km_per_day: int  # included per billed day
    per_km_over: Decimal
    late_per_hour: Decimal  # per started hour past the due time, after the grace
    late_grace_minutes: int
    energy_per_percent: Decimal  # per percentage point of fuel/charge returned below the pick-up level
    free_cancel_hours: int  # cancelling at least this long before the start refunds everything
    late_cancel_keep_percent: int  # otherwise this share of the rental charge is kept (0-100)

    def __post_init__(self) -> None:
        for name in ("hourly", "daily", "per_km_over", "late_per_hour", "energy_per_percent"):
            if getattr(self, name) < 0:
                raise ValueError(f"rental rate {name} must not be negative")
        for name in ("km_per_hour", "km_per_day", "late_grace_minutes", "free_cancel_hours"):
            if getattr(self, name) < 0:
                raise ValueError(f"rental term {name} must not be negative")
        if not 0 <= self.late_cancel_keep_percent <= 100:
            raise ValueError("late_cancel_keep_percent must be between 0 and 100")


@dataclass(frozen=True)
class TimeCharge:
    days: int
    hours: int
    amount: Decimal
    km_included: int

    @property
    def billed_hours(self) -> int:
        return self.days * 24 + self.hours


@dataclass(frozen=True)
class RentalBill:
    time: TimeCharge
    lines: tuple[BillLine, ...]  # always time, km_over, late, energy, damage in that order (zero when nothing due)
    total: Decimal
    extras: Decimal  # what is due at the return beyond the prepaid time charge

    def line(self, code: LineCode) -> BillLine:
        return next(line for line in self.lines if line.code == code)


def _elapsed(start: datetime, end: datetime) -> timedelta:
    """Real time between two instants. Python subtracts two datetimes sharing one tzinfo by their wall clocks, which
    is an hour off across a daylight-saving change; in UTC both are instants."""
    if start.tzinfo is None or start.utcoffset() is None or end.tzinfo is None or end.utcoffset() is None:
        raise ValueError("rental times must be timezone-aware")
    return end.astimezone(UTC) - start.astimezone(UTC)


def _started_hours(span: timedelta) -> int:
    whole, part = divmod(span, HOUR)  # integer microseconds: a float quotient could make 3 h bill as 4
    return whole + (1 if part else 0)


def time_charge(rates: RentalRates, start: datetime, end: datetime) -> TimeCharge:
    """The booked period's price: whole 24-hour days at the daily rate plus started hours at the hourly rate; when
    the started hours would cost more than a day they are billed as one more day (at exactly a day's price they stay
    hours: the customer pays the same and the literal rule only caps what costs more)."""
    span = _elapsed(start, end)
    if span <= timedelta(0):
        raise ValueError("the rental must end after it starts")
    days, remainder = divmod(span, DAY)
    hours = _started_hours(remainder)  # under an hour bills one hour, as every started hour does
    if hours * rates.hourly > rates.daily:
        days, hours = days + 1, 0
    return TimeCharge(
        days=days,
        hours=hours,
        amount=round_money(days * rates.daily + hours * rates.hourly),
        km_included=days * rates.km_per_day + hours * rates.km_per_hour,
    )


def late_hours(rates: RentalRates, due: datetime, returned_at: datetime) -> int:
    """Started hours counted from `due` (not from the grace's end) once the return is past the grace; none within
    the grace, its last instant included."""
    lateness = _elapsed(due, returned_at)
    if lateness <= timedelta(minutes=rates.late_grace_minutes):
        return 0
    return _started_hours(lateness)


def rental_bill(
    rates: RentalRates,
    *,
    start: datetime,
    due: datetime,
    returned_at: datetime,
    odometer_out_km: int,
    odometer_in_km: int,
    energy_out_percent: int,
    energy_in_percent: int,
    damage_charge: Decimal,
) -> RentalBill:
    """The bill at the return. An early return refunds no time: the period was reserved for this customer."""
    if odometer_in_km < odometer_out_km:
        raise ValueError(
            f"odometer at return ({odometer_in_km} km) is below the pick-up reading ({odometer_out_km} km)"
        )
    for name, level in (("energy_out_percent", energy_out_percent), ("energy_in_percent", energy_in_percent)):
        if not 0 <= level <= 100:
            raise ValueError(f"{name} must be between 0 and 100, got {level}")
    if damage_charge < 0:
        raise ValueError(f"damage_charge must not be negative, got {damage_charge}")
    if _elapsed(start, returned_at) < timedelta(0):
        raise ValueError("the car cannot be returned before the rental starts")

    booked = time_charge(rates, start, due)
    km_over = max(0, odometer_in_km - odometer_out_km - booked.km_included)
    late = late_hours(rates, due, returned_at)
    energy_points = max(0, energy_out_percent - energy_in_percent)  # returning fuller earns nothing
    lines = (
        BillLine(LineCode.TIME, booked.billed_hours, Unit.HOURS, booked.amount),
        BillLine(LineCode.KM_OVER, km_over, Unit.KM, round_money(km_over * rates.per_km_over)),
        BillLine(LineCode.LATE, late, Unit.HOURS, round_money(late * rates.late_per_hour)),
        BillLine(
            LineCode.ENERGY, energy_points, Unit.PERCENT_POINTS, round_money(energy_points * rates.energy_per_percent)
        ),
        BillLine(LineCode.DAMAGE, 1 if damage_charge > 0 else 0, Unit.ITEMS, round_money(damage_charge)),
    )
    total = sum((line.amount for line in lines), ZERO)
    return RentalBill(time=booked, lines=lines, total=total, extras=total - booked.amount)


def cancellation_refund(
    rates: RentalRates, *, paid_time_charge: Decimal, start: datetime, cancelled_at: datetime
) -> Decimal:
    """All of the prepaid time back up to `free_cancel_hours` before the start (that instant included), the share
    not kept between then and the start, nothing from the start on."""
    if paid_time_charge < 0:
        raise ValueError(f"paid_time_charge must not be negative, got {paid_time_charge}")
    notice = _elapsed(cancelled_at, start)
    if notice >= timedelta(hours=rates.free_cancel_hours):
        return round_money(paid_time_charge)
    if notice > timedelta(0):
        return round_money(paid_time_charge * (100 - rates.late_cancel_keep_percent) / 100)
    return ZERO


# --- subscription -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClassTerms:  # a subscription plan's terms for one model class
    class_code: str
    monthly_price: Decimal
    km_per_month: int
    per_km_over: Decimal


@dataclass(frozen=True)
class Segment:  # the days of a period spent in one class (a swap splits the period), or paused
    terms: ClassTerms
    first_day: date
    last_day: date  # inclusive
    paused: bool = False

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1


@dataclass(frozen=True)
class PeriodInvoice:
    days_in_period: int
    lines: tuple[BillLine, ...]  # subscription/pause lines in segment order, then km_over, then one per swap fee
    total: Decimal
    km_earned: int  # allowance earned by the active days of this period
    km_available: int  # earned + carried in
    km_driven: int
    km_over: int
    km_unused: int
    km_carried_out: int  # unused km rolled into the next period, at most the cap


def check_tiling(period_first_day: date, period_last_day: date, segments: Sequence[Segment]) -> None:
    """The segments, in order, cover every day of the period once: no gap, no overlap, nothing outside."""
    if period_last_day < period_first_day:
        raise ValueError("the period ends before it starts")
    if not segments:
        raise ValueError("a period needs at least one segment")
    expected_first = period_first_day
    for index, segment in enumerate(segments):
        if segment.last_day < segment.first_day:
            raise ValueError(f"segment {index} ends ({segment.last_day}) before it starts ({segment.first_day})")
        if segment.first_day != expected_first:
            kind = "a gap" if segment.first_day > expected_first else "an overlap"
            raise ValueError(f"segment {index} starts on {segment.first_day}, not {expected_first}: {kind}")
        expected_first = segment.last_day + timedelta(days=1)
    if segments[-1].last_day != period_last_day:
        raise ValueError(f"the segments end on {segments[-1].last_day}, not on the period's last day {period_last_day}")


def _km_share(km_per_month: int, days: int, days_in_period: int) -> int:
    """km_per_month × days ÷ days_in_period, half up to whole km, in integers so a half is exactly a half."""
    return (2 * km_per_month * days + days_in_period) // (2 * days_in_period)


def period_invoice(
    *,
    period_first_day: date,
    period_last_day: date,
    segments: Sequence[Segment],
    km_driven: int,
    km_carried_in: int,
    rollover_cap_km: int,
    swap_fees: Sequence[Decimal],
    pause_fee_per_day: Decimal,
    full_period_days: int | None = None,
) -> PeriodInvoice:
    """One billing period's invoice, made at its end (in arrears). A subscription that ends inside a period (bought
    by its subscriber) is billed for the days it ran: `period_last_day` is its last day and `full_period_days` the
    days of the whole period, so each day costs and earns what it would in a full period."""
    check_tiling(period_first_day, period_last_day, segments)
    for name, value in (
        ("km_driven", km_driven),
        ("km_carried_in", km_carried_in),
        ("rollover_cap_km", rollover_cap_km),
    ):
        if value < 0:
            raise ValueError(f"{name} must not be negative, got {value}")
    if pause_fee_per_day < 0 or any(fee < 0 for fee in swap_fees):
        raise ValueError("fees must not be negative")

    days_in_period = (period_last_day - period_first_day).days + 1
    if full_period_days is not None:
        if full_period_days < days_in_period:
            raise ValueError(f"full_period_days ({full_period_days}) is below the {days_in_period} days billed")
        days_in_period = full_period_days
    lines: list[BillLine] = []
    km_earned = 0
    for segment in segments:
        if segment.paused:
            amount = round_money(pause_fee_per_day * segment.days)
            lines.append(BillLine(LineCode.PAUSE, segment.days, Unit.DAYS, amount, segment.terms.class_code))
            continue
        terms = segment.terms
        amount = round_money(terms.monthly_price * segment.days / days_in_period)
        lines.append(BillLine(LineCode.SUBSCRIPTION, segment.days, Unit.DAYS, amount, terms.class_code))
        km_earned += _km_share(terms.km_per_month, segment.days, days_in_period)

    km_available = km_earned + km_carried_in
    km_over = max(0, km_driven - km_available)
    km_unused = max(0, km_available - km_driven)
    # Km over are charged at the rate of the class the subscriber drives when the bill is made (the last active
    # segment): the km cannot be told apart by class, and the current class is the one on the subscriber's contract.
    # A period paused throughout falls back to the class held during the pause.
    active = [segment for segment in segments if not segment.paused]
    over_terms = (active or list(segments))[-1].terms
    lines.append(BillLine(LineCode.KM_OVER, km_over, Unit.KM, round_money(km_over * over_terms.per_km_over)))
    lines.extend(BillLine(LineCode.SWAP_FEE, 1, Unit.ITEMS, round_money(fee)) for fee in swap_fees)

    return PeriodInvoice(
        days_in_period=days_in_period,
        lines=tuple(lines),
        total=sum((line.amount for line in lines), ZERO),
        km_earned=km_earned,
        km_available=km_available,
        km_driven=km_driven,
        km_over=km_over,
        km_unused=km_unused,
        km_carried_out=min(km_unused, rollover_cap_km),
    )


def purchase_credit(fees_paid: Decimal, *, share_percent: int | Decimal, cap: Decimal) -> Decimal:
    """The share of subscription fees paid that counts towards buying the car, half up to the cent, at most `cap`."""
    if fees_paid < 0 or cap < 0:
        raise ValueError("fees_paid and cap must not be negative")
    if not 0 <= share_percent <= 100:
        raise ValueError(f"share_percent must be between 0 and 100, got {share_percent}")
    return min(round_money(fees_paid * Decimal(share_percent) / 100), round_money(cap))
