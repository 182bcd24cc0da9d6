"""One car, every use: a stateful property test over test-drive holds, rentals, courtesy loans, subscription cars
and fleet-pool moves of the same two cars, on SQLite and PostgreSQL.

Hypothesis drives the use cases directly — a test-drive hold and confirm, a rental hold, confirm and cancel, a
courtesy loan, a subscription car reserved through the reservation engine (the subscription service reserves its
cars the same way), a car moved between pools, and the clock moving on. Refusals the rules allow are fine outcomes.
After every step no car is promised twice at any instant: no two live reservations of a car, whatever their kinds,
overlap in [starts_at, blocks_until). On PostgreSQL the exclusion constraint also guards this; the pool moves make
the kinds meet on one car (a car moved from the rental to the test-drive fleet keeps its rental).
"""

from __future__ import annotations

from contextlib import ExitStack
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, multiple, rule, run_state_machine_as_test
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from forecourt.catalog.lifecycle import FleetPool
from forecourt.core import clock
from forecourt.core.crypto import field_cipher_from_config
from forecourt.core.errors import Conflict, Forbidden, InvalidInput, NotFound, TooManyRequests
from forecourt.core.settings import Settings
from forecourt.identity.providers import IdentityClaim
from forecourt.identity.service import verify_driver
from forecourt.integrations import build_integrations
from forecourt.mobility.fleet import service as fleet
from forecourt.mobility.rentals import service as rentals
from forecourt.testdrive import courtesy, lifecycle, reservations
from forecourt.testdrive import service as bookings
from forecourt.testdrive.availability import DriveKind
from forecourt.testdrive.models import BookingPurpose, BookingStatus, TestDriveBooking
from tests.factories import make_small_catalog, make_user, make_vehicle
from tests.mobility.factories import make_plans
from tests.testdrive.helpers import HIGH_SCORE_ID, NOW

SETTINGS = Settings(environment="test")
SECRET = SETTINGS.secret_key.get_secret_value()
INTEGRATIONS = build_integrations(SETTINGS)
CIPHER = field_cipher_from_config("", SECRET)
GZ = ZoneInfo("Asia/Shanghai")
STARTS = [datetime(2026, 12, 2, 10, 0, tzinfo=GZ) + timedelta(minutes=45 * i) for i in range(8)]
LENGTHS = [timedelta(hours=1), timedelta(hours=2), timedelta(hours=3)]
EXPECTED = (Conflict, InvalidInput, TooManyRequests, NotFound, Forbidden)
POOLS = [FleetPool.SALE, FleetPool.TEST_DRIVE, FleetPool.RENTAL, FleetPool.SUBSCRIPTION]


