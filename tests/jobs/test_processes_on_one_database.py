"""Issue 14's acceptance test: two `forecourt serve` and two `forecourt worker` processes, all running the jobs every
0.1 s, share one PostgreSQL database through a simulated day. The test walks their common clock file through the
day in 15-minute steps and waits at each until every job's run of that slot is recorded. Holds lapse, reminders and
follow-ups fall due on the way; each must happen exactly once, at the first step it was due, and `job_runs` must
hold exactly one row per (job, slot).

Row state alone already keeps a reminder from going out twice; what this adds is that the jobs are claimed: one
process runs each slot of each job and the three others skip it. The runs' recorded counts must add up to the
bookings (a second run of a slot would have written its own count, zero, over the first's), and the runners show
that more than one process won slots.
"""

from __future__ import annotations

import re
import signal
import socket
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from forecourt.core import clock
from forecourt.core.db import make_engine, make_session_factory, transaction
from forecourt.core.job_runs import JobRun, slot_start
from forecourt.core.outbox import OutboxMessage
from forecourt.jobs.registry import SCHEDULED_JOBS
from forecourt.models_registry import import_all_models
from forecourt.testdrive.models import BookingStatus, TestDriveBooking
from tests.factories import make_small_catalog, make_user, make_vehicle
from tests.jobs.processes import environment, scratch_database, set_clock, start_cli, stop, wait_for

pytestmark = pytest.mark.slow  # four real processes through 97 slots: about half a minute

DAY_START = datetime(2026, 12, 8, tzinfo=UTC)
STEP = timedelta(minutes=15)
STEPS = [DAY_START + i * STEP for i in range(96)]  # 00:00 … 23:45
WARM_UP = DAY_START - timedelta(days=1)  # the slot the processes start in, before anything falls due
INTERVAL = timedelta(seconds=0.1)
MINUTES = timedelta(minutes=1)


def first_step_at_or_after(moment: datetime) -> datetime | None:
    return next((step for step in STEPS if step >= moment), None)


@dataclass
class Day:
    """Booking reference → the step its hold must lapse / its reminder / its follow-up go out at (None: never)."""

    holds: dict[str, datetime | None] = field(default_factory=dict)
    reminders: dict[str, datetime | None] = field(default_factory=dict)
    follow_ups: dict[str, datetime | None] = field(default_factory=dict)
    mobiles: dict[str, str] = field(default_factory=dict)  # the bookings that also get an SMS


def seed_day(session: Session) -> Day:
    """Bookings on cars of their own (so no two overlap), each due at minutes into the day: on a step, just before
    and just after one, before the day (due at its first step) and after it (never)."""
    catalog = make_small_catalog(session)
    trim, store = catalog["trims"]["mondeo-ecoboost180"], catalog["stores"]["gz-tianhe"]
    shopper = make_user(session, roles=[("shopper", None)])
    day = Day()
    mobiles = iter(range(13900000001, 13900001000))

    def booking(kind: str, number: int, status: BookingStatus, starts_at: datetime, **fields) -> str:
        reference = f"{kind}{number:02d}"
        car = make_vehicle(session, trim, store, test_drive_fleet=True)
        mobile = str(next(mobiles)) if number % 2 else ""
        if mobile:
            day.mobiles[reference] = mobile
        session.add(
            TestDriveBooking(
                reference=reference,
                shopper_user_id=shopper.id,
                vehicle_id=car.id,
                store_id=store.id,
                model_id=trim.model_id,
                kind="accompanied",
                status=status.value,
                starts_at=starts_at,
                ends_at=starts_at + timedelta(hours=1),
                blocks_until=starts_at + timedelta(hours=1, minutes=30),
                contact_email=f"{reference.lower()}@example.test",
                contact_mobile=mobile,
                language="en",
                **fields,
            )
        )
        return reference

    for number, minutes in enumerate((7, 15, 16, 200, 601, 1425, 1500)):
        lapses = DAY_START + minutes * MINUTES
        reference = booking("HOLD", number, BookingStatus.HELD, DAY_START + timedelta(days=3), hold_expires_at=lapses)
        day.holds[reference] = first_step_at_or_after(lapses)
    for number, minutes in enumerate((-120, 0, 44, 45, 46, 300, 1425, 1500)):
        starts = DAY_START + timedelta(days=1) + minutes * MINUTES  # reminded 24 h before it starts
        reference = booking(
            "REMIND", number, BookingStatus.CONFIRMED, starts, confirmed_at=DAY_START - timedelta(days=2)
        )
        day.reminders[reference] = first_step_at_or_after(starts - timedelta(days=1))
    for number, minutes in enumerate((-30, 10, 15, 700, 1425, 1430)):
        returned = DAY_START - timedelta(hours=2) + minutes * MINUTES  # followed up 2 h after the return
        reference = booking(
            "THANKS",
            number,
            BookingStatus.COMPLETED,
            returned - timedelta(hours=1),
            checked_out_at=returned - timedelta(hours=1),
            checked_in_at=returned,
        )
        day.follow_ups[reference] = first_step_at_or_after(returned + timedelta(hours=2))
    session.flush()
    return day


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def expected_runs(at: datetime) -> set[tuple[str, datetime]]:
    return {(job.name, slot_start(at, job.every or INTERVAL)) for job in SCHEDULED_JOBS}


