"""Fifty shoppers race for one car through a real HTTP server, on SQLite and PostgreSQL.

The race needs committed data and real concurrency, so this module builds its own scratch database per
backend (a temp SQLite file, or a fresh PostgreSQL database dropped afterwards) instead of the rolled-back
test transaction, and serves the app with uvicorn: in a thread of this process, and (marked slow) as a
separate two-worker server process, so the race also crosses processes. Clients are 50 threads released by
a barrier, or 50 client processes released together by a "go" line on their stdin.

Whatever the interleaving: the winners' bookings never overlap, every loser gets 409 `slot_taken` (never a
5xx), and the database holds exactly the winners' rows.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, delete, select

from forecourt.core.db import make_session_factory, transaction
from forecourt.core.idempotency import IdempotencyRecord
from forecourt.testdrive.models import HOLDING_STATUSES, TestDriveBooking
from forecourt.testdrive.policy import update_store_policy
from tests.conftest import BACKENDS
from tests.factories import make_small_catalog, make_token, make_user, make_vehicle
from tests.races import Answer, api_headers, race, scratch_database, served, ten_oclock_two_days_on
from tests.testdrive.helpers import HOLDS

CLIENTS = 50
DRIVE = timedelta(minutes=60)
BUFFER = timedelta(minutes=30)  # the default store policy's buffer after a drive


@dataclass
class RaceDb:
    url: str
    engine: Engine
    vins: list[str]  # one fresh fleet car per race
    vehicle_ids: dict[str, int]
    tokens: list[str]
    outbox: Path


@pytest.fixture(scope="module", params=BACKENDS)
def race_db(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RaceDb]:
    folder = tmp_path_factory.mktemp("races")
    with scratch_database(request.param, folder) as (url, engine):
        with transaction(make_session_factory(engine)) as session:
            catalog = make_small_catalog(session)
            store = catalog["stores"]["gz-tianhe"]
            # Every client connects from 127.0.0.1: lift the per-network hold limit (default 20 an hour).
            update_store_policy(session, store, {"max_holds_per_ip_per_hour": 1000}, actor=None)
            cars = [
                make_vehicle(session, catalog["trims"]["mondeo-ecoboost180"], store, test_drive_fleet=True)
                for _ in range(8)
            ]
            users = [make_user(session, roles=[("shopper", None)]) for _ in range(CLIENTS)]
            tokens = [make_token(session, user) for user in users]
            vins = [car.vin for car in cars]
            vehicle_ids = {car.vin: car.id for car in cars}
        yield RaceDb(url, engine, vins, vehicle_ids, tokens, folder / "outbox")


@pytest.fixture
def car(race_db: RaceDb) -> str:
    """A car nobody has booked; earlier races' holds and idempotency keys are cleared (per-user fairness
    and rate limits would otherwise count them)."""
    with transaction(make_session_factory(race_db.engine)) as session:
        session.execute(delete(TestDriveBooking))
        session.execute(delete(IdempotencyRecord))
    return race_db.vins.pop()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_up(base_url: str, alive: Callable[[], bool], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not alive():
            pytest.fail("the server exited during start-up")
        try:
            if httpx.get(f"{base_url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    pytest.fail(f"the server at {base_url} did not start within {seconds} s")


@pytest.fixture(scope="module")
def thread_server(race_db: RaceDb) -> Iterator[str]:
    """The app served by uvicorn in a thread of this process."""
    with served(race_db.url, race_db.outbox) as base_url:
        yield base_url


@pytest.fixture(scope="module")
def process_server(race_db: RaceDb, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app served by a separate uvicorn process with two workers: the race crosses processes."""
    port = _free_port()
    env = {
        **os.environ,
        "FORECOURT_DATABASE_URL": race_db.url,
        "FORECOURT_ENVIRONMENT": "test",
        "FORECOURT_OUTBOX_DIR": str(race_db.outbox),
    }
    log = tmp_path_factory.mktemp("uvicorn") / "server.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "forecourt.app:create_app",
                "--factory",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                "2",
                "--log-level",
                "warning",
                "--no-access-log",
            ],
            env=env,
            cwd=log.parent,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base_url, lambda: process.poll() is None)
        SERVER_LOGS[base_url] = log
        yield base_url
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


SERVER_LOGS: dict[str, Path] = {}


def _check_with_log(base_url: str, *args) -> None:
    """check_outcome, with the server process's log (its error lines) in the failure message."""
    try:
        check_outcome(*args)
    except AssertionError as failure:
        lines = SERVER_LOGS[base_url].read_text(errors="replace").splitlines()
        summary = Counter(line[:160] for line in lines if not line.startswith((" ", "\t")))
        raise AssertionError(f"{failure}\nserver log: {summary.most_common(8)}") from None


# --- the race ------------------------------------------------------------------------------------------------


PATTERNS = {
    # Everyone wants 10:00.
    "same": [timedelta(0)],
    # 10:00, 10:30, 11:00: 60-minute drives plus a 30-minute buffer, so every pair overlaps.
    "overlapping": [timedelta(minutes=m) for m in (0, 30, 60)],
    # 10:00 to 13:30 every 30 minutes: several can win, but no two winners may overlap.
    "staggered": [timedelta(minutes=30 * i) for i in range(8)],
}


def _requests(vin: str, pattern: str) -> list[dict]:
    # 10:00 the day after tomorrow: inside opening hours, past the lead time, within the horizon.
    base, offsets = ten_oclock_two_days_on(), PATTERNS[pattern]
    return [{"vin": vin, "start": (base + offsets[i % len(offsets)]).isoformat()} for i in range(CLIENTS)]


