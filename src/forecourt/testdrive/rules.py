"""Test-drive rules, per store: who may drive, how often, what deposit, what comes back on cancelling or returning late.

Pure functions over frozen dataclasses; the booking use cases load the data and apply the answers.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Literal

from forecourt.core.money import round_money

SELF_SERVICE = "self_service"
ACCOMPANIED_LENGTHS = frozenset({30, 45, 60, 90, 120})
SCORE_SCALE = (350, 950)
FAIRNESS_WINDOW = timedelta(days=30)
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class StorePolicy:
    """One store's test-drive settings; the defaults are those of the China pilot."""

    accompanied_enabled: bool = True
    accompanied_minutes: tuple[int, ...] = (30, 60)
    self_service_enabled: bool = False
    self_service_max_days: int = 3
    buffer_minutes: int = 30
    lead_time_minutes: int = 120
    horizon_days: int = 30
    hold_minutes: int = 10
    minimum_age: int = 18
    self_service_minimum_age: int = 22
    max_active_self_service: int = 1
    max_self_service_per_30_days: int = 2
    waiver_score_threshold: int = 700  # on a 350–950 scale
    deposit_standard: Decimal = Decimal("99.00")
    deposit_premium: Decimal = Decimal("198.00")
    premium_price_threshold: Decimal = Decimal("300000.00")  # vehicles priced at or above this are "premium" class
    free_cancellation_hours: int = 24
    late_cancellation_refund_percent: int = 50
    pickup_early_minutes: int = 15
    pickup_late_minutes: int = 60
    return_grace_minutes: int = 15
    late_fee_per_hour: Decimal = Decimal("50.00")
    late_fee_cap_per_day: Decimal = Decimal("500.00")
    max_holds_per_user_per_hour: int = 5
    max_holds_per_ip_per_hour: int = 20
    # Watching a self-service drive from the car (0 turns a rule off). The geofence is a circle of this radius
    # around the store, or, when `watch_geofence_polygon` is set ("lat,lon; lat,lon; lat,lon; …", WGS-84), that area.
    watch_geofence_km: int = 50
    watch_geofence_polygon: str = ""
    watch_speed_limit_kmh: int = 120
    watch_low_level_percent: int = 15  # fuel, or charge for an electric car
    watch_fault_codes: bool = True

    def validate(self) -> list[tuple[str, str]]:
        """Every (field, message) problem; an empty list means the policy can be saved."""
        problems = [(name, "must be a whole number of 1 or more") for name in _POSITIVE if getattr(self, name) < 1]
        problems += [(name, "must not be negative") for name in _NON_NEGATIVE if getattr(self, name) < 0]
        problems += [(name, message) for name in _MONEY if (message := _money_problem(getattr(self, name)))]
        if not 1 <= self.self_service_max_days <= 3:
            problems.append(("self_service_max_days", "must be 1, 2 or 3 days"))
        if not self.accompanied_minutes or not set(self.accompanied_minutes) <= ACCOMPANIED_LENGTHS:
            problems.append(("accompanied_minutes", "choose one or more of 30, 45, 60, 90 and 120 minutes"))
        if not 0 <= self.late_cancellation_refund_percent <= 100:
            problems.append(("late_cancellation_refund_percent", "must be a percentage from 0 to 100"))
        if not SCORE_SCALE[0] <= self.waiver_score_threshold <= SCORE_SCALE[1]:
            problems.append(("waiver_score_threshold", f"must be a score from {SCORE_SCALE[0]} to {SCORE_SCALE[1]}"))
        if self.self_service_minimum_age < self.minimum_age:
            problems.append(("self_service_minimum_age", "must not be below minimum_age"))
        problems += [
            (name, f"must be from 0 (off) to {top}")
            for name, top in _WATCH_LIMITS.items()
            if not 0 <= getattr(self, name) <= top
        ]
        try:
            geofence_polygon(self.watch_geofence_polygon)
        except ValueError as exc:
            problems.append(("watch_geofence_polygon", str(exc)))
        return problems

    @classmethod
    def from_mapping(cls, data: Mapping[str, object]) -> StorePolicy:
        """Build from stored JSON or a form: missing keys take defaults; unknown keys or wrong types raise ValueError."""
        unknown = sorted(set(data) - set(_FIELD_TYPES))
        if unknown:
            raise ValueError(f"unknown test-drive setting(s): {', '.join(unknown)}")
        return cls(**{name: _convert(name, value) for name, value in data.items()})

    def to_mapping(self) -> dict[str, object]:
        """JSON-safe: Decimals as strings, tuples as lists."""
        return {name: _to_json(getattr(self, name)) for name in _FIELD_TYPES}


_WATCH_LIMITS = {"watch_geofence_km": 500, "watch_speed_limit_kmh": 250, "watch_low_level_percent": 100}
MAX_POLYGON_CORNERS = 50


