"""After the hold: confirm (verified driver, waiver or deposit), cancel with refund rules, reschedule."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from forecourt.audit import service as audit
from forecourt.catalog import service as catalog
from forecourt.catalog.models import Vehicle
from forecourt.core.crypto import FieldCipher
from forecourt.core.errors import Conflict, FieldError, InvalidInput
from forecourt.identity import service as identity
from forecourt.identity.credit import CreditScoreProvider
from forecourt.identity.models import DriverVerification
from forecourt.identity.providers import IdentityClaim, IdentityProvider
from forecourt.payments import service as payments
from forecourt.payments.providers import PaymentProvider
from forecourt.testdrive import handover, notifications, repository
from forecourt.testdrive import policy as policies
from forecourt.testdrive import service as bookings
from forecourt.testdrive.availability import DriveKind
from forecourt.testdrive.deposits import refund_deposit
from forecourt.testdrive.models import BookingStatus, DepositKind, TestDriveBooking
from forecourt.testdrive.rules import (
    SELF_SERVICE,
    DepositDecision,
    Refusal,
    StorePolicy,
    cancellation_refund,
    deposit_decision,
    driver_refusals,
    licence_refusal,
)

ACCOMPANIED = DriveKind.ACCOMPANIED.value
CANCELLABLE = (BookingStatus.HELD.value, BookingStatus.CONFIRMED.value)
DEPOSIT_PURPOSE = "test_drive_deposit"


@dataclass(frozen=True)
class Confirmation:
    booking: TestDriveBooking
    pickup_code: str | None  # self-service only; shown once and sent by SMS, never stored in clear


def _store_and_policy(session: Session, booking: TestDriveBooking) -> tuple[Vehicle, StorePolicy]:
    vehicle = catalog.get_vehicle_by_id(session, booking.vehicle_id)
    return vehicle, policies.store_policy(session, vehicle.store)


def deposit_for(session: Session, booking: TestDriveBooking) -> DepositDecision:
    """What the shopper would pay to confirm: waived by credit score or membership, else the deposit."""
    vehicle, policy = _store_and_policy(session, booking)
    verification = identity.get_verification(session, booking.shopper_user_id)
    score = verification.credit_score if verification and verification.verified else None
    premium = bool(verification and verification.verified and verification.premium_member)
    return deposit_decision(score, premium, vehicle.price, policy)


@dataclass(frozen=True)
class DriverCheck:
    """The driver rules for one drive: its last local day (the licence must be valid on it and the age is taken on
    it), the minimum age of its kind, and why the licence on file may not take it (empty: it may)."""

    last_day: date
    minimum_age: int
    refusals: tuple[Refusal, ...]
    accompanied_instead: bool = False  # too young to drive alone, old enough for an accompanied drive the store offers


# What a shopper does about a driver refusal at confirm, for the API's problem document (the hold page shows the
# same step as a form): every one is solved by verifying a licence for this drive, then confirming again.
VERIFY_PATH = "/api/v1/me/driver-verification"
NEXT_STEP = {
    "licence_not_verified": "Then confirm again.",
    "licence_expires_before_drive": "Verify a licence valid until the drive ends, then confirm again.",
    "under_minimum_age": "Verify the licence of a driver old enough for this drive, then confirm again.",
}


def drive_last_day(session: Session, booking: TestDriveBooking) -> date:
    """The drive's last day in its store's zone: what a licence and the age are judged on."""
    store_zone = catalog.get_vehicle_by_id(session, booking.vehicle_id).store.time_zone
    return booking.ends_at.astimezone(ZoneInfo(store_zone)).date()


def driver_check(session: Session, booking: TestDriveBooking, cipher: FieldCipher) -> DriverCheck:
    """The rules confirm applies, so the hold page can show a refusal (and the way out) before the shopper tries."""
    _, policy = _store_and_policy(session, booking)
    last_day = drive_last_day(session, booking)
    driver = identity.driver_record(session, booking.shopper_user_id, cipher)
    minimum = policy.self_service_minimum_age if booking.kind == SELF_SERVICE else policy.minimum_age
    refusals = tuple(driver_refusals(driver, booking.kind, last_day, policy))
    too_young = any(r.code == "under_minimum_age" for r in refusals)
    instead = (
        too_young
        and booking.kind == SELF_SERVICE
        and policy.accompanied_enabled
        and not any(r.code == "under_minimum_age" for r in driver_refusals(driver, ACCOMPANIED, last_day, policy))
    )
    return DriverCheck(last_day, minimum, refusals, instead)


def _check_driver(session: Session, booking: TestDriveBooking, cipher: FieldCipher) -> None:
    check = driver_check(session, booking, cipher)
    if check.refusals:
        first = check.refusals[0]
        raise Conflict(
            f"{first.message} {NEXT_STEP[first.code]}",
            code=first.code,
            extra={
                "reasons": [{"code": r.code, "message": r.message} for r in check.refusals],
                "drive_ends_on": check.last_day.isoformat(),
                "minimum_age": check.minimum_age,
                # A verified shopper may replace their licence at any time: the same endpoint, told which drive.
                "next_step": {
                    "action": "verify_licence",
                    "method": "POST",
                    "href": VERIFY_PATH,
                    "test_drive": booking.reference,
                },
            },
        )


def verify_driver_until(
    session: Session,
    user_id: int,
    claim: IdentityClaim,
    last_day: date,
    *,
    ends: str,
    identity_provider: IdentityProvider,
    credit: CreditScoreProvider,
    secret_key: str,
    cipher: FieldCipher,
    today: date,
    extra: dict[str, str] | None = None,
) -> DriverVerification:
    """Verify (or replace) the licence for a use of a car whose last local day is `last_day` (a drive or a rental:
    `ends` names it in the message). A licence that expires before then is refused here, by the rule confirm applies,
    before the provider is asked or anything is stored: recording it would only lead to a refused confirm, and would
    replace a licence that may still be good."""
    refusal = licence_refusal(claim.licence_expiry, last_day)
    if refusal is not None:
        raise InvalidInput(
            f"{refusal.message} Enter a licence valid until the {ends} ends.",
            code=refusal.code,
            errors=[FieldError("licence_expiry", f"must be {last_day.isoformat()} or later")],
            extra=extra or {},
        )
    return identity.verify_driver(
        session,
        user_id,
        claim,
        identity=identity_provider,
        credit=credit,
        secret_key=secret_key,
        cipher=cipher,
        today=today,
    )


def verify_driver_for_drive(
    session: Session,
    user_id: int,
    reference: str,
    claim: IdentityClaim,
    *,
    identity_provider: IdentityProvider,
    credit: CreditScoreProvider,
    secret_key: str,
    cipher: FieldCipher,
    today: date,
) -> DriverVerification:
    """Verify (or replace) the shopper's licence for one of their drives: valid on the drive's last local day."""
    booking = bookings.get_own_booking(session, user_id, reference)
    last_day = drive_last_day(session, booking)
    return verify_driver_until(
        session,
        user_id,
        claim,
        last_day,
        ends="drive",
        extra={"licence_expiry": claim.licence_expiry.isoformat(), "drive_ends_on": last_day.isoformat()},
        identity_provider=identity_provider,
        credit=credit,
        secret_key=secret_key,
        cipher=cipher,
        today=today,
    )


def confirm(
    session: Session,
    user_id: int,
    reference: str,
    *,
    payment_method: str | None,
    payment_provider: PaymentProvider,
    secret_key: str,
    cipher: FieldCipher,
    now: datetime,
    salespeople: Sequence[int] = (),
) -> Confirmation:
    """`salespeople`: the store's staff ids (the caller asks the accounts context); an accompanied drive gets
    the first one free at that time, or none (the store assigns someone at check-out). `cipher` opens the
    driver's encrypted date of birth for the age rule."""
    booking = bookings.get_own_booking(session, user_id, reference, for_update=True)
    bookings.live_hold(booking, now)
    vehicle = catalog.get_vehicle_by_id(session, booking.vehicle_id)
    _check_driver(session, booking, cipher)
    decision = deposit_for(session, booking)
    booking.credit_score = _score(session, user_id)
    booking.deposit_kind, booking.deposit_reason = decision.kind, decision.reason
    booking.deposit_amount = decision.amount if decision.kind == DepositKind.DEPOSIT.value else Decimal("0.00")
    if decision.kind == DepositKind.DEPOSIT.value:
        if not payment_method:
            raise InvalidInput(
                f"A refundable deposit of CNY {decision.amount} is needed to confirm; choose a payment method",
                code="payment_method_required",
                extra={"deposit": str(decision.amount)},
                errors=[FieldError("payment_method", "required for the deposit")],
            )
        payment = payments.charge(
            session,
            payment_provider,
            user_id=user_id,
            purpose=DEPOSIT_PURPOSE,
            subject=booking.reference,
            amount=decision.amount,
            currency=vehicle.currency,
            method_token=payment_method,
            idempotency_key=f"{booking.reference}:deposit",
        )
        booking.payment_id = payment.id
    booking.status = BookingStatus.CONFIRMED.value
    booking.confirmed_at = booking.updated_at = now
    booking.hold_expires_at = None
    code = handover.issue_pickup_code(booking, secret_key) if booking.kind == DriveKind.SELF_SERVICE.value else None
    if booking.kind == DriveKind.ACCOMPANIED.value:
        booking.salesperson_user_id = _free_salesperson(session, salespeople, booking)
    session.flush()
    notifications.booking_confirmed(session, booking, vehicle, code)
    handover.conversion_event(session, booking, "test_drive_booked", now)
    audit.record(
        session,
        user_id,
        "testdrive.confirmed",
        "test_drive",
        booking.reference,
        booking.store_id,
        deposit=decision.kind,
        amount=str(booking.deposit_amount),
    )
    return Confirmation(booking, code)


