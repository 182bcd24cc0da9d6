"""Courtesy loans: a car of the store's test-drive fleet lent to a service customer from drop-off to pick-up.

A loan is a row of `test_drive_bookings` with purpose 'courtesy', so the one overlap rule covers test drives and loans
alike (the exclusion constraint on PostgreSQL, the check inside a BEGIN IMMEDIATE transaction on SQLite): a car is
never lent and driven at once. What a loan keeps of the engine: the store's fleet (its test-drive cars that are
available), its opening hours (the car is handed over at drop-off and back at pick-up, so both happen while the store
is open) and its buffer after each use. What it skips: the shoppers' fairness rules and hold limits, the deposit, the
licence check (the workshop sees the customer's licence at the desk) and the 1–3 day length of self-service drives.

Other contexts call these functions and get `CourtesyLoan` values back; they hold a loan's reference, never its row.
The loan follows its service job: held with the job's hold (same expiry), confirmed with it, released when the job is
cancelled or its hold expires, ended when the job is completed. Nothing here commits.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from sqlalchemy.orm import Session

from forecourt.audit import service as audit
from forecourt.catalog import service as catalog
from forecourt.catalog.models import Vehicle
from forecourt.core import references
from forecourt.core.errors import Conflict, FieldError, InvalidInput, NotFound
from forecourt.testdrive import policy as policies
from forecourt.testdrive import repository
from forecourt.testdrive.availability import DriveKind, is_open_at
from forecourt.testdrive.models import BookingPurpose, BookingStatus, TestDriveBooking
from forecourt.testdrive.reservations import status_now
from forecourt.testdrive.service import busy_intervals, write_without_overlap

LIVE = (BookingStatus.HELD.value, BookingStatus.CONFIRMED.value)


@dataclass(frozen=True)
class CourtesyLoan:
    """A loan as other contexts see it: which car (model and the VIN's last six, as pages show cars) and when."""

    reference: str
    status: str  # as of `now` when read: a lapsed hold reads 'expired'
    vin: str
    model_en: str
    model_zh: str
    starts_at: datetime
    ends_at: datetime

    @property
    def masked_vin(self) -> str:
        return f"…{self.vin[-6:]}"


@dataclass(frozen=True)
class LoanRequest:
    store_id: int
    borrower_user_id: int
    start: datetime  # the service job's drop-off
    end: datetime  # its pick-up
    hold_until: datetime  # the service job's hold expiry: the loan lapses with it unless confirmed
    contact_email: str = ""
    contact_mobile: str = ""
    language: str = "zh-Hans"


def _view(booking: TestDriveBooking, vehicle: Vehicle, now: datetime) -> CourtesyLoan:
    model = vehicle.model
    return CourtesyLoan(
        booking.reference,
        status_now(booking, now),
        vehicle.vin,
        model.name_en,
        model.name_zh,
        booking.starts_at,
        booking.ends_at,
    )


def _check_times(session: Session, request: LoanRequest) -> None:
    if request.start.tzinfo is None or request.end.tzinfo is None or not request.start < request.end:
        raise InvalidInput("A courtesy loan needs an aware start before its end", code="courtesy_times_invalid")
    store = catalog.stores_by_id(session)[request.store_id]
    hours = policies.opening_hours(store)
    if not (is_open_at(hours, request.start) and is_open_at(hours, request.end)):
        raise InvalidInput(
            "A courtesy car is handed over at drop-off and back at pick-up while the store is open; "
            "drop the car off and collect it within opening hours, or book without a courtesy car",
            code="courtesy_outside_hours",
            errors=[FieldError("courtesy_car", "drop-off and pick-up must be within the store's opening hours")],
        )


def lend(session: Session, request: LoanRequest, *, now: datetime) -> CourtesyLoan:
    """Hold a free car of the store's test-drive fleet over [start, end) (plus the store's buffer), or raise 409
    `no_courtesy_car`. The caller's transaction decides: a refused service hold rolls the loan back with it."""
    _check_times(session, request)
    store = catalog.stores_by_id(session)[request.store_id]
    fleet = list(catalog.list_test_drive_fleet(session, store_code=store.code))
    policy = policies.store_policy(session, store)
    buffer = timedelta(minutes=policy.buffer_minutes)
    block_end = request.end + buffer
    ids = [v.id for v in fleet]
    if ids:
        catalog.lock_vehicles(session, ids)  # queue behind test-drive holds of the same cars (see service.hold)
        repository.expire_stale_holds(session, now, ids)
    busy = busy_intervals(session, ids, request.start, block_end, now, buffer)
    taken = {b.vehicle_id for b in busy if b.start < block_end and request.start < b.end}
    for vehicle in (v for v in fleet if v.id not in taken):
        booking = TestDriveBooking(
            reference=references.new_reference("CL"),  # CL: a courtesy loan, told apart from TD drives
            purpose=BookingPurpose.COURTESY.value,
            shopper_user_id=request.borrower_user_id,
            vehicle_id=vehicle.id,
            store_id=store.id,
            model_id=vehicle.trim.model_id,
            kind=DriveKind.SELF_SERVICE.value,
            status=BookingStatus.HELD.value,
            starts_at=request.start,
            ends_at=request.end,
            blocks_until=block_end,
            hold_expires_at=request.hold_until,
            contact_email=request.contact_email,
            contact_mobile=request.contact_mobile,
            language=request.language,
            created_at=now,
            updated_at=now,
        )
        if write_without_overlap(session, partial(session.add, booking)):
            audit.record(
                session,
                request.borrower_user_id,
                "testdrive.courtesy_held",
                "test_drive",
                booking.reference,
                store.id,
                vin=vehicle.vin,
                start=request.start.isoformat(),
                end=request.end.isoformat(),
            )
            return _view(booking, vehicle, now)
    raise Conflict(
        f"No courtesy car of store {store.code} is free from drop-off to pick-up; "
        "book without a courtesy car or pick another time",
        code="no_courtesy_car",
        extra={"fleet": len(fleet)},
    )


def _loan(session: Session, reference: str) -> TestDriveBooking:
    booking = repository.get_loan(session, reference, for_update=True)
    if booking is None:
        raise NotFound(f"No courtesy loan {reference}", code="courtesy_loan_not_found")
    return booking


def confirm_loan(session: Session, reference: str, *, now: datetime) -> CourtesyLoan:
    """Confirm a held loan (with its service job; the job has checked that its own hold, of the same expiry, is
    live). Confirming a confirmed loan changes nothing."""
    booking = _loan(session, reference)
    if booking.status == BookingStatus.HELD.value and status_now(booking, now) == BookingStatus.HELD.value:
        booking.status = BookingStatus.CONFIRMED.value
        booking.confirmed_at = booking.updated_at = now
        booking.hold_expires_at = None
        session.flush()
    elif booking.status != BookingStatus.CONFIRMED.value:
        raise Conflict(
            f"Courtesy loan {booking.reference} is {status_now(booking, now)}, not held",
            code="courtesy_loan_not_active",
            extra={"loan_status": status_now(booking, now)},
        )
    return _view(booking, catalog.get_vehicle_by_id(session, booking.vehicle_id), now)


def cancel_loan(session: Session, reference: str, *, actor: int | None, now: datetime) -> None:
    """Release the car (the service job was cancelled). A loan already over is left as it is."""
    booking = _loan(session, reference)
    if booking.status not in LIVE:
        return
    booking.status = BookingStatus.CANCELLED.value
    booking.cancelled_at = booking.updated_at = now
    booking.cancel_reason = "service job cancelled"
    session.flush()
    audit.record(session, actor, "testdrive.courtesy_cancelled", "test_drive", booking.reference, booking.store_id)


def expire_loans(session: Session, references: Collection[str], *, now: datetime) -> int:
    """Release the cars of service holds that lapsed: their held loans become expired."""
    expired = 0
    for booking in repository.loans_by_reference(session, references):
        if booking.status == BookingStatus.HELD.value:
            booking.status = BookingStatus.EXPIRED.value
            booking.updated_at = now
            expired += 1
    session.flush()
    return expired


def end_loan(session: Session, reference: str, *, actor: int | None, now: datetime) -> None:
    """The service job is completed: the customer collects their car and returns the courtesy car, which is free
    for test drives and other loans from `now` (plus nothing: it no longer holds the car at all)."""
    booking = _loan(session, reference)
    if booking.status != BookingStatus.CONFIRMED.value:
        return
    booking.status = BookingStatus.COMPLETED.value
    booking.checked_in_at = booking.updated_at = now
    booking.checked_in_by = actor
    session.flush()
    audit.record(session, actor, "testdrive.courtesy_returned", "test_drive", booking.reference, booking.store_id)


def loans(session: Session, references: Collection[str], *, now: datetime) -> dict[str, CourtesyLoan]:
    """The loans of these references (unknown ones left out), for pages and answers that list service jobs."""
    found = repository.loans_by_reference(session, [r for r in references if r])
    return {b.reference: _view(b, catalog.get_vehicle_by_id(session, b.vehicle_id), now) for b in found}
