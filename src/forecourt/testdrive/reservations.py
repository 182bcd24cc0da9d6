"""The fleet's one reservation engine: every use of a car — a test drive, a courtesy loan, a rental, a subscription —
is a row of `test_drive_bookings` with its purpose, so one rule keeps them apart: on PostgreSQL the exclusion
constraint over (vehicle_id, [starts_at, blocks_until)) for every row that holds the car, on SQLite the overlap check
inside a write transaction that began IMMEDIATE. No kind of booking has a check of its own to forget.

Other contexts (servicing's courtesy cars, mobility's rentals and subscriptions) reserve, confirm, hand over, finish
and cancel through these functions and get `Reservation` values back: they keep a reservation's reference, never its
row. Money stays with the caller, except the deposit, which the row records as test drives do. Nothing here commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from functools import partial

from sqlalchemy.orm import Session

from forecourt.audit import service as audit
from forecourt.catalog import service as catalog
from forecourt.catalog.models import Vehicle
from forecourt.core import references
from forecourt.core.errors import Conflict, NotFound
from forecourt.payments.providers import PaymentProvider
from forecourt.testdrive import handover, repository
from forecourt.testdrive.availability import DriveKind
from forecourt.testdrive.deposits import refund_deposit
from forecourt.testdrive.models import BookingPurpose, BookingStatus, DepositKind, TestDriveBooking
from forecourt.testdrive.service import busy_intervals, write_without_overlap

LIVE = (BookingStatus.HELD.value, BookingStatus.CONFIRMED.value)
NOUNS = {
    BookingPurpose.TEST_DRIVE: "Test drive",
    BookingPurpose.COURTESY: "Courtesy loan",
    BookingPurpose.RENTAL: "Rental",
    BookingPurpose.SUBSCRIPTION: "Subscription car",
}


@dataclass(frozen=True)
class Reservation:
    """A reservation as other contexts see it."""

    reference: str
    purpose: str
    status: str  # as of `now` when read: a lapsed hold reads 'expired'
    user_id: int
    store_id: int
    vehicle_id: int
    vin: str
    model_code: str
    model_en: str
    model_zh: str
    starts_at: datetime
    ends_at: datetime
    hold_expires_at: datetime | None
    deposit_kind: str
    deposit_reason: str
    deposit_amount: Decimal
    refunded_amount: Decimal
    checked_out_at: datetime | None
    checked_in_at: datetime | None
    odometer_out_km: int | None
    odometer_in_km: int | None
    energy_out_percent: int | None
    energy_in_percent: int | None
    damage_in: str

    @property
    def masked_vin(self) -> str:
        return f"…{self.vin[-6:]}"


@dataclass(frozen=True)
class ReservationRequest:
    purpose: BookingPurpose
    store_id: int
    user_id: int
    candidates: Sequence[Vehicle]  # in order of preference; the first free one is taken
    start: datetime
    end: datetime
    buffer: timedelta  # the store's turnaround after each use
    hold_until: datetime | None  # None: reserved as confirmed at once
    reference_prefix: str  # two letters that tell the kind apart in a reference (TD, CL, RN, SB)
    contact_email: str = ""
    contact_mobile: str = ""
    language: str = "zh-Hans"


def status_now(booking: TestDriveBooking, now: datetime) -> str:
    lapsed = booking.status == BookingStatus.HELD.value and booking.hold_expires_at and booking.hold_expires_at <= now
    return BookingStatus.EXPIRED.value if lapsed else booking.status


def view(booking: TestDriveBooking, vehicle: Vehicle, now: datetime) -> Reservation:
    model = vehicle.model
    return Reservation(
        reference=booking.reference,
        purpose=booking.purpose,
        status=status_now(booking, now),
        user_id=booking.shopper_user_id,
        store_id=booking.store_id,
        vehicle_id=booking.vehicle_id,
        vin=vehicle.vin,
        model_code=model.code,
        model_en=model.name_en,
        model_zh=model.name_zh,
        starts_at=booking.starts_at,
        ends_at=booking.ends_at,
        hold_expires_at=booking.hold_expires_at,
        deposit_kind=booking.deposit_kind,
        deposit_reason=booking.deposit_reason,
        deposit_amount=booking.deposit_amount,
        refunded_amount=booking.refunded_amount,
        checked_out_at=booking.checked_out_at,
        checked_in_at=booking.checked_in_at,
        odometer_out_km=booking.odometer_out_km,
        odometer_in_km=booking.odometer_in_km,
        energy_out_percent=booking.energy_out_percent,
        energy_in_percent=booking.energy_in_percent,
        damage_in=booking.damage_in,
    )


def _view_of(session: Session, booking: TestDriveBooking, now: datetime) -> Reservation:
    return view(booking, catalog.get_vehicle_by_id(session, booking.vehicle_id), now)


def reserve(session: Session, request: ReservationRequest, *, now: datetime) -> Reservation | None:
    """Reserve the first candidate free over [start, end + buffer), or None when none is. The candidates' rows are
    locked first so that reservations of the same cars queue instead of racing into the constraint (where two
    inserts that see each other's uncommitted rows deadlock); the constraint stays the guarantee."""
    ids = [v.id for v in request.candidates]
    if not ids:
        return None
    block_end = request.end + request.buffer
    catalog.lock_vehicles(session, ids)
    repository.expire_stale_holds(session, now, ids)
    busy = busy_intervals(session, ids, request.start, block_end, now, request.buffer)
    taken = {b.vehicle_id for b in busy if b.start < block_end and request.start < b.end}
    confirmed = request.hold_until is None
    for vehicle in (v for v in request.candidates if v.id not in taken):
        booking = TestDriveBooking(
            reference=references.new_reference(request.reference_prefix),
            purpose=request.purpose.value,
            shopper_user_id=request.user_id,
            vehicle_id=vehicle.id,
            store_id=request.store_id,
            model_id=vehicle.trim.model_id,
            kind=DriveKind.SELF_SERVICE.value,  # whoever reserves it drives alone
            status=(BookingStatus.CONFIRMED if confirmed else BookingStatus.HELD).value,
            starts_at=request.start,
            ends_at=request.end,
            blocks_until=block_end,
            hold_expires_at=request.hold_until,
            confirmed_at=now if confirmed else None,
            contact_email=request.contact_email,
            contact_mobile=request.contact_mobile,
            language=request.language,
            created_at=now,
            updated_at=now,
        )
        if write_without_overlap(session, partial(session.add, booking)):
            audit.record(
                session,
                request.user_id,
                f"reservation.{request.purpose.value}_held",
                "reservation",
                booking.reference,
                request.store_id,
                vin=vehicle.vin,
                start=request.start.isoformat(),
                end=request.end.isoformat(),
            )
            return view(booking, vehicle, now)
    return None


def _row(session: Session, reference: str, purpose: BookingPurpose) -> TestDriveBooking:
    booking = repository.get_reservation(session, reference.strip().upper(), purpose.value, for_update=True)
    if booking is None:
        raise NotFound(f"No {NOUNS[purpose].lower()} {reference}", code="reservation_not_found")
    return booking


def get(session: Session, reference: str, purpose: BookingPurpose, *, now: datetime) -> Reservation:
    booking = repository.get_reservation(session, reference.strip().upper(), purpose.value)
    if booking is None:
        raise NotFound(f"No {NOUNS[purpose].lower()} {reference}", code="reservation_not_found")
    return _view_of(session, booking, now)


def _not(booking: TestDriveBooking, purpose: BookingPurpose, wanted: str, code: str, now: datetime) -> Conflict:
    current = status_now(booking, now)
    return Conflict(
        f"{NOUNS[purpose]} {booking.reference} is {current.replace('_', ' ')}, not {wanted}",
        code=code,
        extra={"reservation_status": current},
    )


@dataclass(frozen=True)
class DepositTaken:
    kind: DepositKind
    reason: str
    amount: Decimal
    payment_id: int | None
    credit_score: int | None = None


def confirm(
    session: Session,
    reference: str,
    purpose: BookingPurpose,
    *,
    deposit: DepositTaken,
    secret_key: str | None,
    now: datetime,
) -> tuple[Reservation, str | None]:
    """Confirm a live hold with its deposit (or waiver); with `secret_key`, also issue the pick-up code (returned
    once, only its HMAC kept)."""
    booking = _row(session, reference, purpose)
    if status_now(booking, now) != BookingStatus.HELD.value:
        raise _not(booking, purpose, "held", "hold_not_active", now)
    booking.deposit_kind, booking.deposit_reason = deposit.kind.value, deposit.reason
    booking.deposit_amount, booking.payment_id = deposit.amount, deposit.payment_id
    booking.credit_score = deposit.credit_score
    booking.status = BookingStatus.CONFIRMED.value
    booking.confirmed_at = booking.updated_at = now
    booking.hold_expires_at = None
    code = handover.issue_pickup_code(booking, secret_key) if secret_key else None
    session.flush()
    return _view_of(session, booking, now), code


def cancel(
    session: Session,
    reference: str,
    purpose: BookingPurpose,
    *,
    reason: str,
    deposit_refund: Decimal,
    payment_provider: PaymentProvider | None,
    now: datetime,
) -> Reservation:
    """Release the car of a held or confirmed reservation, refunding `deposit_refund` of its deposit."""
    booking = _row(session, reference, purpose)
    if status_now(booking, now) not in LIVE:
        raise _not(booking, purpose, "held or confirmed", "not_cancellable", now)
    if payment_provider is not None:
        refund_deposit(session, booking, deposit_refund, payment_provider, "cancel")
    booking.status = BookingStatus.CANCELLED.value
    booking.cancelled_at = booking.updated_at = now
    booking.cancel_reason = reason.strip()[:200]
    booking.pickup_code_hash = None
    session.flush()
    return _view_of(session, booking, now)


def finish(
    session: Session,
    reference: str,
    purpose: BookingPurpose,
    reading: handover.Reading,
    *,
    actor: int | None,
    buffer: timedelta,
    deposit_refund: Decimal,
    payment_provider: PaymentProvider | None,
    now: datetime,
) -> Reservation:
    """The car is back: readings recorded, `deposit_refund` of the deposit given back, and a car back early free
    again from `now` plus the store's turnaround."""
    booking = _row(session, reference, purpose)
    if booking.status != BookingStatus.IN_PROGRESS.value:
        raise _not(booking, purpose, "out", "not_checkinable", now)
    handover.validate_reading(reading, minimum_km=booking.odometer_out_km)
    if payment_provider is not None:
        refund_deposit(session, booking, deposit_refund, payment_provider, "return")
    booking.status = BookingStatus.COMPLETED.value
    booking.checked_in_at = booking.updated_at = now
    booking.checked_in_by = actor
    booking.odometer_in_km, booking.energy_in_percent = reading.odometer_km, reading.energy_percent
    booking.damage_in, booking.photos_in = reading.damage_notes.strip()[:2000], list(reading.photo_urls)
    if now < booking.ends_at:
        booking.ends_at = max(now, booking.starts_at + timedelta(minutes=1))
        booking.blocks_until = booking.ends_at + buffer
    session.flush()
    return _view_of(session, booking, now)


def finish_with_sale(session: Session, reference: str, purpose: BookingPurpose, *, now: datetime) -> Reservation:
    """The person using the car buys it (a subscriber converting): the reservation is completed now, where the car
    is, with no return, readings or turnaround, so nothing holds the car from now on and it can be sold to them.
    Only a reservation that holds the car (confirmed or out) finishes so."""
    booking = _row(session, reference, purpose)
    if status_now(booking, now) not in (BookingStatus.CONFIRMED.value, BookingStatus.IN_PROGRESS.value):
        raise _not(booking, purpose, "confirmed or out", "not_finishable", now)
    booking.status = BookingStatus.COMPLETED.value
    booking.checked_in_at = booking.updated_at = now
    if now < booking.ends_at:
        booking.ends_at = max(now, booking.starts_at + timedelta(minutes=1))
    booking.blocks_until = booking.ends_at
    session.flush()
    return _view_of(session, booking, now)


def end_at(session: Session, reference: str, purpose: BookingPurpose, end: datetime, *, buffer: timedelta) -> None:
    """Move a reservation's end (a subscription's car given back, a swap): the constraint checks the new span."""
    booking = _row(session, reference, purpose)

    def move() -> None:
        booking.ends_at = max(end, booking.starts_at + timedelta(minutes=1))
        booking.blocks_until = booking.ends_at + buffer

    if not write_without_overlap(session, move):
        raise Conflict(f"{NOUNS[purpose]} {reference} cannot run that long: the car is promised", code="car_promised")


def live_ahead(session: Session, vehicle_id: int, *, now: datetime) -> list[str]:
    """References of the reservations that hold the car now or later (a car leaving its pool keeps these)."""
    return list(repository.live_references_from(session, vehicle_id, now))


@dataclass(frozen=True)
class Use:
    """When a car was out on one reservation (up to `now` for one still out)."""

    reference: str
    vehicle_id: int
    purpose: str
    status: str
    start: datetime
    end: datetime
    due: datetime  # the reservation's end: a car still out after it is overdue


# Courtesy loans and subscription cars have no hand-over step of their own: once confirmed, the car is out from the
# reservation's start. Test drives and rentals are out from check-out to check-in.
NO_HANDOVER = (BookingPurpose.COURTESY.value, BookingPurpose.SUBSCRIPTION.value)


def uses(session: Session, vehicle_ids: Sequence[int], start: datetime, end: datetime, *, now: datetime) -> list[Use]:
    found = []
    for row in repository.usage_rows(session, vehicle_ids, start, end):
        began = row.checked_out_at or row.starts_at
        if row.status == BookingStatus.IN_PROGRESS.value:
            finished = max(now, began)
        elif row.status == BookingStatus.COMPLETED.value:
            finished = row.checked_in_at or row.ends_at
        elif row.purpose in NO_HANDOVER and row.starts_at < now:
            finished = min(row.ends_at, now)
        else:
            continue  # confirmed and not yet handed over: not out
        found.append(Use(row.reference, row.vehicle_id, row.purpose, row.status, began, finished, row.ends_at))
    return found
