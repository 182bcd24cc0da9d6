"""Job claims: a job runs once per slot whatever number of sessions race for it; a failed run leaves no claim and is
run again; slots are the due time floored to the interval, exactly at both sides of each boundary.

The races need real connections with their own commits (the usual `db_session` is one connection inside a
rolled-back transaction), so those tests write through `db_engine` under job names of their own and delete their
rows afterwards.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from forecourt.core.db import make_session_factory
from forecourt.core.job_runs import JobRun, claim_slot, slot_start
from forecourt.core.outbox import Channel, OutboxMessage, enqueue
from forecourt.jobs.registry import Job
from forecourt.jobs.runner import run_job

T0 = datetime(2026, 12, 8, 9, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


@pytest.mark.parametrize(
    ("due", "interval", "slot"),
    [
        (T0, MINUTE, T0),  # on the boundary: its own slot
        (T0 - timedelta(microseconds=1), MINUTE, T0 - MINUTE),  # a microsecond before: the slot before
        (T0 + timedelta(seconds=59, microseconds=999_999), MINUTE, T0),
        (T0 + MINUTE, MINUTE, T0 + MINUTE),
        (T0 + timedelta(milliseconds=249), timedelta(milliseconds=250), T0),  # sub-second test intervals are exact
        (T0 + timedelta(milliseconds=250), timedelta(milliseconds=250), T0 + timedelta(milliseconds=250)),
        (T0 + timedelta(minutes=59, seconds=59), timedelta(hours=1), T0),
        (T0 + timedelta(hours=1), timedelta(hours=1), T0 + timedelta(hours=1)),
        (T0 + timedelta(hours=14, minutes=59), timedelta(days=1), datetime(2026, 12, 8, tzinfo=UTC)),  # UTC days
        (T0 + timedelta(hours=15), timedelta(days=1), datetime(2026, 12, 9, tzinfo=UTC)),
        # An offset changes nothing: 17:00:30 in Beijing is 09:00:30 UTC.
        (datetime(2026, 12, 8, 17, 0, 30, tzinfo=timezone(timedelta(hours=8))), MINUTE, T0),
        # Counted from the epoch, not the hour: 09:01:30 is 1,796,720,490 s, 5 s past a multiple of 7.
        (T0 + timedelta(seconds=90), timedelta(seconds=7), datetime(2026, 12, 8, 9, 1, 25, tzinfo=UTC)),
        (T0 + timedelta(seconds=85), timedelta(seconds=7), datetime(2026, 12, 8, 9, 1, 25, tzinfo=UTC)),
        (
            T0 + timedelta(seconds=84, microseconds=999_999),
            timedelta(seconds=7),
            datetime(2026, 12, 8, 9, 1, 18, tzinfo=UTC),
        ),
    ],
)
def test_the_slot_is_the_due_time_floored_to_the_interval(due: datetime, interval: timedelta, slot: datetime):
    assert slot_start(due, interval) == slot


def test_slots_need_an_aware_time_and_a_positive_interval():
    with pytest.raises(ValueError, match="aware"):
        slot_start(datetime(2026, 12, 8, 9, 0), MINUTE)
    with pytest.raises(ValueError, match="microsecond"):
        slot_start(T0, timedelta(0))


@pytest.fixture
def committed(db_engine: Engine) -> Iterator[tuple[Callable[[], Session], str]]:
    """A session factory on real connections, and a job name of this test's own; its rows are deleted after."""
    name = f"test-{uuid.uuid4().hex[:12]}"
    yield make_session_factory(db_engine), name
    with db_engine.begin() as connection:
        connection.execute(delete(JobRun).where(JobRun.job == name))
        connection.execute(delete(OutboxMessage).where(OutboxMessage.recipient == f"{name}@example.test"))


def runs_of(factory: Callable[[], Session], name: str) -> list[tuple[datetime, int]]:
    with factory() as session:
        return [
            (run.slot_start, run.outcome_count)
            for run in session.scalars(select(JobRun).where(JobRun.job == name).order_by(JobRun.slot_start))
        ]


