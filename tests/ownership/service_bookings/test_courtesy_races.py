"""Twenty owners race for the store's last free courtesy car through a real HTTP server, on SQLite and PostgreSQL.

Committed data and real concurrency, as in test_races.py: the store has a bay for every owner and two test-drive cars,
one of them out on a confirmed test drive at that time. Whatever the interleaving: exactly one owner gets a job with
the last car, every other gets 409 `no_courtesy_car` (never a 5xx) and leaves no job and no loan behind, and the
database holds one live loan, on the free car.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import pytest
from sqlalchemy import Engine, delete, select

from forecourt.core.clock import utcnow
from forecourt.core.db import make_session_factory, transaction
from forecourt.core.idempotency import IdempotencyRecord
from forecourt.ownership.owned_cars import OwnedCar
from forecourt.ownership.service_bookings import service as bookings
from forecourt.ownership.service_bookings.models import ServiceJob
from forecourt.testdrive import service as drives
from forecourt.testdrive.availability import DriveKind
from forecourt.testdrive.models import BookingPurpose, BookingStatus, TestDriveBooking
from tests.conftest import BACKENDS
from tests.factories import make_small_catalog, make_token, make_user, make_vehicle
from tests.ownership.service_bookings.helpers import installed
from tests.races import Answer, race, scratch_database, served, ten_oclock_two_days_on

CLIENTS = 20
HOLDS = "/api/v1/service-bookings/holds"


@dataclass
class RaceDb:
    url: str
    engine: Engine
    tokens: list[str]
    vins: list[str]
    free_car_id: int


@pytest.fixture(scope="module", params=BACKENDS)
def race_db(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RaceDb]:
    folder = tmp_path_factory.mktemp("courtesy-races")
    with scratch_database(request.param, folder) as (url, engine):
        with transaction(make_session_factory(engine)) as session:
            catalog = make_small_catalog(session)
            store, trim = catalog["stores"]["gz-tianhe"], catalog["trims"]["mondeo-ecoboost180"]
            for number in range(1, CLIENTS + 1):
                bookings.add_bay(session, store, f"B{number}", f"Bay {number}", actor=None)  # a bay for everyone
            driven, free = (make_vehicle(session, trim, store, test_drive_fleet=True) for _ in range(2))
            shopper = make_user(session, roles=[("shopper", None)])
            drive = drives.hold(
                session,
                drives.Shopper(shopper.id),
                drives.DriveRequest(
                    kind=DriveKind.ACCOMPANIED, start=ten_oclock_two_days_on(), minutes=60, vin=driven.vin
                ),
                ip="",
                now=utcnow(),
            )
            drive.status, drive.hold_expires_at = BookingStatus.CONFIRMED.value, None
            users = [make_user(session, roles=[("shopper", None)]) for _ in range(CLIENTS)]
            tokens = [make_token(session, user) for user in users]
            cars = [
                OwnedCar(f"LSVLOAN{i:010d}", user.id, store.id, "mondeo", "ice", 2026, date(2026, 1, 1), 0)
                for i, user in enumerate(users)
            ]
            free_car_id = free.id
        for _ in installed(cars):
            yield RaceDb(url, engine, tokens, [car.vin for car in cars], free_car_id)


@pytest.fixture(scope="module")
def server(race_db: RaceDb, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with served(race_db.url, tmp_path_factory.mktemp("courtesy-outbox")) as base_url:
        yield base_url


@pytest.fixture
def clean(race_db: RaceDb) -> None:
    with transaction(make_session_factory(race_db.engine)) as session:
        session.execute(delete(ServiceJob))
        session.execute(delete(TestDriveBooking).where(TestDriveBooking.purpose == BookingPurpose.COURTESY.value))
        session.execute(delete(IdempotencyRecord))


def _race(base_url: str, db: RaceDb) -> list[Answer]:
    """Each owner books a job with a courtesy car for their own car, at the same time, all at once."""
    body = {"store": "gz-tianhe", "job_type": "periodic_service", "start": ten_oclock_two_days_on().isoformat()}
    posts = [(HOLDS, {"vin": db.vins[i], **body, "courtesy_car": True}, db.tokens[i]) for i in range(CLIENTS)]
    return race(base_url, posts, timeout=90)


@pytest.mark.parametrize("round_", [1, 2])
def test_twenty_owners_one_last_courtesy_car(race_db: RaceDb, server: str, clean: None, round_: int) -> None:
    answers = _race(server, race_db)
    statuses = [status for status, _ in answers]
    assert set(statuses) <= {201, 409}, [a for a in answers if a[0] not in (201, 409)][:3]
    assert statuses.count(201) == 1, statuses
    assert all(body["code"] == "no_courtesy_car" for status, body in answers if status == 409)
    [winner] = [body for status, body in answers if status == 201]
    with transaction(make_session_factory(race_db.engine)) as session:
        jobs = session.scalars(select(ServiceJob)).all()
        assert [(j.reference, j.courtesy_loan_reference) for j in jobs] == [
            (winner["reference"], winner["courtesy_car"]["reference"])
        ]
        loans = session.scalars(
            select(TestDriveBooking).where(TestDriveBooking.purpose == BookingPurpose.COURTESY.value)
        ).all()
        assert [(loan.reference, loan.vehicle_id, loan.status) for loan in loans] == [
            (winner["courtesy_car"]["reference"], race_db.free_car_id, BookingStatus.HELD.value)
        ]
