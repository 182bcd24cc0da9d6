"""Stateful property test of the booking use cases, on SQLite and PostgreSQL.

Hypothesis drives the service functions directly — hold, confirm, cancel, reschedule, expire, and the
clock moving on — for four shoppers (two verified with a high credit score, one with a low score who must
pay a deposit, one unverified) and two Mondeos of one store, over six overlapping starts. Refusals the
rules allow (409, 422, 429, 404) are fine outcomes. After every step:

- no two bookings that hold a car (held and not yet lapsed, confirmed, in progress) overlap in
  [starts_at, blocks_until) — on PostgreSQL the exclusion constraint also guards this;
- a `slot_taken` refusal was true: every car that could have served the request was held at that time.

The transaction per example, the savepoint per step, the clock and the overlap invariant come from
`tests.booking_machines`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import strategies as st
from hypothesis.stateful import Bundle, multiple, rule
from sqlalchemy import Engine, select

from forecourt.catalog.vin import build_vin
from forecourt.testdrive import lifecycle
from forecourt.testdrive import service as bookings
from forecourt.testdrive.availability import DriveKind
from forecourt.testdrive.models import BookingStatus, TestDriveBooking
from tests.booking_machines import CIPHER, INTEGRATIONS, SECRET, OneTransactionMachine, run_machine
from tests.factories import make_small_catalog, make_user, make_vehicle
from tests.testdrive.helpers import HIGH_SCORE_ID, LOW_SCORE_ID

SHANGHAI = ZoneInfo("Asia/Shanghai")
# 10:00 to 12:30 the next day, every 30 minutes: a 60-minute drive plus the 30-minute buffer overlaps the
# two starts either side of it, so holds, moves and refusals interleave.
STARTS = [datetime(2026, 12, 2, 10, 0, tzinfo=SHANGHAI) + timedelta(minutes=30 * i) for i in range(6)]
SHOPPERS = 4


class BookingMachine(OneTransactionMachine):
    references = Bundle("references")

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine)
        self.owners: dict[str, int] = {}  # reference -> shopper index
        self._seed()

    def _seed(self) -> None:
        session = self.session
        catalog = make_small_catalog(session)
        store = catalog["stores"]["gz-tianhe"]
        trim = catalog["trims"]["mondeo-ecoboost180"]
        self.cars = [make_vehicle(session, trim, store, test_drive_fleet=True) for _ in range(2)]
        for serial, car in enumerate(self.cars, start=990001):
            # The same VINs in every example: a model hold takes the free cars in VIN order, and the factory's
            # serials (shared by the whole session) would reorder them from example to example.
            car.vin = build_vin("LVS", "HCAMB", 2018, "Z", serial)
        self.car_ids = [car.id for car in self.cars]
        self.shoppers = [make_user(session, roles=[("shopper", None)]) for _ in range(SHOPPERS)]
        for index, id_number in ((0, HIGH_SCORE_ID), (1, HIGH_SCORE_ID), (2, LOW_SCORE_ID)):  # 3: unverified
            self.verify(self.shoppers[index].id, id_number)
        session.flush()

    # --- helpers ---------------------------------------------------------------------------------------------

    def _assert_all_taken(self, car_ids: list[int], start: datetime, exclude_id: int | None = None) -> None:
        """A `slot_taken` refusal must be true: each candidate car is held across the asked-for drive."""
        end = start + timedelta(minutes=90)  # 60-minute drive + 30-minute buffer
        live = self._live_rows(exclude_id)
        for car_id in car_ids:
            assert any(r.vehicle_id == car_id and r.starts_at < end and start < r.blocks_until for r in live), (
                f"slot_taken for {start.isoformat()} though car {car_id} is free then"
            )

    def _refused_with(self, code: str) -> bool:
        return self.last_refusal is not None and self.last_refusal.code == code

    # --- rules -----------------------------------------------------------------------------------------------

    @rule(
        target=references,
        shopper=st.integers(0, SHOPPERS - 1),
        car=st.sampled_from([0, 1, None]),
        slot=st.integers(0, len(STARTS) - 1),
    )
    def hold(self, shopper: int, car: int | None, slot: int):
        user = self.shoppers[shopper]
        request = bookings.DriveRequest(
            kind=DriveKind.ACCOMPANIED,
            start=STARTS[slot],
            vin=self.cars[car].vin if car is not None else None,
            model_code=None if car is not None else "mondeo",
            store_code=None if car is not None else "gz-tianhe",
        )
        self.last_refusal = None
        booking = self._step(
            lambda: bookings.hold(
                self.session, bookings.Shopper(user.id, user.email), request, ip=f"10.0.0.{shopper + 1}", now=self.now
            )
        )
        if booking is None:
            if self._refused_with("slot_taken"):
                self._assert_all_taken(self.car_ids if car is None else [self.car_ids[car]], STARTS[slot])
            return multiple()
        assert booking.status == BookingStatus.HELD.value and booking.vehicle_id in self.car_ids
        self.owners[booking.reference] = shopper
        return booking.reference

    @rule(reference=references, pay=st.booleans())
    def confirm(self, reference: str, pay: bool) -> None:
        user = self.shoppers[self.owners[reference]]
        outcome = self._step(
            lambda: lifecycle.confirm(
                self.session,
                user.id,
                reference,
                payment_method="demo-card-ok" if pay else None,
                payment_provider=INTEGRATIONS.payments,
                secret_key=SECRET,
                cipher=CIPHER,
                now=self.now,
            )
        )
        if outcome is not None:
            assert outcome.booking.status == BookingStatus.CONFIRMED.value and outcome.booking.hold_expires_at is None

    @rule(reference=references)
    def cancel(self, reference: str) -> None:
        user = self.shoppers[self.owners[reference]]
        booking = self._step(
            lambda: lifecycle.cancel(
                self.session,
                reference,
                actor_user_id=user.id,
                by_store=False,
                reason="plans changed",
                payment_provider=INTEGRATIONS.payments,
                now=self.now,
            )
        )
        if booking is not None:
            assert booking.status == BookingStatus.CANCELLED.value

    @rule(reference=references, slot=st.integers(0, len(STARTS) - 1))
    def reschedule(self, reference: str, slot: int) -> None:
        user = self.shoppers[self.owners[reference]]
        self.last_refusal = None
        booking = self._step(lambda: lifecycle.reschedule(self.session, user.id, reference, STARTS[slot], now=self.now))
        if booking is None:
            if self._refused_with("slot_taken"):
                own = self.session.scalars(
                    select(TestDriveBooking.id).where(TestDriveBooking.reference == reference)
                ).one()
                self._assert_all_taken(self.car_ids, STARTS[slot], exclude_id=own)
            return
        assert booking.starts_at == STARTS[slot] and booking.vehicle_id in self.car_ids

    @rule()
    def expire(self) -> None:
        self._step(lambda: bookings.expire_holds(self.session, self.now))
        lapsed = self.session.execute(
            select(TestDriveBooking.id).where(
                TestDriveBooking.status == BookingStatus.HELD.value, TestDriveBooking.hold_expires_at <= self.now
            )
        ).all()
        assert not lapsed


def test_live_bookings_of_a_car_never_overlap(db_engine: Engine) -> None:
    run_machine(lambda: BookingMachine(db_engine), examples=40, steps=25)


def test_a_lapsed_hold_does_not_block_a_reschedule(db_engine: Engine) -> None:
    """A step sequence the machine above found: a hold that lapsed (not yet marked expired) must not keep a
    confirmed drive from moving onto that car — on PostgreSQL the exclusion constraint sees every 'held'
    row, so `reschedule` marks lapsed holds of its candidate cars expired first, as `hold` does."""
    machine = BookingMachine(db_engine)
    try:
        machine.hold(shopper=3, car=0, slot=0)  # 10:00 on car 0; never confirmed
        moving = machine.hold(shopper=0, car=0, slot=4)  # 12:00 on car 0
        machine.confirm(moving, pay=False)
        machine.confirm(machine.hold(shopper=1, car=1, slot=1), pay=False)  # 10:30 on car 1
        machine.advance_time(11)  # the 10:00 hold lapses
        machine.last_refusal = None
        machine.reschedule(moving, 1)  # to 10:30: only car 0 is free
        assert machine.last_refusal is None, machine.last_refusal
        machine.no_car_is_promised_twice()
    finally:
        machine.teardown()
