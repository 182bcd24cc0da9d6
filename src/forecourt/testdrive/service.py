"""Booking use cases: hold a car for a slot, confirm (verified driver, deposit or waiver), cancel, reschedule.

Overlap safety: every write here runs in a transaction that began IMMEDIATE on SQLite (the API's
`WriteSession`), so the overlap check and the insert see the same, unchanging data; on PostgreSQL the
exclusion constraint refuses an overlapping row even when two requests check at the same moment, and the
insert runs in a savepoint so the loser can try the next free car or answer 409 with the next free slots.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import partial
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from forecourt.audit import service as audit
from forecourt.catalog import service as catalog
from forecourt.catalog.models import Store, Vehicle
from forecourt.core import references
from forecourt.core.errors import Conflict, FieldError, Forbidden, InvalidInput, NotFound, TooManyRequests
from forecourt.core.metrics import record_slot_conflict
from forecourt.telematics import query_service as telemetry
from forecourt.telematics.route_map import MapLabels
from forecourt.telematics.views import RouteView
from forecourt.testdrive import policy as policies
from forecourt.testdrive import repository
from forecourt.testdrive.availability import Busy, DriveKind, Slot, drive_window, next_free_slots
from forecourt.testdrive.models import BookingStatus, TestDriveBooking
from forecourt.testdrive.rules import ShopperDrive, StorePolicy, fairness_refusals

OVERLAP_CONSTRAINT = "ex_test_drive_bookings_no_overlap"
HISTORY_SPAN = timedelta(days=31)


@dataclass(frozen=True)
class Shopper:
    user_id: int
    email: str | None = None
    mobile: str | None = None
    language: str = "zh-Hans"


@dataclass(frozen=True)
class DriveRequest:
    kind: DriveKind
    start: datetime
    minutes: int = 60
    days: int = 1
    vin: str | None = None
    model_code: str | None = None
    store_code: str | None = None


@dataclass(frozen=True)
class DrivePlan:
    """A request resolved against the catalog and the store's rules."""

    store: Store
    policy: StorePolicy
    candidates: tuple[Vehicle, ...]
    start: datetime
    end: datetime
    block_end: datetime


def new_reference() -> str:
    return references.new_reference("TD")


def _candidates(session: Session, request: DriveRequest) -> list[Vehicle]:
    if request.vin:
        vehicle = catalog.get_vehicle(session, request.vin)
        if not vehicle.is_test_drive_fleet or vehicle.status != "available":
            raise InvalidInput(
                f"Vehicle {vehicle.vin} is not offered for test drives; pick a car of the store's test-drive fleet",
                code="not_a_test_drive_car",
            )
        return [vehicle]
    if not request.model_code or not request.store_code:
        raise InvalidInput(
            "Say which car: a vin, or a model and a store",
            code="vehicle_not_specified",
            errors=[FieldError("vin", "give a vin, or model and store")],
        )
    catalog.get_store(session, request.store_code)  # 404 for an unknown store
    catalog.get_model(session, request.model_code)  # 404 for an unknown model
    fleet = catalog.list_test_drive_fleet(session, model_code=request.model_code, store_code=request.store_code)
    if not fleet:
        raise NotFound(
            f"Store {request.store_code} has no {request.model_code} for test drives", code="no_test_drive_car"
        )
    return list(fleet)


def plan_drive(session: Session, request: DriveRequest, now: datetime) -> DrivePlan:
    if request.start.tzinfo is None:
        raise InvalidInput("Give the start with its UTC offset, e.g. 2026-12-01T10:00:00+08:00", code="naive_start")
    candidates = _candidates(session, request)
    store = candidates[0].store
    policy = policies.store_policy(session, store)
    policies.check_drive_offered(policy, request.kind, request.minutes, request.days)
    rules = policies.slot_rules(policy, request.kind, minutes=request.minutes, days=request.days)
    window = drive_window(policies.opening_hours(store), rules, request.start)
    if window is None:
        raise InvalidInput(
            "The store does not offer a drive starting then: pick a slot from the availability "
            "list (starts every 30 minutes, within opening hours)",
            code="slot_not_offered",
        )
    start, end = window
    if start < now + rules.lead_time:
        raise InvalidInput(f"Book at least {policy.lead_time_minutes} minutes ahead", code="too_soon")
    if start > now + rules.horizon:
        raise InvalidInput(f"Book at most {policy.horizon_days} days ahead", code="too_far_ahead")
    return DrivePlan(store, policy, tuple(candidates), start, end, end + rules.buffer)


def busy_intervals(
    session: Session,
    vehicle_ids: Sequence[int],
    start: datetime,
    end: datetime,
    now: datetime,
    buffer: timedelta,
    *,
    ignore_booking_id: int | None = None,
) -> list[Busy]:
    busy = []
    for row in repository.holding_rows(session, vehicle_ids, start, end, now):
        if row.id == ignore_booking_id:
            continue
        block_end = row.blocks_until
        if row.status == BookingStatus.IN_PROGRESS.value:
            block_end = max(block_end, now + buffer)  # a car not yet back stays blocked until checked in
        busy.append(Busy(row.vehicle_id, row.starts_at, block_end))
    return busy


