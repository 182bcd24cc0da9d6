"""The named scheduled jobs: what runs on every pass, once per slot across all processes.

A context adds its time-driven work here as one `Job` line (ownership's service reminders and mobility's billing
will): a stable name (the key of its `job_runs` rows, so never renamed lightly), a function taking the session and
the due time and returning how many things it did, and what those things are called. The function runs inside the
job's own transaction, after the claim; it must not commit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from forecourt.accounts import service as accounts
from forecourt.catalog import service as catalog
from forecourt.core import idempotency, job_runs
from forecourt.core.errors import NotFound
from forecourt.core.settings import get_settings
from forecourt.integrations import build_integrations
from forecourt.mobility.subscriptions import billing_run
from forecourt.ownership.leases import notifications as lease_notifications
from forecourt.ownership.recalls import service as recalls
from forecourt.ownership.records import car_facts
from forecourt.ownership.service_bookings import service as service_bookings
from forecourt.ownership.servicing import reminder_runs
from forecourt.telematics.watching import service as watching
from forecourt.testdrive import notifications
from forecourt.testdrive import service as bookings

JOB_RUN_RETENTION = timedelta(days=7)  # enough to see what ran last week; older slots are never computed again


@dataclass(frozen=True)
class Job:
    name: str
    run: Callable[[Session, datetime], int]
    counts: str  # what the returned number counts, for `forecourt jobs run`: "hold(s) expired"
    # Slot length; None: the pass interval (FORECOURT_JOB_INTERVAL_SECONDS). A daily job says timedelta(days=1)
    # and runs on the first pass of each UTC day.
    every: timedelta | None = None


def _reminders(session: Session, now: datetime) -> int:
    return notifications.send_due_reminders(
        session, now, lambda vehicle_id: catalog.get_vehicle_by_id(session, vehicle_id)
    )


def _follow_ups(session: Session, now: datetime) -> int:
    return notifications.send_due_follow_ups(
        session, now, lambda vehicle_id: catalog.get_vehicle_by_id(session, vehicle_id)
    )


def _owner_contact(session: Session, user_id: int) -> lease_notifications.Contact | None:
    try:
        user = accounts.get_user(session, user_id)
    except NotFound:
        return None
    return lease_notifications.Contact(user.email, user.mobile) if user.is_active else None


def _lease_pace_warnings(session: Session, now: datetime) -> int:
    return lease_notifications.send_pace_warnings(session, now, lambda user_id: _owner_contact(session, user_id))


def _service_reminders(session: Session, now: datetime) -> int:
    return reminder_runs.send_due_reminders(session, car_facts.active_cars(session, now.date()), now)


def _fault_visits(session: Session, now: datetime) -> int:
    return reminder_runs.suggest_fault_visits(session, car_facts.active_cars(session, now.date()), now)


def _recall_notices(session: Session, now: datetime) -> int:
    return recalls.notify_affected(session, car_facts.active_cars(session, now.date()), now)


def _subscription_invoices(session: Session, now: datetime) -> int:
    # The job's own payment adapter, built like the web app's from the settings (the demo provider unless configured).
    return billing_run.bill_due(session, build_integrations(get_settings()).payments, now=now)


def _purge_job_runs(session: Session, now: datetime) -> int:
    return job_runs.purge_runs_before(session, now - JOB_RUN_RETENTION)


SCHEDULED_JOBS: tuple[Job, ...] = (
    Job("expire-holds", bookings.expire_holds, "hold(s) expired"),
    Job("test-drive-reminders", _reminders, "reminder(s)"),
    Job("test-drive-follow-ups", _follow_ups, "follow-up(s)"),
    Job("overdue-cars", watching.raise_overdue, "overdue car(s) alerted"),
    # Odometer readings arrive all day; once an hour is soon enough to hear that a lease runs over.
    Job("lease-pace-warnings", _lease_pace_warnings, "lease pace warning(s)", every=timedelta(hours=1)),
    # Ownership: each reminder stage, fault visit and recall notice is a unique row, so once per car whatever runs.
    Job("service-reminders", _service_reminders, "service reminder(s)"),
    Job("service-fault-visits", _fault_visits, "fault visit(s) suggested"),
    Job("recall-notices", _recall_notices, "recall notice(s) sent"),
    Job("expire-service-holds", service_bookings.expire_holds, "service hold(s) expired"),
    # Past their 24-hour retention nobody can replay an idempotency record.
    Job("subscription-invoices", _subscription_invoices, "subscription invoice(s)", every=timedelta(hours=1)),
    Job("purge-idempotency-records", idempotency.purge_expired, "expired idempotency record(s) purged"),
    Job("purge-job-runs", _purge_job_runs, "old job run(s) forgotten", every=timedelta(hours=1)),
)


def _unique_names(jobs: tuple[Job, ...]) -> tuple[Job, ...]:
    names = [job.name for job in jobs]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise RuntimeError(f"scheduled job names must be unique; repeated: {', '.join(duplicates)}")
    return jobs


_unique_names(SCHEDULED_JOBS)
