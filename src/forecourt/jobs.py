"""Time-driven work: expire lapsed holds, send reminders and follow-ups, alert on cars not back, purge idempotency
records past their retention, relay the outbox.

`forecourt jobs run` does one pass (cron-friendly); `forecourt serve` also runs a pass every minute in an
APScheduler background thread (outside tests). Every step is idempotent, so overlapping passes are harmless.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy.orm import Session

from forecourt.catalog import service as catalog
from forecourt.core import idempotency
from forecourt.core.clock import utcnow
from forecourt.core.outbox import MessageAdapter, relay_outbox
from forecourt.telematics.watching import service as watching
from forecourt.testdrive import notifications
from forecourt.testdrive import service as bookings

INTERVAL_SECONDS = 60


@dataclass(frozen=True)
class JobReport:
    expired_holds: int
    reminders: int
    follow_ups: int
    messages_sent: int
    overdue_alerts: int = 0
    idempotency_records_purged: int = 0


def run_due_jobs(
    session_factory: Callable[[], Session], adapters: Mapping[str, MessageAdapter], now: datetime | None = None
) -> JobReport:
    now = now or utcnow()
    with session_factory() as session, session.begin():
        expired = bookings.expire_holds(session, now)
        vehicle_of = partial(catalog.get_vehicle_by_id, session)
        reminders = notifications.send_due_reminders(session, now, vehicle_of)
        follow_ups = notifications.send_due_follow_ups(session, now, vehicle_of)
        overdue = watching.raise_overdue(session, now)
        purged = idempotency.purge_expired(session, now)  # past their retention nobody can replay them
    sent = relay_outbox(session_factory, adapters)
    return JobReport(expired, reminders, follow_ups, sent, overdue, purged)


def start_scheduler(
    session_factory: Callable[[], Session], adapters: Mapping[str, MessageAdapter]
) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(daemon=True)
    scheduler.add_job(
        run_due_jobs,
        "interval",
        seconds=INTERVAL_SECONDS,
        args=[session_factory, adapters],
        id="due-jobs",
        max_instances=1,
        coalesce=True,
    )
    scheduler.start()
    return scheduler
