"""Races the database decides, on SQLite and PostgreSQL, with committed data and real threads (a scratch database
per backend, not the rolled-back test transaction):

- eight staff register the same VIN at once: exactly one ownership is current, the others get 409
  `vin_already_owned` (the unique partial index `uq_ownerships_current_vin`);
- two job runners evaluate the same lease at once: the owner gets exactly one pace warning (the primary key of
  `lease_pace_warnings`, inserted with ON CONFLICT DO NOTHING).
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from forecourt.core import clock
from forecourt.core.db import make_session_factory, write_lock_first
from forecourt.core.errors import DomainError
from forecourt.core.outbox import OutboxMessage
from forecourt.ownership.leases.notifications import Contact, send_pace_warnings
from forecourt.ownership.models import Ownership
from forecourt.ownership.records import service as records
from forecourt.ownership.records.contracts import ContractTerms
from tests.conftest import BACKENDS
from tests.ownership.helpers import NOW, backdate, completed_order, make_world, record_odometer, sold_car
from tests.races import scratch_database

RACERS = 8


@pytest.fixture(params=BACKENDS)  # one database per test: each builds its own world
def scratch(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    with scratch_database(request.param, tmp_path_factory.mktemp("ownership-races")) as (_, engine):
        yield engine


def _race(engine: Engine, work) -> list[object]:
    factory = make_session_factory(engine)
    barrier = threading.Barrier(RACERS if work.__name__ == "register" else 2)
    results: list[object] = []
    lock = threading.Lock()

    def racer(n: int) -> None:
        session: Session = factory()
        write_lock_first(session)  # as the write routes and the job runner do (BEGIN IMMEDIATE on SQLite)
        barrier.wait()
        try:
            outcome: object = work(session, n)
            session.commit()
        except DomainError as exc:
            session.rollback()
            outcome = exc.code
        finally:
            session.close()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=racer, args=(n,)) for n in range(barrier.parties)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def test_one_current_ownership_per_vin(scratch: Engine) -> None:
    with clock.pinned(NOW), make_session_factory(scratch)() as session:
        world = make_world(session)
        vehicle = sold_car(session, world, status="sold")
        vin, store_id, staff = vehicle.vin, world.store.id, world.users["staff"].id
        owners = [world.users[name].id for name in ("owner", "other", "buyer")]
        session.commit()

    def register(session: Session, n: int) -> object:
        terms = ContractTerms("cash", "CNY", Decimal("150000.00"), date(2026, 11, 1), 5)
        registration = records.Registration(vin, owners[n % len(owners)], store_id, terms)
        return records.register(session, registration, actor=staff, allowed_store_ids=None, now=NOW).reference

    with clock.pinned(NOW):
        results = _race(scratch, register)
    outcomes = Counter("won" if str(r).startswith("OW") else r for r in results)
    assert outcomes == {"won": 1, "vin_already_owned": RACERS - 1}
    with Session(scratch) as session:
        current = session.scalar(select(func.count()).select_from(Ownership).where(Ownership.vin == vin))
        assert current == 1


def test_two_job_runners_send_one_pace_warning(scratch: Engine) -> None:
    factory = make_session_factory(scratch)
    with clock.pinned(NOW):
        session = factory()
        world = make_world(session)
        ownership, _ = completed_order(session, world, "lease")
        delivered = date(2026, 6, 1)
        backdate(session, ownership, delivered)
        readings = [(delivered + timedelta(days=d), ownership.start_odometer_km + d * 40) for d in range(7, 184, 7)]
        record_odometer(session, ownership.vin, readings)
        vin = ownership.vin
        session.close()

    def run(session: Session, n: int) -> object:
        return send_pace_warnings(session, NOW, lambda user_id: Contact(f"owner{user_id}@example.test", None))

    with clock.pinned(NOW):
        results = _race(scratch, run)
    assert sorted(results) == [0, 1]
    with Session(scratch) as session:
        sent = session.scalars(select(OutboxMessage).where(OutboxMessage.body.contains(vin))).all()
        assert len(sent) == 1
