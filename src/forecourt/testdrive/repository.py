"""Every query of the test-drive context."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import Row, and_, func, or_, select, update
from sqlalchemy.orm import Session

from forecourt.testdrive.models import (
    HOLDING_STATUSES,
    BookingPurpose,
    BookingStatus,
    TestDriveBooking,
    TestDriveSettings,
)

_HOLDING = [s.value for s in HOLDING_STATUSES]
# Shoppers' drives only: courtesy loans share the table (and its overlap rule) but no list, limit or figure of shoppers.
TEST_DRIVES = TestDriveBooking.purpose == BookingPurpose.TEST_DRIVE.value
COURTESY = TestDriveBooking.purpose == BookingPurpose.COURTESY.value


def get_settings(session: Session, store_id: int) -> TestDriveSettings | None:
    return session.get(TestDriveSettings, store_id)


def get_booking(session: Session, reference: str, *, for_update: bool = False) -> TestDriveBooking | None:
    """A test drive by reference; a courtesy loan's reference finds nothing (loans are reached through `get_loan`)."""
    statement = select(TestDriveBooking).where(TestDriveBooking.reference == reference, TEST_DRIVES)
    if for_update:
        statement = statement.with_for_update()
    return session.scalars(statement).one_or_none()


def expire_stale_holds(session: Session, now: datetime, vehicle_ids: Collection[int] | None = None) -> int:
    """Mark holds past their expiry as expired, so they stop holding the vehicle (also for the constraint)."""
    statement = update(TestDriveBooking).where(
        TestDriveBooking.status == BookingStatus.HELD.value, TestDriveBooking.hold_expires_at <= now
    )
    if vehicle_ids is not None:
        statement = statement.where(TestDriveBooking.vehicle_id.in_(list(vehicle_ids)))
    result = session.execute(statement.values(status=BookingStatus.EXPIRED.value, updated_at=now))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def holding_rows(
    session: Session, vehicle_ids: Collection[int], start: datetime, end: datetime, now: datetime
) -> Sequence[Row]:
    """(id, vehicle_id, status, starts_at, ends_at, blocks_until) of bookings holding one of the vehicles at
    some time in [start, end); an in-progress drive may run late, so it is returned whatever its end."""
    if not vehicle_ids:
        return []
    live_hold = or_(TestDriveBooking.status != BookingStatus.HELD.value, TestDriveBooking.hold_expires_at > now)
    overlapping = or_(
        and_(TestDriveBooking.starts_at < end, TestDriveBooking.blocks_until > start),
        TestDriveBooking.status == BookingStatus.IN_PROGRESS.value,
    )
    statement = (
        select(
            TestDriveBooking.id,
            TestDriveBooking.vehicle_id,
            TestDriveBooking.status,
            TestDriveBooking.starts_at,
            TestDriveBooking.ends_at,
            TestDriveBooking.blocks_until,
        )
        .where(TestDriveBooking.vehicle_id.in_(list(vehicle_ids)), TestDriveBooking.status.in_(_HOLDING))
        .where(live_hold, overlapping)
        .order_by(TestDriveBooking.vehicle_id, TestDriveBooking.starts_at)
    )
    return session.execute(statement).all()


def shopper_bookings_between(
    session: Session, user_id: int, start: datetime, end: datetime
) -> Sequence[TestDriveBooking]:
    statement = select(TestDriveBooking).where(
        TestDriveBooking.shopper_user_id == user_id,
        TestDriveBooking.starts_at < end,
        TestDriveBooking.ends_at > start,
        TEST_DRIVES,
    )
    return session.scalars(statement).all()


def count_holds_since(session: Session, since: datetime, *, user_id: int | None = None, ip: str | None = None) -> int:
    statement = (
        select(func.count()).select_from(TestDriveBooking).where(TestDriveBooking.created_at >= since, TEST_DRIVES)
    )
    if user_id is not None:
        statement = statement.where(TestDriveBooking.shopper_user_id == user_id)
    if ip is not None:
        statement = statement.where(TestDriveBooking.client_ip == ip)
    return int(session.execute(statement).scalar_one())


