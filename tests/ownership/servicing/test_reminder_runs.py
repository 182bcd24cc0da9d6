"""The reminder and fault-visit jobs: each stage of each service and each severe fault told once, under repeated
runs in one database and under two runners racing on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from forecourt.catalog import service as catalog
from forecourt.core.db import make_engine, make_session_factory, transaction, write_lock_first
from forecourt.core.migrate import upgrade
from forecourt.core.outbox import OutboxMessage
from forecourt.ownership.owned_cars import OwnedCar
from forecourt.ownership.servicing import service as servicing
from forecourt.ownership.servicing.models import ServiceReminder
from forecourt.ownership.servicing.reminder_runs import send_due_reminders, suggest_fault_visits
from forecourt.telematics.models import FaultCodeInterval, VehicleState
from tests.conftest import BACKENDS, _create_postgres_database, _drop_postgres_database
from tests.factories import make_small_catalog, make_vehicle


def _car(session: Session) -> OwnedCar:
    catalog = make_small_catalog(session)
    store = catalog["stores"]["gz-tianhe"]
    vin = make_vehicle(session, catalog["trims"]["mondeo-ecoboost180"], store, status="sold").vin
    return OwnedCar(vin, 1, store.id, "mondeo", "ice", 2026, date(2026, 9, 1), 10, "o@example.test", language="en")


def _messages(session: Session, vin: str) -> list[OutboxMessage]:
    return list(
        session.scalars(select(OutboxMessage).where(OutboxMessage.body.contains(vin)).order_by(OutboxMessage.id))
    )


def _at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 1, 0, tzinfo=UTC)


def test_each_stage_once_however_often_the_job_runs(db_session):
    car = _car(db_session)  # first service: 1 Dec 2026 or 5,010 km; no telematics readings
    sent = []
    for day in (
        date(2026, 10, 31),
        date(2026, 11, 1),
        date(2026, 11, 1),
        date(2026, 11, 17),
        date(2026, 11, 18),
        date(2026, 11, 30),
        date(2026, 12, 1),
        date(2026, 12, 1),
        date(2026, 12, 20),
    ):
        sent.append(send_due_reminders(db_session, [car], _at(day)))
    # 31 Oct: 31 days left (none); 1 Nov: 30 (notice); 17 Nov: 14 (soon); 1 Dec: due.
    assert sent == [0, 1, 0, 1, 0, 0, 1, 0, 0]
    subjects = [m.subject for m in _messages(db_session, car.vin)]
    assert subjects == [
        "Your car's next service is coming up",
        "Your car's service is due soon",
        "Your car's service is due now",
    ]


def test_the_stage_turns_at_the_stores_midnight_not_utcs(db_session):
    car = _car(db_session)  # the notice stage starts on 1 Nov, Guangzhou time (UTC+8): 31 Oct 16:00 UTC
    assert send_due_reminders(db_session, [car], datetime(2026, 10, 31, 15, 59, tzinfo=UTC)) == 0
    assert send_due_reminders(db_session, [car], datetime(2026, 10, 31, 16, 0, tzinfo=UTC)) == 1


def test_a_stage_passed_over_is_recorded_not_sent(db_session):
    car = _car(db_session)
    assert send_due_reminders(db_session, [car], _at(date(2026, 12, 5))) == 1
    stages = db_session.execute(
        select(ServiceReminder.stage, ServiceReminder.sent).where(ServiceReminder.vin == car.vin)
    )
    assert sorted(stages) == [("due", True), ("notice", False), ("soon", False)]
    assert [m.subject for m in _messages(db_session, car.vin)] == ["Your car's service is due now"]


def test_a_completed_service_starts_the_next_ones_reminders(db_session):
    car = _car(db_session)
    send_due_reminders(db_session, [car], _at(date(2026, 12, 1)))
    due = servicing.record_service(db_session, car, "SVDONE0001", date(2026, 12, 2), 4_900, periodic=True)
    assert (due.due_km, due.due_day) == (14_900, date(2027, 6, 2))
    assert send_due_reminders(db_session, [car], _at(date(2026, 12, 3))) == 0
    assert send_due_reminders(db_session, [car], _at(date(2027, 5, 3))) == 1  # 30 days before


def test_the_odometer_brings_soon_forward(db_session):
    car = _car(db_session)
    vehicle = catalog.get_vehicle(db_session, car.vin)
    now = _at(date(2026, 10, 1))
    db_session.add(VehicleState(vehicle_id=vehicle.id, ts=now, seq=1, odometer_m=4_520_000, updated_at=now))
    db_session.flush()
    # 4,520 km: 490 km left to 5,010 — soon by distance, 61 days before the calendar day.
    assert send_due_reminders(db_session, [car], now) == 1
    assert _messages(db_session, car.vin)[0].subject in (
        "Your car's service is due soon",
        "Your car's service is due now",
    )


def test_a_new_severe_fault_suggests_a_visit_once(db_session):
    car = _car(db_session)
    vehicle = catalog.get_vehicle(db_session, car.vin)
    opened = _at(date(2026, 11, 1))
    db_session.add_all(
        [
            FaultCodeInterval(vehicle_id=vehicle.id, code="P0217", opened_at=opened),  # overheating: severe
            FaultCodeInterval(vehicle_id=vehicle.id, code="P0455", opened_at=opened),  # fuel cap: not severe
        ]
    )
    db_session.flush()
    assert suggest_fault_visits(db_session, [car], opened) == 1
    assert suggest_fault_visits(db_session, [car], opened + timedelta(hours=1)) == 0
    interval = db_session.scalars(select(FaultCodeInterval).where(FaultCodeInterval.code == "P0217")).one()
    interval.closed_at = opened + timedelta(days=1)
    db_session.add(FaultCodeInterval(vehicle_id=vehicle.id, code="P0217", opened_at=opened + timedelta(days=3)))
    db_session.flush()
    assert suggest_fault_visits(db_session, [car], opened + timedelta(days=3)) == 1  # it came back: a new fault
    assert [m.subject for m in _messages(db_session, car.vin)] == [
        "Please have your car checked: Engine overheating"
    ] * 2


# --- two runners at once, on committed data -------------------------------------------------------------------------


@pytest.fixture(scope="module", params=BACKENDS)
def scratch(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    url = (
        f"sqlite:///{tmp_path_factory.mktemp('reminders') / 'r.db'}"
        if request.param == "sqlite"
        else _create_postgres_database()
    )
    engine = make_engine(url)
    try:
        upgrade(engine)
        yield engine
    finally:
        engine.dispose()
        if request.param != "sqlite":
            _drop_postgres_database(url)


def _two_runners(factory, car: OwnedCar, day: date) -> list[int]:
    barrier = threading.Barrier(2)
    counts: list[int] = []

    def runner() -> None:
        with factory() as session:
            write_lock_first(session)  # as the job runner's transaction (BEGIN IMMEDIATE on SQLite)
            with session.begin():
                barrier.wait(timeout=10)
                counts.append(send_due_reminders(session, [car], _at(day)))

    threads = [threading.Thread(target=runner) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return counts


def test_two_runners_at_once_tell_each_stage_once(scratch: Engine):
    factory = make_session_factory(scratch)
    with transaction(factory) as session:
        car = _car(session)
    for day in [date(2026, 11, 1), date(2026, 11, 17), date(2026, 12, 1)]:
        for _ in range(3):  # three rounds a day: the repeated runs find nothing new
            assert len(_two_runners(factory, car, day)) == 2, "a runner failed"
    with factory() as session:
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 3
        assert session.scalar(select(func.count()).select_from(ServiceReminder).where(ServiceReminder.sent)) == 3