def test_four_sessions_racing_for_one_slot_run_the_job_once(committed):
    factory, name = committed
    ran: list[str] = []
    start = threading.Barrier(4)

    def work(session: Session, now: datetime) -> int:
        ran.append(threading.current_thread().name)
        return 1

    outcomes: list[str] = []

    def race() -> None:
        start.wait()
        outcomes.append(run_job(factory, Job(name, work, "thing(s)"), T0, MINUTE).outcome)

    threads = [threading.Thread(target=race, name=f"runner-{i}") for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(ran) == 1 and sorted(outcomes) == ["ran", "skipped", "skipped", "skipped"]
    assert runs_of(factory, name) == [(T0, 1)]


def test_a_session_that_meets_a_run_in_progress_skips_once_it_has_committed(committed):
    """The first run is held open inside its job; the second tries the same slot meanwhile. On PostgreSQL its insert
    waits for the first transaction, on SQLite its write lock does; either way it then finds the row and skips."""
    factory, name = committed
    inside, release = threading.Event(), threading.Event()
    calls: list[str] = []

    def slow(session: Session, now: datetime) -> int:
        calls.append("first")
        inside.set()
        assert release.wait(timeout=30)
        return 7

    first: list[str] = []
    holder = threading.Thread(target=lambda: first.append(run_job(factory, Job(name, slow, "x"), T0, MINUTE).outcome))
    holder.start()
    assert inside.wait(timeout=30)
    second: list[str] = []

    def other(session: Session, now: datetime) -> int:
        calls.append("second")
        return 1

    waiter = threading.Thread(
        target=lambda: second.append(run_job(factory, Job(name, other, "x"), T0 + MINUTE / 2, MINUTE).outcome)
    )
    waiter.start()
    release.set()
    holder.join(timeout=30)
    waiter.join(timeout=30)
    assert first == ["ran"] and second == ["skipped"] and calls == ["first"]
    assert runs_of(factory, name) == [(T0, 7)]


def test_a_failing_job_leaves_no_claim_and_no_work_and_a_later_pass_runs_it(committed, caplog):
    factory, name = committed
    attempts: list[int] = []

    def flaky(session: Session, now: datetime) -> int:
        enqueue(session, Channel.EMAIL, f"{name}@example.test", "written by the job", "body")
        attempts.append(1)
        if len(attempts) == 1:
            raise ConnectionError("gateway down")
        return 1

    job = Job(name, flaky, "thing(s)")
    failed = run_job(factory, job, T0, MINUTE)
    assert (failed.outcome, failed.count) == ("failed", 0)
    assert runs_of(factory, name) == []  # the claim rolled back with the work...
    with factory() as session:
        assert (
            session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == f"{name}@example.test")).all() == []
        )
    failure = [r for r in caplog.records if r.getMessage() == "job run" and getattr(r, "job", None) == name]
    assert [(r.levelname, r.outcome, r.exc_info is not None) for r in failure] == [("ERROR", "failed", True)]
    retried = run_job(factory, job, T0 + timedelta(seconds=30), MINUTE)  # ...so the same slot runs it again
    assert (retried.outcome, retried.count) == ("ran", 1)
    assert runs_of(factory, name) == [(T0, 1)]
    with factory() as session:
        assert (
            len(
                session.scalars(select(OutboxMessage.id).where(OutboxMessage.recipient == f"{name}@example.test")).all()
            )
            == 1
        )


def test_claiming_is_per_job_and_per_slot(db_session: Session):
    assert claim_slot(db_session, "job-a", T0, runner="h:1", started_at=T0)
    assert not claim_slot(db_session, "job-a", T0, runner="h:2", started_at=T0)
    assert claim_slot(db_session, "job-b", T0, runner="h:2", started_at=T0)  # another job, same slot
    assert claim_slot(db_session, "job-a", T0 + MINUTE, runner="h:2", started_at=T0)  # same job, next slot
    runners = {(run.job, run.slot_start): run.runner for run in db_session.scalars(select(JobRun))}
    assert runners == {("job-a", T0): "h:1", ("job-b", T0): "h:2", ("job-a", T0 + MINUTE): "h:2"}
