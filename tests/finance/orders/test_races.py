"""Forty shoppers, each with their own quote, try to reserve the same car at the same moment through a real HTTP
server (uvicorn in a thread of this process), on SQLite and PostgreSQL.

Like tests/testdrive/test_races.py, the race needs committed data and real concurrency, so this module builds a
scratch database per backend. Whatever the interleaving: exactly one 201, every other answer 409
`vehicle_already_reserved` (never a 5xx), one order row and one captured deposit, and the car is reserved.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from sqlalchemy import Engine, func, select

from forecourt.catalog.models import Vehicle
from forecourt.core.clock import utcnow
from forecourt.core.db import make_session_factory, transaction
from forecourt.finance.models import Order
from forecourt.payments.models import Payment
from tests.conftest import BACKENDS
from tests.factories import make_small_catalog, make_token, make_user, make_vehicle
from tests.finance.orders.factories import ORDERS, make_quote
from tests.races import Answer, scratch_database, served
from tests.races import race as race_clients

CLIENTS = 40


@dataclass
class Race:
    engine: Engine
    base_url: str
    vehicle_ids: list[int]  # one fresh car per race
    tokens: list[str]
    quotes: dict[int, list[str]]  # vehicle id -> one quote reference per client (client i's quote at i)


@pytest.fixture(scope="module", params=BACKENDS)
def race(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Race]:
    folder = tmp_path_factory.mktemp("order-races")
    with scratch_database(request.param, folder) as (url, engine):
        with transaction(make_session_factory(engine)) as session:
            catalog = make_small_catalog(session)
            cars = [
                make_vehicle(session, catalog["trims"]["mondeo-hybrid"], catalog["stores"]["gz-tianhe"])
                for _ in range(2)
            ]
            users = [make_user(session, roles=[("shopper", None)]) for _ in range(CLIENTS)]
            tokens = [make_token(session, user) for user in users]
            expires = utcnow() + timedelta(days=1)  # the server runs on the real clock
            quotes = {
                car.id: [make_quote(session, user, car, expires_at=expires).reference for user in users] for car in cars
            }
            vehicle_ids = [car.id for car in cars]
        with served(url, folder / "outbox") as base_url:
            yield Race(engine, base_url, vehicle_ids, tokens, quotes)


def _race(race: Race, quotes: list[str]) -> list[Answer]:
    """Each shopper reserves the car with their own quote, all at once."""
    body = {"payment_method": "demo-card-ok"}
    return race_clients(
        race.base_url, [(ORDERS, {"quote_reference": quote, **body}, race.tokens[i]) for i, quote in enumerate(quotes)]
    )


@pytest.mark.parametrize("round_", [0, 1])
def test_many_shoppers_race_for_one_car(race: Race, round_: int):
    vehicle_id = race.vehicle_ids[round_]
    started = datetime.now()
    answers = _race(race, race.quotes[vehicle_id])
    tally = Counter((status, body.get("code")) for status, body in answers)
    assert not [a for a in answers if a[0] >= 500], f"5xx answers: {dict(tally)}"
    assert tally[(201, None)] == 1, dict(tally)
    assert tally[(409, "vehicle_already_reserved")] == CLIENTS - 1, dict(tally)
    winner = next(body for status, body in answers if status == 201)
    with make_session_factory(race.engine)() as session:
        rows = session.scalars(select(Order).where(Order.vehicle_id == vehicle_id)).all()
        assert [(r.reference, r.status) for r in rows] == [(winner["reference"], "reserved")]
        assert (
            session.scalar(select(func.count()).select_from(Payment).where(Payment.subject == winner["reference"])) == 1
        )
        deposits = session.scalar(select(func.count()).select_from(Payment).where(Payment.purpose == "order_deposit"))
        assert deposits == session.scalar(select(func.count()).select_from(Order))  # no charge without its order
        assert session.get(Vehicle, vehicle_id).status == "reserved"
    assert (datetime.now() - started).total_seconds() < 20