def _free_salesperson(session: Session, salespeople: Sequence[int], booking: TestDriveBooking) -> int | None:
    busy = repository.busy_salespeople(session, salespeople, booking.starts_at, booking.ends_at)
    return next((staff for staff in salespeople if staff not in busy and staff != booking.shopper_user_id), None)


def _score(session: Session, user_id: int) -> int | None:
    verification = identity.get_verification(session, user_id)
    return verification.credit_score if verification and verification.verified else None


def _refund_on_cancel(session: Session, booking: TestDriveBooking, now: datetime, *, by_store: bool) -> Decimal:
    _, policy = _store_and_policy(session, booking)
    return cancellation_refund(booking.deposit_amount, booking.starts_at, now, policy, by_store=by_store)


def cancellation_preview(session: Session, booking: TestDriveBooking, now: datetime) -> Decimal:
    """The refund the shopper's own cancel would give at `now` (nothing once the drive can no longer be cancelled)."""
    if booking.status not in CANCELLABLE:
        return Decimal("0.00")
    return _refund_on_cancel(session, booking, now, by_store=False)


def cancel(
    session: Session,
    reference: str,
    *,
    actor_user_id: int,
    by_store: bool,
    reason: str,
    payment_provider: PaymentProvider,
    now: datetime,
) -> TestDriveBooking:
    """The shopper's own cancel (the caller checked ownership) or the store's (always a full refund)."""
    booking = bookings.get_booking(session, reference, for_update=True)
    if booking.status not in CANCELLABLE:
        raise Conflict(
            f"Test drive {booking.reference} is {booking.status.replace('_', ' ')} and can no longer be cancelled",
            code="not_cancellable",
            extra={"booking_status": booking.status},
        )
    refund = _refund_on_cancel(session, booking, now, by_store=by_store)
    refund_deposit(session, booking, refund, payment_provider, "cancel")
    was_confirmed = booking.status == BookingStatus.CONFIRMED.value
    booking.status = BookingStatus.CANCELLED.value
    booking.cancelled_at = booking.updated_at = now
    booking.cancel_reason = reason.strip()[:200]
    booking.pickup_code_hash = None
    session.flush()
    if was_confirmed:
        notifications.booking_cancelled(session, booking, catalog.get_vehicle_by_id(session, booking.vehicle_id))
    audit.record(
        session,
        actor_user_id,
        "testdrive.cancelled",
        "test_drive",
        booking.reference,
        booking.store_id,
        by_store=by_store,
        refund=str(refund),
    )
    return booking