def free_vehicles(plan: DrivePlan, busy: Sequence[Busy]) -> list[Vehicle]:
    taken = {b.vehicle_id for b in busy if b.start < plan.block_end and plan.start < b.end}
    return [v for v in plan.candidates if v.id not in taken]


def slot_taken(session: Session, plan: DrivePlan, request: DriveRequest, now: datetime) -> Conflict:
    ids = [v.id for v in plan.candidates]
    rules = policies.slot_rules(plan.policy, request.kind, minutes=request.minutes, days=request.days)
    busy = busy_intervals(
        session, ids, plan.start - timedelta(days=4), plan.start + timedelta(days=18), now, rules.buffer
    )
    slots = next_free_slots(policies.opening_hours(plan.store), rules, ids, busy, after=plan.start, now=now)
    record_slot_conflict(request.kind.value)  # where the conflict is found: other 409s of these routes are not it
    return Conflict(
        "Sorry, that time was just taken. These are the next free times.",
        code="slot_taken",
        extra={"next_free_slots": [slot_summary(s) for s in slots]},
    )


def slot_summary(slot: Slot) -> dict[str, object]:
    return {"start": slot.start.isoformat(), "end": slot.end.isoformat(), "free_vehicles": len(slot.vehicle_ids)}


def _history(session: Session, user_id: int, start: datetime, now: datetime) -> list[ShopperDrive]:
    rows = repository.shopper_bookings_between(session, user_id, start - HISTORY_SPAN, start + HISTORY_SPAN)
    lapsed = [
        b for b in rows if b.status == BookingStatus.HELD.value and b.hold_expires_at and b.hold_expires_at <= now
    ]
    return [ShopperDrive(b.id, b.kind, b.model_id, b.status, b.starts_at, b.ends_at) for b in rows if b not in lapsed]


def check_fairness(
    session: Session, user_id: int, plan: DrivePlan, kind: DriveKind, now: datetime, *, ignore: int | None = None
) -> None:
    model_id = plan.candidates[0].trim.model_id
    history = _history(session, user_id, plan.start, now)
    refusals = fairness_refusals(
        kind.value, model_id, plan.start, plan.end, history, plan.policy, ignore_booking_id=ignore
    )
    if refusals:
        raise Conflict(
            refusals[0].message,
            code=refusals[0].code,
            extra={"reasons": [{"code": r.code, "message": r.message} for r in refusals]},
        )


def _check_rate_limits(session: Session, user_id: int, ip: str, policy: StorePolicy, now: datetime) -> None:
    since = now - timedelta(hours=1)
    if repository.count_holds_since(session, since, user_id=user_id) >= policy.max_holds_per_user_per_hour:
        raise TooManyRequests(
            "Too many test-drive holds from your account in the last hour; finish or cancel one, or try again later",
            retry_after=900,
            code="hold_rate_limited",
        )
    if ip and repository.count_holds_since(session, since, ip=ip) >= policy.max_holds_per_ip_per_hour:
        raise TooManyRequests(
            "Too many test-drive holds from this network in the last hour; try again later",
            retry_after=900,
            code="hold_rate_limited",
        )


DEADLOCK_SQLSTATE = "40P01"
DEADLOCK_RETRIES = 3


def write_without_overlap(session: Session, change: Callable[[], None]) -> bool:
    """Apply `change` (an insert or a move) and flush it in a savepoint; False when PostgreSQL's exclusion
    constraint found an overlapping booking. Two transactions checking the constraint against each other's
    rows can deadlock; PostgreSQL then aborts one, and that one tries again (by then the other has committed
    or rolled back, so the retry gets a definite answer)."""
    for attempt in range(DEADLOCK_RETRIES + 1):
        try:
            with session.begin_nested():
                change()
                session.flush()
        except IntegrityError as exc:
            if OVERLAP_CONSTRAINT not in str(exc.orig):
                raise
            return False
        except OperationalError as exc:
            if getattr(exc.orig, "sqlstate", None) != DEADLOCK_SQLSTATE or attempt == DEADLOCK_RETRIES:
                raise
            continue
        return True
    return False  # unreachable: the last attempt returns or raises


