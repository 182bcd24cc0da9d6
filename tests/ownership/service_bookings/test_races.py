"""Fifty owners race for one bay through a real HTTP server, on SQLite and PostgreSQL (like the test-drive races).

Committed data and real concurrency: a scratch database per backend, the app served by uvicorn in a thread, 50
client threads released by a barrier. Whatever the interleaving: the winners' jobs never overlap in the bay, every
loser gets 409 `slot_taken` (never a 5xx), and the database holds exactly the winners' rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import pairwise

import pytest
from sqlalchemy import Engine, delete, select

from forecourt.core.db import make_session_factory, transaction
from forecourt.core.idempotency import IdempotencyRecord
from forecourt.ownership.owned_cars import OwnedCar
from forecourt.ownership.service_bookings import service as bookings
from forecourt.ownership.service_bookings.models import HOLDING_STATUSES, ServiceJob
from tests.conftest import BACKENDS
from tests.factories import make_small_catalog, make_token, make_user
from tests.ownership.service_bookings.helpers import installed
from tests.races import Answer, race, scratch_database, served, ten_oclock_two_days_on

CLIENTS = 50
HOLDS = "/api/v1/service-bookings/holds"


@dataclass
class RaceDb:
    url: str
    engine: Engine
    tokens: list[str]
    vins: list[str]


@pytest.fixture(scope="module", params=BACKENDS)
def race_db(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RaceDb]:
    folder = tmp_path_factory.mktemp("service-races")
    with scratch_database(request.param, folder) as (url, engine):
        with transaction(make_session_factory(engine)) as session:
            store = make_small_catalog(session)["stores"]["gz-tianhe"]
            bookings.add_bay(session, store, "B1", "Bay 1", actor=None)  # one bay for everyone
            users = [make_user(session, roles=[("shopper", None)]) for _ in range(CLIENTS)]
            tokens = [make_token(session, user) for user in users]
            cars = [
                OwnedCar(f"LSVRACE{i:010d}", user.id, store.id, "mondeo", "ice", 2026, date(2026, 1, 1), 0)
                for i, user in enumerate(users)
            ]
        for _ in installed(cars):
            yield RaceDb(url, engine, tokens, [car.vin for car in cars])


@pytest.fixture(scope="module")
def server(race_db: RaceDb, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with served(race_db.url, tmp_path_factory.mktemp("service-outbox")) as base_url:
        yield base_url


@pytest.fixture
def clean(race_db: RaceDb) -> None:
    with transaction(make_session_factory(race_db.engine)) as session:
        session.execute(delete(ServiceJob))
        session.execute(delete(IdempotencyRecord))


PATTERNS = {
    "same": [timedelta(0)],  # everyone wants 10:00
    "overlapping": [timedelta(minutes=m) for m in (0, 30, 60, 90)],  # two-hour jobs: every pair overlaps
    "staggered": [timedelta(minutes=30 * i) for i in range(12)],  # 10:00–15:30: several win, none overlap
}


def _race(base_url: str, db: RaceDb, starts: list[datetime]) -> list[Answer]:
    """Each owner books the bay for their own car, all at once."""
    body = {"store": "gz-tianhe", "job_type": "periodic_service"}
    posts = [(HOLDS, {"vin": db.vins[i], **body, "start": starts[i].isoformat()}, db.tokens[i]) for i in range(CLIENTS)]
    return race(base_url, posts, timeout=90)


@pytest.mark.parametrize("pattern", sorted(PATTERNS))
def test_fifty_owners_one_bay(race_db: RaceDb, server: str, clean: None, pattern: str) -> None:
    offsets = PATTERNS[pattern]
    starts = [ten_oclock_two_days_on() + offsets[i % len(offsets)] for i in range(CLIENTS)]
    answers = _race(server, race_db, starts)
    statuses = sorted({status for status, _ in answers})
    assert set(statuses) <= {201, 409}, [a for a in answers if a[0] not in (201, 409)][:3]
    losers = [body for status, body in answers if status == 409]
    assert all(body["code"] == "slot_taken" for body in losers)
    winners = sorted(
        (datetime.fromisoformat(b["starts_at"]), datetime.fromisoformat(b["ends_at"])) for s, b in answers if s == 201
    )
    assert winners, "someone must win"
    if pattern != "staggered":
        assert len(winners) == 1
    for (_, end), (start, _) in pairwise(winners):
        assert end <= start, f"two jobs overlap in the bay: {winners}"
    with transaction(make_session_factory(race_db.engine)) as session:
        held = session.scalars(
            select(ServiceJob).where(ServiceJob.status.in_([s.value for s in HOLDING_STATUSES]))
        ).all()
        assert sorted((j.starts_at, j.ends_at) for j in held) == winners