def list_shopper_bookings(session: Session, user_id: int, limit: int = 50) -> Sequence[TestDriveBooking]:
    statement = (
        select(TestDriveBooking)
        .where(TestDriveBooking.shopper_user_id == user_id, TEST_DRIVES)
        .order_by(TestDriveBooking.starts_at.desc(), TestDriveBooking.id.desc())
        .limit(limit)
    )
    return session.scalars(statement).all()


def list_store_bookings(session: Session, store_id: int, start: datetime, end: datetime) -> Sequence[TestDriveBooking]:
    statement = (
        select(TestDriveBooking)
        .where(
            TestDriveBooking.store_id == store_id,
            TestDriveBooking.starts_at < end,
            TestDriveBooking.blocks_until > start,
            TestDriveBooking.status != BookingStatus.EXPIRED.value,
            TEST_DRIVES,
        )
        .order_by(TestDriveBooking.vehicle_id, TestDriveBooking.starts_at)
    )
    return session.scalars(statement).all()


def due_reminders(session: Session, now: datetime, until: datetime) -> Sequence[TestDriveBooking]:
    statement = select(TestDriveBooking).where(
        TestDriveBooking.status == BookingStatus.CONFIRMED.value,
        TestDriveBooking.reminder_sent_at.is_(None),
        TEST_DRIVES,
        TestDriveBooking.starts_at > now,
        TestDriveBooking.starts_at <= until,
    )
    return session.scalars(statement.with_for_update(skip_locked=True)).all()


def due_follow_ups(session: Session, checked_in_before: datetime) -> Sequence[TestDriveBooking]:
    statement = select(TestDriveBooking).where(
        TestDriveBooking.status == BookingStatus.COMPLETED.value,
        TestDriveBooking.follow_up_sent_at.is_(None),
        TEST_DRIVES,
        TestDriveBooking.checked_in_at <= checked_in_before,
    )
    return session.scalars(statement.with_for_update(skip_locked=True)).all()


def figures_rows(session: Session, start: datetime, end: datetime, store_ids: Collection[int] | None) -> Sequence[Row]:
    """Per store, model and status: bookings and summed drive seconds of completed drives."""
    statement = (
        select(
            TestDriveBooking.store_id,
            TestDriveBooking.model_id,
            TestDriveBooking.status,
            func.count().label("bookings"),
        )
        .where(TestDriveBooking.starts_at >= start, TestDriveBooking.starts_at < end, TEST_DRIVES)
        .where(TestDriveBooking.status.not_in([BookingStatus.HELD.value, BookingStatus.EXPIRED.value]))
        .group_by(TestDriveBooking.store_id, TestDriveBooking.model_id, TestDriveBooking.status)
    )
    if store_ids is not None:
        statement = statement.where(TestDriveBooking.store_id.in_(list(store_ids)))
    return session.execute(statement).all()


def completed_drive_times(
    session: Session, start: datetime, end: datetime, store_ids: Collection[int] | None
) -> Sequence[Row]:
    statement = select(
        TestDriveBooking.store_id,
        TestDriveBooking.model_id,
        TestDriveBooking.checked_out_at,
        TestDriveBooking.checked_in_at,
    ).where(
        TestDriveBooking.status == BookingStatus.COMPLETED.value,
        TestDriveBooking.starts_at >= start,
        TestDriveBooking.starts_at < end,
        TEST_DRIVES,
    )
    if store_ids is not None:
        statement = statement.where(TestDriveBooking.store_id.in_(list(store_ids)))
    return session.execute(statement).all()


