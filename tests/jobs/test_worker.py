"""`forecourt worker` as a real process: it runs the job passes and relays the outbox; SIGTERM ends it with exit
code 0, after the pass in hand has finished."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert, select, text
from sqlalchemy.engine import Engine

from forecourt.core.db import make_engine
from forecourt.core.job_runs import JobRun, slot_start
from forecourt.core.outbox import OutboxMessage
from forecourt.jobs.registry import SCHEDULED_JOBS
from tests.jobs.processes import environment, scratch_database, set_clock, start_cli, stop, wait_for

T0 = datetime(2026, 12, 8, 9, 0, tzinfo=UTC)
INTERVAL = timedelta(seconds=0.1)


def recorded_slots(engine: Engine) -> set[tuple[str, datetime]]:
    with engine.connect() as connection:
        return {(job, slot) for job, slot in connection.execute(select(JobRun.job, JobRun.slot_start))}


def expected_slots(at: datetime) -> set[tuple[str, datetime]]:
    return {(job.name, slot_start(at, job.every or INTERVAL)) for job in SCHEDULED_JOBS}


def start_worker(url: str, tmp_path: Path):
    set_clock(tmp_path / "clock", T0)
    env = environment(url, tmp_path / "clock", tmp_path / "outbox", job_interval_seconds="0.1")
    return start_cli(["worker", "--relay-every", "0.1"], env, tmp_path / "worker.log")


def test_the_worker_runs_jobs_relays_messages_and_stops_on_sigterm(database_url: str, tmp_path: Path):
    with scratch_database(database_url, tmp_path) as url:
        engine = make_engine(url)
        with engine.begin() as connection:
            connection.execute(
                insert(OutboxMessage.__table__).values(
                    channel="email",
                    recipient="waiting@example.test",
                    subject="queued by a request",
                    body="hello",
                    created_at=T0,
                    attempts=0,
                    attachments=[],
                    sensitive=False,
                )
            )
        worker = start_worker(url, tmp_path)
        try:
            wait_for(lambda: expected_slots(T0) <= recorded_slots(engine), 60, "the worker's first pass")
            email = tmp_path / "outbox" / "email.log"
            wait_for(lambda: email.exists() and "queued by a request" in email.read_text(), 30, "the relay")
        finally:
            codes = stop([worker])
        engine.dispose()
    log = (tmp_path / "worker.log").read_text()
    assert codes == [0], log
    assert "worker started" in log and "worker stopped" in log
    # Every job ran in the worker itself, which imports no web module: a job whose tables' mappers need another
    # context's models (a booking's payment) failed there while passing in processes that had imported them all.
    assert "failed" not in log, log


def test_sigterm_during_a_pass_lets_the_pass_finish_before_the_worker_exits(database_url: str, tmp_path: Path):
    """The test holds an uncommitted claim of the next slot's first job, so the worker's pass waits on it; SIGTERM
    arrives meanwhile. When the test rolls its claim back, the worker runs that job and the rest of the pass, then
    exits 0. (PostgreSQL only: it is the database that shows a session waiting on a lock.)"""
    if "postgresql" not in database_url:
        pytest.skip("needs PostgreSQL's pg_stat_activity to see the worker waiting inside its pass")
    with scratch_database(database_url, tmp_path) as url:
        engine = make_engine(url)
        worker = start_worker(url, tmp_path)
        try:
            wait_for(lambda: expected_slots(T0) <= recorded_slots(engine), 60, "the worker's first pass")
            t1 = T0 + timedelta(minutes=15)
            first_job = SCHEDULED_JOBS[0].name
            with engine.connect() as holder:
                holder.execute(
                    insert(JobRun).values(job=first_job, slot_start=t1, started_at=t1, runner="test", outcome_count=0)
                )
                set_clock(tmp_path / "clock", t1)
                waiting = text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                    " AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
                )
                wait_for(lambda: holder.execute(waiting).scalar() == 1, 30, "the worker to wait on the held claim")
                codes_before = worker.poll()
                worker.terminate()  # SIGTERM while the pass is stuck at its first job
                holder.rollback()
            codes = stop([worker])
        finally:
            stop([worker])
        with engine.connect() as connection:
            runs = dict(connection.execute(select(JobRun.job, JobRun.runner).where(JobRun.slot_start == t1)).all())
        engine.dispose()
    log = (tmp_path / "worker.log").read_text()
    assert codes_before is None and codes == [0], log
    # The whole pass ran after SIGTERM: every job whose slot starts at t1 (the hourly one's slot began at 09:00).
    assert set(runs) == {job.name for job in SCHEDULED_JOBS if slot_start(t1, job.every or INTERVAL) == t1}
    assert runs[first_job].endswith(f":{worker.pid}")  # the worker ran the job whose claim it waited for