def delivered(path: Path) -> list[tuple[int, str]]:
    """(message id, recipient) of each message the development adapter wrote to `path`."""
    if not path.exists():
        return []
    found = re.findall(r"^--- message (\d+) at .*\nTo: (.*)$", path.read_text(encoding="utf-8"), re.MULTILINE)
    return [(int(message_id), recipient) for message_id, recipient in found]


def test_two_web_and_two_worker_processes_live_a_day_and_each_job_runs_once_per_slot(database_url, tmp_path):
    if "postgresql" not in database_url:
        pytest.skip("the production set-up: many processes on one PostgreSQL (SQLite is one host's database)")
    import_all_models()
    with scratch_database(database_url, tmp_path) as url:
        engine = make_engine(url)
        with clock.pinned(WARM_UP - timedelta(hours=1)), transaction(make_session_factory(engine)) as session:
            day = seed_day(session)
        clock_file, outbox = tmp_path / "clock", tmp_path / "outbox"
        set_clock(clock_file, WARM_UP)
        env = environment(url, clock_file, outbox, run_jobs="true", job_interval_seconds="0.1")
        ports = [free_port(), free_port()]
        processes = [
            start_cli(["serve", "--port", str(port), "--log-level", "warning"], env, tmp_path / f"serve-{port}.log")
            for port in ports
        ] + [start_cli(["worker", "--relay-every", "0.5"], env, tmp_path / f"worker-{i}.log") for i in range(2)]

        def recorded(at: datetime) -> bool:
            with engine.connect() as connection:
                rows = connection.execute(select(JobRun.job, JobRun.slot_start).where(JobRun.slot_start <= at))
                return expected_runs(at) <= set(rows.all())

        try:
            for port in ports:
                wait_for(lambda: _healthy(port), 60, f"forecourt serve on port {port}", interval=0.1)
            for i in range(2):
                wait_for(partial(_started, tmp_path / f"worker-{i}.log"), 60, f"worker {i}", interval=0.1)
            wait_for(partial(recorded, WARM_UP), 30, "the warm-up slot")
            for step in STEPS:
                set_clock(clock_file, step)
                wait_for(partial(recorded, step), 30, f"the job runs of {step:%H:%M}", interval=0.01)
            with engine.connect() as connection:
                unsent = select(func.count()).select_from(OutboxMessage).where(OutboxMessage.sent_at.is_(None))
                wait_for(lambda: connection.execute(unsent).scalar() == 0, 30, "the relays to send every message")
        finally:
            codes = stop(processes)
        # Workers exit 0; uvicorn shuts down gracefully, then re-raises SIGTERM on itself (its documented behaviour).
        assert codes[:2] in ([0, 0], [-signal.SIGTERM] * 2) and codes[2:] == [0, 0], [
            log.read_text()[-2000:] for log in sorted(tmp_path.glob("*.log"))
        ]

        # No job failed in any process: a worker imports no web module, so a job that needs another context's
        # models must not depend on a web process having imported them (the serve processes would hide it).
        for log in sorted(tmp_path.glob("*.log")):
            assert '"outcome":"failed"' not in log.read_text(), log.read_text()[-3000:]

        with make_session_factory(engine)() as session:
            bookings = {b.reference: b for b in session.scalars(select(TestDriveBooking))}
            runs = session.scalars(select(JobRun)).all()
        engine.dispose()

    # Each hold lapsed once, at the first step at or after its expiry; the one due after the day is still held.
    for reference, step in day.holds.items():
        booking = bookings[reference]
        assert (booking.status, booking.updated_at) == ("expired", step) if step else booking.status == "held"
    # Each reminder and follow-up was recorded at the first step it was due, and never before the day's first.
    assert {r: bookings[r].reminder_sent_at for r in day.reminders} == day.reminders
    assert {r: bookings[r].follow_up_sent_at for r in day.follow_ups} == day.follow_ups

    # …and delivered exactly once: one e-mail per booking that was due (none for the others), one SMS with a mobile.
    due = [reference for reference, step in {**day.reminders, **day.follow_ups}.items() if step]
    emails, texts = delivered(outbox / "email.log"), delivered(outbox / "sms.log")
    assert Counter(recipient for _id, recipient in emails) == Counter(f"{r.lower()}@example.test" for r in due)
    assert Counter(recipient for _id, recipient in texts) == Counter(day.mobiles[r] for r in due if r in day.mobiles)
    assert max(Counter(message_id for message_id, _r in emails + texts).values()) == 1

    # Exactly one run per (job, slot), for every slot of the day, and what they did adds up to the bookings.
    keys = Counter((run.job, run.slot_start) for run in runs)
    assert set(keys) == set().union(*(expected_runs(at) for at in [WARM_UP, *STEPS])) and max(keys.values()) == 1
    done = Counter()
    for run in runs:
        done[run.job] += run.outcome_count
    assert done["expire-holds"] == sum(1 for step in day.holds.values() if step)
    assert done["test-drive-reminders"] == sum(1 for step in day.reminders.values() if step)
    assert done["test-drive-follow-ups"] == sum(1 for step in day.follow_ups.values() if step)
    assert all(run.finished_at is not None for run in runs)
    assert len({run.runner for run in runs}) >= 2  # the runs were shared out: the processes really competed


def _started(log: Path) -> bool:
    return "worker started" in log.read_text()


def _healthy(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False