def reschedule(
    session: Session, user_id: int, reference: str, new_start: datetime, *, now: datetime
) -> TestDriveBooking:
    """Move a held or confirmed drive to another start, on the same car when it is free, else on another car of
    the same model at the same store. The drive keeps its kind and length."""
    booking = bookings.get_own_booking(session, user_id, reference, for_update=True)
    if booking.status == BookingStatus.HELD.value:
        bookings.live_hold(booking, now)
    elif booking.status != BookingStatus.CONFIRMED.value:
        raise Conflict(
            f"Test drive {booking.reference} is {booking.status.replace('_', ' ')} and cannot be moved",
            code="not_reschedulable",
            extra={"booking_status": booking.status},
        )
    vehicle = catalog.get_vehicle_by_id(session, booking.vehicle_id)
    kind = DriveKind(booking.kind)
    length = booking.ends_at - booking.starts_at
    request = bookings.DriveRequest(
        kind=kind,
        start=new_start,
        minutes=int(length.total_seconds() // 60),
        days=max(1, round(length / timedelta(days=1))),
        model_code=vehicle.model.code,
        store_code=vehicle.store.code,
    )
    plan = bookings.plan_drive(session, request, now)
    bookings.check_fairness(session, user_id, plan, kind, now, ignore=booking.id)
    ids = [v.id for v in plan.candidates]
    catalog.lock_vehicles(session, ids)  # queue behind holds and moves of the same cars (see service.hold)
    repository.expire_stale_holds(session, now, ids)  # a lapsed hold must not block the move (nor the constraint)
    busy = bookings.busy_intervals(
        session,
        ids,
        plan.start - timedelta(days=4),
        plan.block_end,
        now,
        plan.block_end - plan.end,
        ignore_booking_id=booking.id,
    )
    free = sorted(bookings.free_vehicles(plan, busy), key=lambda v: v.id != booking.vehicle_id)
    previous = booking.starts_at
    for candidate in free:
        if _move(session, booking, candidate.id, plan.start, plan.end, plan.block_end, now):
            notifications.booking_rescheduled(session, booking, candidate, previous)
            audit.record(
                session,
                user_id,
                "testdrive.rescheduled",
                "test_drive",
                booking.reference,
                booking.store_id,
                start=plan.start.isoformat(),
                previous=previous.isoformat(),
            )
            return booking
    raise bookings.slot_taken(session, plan, request, now)


def _move(
    session: Session,
    booking: TestDriveBooking,
    vehicle_id: int,
    start: datetime,
    end: datetime,
    block_end: datetime,
    now: datetime,
) -> bool:
    def change() -> None:
        booking.vehicle_id, booking.starts_at, booking.ends_at, booking.blocks_until = vehicle_id, start, end, block_end
        booking.updated_at = now

    return bookings.write_without_overlap(session, change)
