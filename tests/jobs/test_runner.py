"""A pass of the scheduled jobs: each named job once per slot, again in the next slot; one log line per job run;
`forecourt jobs run` shows what ran and what was skipped; web processes run passes only with FORECOURT_RUN_JOBS."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, delete, select
from typer.testing import CliRunner

from forecourt.app import create_app
from forecourt.core import clock
from forecourt.core.job_runs import JobRun
from forecourt.core.settings import Settings, get_settings
from forecourt.jobs import run_due_jobs
from forecourt.jobs.registry import SCHEDULED_JOBS, Job
from tests.conftest import _joined_session

T0 = datetime(2026, 12, 8, 9, 0, tzinfo=UTC)
NAMES = [job.name for job in SCHEDULED_JOBS]
HOURLY = {job.name for job in SCHEDULED_JOBS if job.every == timedelta(hours=1)}  # purge-job-runs, lease pace


def outcomes(report) -> dict[str, str]:
    return {outcome.job: outcome.outcome for outcome in report.outcomes}


def test_each_job_runs_once_in_a_slot_and_again_in_the_next(db_connection: Connection, caplog):
    factory = partial(_joined_session, db_connection)  # the app's factory, inside the test's transaction
    with caplog.at_level("INFO", logger="forecourt.jobs"):
        first = run_due_jobs(factory, {}, T0)
        same_slot = run_due_jobs(factory, {}, T0 + timedelta(seconds=59, microseconds=999_999))
        next_slot = run_due_jobs(factory, {}, T0 + timedelta(minutes=1))
    assert outcomes(first) == dict.fromkeys(NAMES, "ran")
    assert outcomes(same_slot) == dict.fromkeys(NAMES, "skipped") and same_slot.skipped == tuple(NAMES)
    assert outcomes(next_slot) == {**dict.fromkeys(NAMES, "ran"), **dict.fromkeys(HOURLY, "skipped")}
    with _joined_session(db_connection) as session:
        mine = select(JobRun).where(JobRun.slot_start.in_([T0, T0 + timedelta(minutes=1)]))
        slots = sorted((run.job, run.slot_start) for run in session.scalars(mine))
    assert slots == sorted(
        [(name, T0) for name in NAMES] + [(name, T0 + timedelta(minutes=1)) for name in NAMES if name not in HOURLY]
    )
    lines = [r for r in caplog.records if r.name == "forecourt.jobs" and r.getMessage() == "job run"]
    assert len(lines) == 3 * len(NAMES)
    assert {(r.job, r.slot, r.outcome, r.count) for r in lines[: len(NAMES)]} == {
        (name, T0.isoformat(), "ran", 0) for name in NAMES
    }
    assert all(isinstance(r.duration_ms, int) and r.duration_ms >= 0 for r in lines)


def test_the_interval_sets_the_slot_and_a_job_may_keep_a_longer_one(db_connection: Connection):
    factory = partial(_joined_session, db_connection)
    done: list[str] = []

    def recorder(label: str):
        def run(_session, now: datetime) -> int:
            done.append(f"{label} {now:%H:%M:%S}")
            return 1

        return run

    jobs = [Job("every-pass", recorder("pass"), "x"), Job("hourly", recorder("hourly"), "x", every=timedelta(hours=1))]
    ten_seconds = timedelta(seconds=10)
    for at in (T0, T0 + timedelta(seconds=9), T0 + timedelta(seconds=10), T0 + timedelta(minutes=59, seconds=59)):
        run_due_jobs(factory, {}, at, interval=ten_seconds, jobs=jobs)
    run_due_jobs(factory, {}, T0 + timedelta(hours=1), interval=ten_seconds, jobs=jobs)
    assert done == [
        "pass 09:00:00",
        "hourly 09:00:00",
        "pass 09:00:10",
        "pass 09:59:59",
        "pass 10:00:00",
        "hourly 10:00:00",
    ]


def test_a_job_that_fails_does_not_stop_the_others(db_connection: Connection):
    factory = partial(_joined_session, db_connection)

    def broken(_session, _now) -> int:
        raise RuntimeError("boom")

    jobs = [Job("broken", broken, "x"), Job("fine", lambda _s, _n: 3, "thing(s)")]
    report = run_due_jobs(factory, {}, T0, jobs=jobs)
    assert outcomes(report) == {"broken": "failed", "fine": "ran"} and report.failed == ("broken",)
    assert report.count("fine") == 3


@pytest.fixture
def clock_file(tmp_path: Path) -> Iterator[Path]:
    """A clock file for the code under test; the test process goes back to the wall clock afterwards."""
    path = tmp_path / "clock"
    path.write_text(T0.isoformat(), encoding="utf-8")
    yield path
    clock.follow_clock_file(None)


@pytest.fixture
def forget_slot(db_engine: Engine) -> Iterator[None]:
    """These tests commit their job runs (a CLI or a server thread has its own connections): deleted after."""
    yield
    with db_engine.begin() as connection:
        connection.execute(delete(JobRun).where(JobRun.slot_start == T0))


def test_the_cli_shows_what_ran_and_what_was_skipped(database_url, db_engine, clock_file, forget_slot, monkeypatch):
    from forecourt.cli import app

    for name, value in {
        "FORECOURT_DATABASE_URL": database_url,
        "FORECOURT_ENVIRONMENT": "test",
        "FORECOURT_CLOCK_FILE": str(clock_file),
        "FORECOURT_OUTBOX_DIR": str(clock_file.parent / "outbox"),
    }.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    try:
        first = CliRunner().invoke(app, ["jobs", "run"])
        second = CliRunner().invoke(app, ["jobs", "run"])
    finally:
        get_settings.cache_clear()
    assert first.exit_code == 0 and second.exit_code == 0, first.output + second.output
    assert f"expire-holds [{T0.isoformat()}]: 0 hold(s) expired" in first.output
    assert "skipped" not in first.output
    assert second.output.count("skipped: already run in this slot by another process") == len(NAMES)
    assert "0 message(s) sent" in second.output


def _job_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == "forecourt-jobs"]


def test_web_processes_run_the_jobs_only_when_told(database_url, db_engine, clock_file, forget_slot, tmp_path):
    quiet = Settings(environment="test", database_url=database_url, outbox_dir=tmp_path / "outbox")
    assert quiet.run_jobs is False  # unset in tests: off
    quiet_app = create_app(quiet)
    with TestClient(quiet_app):
        assert _job_threads() == []
    quiet_app.state.engine.dispose()
    told = quiet.model_copy(update={"run_jobs": True, "job_interval_seconds": 0.05, "clock_file": clock_file})
    app = create_app(told)
    with TestClient(app):
        assert len(_job_threads()) == 1
        deadline = time.monotonic() + 20
        while True:  # the thread's first pass, in the slot of the clock file
            with db_engine.connect() as connection:
                recorded = set(connection.scalars(select(JobRun.job).where(JobRun.slot_start == T0)))
            if recorded == set(NAMES) or time.monotonic() > deadline:
                break
            time.sleep(0.02)
        assert recorded == set(NAMES)
    assert _job_threads() == []  # the lifespan's end stopped it
    app.state.engine.dispose()
