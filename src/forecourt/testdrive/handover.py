"""Handing the car over and taking it back: pick-up codes, check-out, check-in, late fees, no-shows.

A pick-up code is 8 random digits from `secrets`; only an HMAC (keyed with the secret key and bound to the
booking) is stored, it works only inside the pick-up window, and five wrong tries retire it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from forecourt.audit import service as audit
from forecourt.catalog import service as catalog
from forecourt.core.errors import Conflict, FieldError, Forbidden, InvalidInput, NotFound
from forecourt.core.outbox import enqueue_event
from forecourt.payments.providers import PaymentProvider
from forecourt.testdrive import car_watch, notifications, repository
from forecourt.testdrive import policy as policies
from forecourt.testdrive import service as bookings
from forecourt.testdrive.availability import DriveKind
from forecourt.testdrive.deposits import refund_deposit
from forecourt.testdrive.models import BookingPurpose, BookingStatus, TestDriveBooking
from forecourt.testdrive.rules import completion_refund, late_return_fee, pickup_window

PICKUP_CODE_DIGITS = 8
MAX_PICKUP_CODE_FAILURES = 5
ACCOMPANIED_NO_SHOW_AFTER = timedelta(minutes=15)


@dataclass(frozen=True)
class Reading:
    """What staff record when the car leaves or comes back."""

    odometer_km: int
    energy_percent: int
    damage_notes: str = ""
    photo_urls: tuple[str, ...] = field(default_factory=tuple)


def conversion_event(session: Session, booking: TestDriveBooking, kind: str, now: datetime) -> None:
    """Tell marketing (through the outbox) that a drive was booked or taken: a conversion to attribute. A drive
    taken carries how far it went (`distance_km`, by the odometer readings at check-out and check-in) when both
    readings exist; the field is left out otherwise rather than sent as a guess."""
    vehicle = catalog.get_vehicle_by_id(session, booking.vehicle_id)
    payload: dict[str, object] = {
        "event_id": f"platform:{kind}:{booking.reference}",
        "type": kind,
        "occurred_at": now.isoformat(),
        "user_id": booking.shopper_user_id,
        "model_code": vehicle.model.code,
        "city": vehicle.store.city.code,
        "store_code": vehicle.store.code,
        "subject": booking.reference,
        "value": None,
    }
    if kind == "test_drive_taken" and booking.odometer_in_km is not None and booking.odometer_out_km is not None:
        payload["distance_km"] = booking.odometer_in_km - booking.odometer_out_km
    enqueue_event(session, payload)


def _code_digest(secret_key: str, reference: str, code: str) -> str:
    return hmac.new(secret_key.encode(), f"pickup:{reference}:{code}".encode(), hashlib.sha256).hexdigest()


def issue_pickup_code(booking: TestDriveBooking, secret_key: str) -> str:
    code = "".join(secrets.choice("0123456789") for _ in range(PICKUP_CODE_DIGITS))
    booking.pickup_code_hash = _code_digest(secret_key, booking.reference, code)
    booking.pickup_code_failures = 0
    return code


def reissue_pickup_code(session: Session, user_id: int, reference: str, *, secret_key: str, now: datetime) -> str:
    """A new code for a lost one (the old stops working), sent by SMS like the first."""
    booking = bookings.get_own_booking(session, user_id, reference, for_update=True)
    if booking.kind != DriveKind.SELF_SERVICE.value or booking.status != BookingStatus.CONFIRMED.value:
        raise Conflict("Only a confirmed self-service drive has a pick-up code", code="no_pickup_code")
    code = issue_pickup_code(booking, secret_key)
    booking.updated_at = now
    session.flush()
    notifications.pickup_code_sent(session, booking, catalog.get_vehicle_by_id(session, booking.vehicle_id), code)
    audit.record(session, user_id, "testdrive.pickup_code_reissued", "test_drive", booking.reference, booking.store_id)
    return code


def _check_pickup_code(booking: TestDriveBooking, code: str | None, secret_key: str) -> bool:
    if booking.pickup_code_hash is None or booking.pickup_code_failures >= MAX_PICKUP_CODE_FAILURES:
        raise Conflict(
            "This pick-up code no longer works; the shopper can request a new one", code="pickup_code_retired"
        )
    given = (code or "").strip()
    return bool(given) and hmac.compare_digest(
        booking.pickup_code_hash, _code_digest(secret_key, booking.reference, given)
    )


def validate_reading(reading: Reading, field_prefix: str = "", minimum_km: int | None = None) -> None:
    problems = []
    if not 0 <= reading.odometer_km <= 2_000_000:
        problems.append(FieldError(f"{field_prefix}odometer_km", "between 0 and 2,000,000 km"))
    if minimum_km is not None and reading.odometer_km < minimum_km:
        problems.append(FieldError(f"{field_prefix}odometer_km", f"cannot be below the {minimum_km} km at check-out"))
    if not 0 <= reading.energy_percent <= 100:
        problems.append(FieldError(f"{field_prefix}energy_percent", "between 0 and 100"))
    if problems:
        raise InvalidInput(
            "Check the readings: " + "; ".join(f"{p.field} {p.message}" for p in problems),
            code="invalid_reading",
            errors=problems,
        )


def _reservation_for_update(session: Session, reference: str, purpose: BookingPurpose) -> TestDriveBooking:
    if purpose is BookingPurpose.TEST_DRIVE:
        return bookings.get_booking(session, reference, for_update=True)
    booking = repository.get_reservation(session, reference.strip().upper(), purpose.value, for_update=True)
    if booking is None:
        raise NotFound(f"No {purpose.value} {reference}", code="reservation_not_found")
    return booking


def check_out(
    session: Session,
    reference: str,
    reading: Reading,
    *,
    staff_user_id: int,
    allowed_store_ids: frozenset[int] | None,
    pickup_code: str | None,
    secret_key: str,
    now: datetime,
    alert_recipients: Sequence[str] = (),
    purpose: BookingPurpose = BookingPurpose.TEST_DRIVE,
) -> TestDriveBooking:
    """Hand the car over. Self-service needs the shopper's pick-up code, inside the pick-up window; from then on
    a test-drive car is watched by the store's rules, and `alert_recipients` hear about each alert. A rental is
    handed over the same way (`purpose`), unwatched: where a renter drives is their own business."""
    booking = _reservation_for_update(session, reference, purpose)
    bookings.check_store_access(booking, allowed_store_ids)
    noun = "Test drive" if purpose is BookingPurpose.TEST_DRIVE else purpose.value.capitalize()
    if booking.status != BookingStatus.CONFIRMED.value:
        raise Conflict(
            f"{noun} {booking.reference} is {booking.status.replace('_', ' ')}; only a confirmed booking "
            "can be checked out",
            code="not_checkoutable",
            extra={"booking_status": booking.status},
        )
    vehicle = catalog.get_vehicle_by_id(session, booking.vehicle_id)
    policy = policies.store_policy(session, vehicle.store)
    opens, closes = pickup_window(booking.starts_at, policy)
    if not opens <= now <= closes:
        raise Conflict(
            f"Pick-up is possible from {opens.isoformat()} to {closes.isoformat()}",
            code="outside_pickup_window",
            extra={"opens": opens.isoformat(), "closes": closes.isoformat()},
        )
    validate_reading(reading)
    still_out = repository.vehicle_out_on_another_drive(session, booking.vehicle_id, booking.id)
    if still_out:
        raise Conflict(
            f"This car is still out on test drive {still_out}; check it in first",
            code="vehicle_not_returned",
            extra={"other_booking": still_out},
        )
    if booking.kind == DriveKind.SELF_SERVICE.value and not _check_pickup_code(booking, pickup_code, secret_key):
        booking.pickup_code_failures += 1
        session.flush()
        left = MAX_PICKUP_CODE_FAILURES - booking.pickup_code_failures
        # The failure count must survive this refusal, so the caller commits and answers with this error.
        raise Forbidden(f"Wrong pick-up code; {left} tries left", code="pickup_code_wrong", extra={"tries_left": left})
    # Before the booking changes: a refusal here (the car watched for something else) leaves nothing half done,
    # also on the staff page, which commits a refused check-out to keep the pick-up code's failure count.
    if purpose is BookingPurpose.TEST_DRIVE:
        car_watch.start(session, booking, vehicle.store, policy, alert_recipients, now)
    booking.status = BookingStatus.IN_PROGRESS.value
    booking.checked_out_at = booking.updated_at = now
    booking.checked_out_by = staff_user_id
    if booking.kind == DriveKind.ACCOMPANIED.value and booking.salesperson_user_id is None:
        booking.salesperson_user_id = staff_user_id  # whoever hands the keys over rides along
    booking.odometer_out_km, booking.energy_out_percent = reading.odometer_km, reading.energy_percent
    booking.damage_out, booking.photos_out = reading.damage_notes.strip()[:2000], list(reading.photo_urls)
    booking.pickup_code_hash = None  # single use
    session.flush()
    audit.record(
        session,
        staff_user_id,
        "testdrive.checked_out" if purpose is BookingPurpose.TEST_DRIVE else f"reservation.{purpose.value}_checked_out",
        "test_drive" if purpose is BookingPurpose.TEST_DRIVE else "reservation",
        booking.reference,
        booking.store_id,
        odometer_km=reading.odometer_km,
    )
    return booking


def check_in(
    session: Session,
    reference: str,
    reading: Reading,
    *,
    staff_user_id: int,
    allowed_store_ids: frozenset[int] | None,
    payment_provider: PaymentProvider,
    now: datetime,
) -> TestDriveBooking:
    """Take the car back: readings, late-return fee, refund of the deposit less the fee, follow-up later."""
    booking = bookings.get_booking(session, reference, for_update=True)
    bookings.check_store_access(booking, allowed_store_ids)
    if booking.status != BookingStatus.IN_PROGRESS.value:
        raise Conflict(
            f"Test drive {booking.reference} is {booking.status.replace('_', ' ')}; only a car that is out "
            "can be checked in",
            code="not_checkinable",
            extra={"booking_status": booking.status},
        )
    validate_reading(reading, minimum_km=booking.odometer_out_km)
    vehicle = catalog.get_vehicle_by_id(session, booking.vehicle_id)
    policy = policies.store_policy(session, vehicle.store)
    booking.late_fee = late_return_fee(booking.ends_at, now, policy)
    refund_deposit(
        session, booking, completion_refund(booking.deposit_amount, booking.late_fee), payment_provider, "return"
    )
    booking.status = BookingStatus.COMPLETED.value
    booking.checked_in_at = booking.updated_at = now
    booking.checked_in_by = staff_user_id
    booking.odometer_in_km, booking.energy_in_percent = reading.odometer_km, reading.energy_percent
    booking.damage_in, booking.photos_in = reading.damage_notes.strip()[:2000], list(reading.photo_urls)
    if now < booking.ends_at:
        booking.ends_at = max(now, booking.starts_at + timedelta(minutes=1))  # back early: free the car sooner
        booking.blocks_until = booking.ends_at + timedelta(minutes=policy.buffer_minutes)
    session.flush()
    car_watch.end(session, booking, now)
    conversion_event(session, booking, "test_drive_taken", now)
    audit.record(
        session,
        staff_user_id,
        "testdrive.checked_in",
        "test_drive",
        booking.reference,
        booking.store_id,
        odometer_km=reading.odometer_km,
        late_fee=str(booking.late_fee),
    )
    return booking


def no_show_allowed_from(session: Session, booking: TestDriveBooking) -> datetime:
    """When staff may first record a no-show: a fixed grace after an accompanied start, the store's pick-up
    lateness allowance after a self-service one."""
    if booking.kind == DriveKind.ACCOMPANIED.value:
        return booking.starts_at + ACCOMPANIED_NO_SHOW_AFTER
    policy = policies.store_policy(session, catalog.get_vehicle_by_id(session, booking.vehicle_id).store)
    return booking.starts_at + timedelta(minutes=policy.pickup_late_minutes)


def mark_no_show(
    session: Session, reference: str, *, staff_user_id: int, allowed_store_ids: frozenset[int] | None, now: datetime
) -> TestDriveBooking:
    """The shopper did not come: the deposit is kept and the car is free again."""
    booking = bookings.get_booking(session, reference, for_update=True)
    bookings.check_store_access(booking, allowed_store_ids)
    if booking.status != BookingStatus.CONFIRMED.value:
        raise Conflict(
            f"Test drive {booking.reference} is {booking.status.replace('_', ' ')}, not awaiting pick-up",
            code="not_no_showable",
            extra={"booking_status": booking.status},
        )
    allowed_from = no_show_allowed_from(session, booking)
    if now < allowed_from:
        raise Conflict(f"A no-show can be recorded from {allowed_from.isoformat()}", code="too_early_for_no_show")
    booking.status = BookingStatus.NO_SHOW.value
    booking.updated_at = now
    booking.pickup_code_hash = None
    session.flush()
    audit.record(session, staff_user_id, "testdrive.no_show", "test_drive", booking.reference, booking.store_id)
    return booking