def geofence_polygon(text: str) -> tuple[tuple[float, float], ...]:
    """The corners of a polygon geofence written as "lat,lon; lat,lon; …" (empty: no polygon). Raises ValueError
    with a message a person can act on."""
    if not text.strip():
        return ()
    if len(text) > 40 * MAX_POLYGON_CORNERS:
        raise ValueError(f"write at most {MAX_POLYGON_CORNERS} corners of latitude,longitude")
    corners = []
    for number, corner in enumerate(text.split(";"), start=1):
        parts = [part.strip() for part in corner.split(",")]
        try:
            lat, lon = (float(part) for part in parts)
        except ValueError:
            raise ValueError(f"corner {number} must be latitude,longitude, got {corner.strip()!r}") from None
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):  # also refuses nan and inf
            raise ValueError(f"corner {number} is not on the globe: {corner.strip()!r}")
        corners.append((lat, lon))
    if not 3 <= len(corners) <= MAX_POLYGON_CORNERS:
        raise ValueError(f"a polygon needs 3 to {MAX_POLYGON_CORNERS} corners, got {len(corners)}")
    return tuple(corners)


_FIELD_TYPES = {field.name: type(field.default) for field in dataclasses.fields(StorePolicy)}
_MONEY = tuple(name for name, kind in _FIELD_TYPES.items() if kind is Decimal)
# Zero is meaningful for these (no buffer, no grace, book right away); the counts below need at least 1.
_NON_NEGATIVE = (
    "buffer_minutes",
    "lead_time_minutes",
    "free_cancellation_hours",
    "pickup_early_minutes",
    "pickup_late_minutes",
    "return_grace_minutes",
)
_POSITIVE = (
    "horizon_days",
    "hold_minutes",
    "minimum_age",
    "self_service_minimum_age",
    "max_active_self_service",
    "max_self_service_per_30_days",
    "max_holds_per_user_per_hour",
    "max_holds_per_ip_per_hour",
)


def _money_problem(amount: Decimal) -> str | None:
    if amount < 0:
        return "must be an amount of 0 or more"
    if amount != round_money(amount):
        return "must have at most 2 decimal places"
    return None


def _convert(name: str, value: object) -> object:
    kind = _FIELD_TYPES[name]
    if kind is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in {"true", "false"}:
            return value.strip().lower() == "true"
    elif kind is int:
        return _to_int(name, value)
    elif kind is tuple:
        if isinstance(value, list | tuple):
            return tuple(_to_int(name, item) for item in value)
    elif kind is Decimal:
        return _to_money(name, value)
    elif kind is str:
        if isinstance(value, str):
            return value.strip()
    raise ValueError(f"{name} has the wrong type: {value!r}")


def _to_int(name: str, value: object) -> int:
    # bool is an int subclass, and a float would hide a fraction; forms send digits as text.
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.isascii() and value.strip().lstrip("-").isdigit():  # not "²"
        return int(value)
    raise ValueError(f"{name} must be a whole number, got {value!r}")


def _to_money(name: str, value: object) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, Decimal | int | str | float):
        raise ValueError(f"{name} must be an amount, got {value!r}")
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"{name} must be an amount, got {value!r}") from None
    if not amount.is_finite():
        raise ValueError(f"{name} must be a finite amount, got {value!r}")
    # Show "99" as "99.00", but leave extra decimals alone so validate() can name the problem.
    return round_money(amount) if amount == round_money(amount) else amount


def _to_json(value: object) -> object:
    if isinstance(value, Decimal):
        return str(value)
    return list(value) if isinstance(value, tuple) else value


@dataclass(frozen=True)
class Refusal:
    code: str
    message: str  # person-readable English


@dataclass(frozen=True)
class DriverRecord:
    verified: bool
    date_of_birth: date | None
    licence_expiry: date | None


def age_on(born: date, day: date) -> int:
    """Whole years; a 29 February birthday comes round on 1 March in other years."""
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def licence_refusal(licence_expiry: date, drive_end_local_date: date) -> Refusal | None:
    """A licence must be valid on the drive's last local day (expiring that very day is fine). One rule for both
    steps: the verify step refuses such a licence for the drive it is entered for, confirm for the one on file."""
    if licence_expiry >= drive_end_local_date:
        return None
    return Refusal(
        "licence_expires_before_drive",
        f"Your driving licence expires on {licence_expiry.isoformat()}, "
        f"before the drive ends on {drive_end_local_date.isoformat()}.",
    )


def driver_refusals(
    driver: DriverRecord | None, kind: str, drive_end_local_date: date, policy: StorePolicy
) -> list[Refusal]:
    """Why this driver may not take this drive; `drive_end_local_date` is the drive's last day in the store's zone."""
    if driver is None or not driver.verified or driver.date_of_birth is None or driver.licence_expiry is None:
        return [Refusal("licence_not_verified", "Verify your driving licence before booking a test drive.")]
    refusals = [refusal] if (refusal := licence_refusal(driver.licence_expiry, drive_end_local_date)) else []
    minimum = policy.self_service_minimum_age if kind == SELF_SERVICE else policy.minimum_age
    if age_on(driver.date_of_birth, drive_end_local_date) < minimum:
        what = "Self-service test drives" if kind == SELF_SERVICE else "Test drives"
        refusals.append(Refusal("under_minimum_age", f"{what} here need a driver aged {minimum} or over."))
    return refusals


