"""One pass of the scheduled jobs: each named job claims its slot, runs in its own transaction, and says so in one
log line; then the outbox is relayed.

Any number of processes may run passes at the same time (web processes with FORECOURT_RUN_JOBS, `forecourt
worker`, `forecourt jobs run` from cron): the claim in `core.job_runs` lets one of them run each job per slot and
the others skip it. `run_job` is the one place a job is executed, so whatever watches jobs (counters, timings)
belongs there.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy.orm import Session

from forecourt.core import job_runs, metrics
from forecourt.core.clock import utcnow
from forecourt.core.db import write_lock_first
from forecourt.core.outbox import MessageAdapter, relay_outbox
from forecourt.jobs.registry import SCHEDULED_JOBS, Job

DEFAULT_INTERVAL = timedelta(seconds=60)
log = logging.getLogger("forecourt.jobs")

Outcome = Literal["ran", "skipped", "failed"]


@dataclass(frozen=True)
class JobOutcome:
    job: str
    slot: datetime
    outcome: Outcome
    count: int  # what the job did (0 unless it ran)
    duration_ms: int


@dataclass(frozen=True)
class JobReport:
    outcomes: tuple[JobOutcome, ...]
    messages_sent: int

    def count(self, job: str) -> int:
        return sum(outcome.count for outcome in self.outcomes if outcome.job == job)

    @property
    def skipped(self) -> tuple[str, ...]:
        return tuple(outcome.job for outcome in self.outcomes if outcome.outcome == "skipped")

    @property
    def failed(self) -> tuple[str, ...]:
        return tuple(outcome.job for outcome in self.outcomes if outcome.outcome == "failed")

    # The figures of the jobs that have always run on every pass, by their old names.
    @property
    def expired_holds(self) -> int:
        return self.count("expire-holds")

    @property
    def reminders(self) -> int:
        return self.count("test-drive-reminders")

    @property
    def follow_ups(self) -> int:
        return self.count("test-drive-follow-ups")

    @property
    def overdue_alerts(self) -> int:
        return self.count("overdue-cars")

    @property
    def idempotency_records_purged(self) -> int:
        return self.count("purge-idempotency-records")


def runner_name() -> str:
    """host:pid, written into each job run so an operator can tell which process ran it."""
    return f"{socket.gethostname()}:{os.getpid()}"


def run_job(session_factory: Callable[[], Session], job: Job, now: datetime, interval: timedelta) -> JobOutcome:
    """Claim `job`'s slot of `now` and run it in the same transaction; skip it when another process has run it in
    this slot. A failure rolls the claim back with the work, so a later pass runs it again, and never stops the
    pass."""
    slot = job_runs.slot_start(now, job.every or interval)
    started = time.perf_counter()
    outcome: Outcome = "skipped"
    count = 0
    failure: Exception | None = None
    try:
        with session_factory() as session:
            write_lock_first(session)  # SQLite: the claim and the work hold the write lock from the first statement
            with session.begin():
                if job_runs.claim_slot(session, job.name, slot, runner=runner_name(), started_at=utcnow()):
                    count = job.run(session, now)
                    job_runs.record_finish(session, job.name, slot, count=count, finished_at=utcnow())
                    outcome = "ran"
    except Exception as exc:  # noqa: BLE001 - one failing job must not keep the others from running
        outcome, count, failure = "failed", 0, exc
    seconds = time.perf_counter() - started
    metrics.record_job_run(job.name, outcome, seconds)
    duration_ms = round(seconds * 1000)
    # One line per job run, whatever its outcome; a failure carries its traceback (the claim was rolled back with
    # the work, so a later pass retries it).
    log.log(
        logging.ERROR if failure else logging.INFO,
        "job run",
        exc_info=failure,
        extra={
            "job": job.name,
            "slot": slot.isoformat(),
            "outcome": outcome,
            "count": count,
            "duration_ms": duration_ms,
        },
    )
    return JobOutcome(job.name, slot, outcome, count, duration_ms)


def run_due_jobs(
    session_factory: Callable[[], Session],
    adapters: Mapping[str, MessageAdapter],
    now: datetime | None = None,
    *,
    interval: timedelta = DEFAULT_INTERVAL,
    jobs: Sequence[Job] = SCHEDULED_JOBS,
) -> JobReport:
    """Run each job whose slot of `now` nobody has run yet, then relay the outbox (the reminders just written
    among the rest) through `adapters`; an empty mapping relays nothing."""
    now = now or utcnow()
    outcomes = tuple(run_job(session_factory, job, now, interval) for job in jobs)
    sent = relay_outbox(session_factory, adapters) if adapters else 0
    return JobReport(outcomes, sent)