class OneCarEveryUse(RuleBasedStateMachine):
    rentals_held = Bundle("rentals")
    drives_held = Bundle("drives")

    def __init__(self, engine: Engine) -> None:
        super().__init__()
        self.connection = engine.connect()
        self.outer = self.connection.begin()
        self.session = Session(
            bind=self.connection, join_transaction_mode="create_savepoint", expire_on_commit=False, autoflush=False
        )
        self.clock = ExitStack()
        self.now = NOW
        self.clock.enter_context(clock.pinned(NOW))
        catalog = make_small_catalog(self.session)
        self.store = catalog["stores"]["gz-tianhe"]
        trim = catalog["trims"]["mondeo-ecoboost180"]
        make_plans(self.session)
        self.cars = [
            make_vehicle(self.session, trim, self.store, test_drive_fleet=True),
            make_vehicle(self.session, trim, self.store, pool="rental"),
        ]
        self.people = [make_user(self.session, roles=[("shopper", None)]) for _ in range(3)]
        for person in self.people:
            verify_driver(
                self.session,
                person.id,
                IdentityClaim("Li Lei", HIGH_SCORE_ID, date(2030, 1, 1)),
                identity=INTEGRATIONS.identity,
                credit=INTEGRATIONS.credit,
                secret_key=SECRET,
                cipher=CIPHER,
                today=NOW.date(),
            )
        self.session.flush()
        self.owner: dict[str, int] = {}

    def teardown(self) -> None:
        self.session.close()
        self.outer.rollback()
        self.connection.close()
        self.clock.close()

    def _step(self, action):
        try:
            with self.session.begin_nested():
                return action()
        except EXPECTED:
            return None

    @rule(target=drives_held, person=st.integers(0, 2), car=st.integers(0, 1), slot=st.integers(0, 7))
    def hold_test_drive(self, person: int, car: int, slot: int):
        user = self.people[person]
        request = bookings.DriveRequest(kind=DriveKind.ACCOMPANIED, start=STARTS[slot], vin=self.cars[car].vin)
        booking = self._step(
            lambda: bookings.hold(self.session, bookings.Shopper(user.id), request, ip="10.0.0.1", now=self.now)
        )
        if booking is None:
            return multiple()
        self.owner[booking.reference] = person
        return booking.reference

    @rule(reference=drives_held)
    def confirm_test_drive(self, reference: str) -> None:
        user = self.people[self.owner[reference]]
        self._step(
            lambda: lifecycle.confirm(
                self.session,
                user.id,
                reference,
                payment_method="demo-card-ok",
                payment_provider=INTEGRATIONS.payments,
                secret_key=SECRET,
                cipher=CIPHER,
                now=self.now,
            )
        )

    @rule(target=rentals_held, person=st.integers(0, 2), slot=st.integers(0, 7), length=st.sampled_from(LENGTHS))
    def hold_rental(self, person: int, slot: int, length: timedelta):
        user = self.people[person]
        request = rentals.RentalRequest(self.store.code, "mondeo", STARTS[slot], STARTS[slot] + length)
        shown = self._step(
            lambda: rentals.hold(self.session, rentals.Renter(user.id, None, None, "en"), request, now=self.now)
        )
        if shown is None:
            return multiple()
        self.owner[shown.rental.reference] = person
        return shown.rental.reference

    @rule(reference=rentals_held)
    def confirm_rental(self, reference: str) -> None:
        user = self.people[self.owner[reference]]
        self._step(
            lambda: rentals.confirm(
                self.session,
                user.id,
                reference,
                payment_method="demo-card-ok",
                payment_provider=INTEGRATIONS.payments,
                secret_key=SECRET,
                cipher=CIPHER,
                now=self.now,
            )
        )

    @rule(reference=rentals_held)
    def cancel_rental(self, reference: str) -> None:
        self._step(
            lambda: rentals.cancel(
                self.session,
                reference,
                actor=self.people[self.owner[reference]].id,
                by_store=False,
                payment_provider=INTEGRATIONS.payments,
                now=self.now,
            )
        )

    @rule(person=st.integers(0, 2), slot=st.integers(0, 7), length=st.sampled_from(LENGTHS))
    def lend_courtesy_car(self, person: int, slot: int, length: timedelta) -> None:
        request = courtesy.LoanRequest(
            self.store.id, self.people[person].id, STARTS[slot], STARTS[slot] + length, self.now + timedelta(hours=1)
        )
        self._step(lambda: courtesy.lend(self.session, request, now=self.now))

    @rule(person=st.integers(0, 2), car=st.integers(0, 1), slot=st.integers(0, 7))
    def reserve_subscription_car(self, person: int, car: int, slot: int) -> None:
        self.session.refresh(self.cars[car])
        if self.cars[car].fleet_pool != FleetPool.SUBSCRIPTION.value:
            return  # the subscription service reserves cars of the subscription fleet only
        request = reservations.ReservationRequest(
            purpose=BookingPurpose.SUBSCRIPTION,
            store_id=self.store.id,
            user_id=self.people[person].id,
            candidates=[self.cars[car]],
            start=STARTS[slot],
            end=STARTS[slot] + timedelta(days=30),
            buffer=timedelta(minutes=30),
            hold_until=None,
            reference_prefix="SB",
        )
        self._step(lambda: reservations.reserve(self.session, request, now=self.now))

    @rule(car=st.integers(0, 1), pool=st.sampled_from(POOLS))
    def move_car(self, car: int, pool: FleetPool) -> None:
        moved = self._step(
            lambda: fleet.move_car(
                self.session, self.cars[car].vin, pool, actor=None, allowed_store_ids=None, now=self.now
            )
        )
        if moved is not None and moved.before != moved.after and pool is FleetPool.SALE:
            assert not reservations.live_ahead(self.session, self.cars[car].id, now=self.now)

    @rule(minutes=st.integers(1, 30))
    def advance_time(self, minutes: int) -> None:
        self.now += timedelta(minutes=minutes)
        self.clock.enter_context(clock.pinned(self.now))

    @invariant()
    def no_car_is_promised_twice(self) -> None:
        rows = self.session.execute(
            select(
                TestDriveBooking.reference,
                TestDriveBooking.purpose,
                TestDriveBooking.vehicle_id,
                TestDriveBooking.status,
                TestDriveBooking.starts_at,
                TestDriveBooking.blocks_until,
                TestDriveBooking.hold_expires_at,
            )
        ).all()
        holding = (BookingStatus.CONFIRMED.value, BookingStatus.IN_PROGRESS.value)
        live = [
            r
            for r in rows
            if r.status in holding or (r.status == BookingStatus.HELD.value and r.hold_expires_at > self.now)
        ]
        for i, a in enumerate(live):
            for b in live[i + 1 :]:
                assert a.vehicle_id != b.vehicle_id or not (
                    a.starts_at < b.blocks_until and b.starts_at < a.blocks_until
                ), f"{a.purpose} {a.reference} and {b.purpose} {b.reference} both hold car {a.vehicle_id}"


def test_no_car_is_promised_twice_across_every_use(db_engine: Engine) -> None:
    run_state_machine_as_test(
        lambda: OneCarEveryUse(db_engine),
        settings=settings(
            max_examples=15,
            stateful_step_count=20,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
