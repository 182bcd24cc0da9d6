"""Courtesy loans in the test-drive engine: one overlap rule for loans and drives (both sides of each boundary), the
store's fleet and hours, and nothing of shoppers' lists, limits, reminders or figures counting a loan."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import partial
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from forecourt.catalog import service as catalog
from forecourt.core.errors import Conflict, InvalidInput, NotFound
from forecourt.testdrive import courtesy, figures, repository
from forecourt.testdrive import service as bookings
from forecourt.testdrive.availability import DriveKind
from forecourt.testdrive.models import BookingPurpose, BookingStatus, TestDriveBooking
from tests.factories import auth_headers, make_small_catalog, make_token, make_user, make_vehicle

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)  # 08:00 in Guangzhou; the store opens 09:00–18:00 every day


def local(hour: int, minute: int = 0, day: int = 2) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=SHANGHAI)


@dataclass
class OneCar:
    store_id: int
    store_code: str
    vin: str
    owner_id: int
    owner: dict[str, str]
    shopper_id: int
    staff: dict[str, str]


@pytest.fixture
def one_car(db_session: Session) -> OneCar:
    """gz-tianhe with one test-drive car (and a sold car that is not lendable), an owner and a shopper."""
    catalog = make_small_catalog(db_session)
    store = catalog["stores"]["gz-tianhe"]
    trim = catalog["trims"]["mondeo-ecoboost180"]
    car = make_vehicle(db_session, trim, store, test_drive_fleet=True)
    make_vehicle(db_session, trim, store, status="sold")
    make_vehicle(db_session, trim, catalog["stores"]["sh-pudong"], test_drive_fleet=True)  # another store's
    owner = make_user(db_session, roles=[("shopper", None)])
    shopper = make_user(db_session, roles=[("shopper", None)])
    staff = make_user(db_session, roles=[("store_staff", store.id)])
    fixture = OneCar(
        store.id,
        store.code,
        car.vin,
        owner.id,
        auth_headers(make_token(db_session, owner)),
        shopper.id,
        auth_headers(make_token(db_session, staff)),
    )
    db_session.commit()
    return fixture


def lend(session: Session, car: OneCar, start: datetime, end: datetime, *, hold_minutes: int = 10):
    request = courtesy.LoanRequest(car.store_id, car.owner_id, start, end, NOW + timedelta(minutes=hold_minutes))
    return courtesy.lend(session, request, now=NOW)


def drive(session: Session, car: OneCar, start: datetime, *, user_id: int | None = None) -> TestDriveBooking:
    request = bookings.DriveRequest(kind=DriveKind.ACCOMPANIED, start=start, minutes=60, vin=car.vin)
    return bookings.hold(session, bookings.Shopper(user_id or car.shopper_id), request, ip="10.0.0.1", now=NOW)


def test_a_loan_is_a_courtesy_row_on_the_store_fleet_car(db_session, one_car):
    loan = lend(db_session, one_car, local(10), local(12, 30))
    assert loan.reference.startswith("CL") and loan.vin == one_car.vin and loan.status == "held"
    assert loan.masked_vin == "…" + one_car.vin[-6:] and loan.model_en == "Mondeo"
    row = repository.get_loan(db_session, loan.reference)
    assert row is not None and row.purpose == BookingPurpose.COURTESY.value
    assert row.blocks_until == local(13)  # the store's 30-minute buffer after the car comes back
    assert row.hold_expires_at == NOW + timedelta(minutes=10)
    with pytest.raises(Conflict) as refused:  # the only fleet car is lent: the sold car and sh-pudong's are not
        lend(db_session, one_car, local(11), local(12))
    assert refused.value.code == "no_courtesy_car"


# --- the overlap rule, both ways, both sides of the boundary ------------------------------------------------------


@pytest.mark.parametrize(("drop_off_minute", "lent"), [(30, True), (29, False)])
def test_a_test_drive_blocks_a_loan_until_its_buffer_ends(db_session, one_car, drop_off_minute, lent):
    drive(db_session, one_car, local(10))  # 10:00–11:00, the car blocked until 11:30
    if lent:
        assert lend(db_session, one_car, local(11, drop_off_minute), local(14)).vin == one_car.vin
    else:
        with pytest.raises(Conflict) as refused:
            lend(db_session, one_car, local(11, drop_off_minute), local(14))
        assert refused.value.code == "no_courtesy_car"


@pytest.mark.parametrize(("return_minute", "drive_free"), [(30, True), (31, False)])
def test_a_loan_blocks_a_test_drive_until_its_buffer_ends(db_session, one_car, return_minute, drive_free):
    lend(db_session, one_car, local(10), local(12, return_minute))  # blocked until 13:00 or 13:01
    if drive_free:
        assert drive(db_session, one_car, local(13)).starts_at == local(13)
    else:
        with pytest.raises(Conflict) as refused:
            drive(db_session, one_car, local(13))
        assert refused.value.code == "slot_taken"


def test_a_drive_before_the_loan_must_end_with_its_buffer_before_the_drop_off(db_session, one_car):
    lend(db_session, one_car, local(12), local(15))
    with pytest.raises(Conflict):
        drive(db_session, one_car, local(11))  # 11:00–12:00 plus 30 minutes runs into the loan
    assert drive(db_session, one_car, local(10, 30)).starts_at == local(10, 30)  # ends 11:30, free at 12:00


def test_the_database_refuses_a_loan_overlapping_a_drive_on_postgresql(db_session, one_car, backend):
    """The application check aside, PostgreSQL's exclusion constraint covers loans and drives alike."""
    if backend != "postgresql":
        pytest.skip("SQLite has no exclusion constraint; the BEGIN IMMEDIATE check is its guarantee")
    taken = drive(db_session, one_car, local(10))
    overlapping = TestDriveBooking(
        reference="CLOVERLAP1",
        purpose=BookingPurpose.COURTESY.value,
        shopper_user_id=one_car.owner_id,
        vehicle_id=taken.vehicle_id,
        store_id=one_car.store_id,
        model_id=taken.model_id,
        kind=DriveKind.SELF_SERVICE.value,
        status=BookingStatus.HELD.value,
        starts_at=local(11, 29),
        ends_at=local(12),
        blocks_until=local(12, 30),
        hold_expires_at=NOW + timedelta(minutes=10),
    )
    assert bookings.write_without_overlap(db_session, partial(db_session.add, overlapping)) is False