@dataclass(frozen=True)
class ShopperDrive:
    booking_id: int
    kind: str
    model_id: int
    status: str
    start: datetime
    end: datetime


ACTIVE_STATUSES = frozenset({"held", "confirmed", "in_progress"})
COUNTED_STATUSES = ACTIVE_STATUSES | {"completed", "no_show"}


def fairness_refusals(
    kind: str,
    model_id: int,
    start: datetime,
    end: datetime,
    history: Sequence[ShopperDrive],
    policy: StorePolicy,
    *,
    ignore_booking_id: int | None = None,
) -> list[Refusal]:
    """Why a shopper may not book [start, end), given their own drives (minus the one being rescheduled)."""
    drives = [d for d in history if d.booking_id != ignore_booking_id]
    refusals = []
    if any(d.status in ACTIVE_STATUSES and d.start < end and start < d.end for d in drives):
        refusals.append(Refusal("overlapping_drive", "You already have a test drive booked at that time."))
    if kind != SELF_SERVICE:
        return refusals
    self_service = [d for d in drives if d.kind == SELF_SERVICE]
    if sum(d.status in ACTIVE_STATUSES for d in self_service) >= policy.max_active_self_service:
        refusals.append(
            Refusal(
                "self_service_active_limit",
                f"You can have {policy.max_active_self_service} self-service drive(s) booked at once; "
                "finish or cancel one first.",
            )
        )
    # Within 30 days either side, so that every 30-day window holding the new drive stays within the limit.
    nearby = [d for d in self_service if d.status in COUNTED_STATUSES and abs(d.start - start) < FAIRNESS_WINDOW]
    if len(nearby) >= policy.max_self_service_per_30_days:
        refusals.append(
            Refusal(
                "self_service_monthly_limit",
                f"You can take {policy.max_self_service_per_30_days} self-service drives in any 30 days.",
            )
        )
    if any(d.model_id == model_id for d in nearby):
        refusals.append(
            Refusal(
                "self_service_same_model",
                "You have a self-service drive of this model within 30 days; try another model.",
            )
        )
    return refusals


@dataclass(frozen=True)
class DepositDecision:
    kind: Literal["waived", "deposit"]
    amount: Decimal
    reason: str  # credit_score, premium_membership, score_below_threshold or no_score


def deposit_decision(
    score: int | None, premium_member: bool, vehicle_price: Decimal, policy: StorePolicy
) -> DepositDecision:
    """Waive the deposit for a good credit score or a premium member; otherwise the vehicle's class sets it."""
    if score is not None and score >= policy.waiver_score_threshold:
        return DepositDecision("waived", ZERO, "credit_score")
    if premium_member:
        return DepositDecision("waived", ZERO, "premium_membership")
    premium_class = vehicle_price >= policy.premium_price_threshold
    amount = policy.deposit_premium if premium_class else policy.deposit_standard
    return DepositDecision("deposit", round_money(amount), "no_score" if score is None else "score_below_threshold")


def cancellation_refund(
    paid: Decimal, drive_start: datetime, cancelled_at: datetime, policy: StorePolicy, *, by_store: bool = False
) -> Decimal:
    """All of it when the store cancels or the shopper gives enough notice; else the late-cancellation share."""
    if paid <= 0:
        return ZERO
    if by_store or drive_start - cancelled_at >= timedelta(hours=policy.free_cancellation_hours):
        return round_money(paid)
    return round_money(paid * policy.late_cancellation_refund_percent / 100)


def _started(span: timedelta, unit: timedelta) -> int:
    return -(-span // unit)  # ceiling division: a started hour or day counts whole


def late_return_fee(due: datetime, returned: datetime, policy: StorePolicy) -> Decimal:
    """Nothing within the grace period; past it, a fee per started hour since `due`, capped per started day."""
    late = returned - due
    if late <= timedelta(minutes=policy.return_grace_minutes):
        return ZERO
    fee = policy.late_fee_per_hour * _started(late, timedelta(hours=1))
    cap = policy.late_fee_cap_per_day * _started(late, timedelta(days=1))
    return round_money(min(fee, cap))


def completion_refund(paid: Decimal, late_fee: Decimal) -> Decimal:
    """The deposit less any late fee, never below zero (a fee beyond the deposit is not collected here)."""
    return round_money(max(paid - late_fee, ZERO))


def pickup_window(start: datetime, policy: StorePolicy) -> tuple[datetime, datetime]:
    """When the keys may be collected: from a little before the start until the no-show cut-off."""
    return start - timedelta(minutes=policy.pickup_early_minutes), start + timedelta(minutes=policy.pickup_late_minutes)
