"""`forecourt serve` as a real child process over a PostgreSQL database seeded for test-drive bookings.

The crash and shutdown tests need a process they can kill -9 or stop with SIGTERM, so the server runs as
`python -m forecourt.cli serve` (not in a thread of the test), over a committed database: the demo catalog and
accounts, shoppers with API tokens and verified licences (every other one with a credit score that waives the
deposit, the rest paying it), and one slot per shopper on the demo dealers' test-drive cars, so that no two drives
compete for a car and every hold the server answers is a 201.

A test makes requests wait *inside* their transactions, deterministically, with `slots_taken_uncommitted`: an open
transaction of the test's own holds a booking for each of those slots, so the server's insert waits on the
exclusion constraint until the test rolls back; `lock_waiters` tells when they are all waiting.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import Engine, insert, text

from forecourt.accounts.demo import ensure_demo_users
from forecourt.catalog import service as catalog
from forecourt.catalog.demo import load_demo
from forecourt.core.crypto import field_cipher_from_config
from forecourt.core.db import make_engine, make_session_factory, transaction
from forecourt.core.migrate import upgrade
from forecourt.core.settings import Settings
from forecourt.identity import service as identity
from forecourt.identity.providers import IdentityClaim
from forecourt.integrations import DEMO_ID_HIGH_SCORE, DEMO_ID_LOW_SCORE, build_integrations
from forecourt.testdrive.models import TestDriveBooking
from forecourt.testdrive.policy import update_store_policy
from tests.factories import make_token, make_user

SHANGHAI = ZoneInfo("Asia/Shanghai")  # every demo store's zone
# Inside every demo dealer's weekday hours (one closes from 12:00 to 13:30); a 60-minute drive and the 30-minute
# buffer after it keep the three apart on one car.
STARTS = (clock_time(10, 0), clock_time(14, 0), clock_time(16, 0))
DEMO_VEHICLES = 1000  # 3 % of the dealers' cars are test-drive cars: some thirty of them
HOLDS = "/api/v1/test-drives/holds"
BOOKINGS = "/api/v1/test-drives/bookings"
# The test's own connections carry this name, so that counting the server's connections leaves them out.
TEST_CONNECTION = "forecourt-ops-test"


@dataclass(frozen=True)
class Drive:
    """One shopper's booking: hold `vin` at `start`, then confirm (paying the deposit when `pays_deposit`)."""

    shopper_id: int
    token: str
    pays_deposit: bool
    vin: str
    vehicle_id: int
    store_id: int
    model_id: int
    start: datetime

    def hold_body(self) -> dict[str, object]:
        return {"vin": self.vin, "start": self.start.isoformat(), "minutes": 60}

    def confirm_body(self) -> dict[str, object]:
        return {"payment_method": "demo-card-ok"} if self.pays_deposit else {}

    def headers(self, idempotency_key: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", "Idempotency-Key": idempotency_key}


@dataclass
class BookingDatabase:
    url: str
    engine: Engine
    drives: list[Drive]
    holder_id: int  # the demo shopper: owns the test's uncommitted blocking bookings

    def take(self, count: int) -> list[Drive]:
        """Drives no other test of the session has used."""
        if count > len(self.drives):
            raise AssertionError(f"only {len(self.drives)} drives left, {count} wanted")
        taken, self.drives = self.drives[:count], self.drives[count:]
        return taken


def slot_day(today: date) -> date:
    """The first weekday at least two days ahead: past the lead time, within the horizon, on weekday hours."""
    day = today + timedelta(days=2)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def seed_booking_database(url: str, shoppers: int) -> BookingDatabase:
    engine = make_engine(url, connect_args={"application_name": TEST_CONNECTION})
    upgrade(engine)
    settings = Settings(environment="test", database_url=url)
    integrations = build_integrations(settings)
    secret = settings.secret_key.get_secret_value()
    cipher = field_cipher_from_config(settings.field_encryption_keys.get_secret_value(), secret)
    day = slot_day(datetime.now(SHANGHAI).date())
    with transaction(make_session_factory(engine)) as session:
        load_demo(session, vehicles=DEMO_VEHICLES, seed=2018)
        ensure_demo_users(session, "test")
        holder = make_user(session, roles=[("shopper", None)])
        cars = [car for car in catalog.list_test_drive_fleet(session) if car.store.kind == "dealer"]
        for store in {car.store.id: car.store for car in cars}.values():
            # Every client connects from 127.0.0.1: lift the per-network and per-account hold limits.
            changes = {"max_holds_per_ip_per_hour": 100_000, "max_holds_per_user_per_hour": 100_000}
            update_store_policy(session, store, changes, actor=None)
        slots = [(car, datetime.combine(day, start, SHANGHAI)) for start in STARTS for car in cars]
        if len(slots) < shoppers:
            raise AssertionError(f"the demo has {len(slots)} free dealer slots, {shoppers} wanted")
        drives = []
        for n, (car, start) in enumerate(slots[:shoppers]):
            shopper = make_user(session, roles=[("shopper", None)])
            pays_deposit = n % 2 == 1
            claim = IdentityClaim("Li Lei", DEMO_ID_LOW_SCORE if pays_deposit else DEMO_ID_HIGH_SCORE, date(2035, 1, 1))
            identity.verify_driver(
                session,
                shopper.id,
                claim,
                identity=integrations.identity,
                credit=integrations.credit,
                secret_key=secret,
                cipher=cipher,
                today=datetime.now(UTC).date(),
            )
            token = make_token(session, shopper)
            drives.append(
                Drive(shopper.id, token, pays_deposit, car.vin, car.id, car.store_id, car.trim.model_id, start)
            )
        holder_id = holder.id
    return BookingDatabase(url, engine, drives, holder_id)


def wait_for(condition: Callable[[], bool], what: str, seconds: float = 15) -> None:
    """Poll `condition` until it holds; fail after `seconds` (for what another process does, with no event)."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up after {seconds} s waiting for {what}")
        time.sleep(0.05)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def accepts_connections(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            return True
    except ConnectionRefusedError:
        return False


class ServeProcess:
    """`python -m forecourt.cli serve` on a free port over `url`; its output goes to a log shown on failure."""

    def __init__(self, url: str, workdir: Path, name: str = "serve") -> None:
        self.url = url
        self.workdir = workdir
        self.port = free_port()
        self.log_path = workdir / f"{name}.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ServeProcess:
        env = {
            **os.environ,
            "FORECOURT_DATABASE_URL": self.url,
            "FORECOURT_ENVIRONMENT": "test",
            "FORECOURT_OUTBOX_DIR": str(self.workdir / "outbox"),
        }
        command = [sys.executable, "-m", "forecourt.cli", "serve", "--port", str(self.port), "--log-level", "warning"]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(command, env=env, cwd=self.workdir, stdout=log, stderr=subprocess.STDOUT)
        wait_for(self._up, f"forecourt serve on port {self.port}; its log:\n{self.log()}", seconds=30)
        return self

    def _up(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            pytest.fail(f"forecourt serve exited with {self.process.returncode} during start-up:\n{self.log()}")
        try:
            return httpx.get(f"{self.base_url}/healthz", timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        """Teardown: SIGTERM, then SIGKILL if it is still running after ten seconds."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.kill()


@contextmanager
def slots_taken_uncommitted(engine: Engine, drives: list[Drive], holder_id: int) -> Iterator[None]:
    """Hold a booking for each drive's car and slot in a transaction left open until the block ends, then roll it
    back. A server hold for such a slot does not see the row, inserts its own, and waits on the exclusion
    constraint for this transaction: it is inside its own transaction, with its writes so far flushed."""
    now = datetime.now(UTC)
    rows = [
        {
            "reference": f"TDBLOCK{n:05d}",
            "shopper_user_id": holder_id,
            "vehicle_id": drive.vehicle_id,
            "store_id": drive.store_id,
            "model_id": drive.model_id,
            "kind": "accompanied",
            "status": "held",
            "starts_at": drive.start,
            "ends_at": drive.start + timedelta(minutes=60),
            "blocks_until": drive.start + timedelta(minutes=90),
            "hold_expires_at": now + timedelta(minutes=10),
            "created_at": now,
            "updated_at": now,
        }
        for n, drive in enumerate(drives)
    ]
    with engine.connect() as connection:
        blocking = connection.begin()
        connection.execute(insert(TestDriveBooking), rows)
        try:
            yield
        finally:
            blocking.rollback()


def _count_server_backends(engine: Engine, where: str) -> int:
    statement = text(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
        f"AND backend_type = 'client backend' AND application_name <> :ours AND {where}"
    )
    with engine.connect() as connection:
        return int(connection.execute(statement, {"ours": TEST_CONNECTION}).scalar_one())


def lock_waiters(engine: Engine) -> int:
    """The server's database connections that wait for a lock (inside a transaction, by definition)."""
    return _count_server_backends(engine, "wait_event_type = 'Lock'")


def server_backends(engine: Engine) -> int:
    """The server's database connections still open (a killed server's go once PostgreSQL notices)."""
    return _count_server_backends(engine, "TRUE")