def test_a_lapsed_loan_hold_frees_the_car(db_session, one_car):
    loan = lend(db_session, one_car, local(10), local(12))
    request = bookings.DriveRequest(kind=DriveKind.ACCOMPANIED, start=local(10), minutes=60, vin=one_car.vin)
    later = NOW + timedelta(minutes=10)
    booking = bookings.hold(db_session, bookings.Shopper(one_car.shopper_id), request, ip="", now=later)
    assert booking.starts_at == local(10)
    assert repository.get_loan(db_session, loan.reference).status == BookingStatus.EXPIRED.value


# --- the store's hours --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "allowed"),
    [
        (local(9), local(18), True),  # opening and closing times themselves are within hours
        (local(8, 59), local(12), False),
        (local(10), local(18, 1), False),
        (local(17), local(9, day=3), True),  # overnight: both hand-overs while open, no 1–3 day drive rule
    ],
)
def test_hand_overs_happen_while_the_store_is_open(db_session, one_car, start, end, allowed):
    if allowed:
        assert lend(db_session, one_car, start, end).starts_at == start
    else:
        with pytest.raises(InvalidInput) as refused:
            lend(db_session, one_car, start, end)
        assert refused.value.code == "courtesy_outside_hours"


def test_a_loan_needs_its_start_before_its_end(db_session, one_car):
    with pytest.raises(InvalidInput) as refused:
        lend(db_session, one_car, local(12), local(12))
    assert refused.value.code == "courtesy_times_invalid"


# --- the loan's states --------------------------------------------------------------------------------------------


def test_confirm_cancel_and_end(db_session, one_car):
    loan = lend(db_session, one_car, local(10), local(12))
    assert courtesy.confirm_loan(db_session, loan.reference, now=NOW).status == "confirmed"
    assert courtesy.confirm_loan(db_session, loan.reference, now=NOW).status == "confirmed"  # again: no change
    courtesy.end_loan(db_session, loan.reference, actor=None, now=NOW + timedelta(days=1))
    row = repository.get_loan(db_session, loan.reference)
    assert row.status == "completed" and row.checked_in_at == NOW + timedelta(days=1)
    assert drive(db_session, one_car, local(10)).starts_at == local(10)  # the ended loan holds the car no more
    courtesy.cancel_loan(db_session, loan.reference, actor=None, now=NOW)  # over already: left as it is
    assert repository.get_loan(db_session, loan.reference).status == "completed"