def busy_salespeople(session: Session, candidates: Collection[int], start: datetime, end: datetime) -> set[int]:
    """Salespeople already riding along on a confirmed or running drive overlapping [start, end)."""
    statement = select(TestDriveBooking.salesperson_user_id).where(
        TestDriveBooking.salesperson_user_id.in_(list(candidates)),
        TestDriveBooking.status.in_([BookingStatus.CONFIRMED.value, BookingStatus.IN_PROGRESS.value]),
        TestDriveBooking.starts_at < end,
        TestDriveBooking.ends_at > start,
    )
    return {user_id for user_id in session.scalars(statement) if user_id is not None}


def vehicle_out_on_another_drive(session: Session, vehicle_id: int, booking_id: int) -> str | None:
    """The reference of a drive of this car that has been checked out and not yet checked in, if any."""
    statement = select(TestDriveBooking.reference).where(
        TestDriveBooking.vehicle_id == vehicle_id,
        TestDriveBooking.status == BookingStatus.IN_PROGRESS.value,
        TestDriveBooking.id != booking_id,
    )
    return session.scalars(statement.limit(1)).first()


def get_reservation(
    session: Session, reference: str, purpose: str, *, for_update: bool = False
) -> TestDriveBooking | None:
    statement = select(TestDriveBooking).where(
        TestDriveBooking.reference == reference, TestDriveBooking.purpose == purpose
    )
    if for_update:
        statement = statement.with_for_update()
    return session.scalars(statement).one_or_none()


def live_references_from(session: Session, vehicle_id: int, now: datetime) -> Sequence[str]:
    """Reservations of any purpose that hold the car at `now` or later (a lapsed hold does not)."""
    live_hold = or_(TestDriveBooking.status != BookingStatus.HELD.value, TestDriveBooking.hold_expires_at > now)
    statement = (
        select(TestDriveBooking.reference)
        .where(TestDriveBooking.vehicle_id == vehicle_id, TestDriveBooking.status.in_(_HOLDING), live_hold)
        .where(or_(TestDriveBooking.blocks_until > now, TestDriveBooking.status == BookingStatus.IN_PROGRESS.value))
        .order_by(TestDriveBooking.starts_at)
    )
    return session.scalars(statement).all()


def usage_rows(session: Session, vehicle_ids: Collection[int], start: datetime, end: datetime) -> Sequence[Row]:
    """Reservations of any purpose of these cars that were or are out, or confirmed, and touch [start, end)."""
    if not vehicle_ids:
        return []
    used = [BookingStatus.IN_PROGRESS.value, BookingStatus.COMPLETED.value, BookingStatus.CONFIRMED.value]
    statement = (
        select(
            TestDriveBooking.reference,
            TestDriveBooking.vehicle_id,
            TestDriveBooking.purpose,
            TestDriveBooking.status,
            TestDriveBooking.starts_at,
            TestDriveBooking.ends_at,
            TestDriveBooking.checked_out_at,
            TestDriveBooking.checked_in_at,
        )
        .where(TestDriveBooking.vehicle_id.in_(list(vehicle_ids)), TestDriveBooking.status.in_(used))
        .where(
            or_(
                TestDriveBooking.status == BookingStatus.IN_PROGRESS.value,
                and_(TestDriveBooking.starts_at < end, TestDriveBooking.ends_at > start),
                and_(TestDriveBooking.checked_out_at < end, TestDriveBooking.checked_in_at > start),
            )
        )
        .order_by(TestDriveBooking.vehicle_id, TestDriveBooking.starts_at)
    )
    return session.execute(statement).all()


def get_loan(session: Session, reference: str, *, for_update: bool = False) -> TestDriveBooking | None:
    statement = select(TestDriveBooking).where(TestDriveBooking.reference == reference, COURTESY)
    if for_update:
        statement = statement.with_for_update()
    return session.scalars(statement).one_or_none()


def loans_by_reference(session: Session, references: Collection[str]) -> Sequence[TestDriveBooking]:
    if not references:
        return []
    return session.scalars(
        select(TestDriveBooking).where(TestDriveBooking.reference.in_(list(references)), COURTESY)
    ).all()
