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

from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import strategies as st
from hypothesis.stateful import Bundle, multiple, rule
from sqlalchemy import Engine

from forecourt.catalog.lifecycle import FleetPool
from forecourt.core.errors import Forbidden
from forecourt.mobility.fleet import service as fleet
from forecourt.mobility.rentals import service as rentals
from forecourt.testdrive import courtesy, lifecycle, reservations
from forecourt.testdrive import service as bookings
from forecourt.testdrive.availability import DriveKind
from forecourt.testdrive.models import BookingPurpose
from tests.booking_machines import CIPHER, INTEGRATIONS, SECRET, OneTransactionMachine, run_machine
from tests.factories import make_small_catalog, make_user, make_vehicle
from tests.mobility.factories import make_plans
from tests.testdrive.helpers import HIGH_SCORE_ID

GZ = ZoneInfo("Asia/Shanghai")
STARTS = [datetime(2026, 12, 2, 10, 0, tzinfo=GZ) + timedelta(minutes=45 * i) for i in range(8)]
LENGTHS = [timedelta(hours=1), timedelta(hours=2), timedelta(hours=3)]
POOLS = [FleetPool.SALE, FleetPool.TEST_DRIVE, FleetPool.RENTAL, FleetPool.SUBSCRIPTION]


class OneCarEveryUse(OneTransactionMachine):
    rentals_held = Bundle("rentals")
    drives_held = Bundle("drives")
    refusals = (*OneTransactionMachine.refusals, Forbidden)

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine)
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
            self.verify(person.id, HIGH_SCORE_ID)
        self.session.flush()
        self.owner: dict[str, int] = {}

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

    def _confirm(self, confirm: Callable[..., object], reference: str) -> None:
        """Confirm a test drive or a rental as its holder, paying with the demo card that succeeds."""
        user = self.people[self.owner[reference]]
        self._step(
            lambda: confirm(
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

    @rule(reference=drives_held)
    def confirm_test_drive(self, reference: str) -> None:
        self._confirm(lifecycle.confirm, reference)

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
        self._confirm(rentals.confirm, reference)

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


def test_no_car_is_promised_twice_across_every_use(db_engine: Engine) -> None:
    run_machine(lambda: OneCarEveryUse(db_engine), examples=15, steps=20)
