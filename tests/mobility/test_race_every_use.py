"""Fifty clients race for one car across every kind of booking, through a real HTTP server, on SQLite and
PostgreSQL: test-drive holds, rental holds and staff moving the car between the test-drive and rental fleets, all
released together. A move keeps every promise, so the car's test drives and rentals meet on it mid-race.

Whatever the interleaving: no two reservations that hold the car overlap, every refusal is a 409 or 422 a person
can act on (never a 5xx), and each 201 answered is a row in the database.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from forecourt.core.db import make_session_factory, transaction
from forecourt.testdrive.models import HOLDING_STATUSES, TestDriveBooking
from forecourt.testdrive.policy import update_store_policy
from tests.conftest import BACKENDS
from tests.factories import make_small_catalog, make_token, make_user, make_vehicle
from tests.mobility.factories import make_plans
from tests.races import race as race_clients
from tests.races import scratch_database, served, ten_oclock_two_days_on

CLIENTS = 50


@dataclass
class Race:
    url: str
    engine: Engine
    vin: str
    vehicle_id: int
    store: str
    tokens: list[str]
    staff_token: str
    outbox: Path


@pytest.fixture(params=BACKENDS)
def race(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Race]:
    with scratch_database(request.param, tmp_path) as (url, engine):
        with transaction(make_session_factory(engine)) as session:
            catalog = make_small_catalog(session)
            store = catalog["stores"]["gz-tianhe"]
            update_store_policy(session, store, {"max_holds_per_ip_per_hour": 1000}, actor=None)
            make_plans(session)
            car = make_vehicle(session, catalog["trims"]["mondeo-ecoboost180"], store, test_drive_fleet=True)
            users = [make_user(session, roles=[("shopper", None)]) for _ in range(CLIENTS)]
            staff = make_user(session, roles=[("store_staff", store.id)])
            built = Race(
                url,
                engine,
                car.vin,
                car.id,
                store.code,
                [make_token(session, user) for user in users],
                make_token(session, staff),
                tmp_path / "outbox",
            )
        yield built


def _request(race: Race, index: int) -> tuple[str, str, dict, str]:
    """(kind, path, body, token) of client `index`: every fifth moves the car, the rest book it."""
    start = ten_oclock_two_days_on() + timedelta(minutes=30 * (index % 6))
    if index % 5 == 0:
        pool = "rental" if index % 10 == 0 else "test_drive"
        return "move", f"/api/v1/staff/vehicles/{race.vin}/pool", {"pool": pool}, race.staff_token
    if index % 5 in (1, 2):
        return "drive", "/api/v1/test-drives/holds", {"vin": race.vin, "start": start.isoformat()}, race.tokens[index]
    body = {
        "store": race.store,
        "model": "mondeo",
        "start": start.isoformat(),
        "end": (start + timedelta(hours=2)).isoformat(),
    }
    return "rental", "/api/v1/rentals", body, race.tokens[index]


def test_fifty_clients_never_promise_one_car_twice(race: Race) -> None:
    requests = [_request(race, index) for index in range(CLIENTS)]
    with served(race.url, race.outbox) as base_url:
        answers = race_clients(base_url, [(path, body, token) for _, path, body, token in requests])
    outcomes = [
        (kind, status, body.get("code", "") if status >= 400 else body.get("reference", ""))
        for (kind, *_), (status, body) in zip(requests, answers, strict=True)
    ]

    statuses = Counter((kind, status) for kind, status, _ in outcomes)
    assert all(status < 500 for _, status, _ in outcomes), statuses
    refusals = {code for _, status, code in outcomes if status >= 400}
    # A drive asked for after the car moved to the rental fleet, a rental after it moved back, or a time taken.
    assert refusals <= {"slot_taken", "no_rental_car", "not_a_test_drive_car"}, refusals
    assert statuses[("move", 200)] > 0, statuses
    won = {code for kind, status, code in outcomes if status == 201}
    with transaction(make_session_factory(race.engine)) as session:
        rows = session.execute(
            select(
                TestDriveBooking.reference,
                TestDriveBooking.purpose,
                TestDriveBooking.starts_at,
                TestDriveBooking.blocks_until,
            ).where(
                TestDriveBooking.vehicle_id == race.vehicle_id,
                TestDriveBooking.status.in_([s.value for s in HOLDING_STATUSES]),
            )
        ).all()
    assert {row.reference for row in rows} == won
    for i, a in enumerate(rows):
        for b in rows[i + 1 :]:
            assert not (a.starts_at < b.blocks_until and b.starts_at < a.blocks_until), (a, b)
    assert rows, statuses  # the race booked the car at least once
