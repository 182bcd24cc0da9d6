"""Claims of scheduled work: each named job runs once per slot, whatever number of processes try.

A slot is the due time floored to the job's interval (09:00:00–09:00:59 is the slot 09:00 of a minute job). A
process that wants to run a job inserts its (job, slot) row first, in the same transaction as the job's work,
with `INSERT … ON CONFLICT DO NOTHING` (PostgreSQL and SQLite alike):

- one row inserted: this process holds the slot; the job's work and the row commit together;
- zero rows: another process ran the job in this slot, so this one skips it. On PostgreSQL an insert that meets
  another transaction's uncommitted row waits for that transaction to end (then skips, or inserts if it rolled
  back); on SQLite the job's transaction takes the write lock first, so the second process waits its turn;
- the job fails: the transaction rolls back with the row, and a later pass (even in the same slot) runs it again.

So a job never runs twice in a slot and no run is lost to a crash: a process that dies mid-job leaves no row,
because its transaction never committed. This lives in core, beside the outbox's claims, because it knows no
context; the named jobs themselves are in `forecourt.jobs`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Integer, String, delete, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from forecourt.core.db import Base, UTCDateTime

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ONE_MICROSECOND = timedelta(microseconds=1)


class JobRun(Base):
    """One job run in one slot. Only committed runs are seen by others: a row is the proof the job's work committed."""

    __tablename__ = "job_runs"

    job: Mapped[str] = mapped_column(String(60), primary_key=True)
    slot_start: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)  # NULL only while it runs
    runner: Mapped[str] = mapped_column(String(120))  # host:pid of the process that ran it
    outcome_count: Mapped[int] = mapped_column(Integer, default=0)  # what the job did: holds expired, messages…


def slot_start(due: datetime, interval: timedelta) -> datetime:
    """The start of the slot `due` falls in: `due` floored to a multiple of `interval` counted from the Unix epoch
    in UTC (a minute job's slots start on the minute, a daily job's at midnight UTC). Exact in microseconds, so
    sub-second test intervals floor without float error."""
    if due.tzinfo is None:
        raise ValueError("slots are computed from an aware datetime")
    step = interval // ONE_MICROSECOND
    if step <= 0:
        raise ValueError("a job's interval must be at least a microsecond")
    elapsed = (due - EPOCH) // ONE_MICROSECOND
    return EPOCH + (elapsed - elapsed % step) * ONE_MICROSECOND


def _insert(session: Session) -> Any:
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(JobRun.__table__)


def claim_slot(session: Session, job: str, slot: datetime, *, runner: str, started_at: datetime) -> bool:
    """Insert the (job, slot) row in the session's transaction; True when this transaction now holds the slot,
    False when another has run (or, on PostgreSQL, committed while this one waited) the job in it."""
    values = {
        "job": job,
        "slot_start": slot,
        "started_at": started_at,
        "finished_at": None,
        "runner": runner[:120],
        "outcome_count": 0,
    }
    statement = _insert(session).values(**values).on_conflict_do_nothing(index_elements=["job", "slot_start"])
    return session.execute(statement.returning(JobRun.job)).first() is not None


def record_finish(session: Session, job: str, slot: datetime, *, count: int, finished_at: datetime) -> None:
    """What the job did, written into its claimed row before the transaction commits."""
    session.execute(
        update(JobRun)
        .where(JobRun.job == job, JobRun.slot_start == slot)
        .values(finished_at=finished_at, outcome_count=count)
    )


def purge_runs_before(session: Session, cutoff: datetime) -> int:
    """Forget runs of slots older than `cutoff`: no process computes a slot that old from its clock again."""
    result = session.execute(delete(JobRun).where(JobRun.slot_start < cutoff))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