def test_cancel_releases_and_a_lapsed_hold_cannot_be_confirmed(db_session, one_car):
    first = lend(db_session, one_car, local(10), local(12))
    courtesy.cancel_loan(db_session, first.reference, actor=None, now=NOW)
    assert repository.get_loan(db_session, first.reference).status == "cancelled"
    second = lend(db_session, one_car, local(10), local(12))  # the cancelled loan no longer holds the car
    with pytest.raises(Conflict) as refused:
        courtesy.confirm_loan(db_session, second.reference, now=NOW + timedelta(minutes=10))
    assert refused.value.code == "courtesy_loan_not_active"
    assert courtesy.expire_loans(db_session, [second.reference, first.reference], now=NOW) == 1
    with pytest.raises(NotFound):
        courtesy.confirm_loan(db_session, "CLNOSUCH01", now=NOW)


# --- shoppers' lists, limits and figures know no loans ------------------------------------------------------------


def test_shopper_lists_limits_and_figures_leave_loans_out(db_session, one_car):
    for day in range(2, 8):  # six loans for the owner within the hour: past the shopper's five holds an hour
        loan = lend(db_session, one_car, local(10, day=day), local(12, day=day))
        courtesy.confirm_loan(db_session, loan.reference, now=NOW)
    assert bookings.list_my_bookings(db_session, one_car.owner_id) == []
    assert repository.count_holds_since(db_session, NOW - timedelta(hours=1), user_id=one_car.owner_id) == 0
    assert repository.get_booking(db_session, loan.reference) is None
    assert repository.due_reminders(db_session, NOW, NOW + timedelta(days=30)) == []
    store = catalog.get_store(db_session, one_car.store_code)
    assert bookings.store_calendar(db_session, store, date(2026, 12, 2), 7) == []
    assert figures.figures_table(db_session, date(2026, 12, 1), date(2026, 12, 31), None) == []
    # The owner is not limited as a shopper by the loans: a test drive of their own is still held.
    assert drive(db_session, one_car, local(14), user_id=one_car.owner_id).purpose == BookingPurpose.TEST_DRIVE.value


def test_figures_count_the_test_drives_beside_a_loan(db_session, one_car):
    booking = drive(db_session, one_car, local(10))
    booking.status = BookingStatus.CONFIRMED.value
    loan = lend(db_session, one_car, local(12), local(15))
    courtesy.confirm_loan(db_session, loan.reference, now=NOW)
    rows = figures.figures_table(db_session, date(2026, 12, 1), date(2026, 12, 31), None)
    assert [(r["store"], r["bookings"]) for r in rows] == [("gz-tianhe", 1)]


def test_the_test_drive_api_does_not_show_a_loan(client, db_session, one_car):
    loan = lend(db_session, one_car, local(10), local(12))
    db_session.commit()
    assert client.get(f"/api/v1/test-drives/bookings/{loan.reference}", headers=one_car.owner).status_code == 404
    assert client.get("/api/v1/test-drives/bookings", headers=one_car.owner).json() == []
    cancel = client.post(
        f"/api/v1/test-drives/bookings/{loan.reference}/cancel", json={"reason": "x"}, headers=one_car.owner
    )
    assert cancel.status_code == 404
    reading = {"odometer_km": 100, "energy_percent": 80}
    check_out = client.post(
        f"/api/v1/test-drives/bookings/{loan.reference}/check-out", json=reading, headers=one_car.staff
    )
    assert check_out.status_code == 404, check_out.text
    listed = client.get(f"/api/v1/stores/{one_car.store_code}/test-drives?date=2026-12-02", headers=one_car.staff)
    assert listed.status_code == 200 and listed.json() == []
    stored = db_session.scalars(select(TestDriveBooking).where(TestDriveBooking.reference == loan.reference)).one()
    assert stored.status == BookingStatus.HELD.value  # untouched by the test-drive routes
