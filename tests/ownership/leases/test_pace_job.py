"""The lease pace warnings job on SQLite and PostgreSQL: the owner hears once at 10 % and once at 20 % over, only the
20 % warning when both are reached at once, nothing again however often the job runs, nothing while the projection
is hidden; and through the job runner (jobs/registry.py) by e-mail to the owner."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from forecourt.core.outbox import OutboxMessage
from forecourt.jobs.registry import SCHEDULED_JOBS
from forecourt.ownership.leases.notifications import Contact, send_pace_warnings
from forecourt.ownership.models import LeasePaceWarning
from tests.ownership.helpers import NOW, backdate, completed_order, make_world, record_odometer

pytestmark = pytest.mark.pinned_clock(NOW)

DELIVERED = date(2026, 6, 1)  # 183 days before NOW's day; a 36-month lease on 10,000 km a year: 30,000 km


@pytest.fixture
def world(db_session):
    return make_world(db_session)


def _lease(db_session, world, km_per_day: int):
    ownership, _ = completed_order(db_session, world, "lease")
    backdate(db_session, ownership, DELIVERED)
    readings = [(DELIVERED + timedelta(days=d), ownership.start_odometer_km + d * km_per_day) for d in range(7, 184, 7)]
    record_odometer(db_session, ownership.vin, readings)
    return ownership, readings


def _messages(db_session, vin: str | None = None):
    db_session.expire_all()
    rows = db_session.scalars(select(OutboxMessage).where(OutboxMessage.subject.like("Your lease is on pace%"))).all()
    return [m for m in rows if vin is None or vin in m.body]


def _contact(world):
    return lambda user_id: Contact(f"owner{user_id}@example.test", None)


def test_both_thresholds_at_once_send_only_the_20_percent_warning_once(db_session, world):
    ownership, _ = _lease(db_session, world, 40)  # 14,600 km a year: 46 % over
    assert send_pace_warnings(db_session, NOW, _contact(world)) == 1
    for hour in range(1, 5):
        assert send_pace_warnings(db_session, NOW + timedelta(hours=hour), _contact(world)) == 0
    rows = db_session.scalars(select(LeasePaceWarning).where(LeasePaceWarning.ownership_id == ownership.id)).all()
    assert sorted((r.threshold, r.sent) for r in rows) == [(10, False), (20, True)]
    (message,) = _messages(db_session)
    assert "20%" in message.subject and message.recipient == f"owner{ownership.user_id}@example.test"


def test_10_then_20_percent_each_once(db_session, world):
    ownership, readings = _lease(db_session, world, 31)  # 11,315 km a year: 13 % over
    assert send_pace_warnings(db_session, NOW, _contact(world)) == 1
    assert send_pace_warnings(db_session, NOW, _contact(world)) == 0
    assert ["10%" in m.subject for m in _messages(db_session)] == [True]
    # The owner drives more: the next day's reading pushes the pace past 20 %.
    last_day, last_km = readings[-1]
    record_odometer(db_session, ownership.vin, [(NOW.date(), last_km + 1_900)], seq_start=500)
    assert send_pace_warnings(db_session, NOW + timedelta(days=1), _contact(world)) == 1
    assert send_pace_warnings(db_session, NOW + timedelta(days=2), _contact(world)) == 0
    assert sorted("20%" in m.subject for m in _messages(db_session)) == [False, True]


def test_on_pace_and_hidden_leases_warn_nobody(db_session, world):
    _lease(db_session, world, 27)  # 9,855 km a year: under the allowance
    hidden, _ = completed_order(db_session, world, "lease")
    backdate(db_session, hidden, NOW.date() - timedelta(days=10))
    record_odometer(db_session, hidden.vin, [(NOW.date() - timedelta(days=1), hidden.start_odometer_km + 2_000)])
    assert send_pace_warnings(db_session, NOW, _contact(world)) == 0
    assert _messages(db_session) == []


def test_the_scheduled_job_writes_to_the_owners_email(db_session, world):
    ownership, _ = _lease(db_session, world, 40)
    job = next(j for j in SCHEDULED_JOBS if j.name == "lease-pace-warnings")
    assert job.every == timedelta(hours=1)
    assert job.run(db_session, NOW) == 1 and job.run(db_session, NOW + timedelta(hours=1)) == 0
    (message,) = _messages(db_session)
    assert message.recipient == world.users["owner"].email and message.channel == "email"
