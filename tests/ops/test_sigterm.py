"""SIGTERM to `forecourt serve` with requests in flight: it stops accepting connections, finishes every request it
has started (each gets its whole answer), and exits 0.

The requests are held in flight deterministically: each is a hold whose booking insert waits on the exclusion
constraint behind an uncommitted booking of the test's (served.py), and the test lets them go only once the server
has stopped accepting. Without a graceful timeout option on `serve` yet, this relies on uvicorn's own graceful
shutdown, which waits for open requests with no limit; the test allows GRACE seconds from their release to the exit.
"""

from __future__ import annotations

import signal
import threading
import time
import uuid
from pathlib import Path

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from forecourt.testdrive.models import TestDriveBooking
from tests.ops.served import (
    HOLDS,
    BookingDatabase,
    ServeProcess,
    accepts_connections,
    lock_waiters,
    slots_taken_uncommitted,
    wait_for,
)

IN_FLIGHT = 3
GRACE = 10.0  # seconds from the in-flight requests' release to the process's exit


def test_sigterm_finishes_requests_in_flight_then_exits_0(booking_db: BookingDatabase, tmp_path: Path) -> None:
    drives = booking_db.take(IN_FLIGHT)
    server = ServeProcess(booking_db.url, tmp_path).start()
    answers: list[httpx.Response | Exception] = []

    def hold(n: int) -> None:
        drive = drives[n]
        try:
            with httpx.Client(base_url=server.base_url, timeout=60) as http:
                answers.append(http.post(HOLDS, json=drive.hold_body(), headers=drive.headers(str(uuid.uuid4()))))
        except httpx.HTTPError as exc:
            answers.append(exc)

    try:
        idle = httpx.Client(base_url=server.base_url, timeout=10)  # a kept-alive connection with nothing running
        assert idle.get("/healthz").status_code == 200
        with slots_taken_uncommitted(booking_db.engine, drives, booking_db.holder_id):
            clients = [threading.Thread(target=hold, args=(n,)) for n in range(IN_FLIGHT)]
            for client in clients:
                client.start()
            wait_for(
                lambda: lock_waiters(booking_db.engine) == IN_FLIGHT, "the holds to wait inside their transactions"
            )
            assert accepts_connections(server.port)
            server.process.send_signal(signal.SIGTERM)
            wait_for(lambda: not accepts_connections(server.port), "serve to stop accepting connections")
            assert server.process.poll() is None, "serve exited with requests in flight"
            assert lock_waiters(booking_db.engine) == IN_FLIGHT and not answers
        released = time.monotonic()
        for client in clients:
            client.join(timeout=GRACE)
        exit_status = server.process.wait(timeout=GRACE)
        stopped_after = time.monotonic() - released
        idle.close()

        assert exit_status == 0, server.log()
        assert stopped_after < GRACE
        assert all(isinstance(a, httpx.Response) for a in answers), answers
        assert [a.status_code for a in answers] == [201] * IN_FLIGHT, [a.text for a in answers]
        assert all(a.headers["connection"] == "close" for a in answers)  # answered as part of the shutdown
        held = {a.json()["vin"]: a.json()["reference"] for a in answers}
        assert sorted(held) == sorted(d.vin for d in drives)
        with Session(booking_db.engine) as session:
            stored = session.scalars(select(TestDriveBooking).where(TestDriveBooking.reference.in_(held.values())))
            assert sorted(b.vehicle_id for b in stored) == sorted(d.vehicle_id for d in drives)
    finally:
        server.stop()