def race_threads(base_url: str, tokens: list[str], bodies: list[dict]) -> list[Answer]:
    """One client thread per shopper, all holding at once (`tests.races.race`)."""
    return race(base_url, [(HOLDS, body, token) for token, body in zip(tokens, bodies, strict=False)])


# Runs in each client process (`python -I -S`: the standard library only, so 50 of them start in about a second
# on two cores; httpx alone takes ~0.2 s of CPU to import): connect, say "ready", wait for "go" on stdin,
# post, print the answer as JSON.
CLIENT_SCRIPT = """
import http.client, json, sys
job = json.loads(sys.argv[1])
connection = http.client.HTTPConnection(job["host"], job["port"], timeout=120)
connection.request("GET", "/healthz")
connection.getresponse().read()
print("ready", flush=True)
sys.stdin.readline()
connection.request("POST", job["path"], body=json.dumps(job["body"]),
                   headers={**job["headers"], "Content-Type": "application/json"})
response = connection.getresponse()
text = response.read().decode()
try:
    body = json.loads(text)
except ValueError:
    body = {"text": text}
print(json.dumps([response.status, body]), flush=True)
"""


def race_processes(base_url: str, tokens: list[str], bodies: list[dict]) -> list[Answer]:
    """One client process per shopper, released together once all of them are connected."""
    url = httpx.URL(base_url)
    processes = []
    for token, body in zip(tokens, bodies, strict=False):
        job = {"host": url.host, "port": url.port, "path": HOLDS, "body": body, "headers": api_headers(token)}
        processes.append(
            subprocess.Popen(
                [sys.executable, "-I", "-S", "-c", CLIENT_SCRIPT, json.dumps(job)],
                text=True,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
            )
        )
    try:
        for process in processes:
            assert process.stdout.readline().strip() == "ready", "a client process failed to connect"
        for process in processes:  # the starting gun: as close together as the pipes allow
            process.stdin.write("go\n")
            process.stdin.flush()
        answers = []
        for process in processes:
            output, _ = process.communicate(timeout=150)
            status, body = json.loads(output.strip().splitlines()[-1])
            answers.append((status, body))
        return answers
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()


def _holding_rows(race_db: RaceDb, vin: str) -> list[TestDriveBooking]:
    with make_session_factory(race_db.engine)() as session:
        statement = select(TestDriveBooking).where(TestDriveBooking.vehicle_id == race_db.vehicle_ids[vin])
        return list(session.scalars(statement.order_by(TestDriveBooking.starts_at)))


def _overlap(a_start: datetime, a_end: datetime, b_start: datetime, b_end: datetime) -> bool:
    return a_start < b_end and b_start < a_end


def check_outcome(race_db: RaceDb, vin: str, pattern: str, bodies: list[dict], answers: list[Answer]) -> None:
    tally = Counter((s, b.get("code")) for s, b in answers)
    server_errors = [(s, b) for s, b in answers if s >= 500]
    assert not server_errors, f"{len(server_errors)} answers were 5xx: {dict(tally)}; e.g. {server_errors[0]}"
    winners = [b for s, b in answers if s == 201]
    losers = [(body, a) for body, (s, a) in zip(bodies, answers, strict=True) if s != 201]
    unexpected = [(s, b) for s, b in answers if s not in (201, 409) or (s == 409 and b.get("code") != "slot_taken")]
    assert not unexpected, f"answers other than 201 or 409 slot_taken: {unexpected[:3]}"
    assert winners, "nobody got the car"

    rows = _holding_rows(race_db, vin)
    assert sorted(r.reference for r in rows) == sorted(w["reference"] for w in winners)
    assert all(r.status == "held" and r.blocks_until == r.ends_at + BUFFER for r in rows)
    live = [r for r in rows if r.status in {s.value for s in HOLDING_STATUSES}]
    for i, a in enumerate(live):
        for b in live[i + 1 :]:
            assert not _overlap(a.starts_at, a.blocks_until, b.starts_at, b.blocks_until), (a.reference, b.reference)

    if pattern in ("same", "overlapping"):
        assert len(winners) == 1, f"{len(winners)} shoppers won the same car"
        winner = rows[0]
        for _, problem in losers:  # the winner had committed before any loser computed its alternatives
            for slot in problem["next_free_slots"]:
                start, end = datetime.fromisoformat(slot["start"]), datetime.fromisoformat(slot["end"])
                assert not _overlap(start, end + BUFFER, winner.starts_at, winner.blocks_until), slot
    else:
        # Holds only ever grow during a race, so a refused slot must clash with some winner.
        for body, _ in losers:
            start = datetime.fromisoformat(body["start"])
            assert any(_overlap(start, start + DRIVE + BUFFER, r.starts_at, r.blocks_until) for r in rows), body
    assert len(losers) == CLIENTS - len(winners)


@pytest.mark.parametrize("pattern", ["same", "overlapping", "staggered"])
def test_threads_race_an_in_process_server(race_db, thread_server, car, pattern):
    bodies = _requests(car, pattern)
    answers = race_threads(thread_server, race_db.tokens, bodies)
    check_outcome(race_db, car, pattern, bodies, answers)


@pytest.mark.slow
@pytest.mark.parametrize("pattern", ["same", "staggered"])
def test_processes_race_a_two_worker_server(race_db, process_server, car, pattern):
    bodies = _requests(car, pattern)
    answers = race_processes(process_server, race_db.tokens, bodies)
    _check_with_log(process_server, race_db, car, pattern, bodies, answers)


@pytest.mark.slow
def test_threads_race_a_two_worker_server(race_db, process_server, car):
    bodies = _requests(car, "overlapping")
    answers = race_threads(process_server, race_db.tokens, bodies)
    _check_with_log(process_server, race_db, car, "overlapping", bodies, answers)
