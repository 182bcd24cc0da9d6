"""What the stateful property tests of bookings share: a Hypothesis state machine over one database transaction.

Each example runs in one outer transaction on its own connection, rolled back at the end; each step runs in a
savepoint, rolled back when it raises, as a request's transaction would be, and the refusals the rules allow are
fine outcomes. The clock is pinned and moved on by a rule. After every step no car is promised twice: no two live
reservations of a car (held and not yet lapsed, confirmed, in progress), whatever their kinds, overlap in
[starts_at, blocks_until) — on PostgreSQL the exclusion constraint also guards this.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from datetime import date, timedelta
from typing import Any, TypeVar

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from sqlalchemy import Engine, Row, select
from sqlalchemy.orm import Session

from forecourt.core import clock
from forecourt.core.crypto import field_cipher_from_config
from forecourt.core.errors import Conflict, DomainError, InvalidInput, NotFound, TooManyRequests
from forecourt.core.settings import Settings
from forecourt.identity.providers import IdentityClaim
from forecourt.identity.service import verify_driver
from forecourt.integrations import build_integrations
from forecourt.testdrive.models import BookingStatus, TestDriveBooking
from tests.testdrive.helpers import NOW

SETTINGS = Settings(environment="test")
SECRET = SETTINGS.secret_key.get_secret_value()
INTEGRATIONS = build_integrations(SETTINGS)
CIPHER = field_cipher_from_config("", SECRET)
T = TypeVar("T")


class OneTransactionMachine(RuleBasedStateMachine):
    """The scaffolding; a subclass seeds its world in `__init__` and adds the rules of its use cases."""

    refusals: tuple[type[DomainError], ...] = (Conflict, InvalidInput, TooManyRequests, NotFound)

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
        self.last_refusal: DomainError | None = None

    def teardown(self) -> None:
        self.session.close()
        self.outer.rollback()
        self.connection.close()
        self.clock.close()

    def verify(self, user_id: int, id_number: str) -> None:
        """A verified driving licence, valid to 2030, with the credit score the demo provider gives `id_number`."""
        verify_driver(
            self.session,
            user_id,
            IdentityClaim("Li Lei", id_number, date(2030, 1, 1)),
            identity=INTEGRATIONS.identity,
            credit=INTEGRATIONS.credit,
            secret_key=SECRET,
            cipher=CIPHER,
            today=NOW.date(),
        )

    def _step(self, action: Callable[[], T]) -> T | None:
        """Run one use case in a savepoint (rolled back if it raises); an allowed refusal becomes None and is kept in
        `last_refusal`."""
        try:
            with self.session.begin_nested():
                return action()
        except self.refusals as refusal:
            self.last_refusal = refusal
            return None

    def _live_rows(self, exclude_id: int | None = None) -> list[Row[Any]]:
        """The reservations that hold a car now (a hold only until it lapses), but `exclude_id`."""
        holding = (BookingStatus.CONFIRMED.value, BookingStatus.IN_PROGRESS.value)
        rows = self.session.execute(
            select(
                TestDriveBooking.id,
                TestDriveBooking.reference,
                TestDriveBooking.purpose,
                TestDriveBooking.vehicle_id,
                TestDriveBooking.status,
                TestDriveBooking.starts_at,
                TestDriveBooking.blocks_until,
                TestDriveBooking.hold_expires_at,
            )
        ).all()
        return [
            r
            for r in rows
            if r.id != exclude_id
            and (r.status in holding or (r.status == BookingStatus.HELD.value and r.hold_expires_at > self.now))
        ]

    @rule(minutes=st.integers(1, 30))
    def advance_time(self, minutes: int) -> None:
        self.now += timedelta(minutes=minutes)
        self.clock.enter_context(clock.pinned(self.now))

    @invariant()
    def no_car_is_promised_twice(self) -> None:
        live = self._live_rows()
        for i, a in enumerate(live):
            for b in live[i + 1 :]:
                assert a.vehicle_id != b.vehicle_id or not (
                    a.starts_at < b.blocks_until and b.starts_at < a.blocks_until
                ), f"{a.purpose} {a.reference} and {b.purpose} {b.reference} both hold car {a.vehicle_id}"


def run_machine(machine: Callable[[], OneTransactionMachine], *, examples: int, steps: int) -> None:
    """Run the machine for `examples` examples of up to `steps` steps, with no deadline (a step commits to a real
    database)."""
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=examples,
            stateful_step_count=steps,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