def hold(session: Session, shopper: Shopper, request: DriveRequest, *, ip: str, now: datetime) -> TestDriveBooking:
    """Reserve a concrete car for the slot for `hold_minutes`, or raise 409 with the next free slots."""
    plan = plan_drive(session, request, now)
    _check_rate_limits(session, shopper.user_id, ip, plan.policy, now)
    check_fairness(session, shopper.user_id, plan, request.kind, now)
    ids = [v.id for v in plan.candidates]
    # Holds for the same cars queue here instead of racing into the exclusion constraint, where two
    # inserts that see each other's uncommitted rows deadlock; the constraint stays the guarantee.
    catalog.lock_vehicles(session, ids)
    repository.expire_stale_holds(session, now, ids)
    busy = busy_intervals(session, ids, plan.start - timedelta(days=4), plan.block_end, now, plan.block_end - plan.end)
    for vehicle in free_vehicles(plan, busy):
        booking = TestDriveBooking(
            reference=new_reference(),
            shopper_user_id=shopper.user_id,
            vehicle_id=vehicle.id,
            store_id=plan.store.id,
            model_id=vehicle.trim.model_id,
            kind=request.kind.value,
            status=BookingStatus.HELD.value,
            starts_at=plan.start,
            ends_at=plan.end,
            blocks_until=plan.block_end,
            hold_expires_at=now + timedelta(minutes=plan.policy.hold_minutes),
            client_ip=ip[:45],
            contact_mobile=shopper.mobile or "",
            contact_email=shopper.email or "",
            language=shopper.language,
            created_at=now,
            updated_at=now,
        )
        if write_without_overlap(session, partial(session.add, booking)):
            audit.record(
                session,
                shopper.user_id,
                "testdrive.held",
                "test_drive",
                booking.reference,
                plan.store.id,
                vin=vehicle.vin,
                start=plan.start.isoformat(),
                kind=request.kind.value,
            )
            return booking
    raise slot_taken(session, plan, request, now)


def get_booking(session: Session, reference: str, *, for_update: bool = False) -> TestDriveBooking:
    booking = repository.get_booking(session, reference.strip().upper(), for_update=for_update)
    if booking is None:
        raise NotFound(f"No test drive {reference}", code="booking_not_found")
    return booking


def get_own_booking(session: Session, user_id: int, reference: str, *, for_update: bool = False) -> TestDriveBooking:
    booking = get_booking(session, reference, for_update=for_update)
    if booking.shopper_user_id != user_id:
        raise NotFound(
            f"No test drive {reference}", code="booking_not_found"
        )  # another's booking: not even its existence
    return booking


def live_hold(booking: TestDriveBooking, now: datetime) -> None:
    """Raise unless the booking is a hold that has not expired (an expired one is marked as such)."""
    if booking.status == BookingStatus.HELD.value and booking.hold_expires_at and booking.hold_expires_at <= now:
        booking.status = BookingStatus.EXPIRED.value
        booking.updated_at = now
    if booking.status != BookingStatus.HELD.value:
        raise Conflict(
            f"Test drive {booking.reference} is {booking.status.replace('_', ' ')}, not held; pick a slot again",
            code="hold_not_active",
            extra={"booking_status": booking.status},
        )


def list_my_bookings(session: Session, user_id: int) -> Sequence[TestDriveBooking]:
    return repository.list_shopper_bookings(session, user_id)


def expire_holds(session: Session, now: datetime) -> int:
    return repository.expire_stale_holds(session, now)


def check_store_access(booking: TestDriveBooking, allowed_store_ids: frozenset[int] | None) -> None:
    if allowed_store_ids is not None and booking.store_id not in allowed_store_ids:
        raise Forbidden(f"Test drive {booking.reference} belongs to another store", code="store_forbidden")


def store_calendar(session: Session, store: Store, first_day: date, days: int) -> Sequence[TestDriveBooking]:
    """The store's drives on `days` local days from `first_day` (lapsed holds left out)."""
    zone = ZoneInfo(store.time_zone)
    start = datetime.combine(first_day, time.min, zone)
    return repository.list_store_bookings(
        session, store.id, start, datetime.combine(first_day + timedelta(days=days), time.min, zone)
    )


@dataclass(frozen=True)
class DrivenRoute:
    """What the shopper sees of a drive they took: how far by the odometer readings, and the route if the car
    reported positions while it was out."""

    odometer_km: int | None  # check-in reading minus check-out reading; None without both
    route: RouteView | None


def driven_route(
    session: Session, booking: TestDriveBooking, labels: MapLabels, *, tile_url: str | None = None
) -> DrivenRoute | None:
    """For a completed drive only (None otherwise): the route is read from the car's telemetry between check-out
    and check-in, through the telematics context's service. The caller has checked that the booking is the
    shopper's own; the route is personal data of that shopper."""
    if booking.status != BookingStatus.COMPLETED.value or booking.checked_out_at is None:
        return None
    odometer_km = None
    if booking.odometer_in_km is not None and booking.odometer_out_km is not None:
        odometer_km = booking.odometer_in_km - booking.odometer_out_km
    route = None
    if booking.checked_in_at is not None:
        store = catalog.get_vehicle_by_id(session, booking.vehicle_id).store
        route = telemetry.drive_route(
            session,
            booking.vehicle_id,
            booking.checked_out_at,
            booking.checked_in_at,
            (float(store.latitude), float(store.longitude)),
            labels,
            tile_url=tile_url,
        )
    return DrivenRoute(odometer_km, route)
