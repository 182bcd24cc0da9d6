"""Probe: kill -9 a web process in the middle of a write burst and check that nothing answered 2xx was lost.

Starts `forecourt serve` on a scratch database (SQLite file and PostgreSQL), lets 8 client threads post batches of
tracking events (each batch one transaction, each event idempotent by its id), kills the server with SIGKILL after
a few seconds, and then reads the database: every event of every batch answered 200 must be stored, and every batch
must be whole (all of its events or none) — a half-written batch would be a torn transaction.

    python bench/kill9.py [--seconds 3] [--clients 8] [--backends sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import itertools
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx
from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import print_table, scratch_database
from forecourt.accounts.api_tokens import create_api_token
from forecourt.accounts.models import User, UserRole
from forecourt.accounts.passwords import hash_password
from forecourt.core.db import make_engine, make_session_factory, transaction
from forecourt.core.migrate import upgrade

BATCH = 10


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def prepare(url: str) -> str:
    """Migrate the scratch database and make a marketer who may post events; return their API token."""
    engine = make_engine(url)
    upgrade(engine)
    with transaction(make_session_factory(engine)) as session:
        user = User(
            email="probe@example.test",
            display_name="probe",
            password_hash=hash_password("probe-password-1"),
            is_active=True,
            failed_logins=0,
        )
        user.roles = [UserRole(role="marketer", store_id=None)]
        session.add(user)
        session.flush()
        token = create_api_token(session, user.id, "probe")[1]
    engine.dispose()
    return token


def start_server(url: str, port: int, workdir: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "FORECOURT_DATABASE_URL": url, "FORECOURT_ENVIRONMENT": "test"}
    forecourt = Path(sys.executable).with_name("forecourt")
    server = subprocess.Popen(
        [str(forecourt), "serve", "--port", str(port)],
        env=env,
        cwd=workdir,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/api/v1/me", timeout=1)
            return server
        except httpx.TransportError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("forecourt serve did not start")


def burst(base_url: str, token: str, clients: int, seconds: float, server: subprocess.Popen[bytes]) -> dict:
    """Post batches until the server is killed; return the batches answered 200 and how many were attempted."""
    acknowledged: list[str] = []
    attempted = itertools.count()
    lock = threading.Lock()
    stop = threading.Event()

    def client() -> None:
        with httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=10) as http:
            while not stop.is_set():
                batch = f"probe{uuid.uuid4().hex}"  # the batch id is every event's visitor id
                now = datetime.now(UTC).isoformat()
                events = [
                    {"event_id": f"{batch}-{n}", "type": "visit", "occurred_at": now, "visitor_id": batch}
                    for n in range(BATCH)
                ]
                next(attempted)
                try:
                    answer = http.post("/api/v1/events", json={"events": events})
                except httpx.TransportError:
                    return  # the server is gone
                if answer.status_code == 200 and answer.json()["accepted"] == BATCH:
                    with lock:
                        acknowledged.append(batch)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    time.sleep(seconds)
    server.send_signal(signal.SIGKILL)
    server.wait()
    stop.set()
    for thread in threads:
        thread.join()
    return {"acknowledged": acknowledged, "attempted": next(attempted)}


def stored_batches(url: str) -> dict[str, int]:
    """Events stored per batch (visitor id)."""
    engine = make_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT visitor_id, COUNT(*) FROM marketing_events WHERE visitor_id LIKE 'probe%' GROUP BY visitor_id")
        )
        counts = {visitor: count for visitor, count in rows}
    engine.dispose()
    return counts


def run(backend: str, clients: int, seconds: float) -> list[str]:
    with scratch_database(backend) as url:
        token = prepare(url)
        port = free_port()
        with tempfile.TemporaryDirectory() as workdir:
            server = start_server(url, port, Path(workdir))
            result = burst(f"http://127.0.0.1:{port}", token, clients, seconds, server)
        stored = stored_batches(url)
    acknowledged = result["acknowledged"]
    lost = sum(BATCH - stored.get(batch, 0) for batch in acknowledged)
    # A batch is one transaction: stored in part would be a torn write (acknowledged or not).
    torn = sum(1 for count in stored.values() if count != BATCH)
    return [
        backend,
        str(clients),
        str(result["attempted"]),
        str(len(acknowledged)),
        str(len(acknowledged) * BATCH),
        str(sum(stored.values())),
        str(lost),
        str(torn),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    rows = [run(backend, args.clients, args.seconds) for backend in args.backends.split(",")]
    print_table(
        [
            "backend",
            "clients",
            "requests",
            "batches 200",
            "events acknowledged",
            "events stored",
            "acknowledged but lost",
            "torn batches",
        ],
        rows,
    )


if __name__ == "__main__":
    main()
