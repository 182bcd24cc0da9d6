"""The demo's back office on a normal day (`forecourt.demo_day`, loaded last by `forecourt demo load`): every queue
staff open has work in it, per state, as each role sees it on its pages; the day is the same on every load and at
any hour it loads, and takes seconds.

One database per backend holds what `demo load` writes before the customers (a smaller catalog and marketing
history, the clock pinned to a Tuesday morning); each test loads the customers' day in a transaction of its own,
rolled back after it.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, select
from sqlalchemy.orm import Session

from forecourt.accounts.demo import (
    CUSTOMER,
    CUSTOMERS,
    DEMO_PASSWORD,
    DEMO_SELF_SERVICE_STORE,
    DEMO_STORE,
    FINANCE_EMAIL,
    MANAGER_EMAIL,
    ensure_demo_customers,
    ensure_demo_users,
)
from forecourt.app import create_app
from forecourt.catalog import service as catalog
from forecourt.catalog.demo import load_demo
from forecourt.core import clock
from forecourt.core.db import make_engine, make_session_factory, transaction
from forecourt.core.migrate import upgrade
from forecourt.core.settings import Settings
from forecourt.demo_day import load_customers_day, relay_the_day
from forecourt.finance.credit import review
from forecourt.finance.orders import lookups
from forecourt.finance.programs.demo import ensure_finance_demo
from forecourt.identity.id_number import parse_resident_id
from forecourt.marketing.demo import load_marketing_demo
from forecourt.marketing.leads.demo import load_lead_demo
from forecourt.marketing.leads.models import Lead
from forecourt.marketing.models import Campaign
from forecourt.mobility.demo import load_mobility_demo
from forecourt.models_registry import import_all_models
from forecourt.ownership.demo import load_ownership_demo
from forecourt.ownership.service_bookings.demo import load_service_demo
from forecourt.telematics.demo import load_telematics_demo
from forecourt.telematics.partitions import ensure_partitions, months_around
from forecourt.testdrive import service as bookings
from forecourt.testdrive.calendar_demo import DRIVES
from forecourt.testdrive.demo import load_test_drive_demo
from forecourt.testdrive.models import TestDriveBooking
from forecourt.web.i18n import LANG_COOKIE
from tests.conftest import BACKENDS, _create_postgres_database, _drop_postgres_database, _joined_session

NOW = datetime(2026, 12, 8, 2, 40, tzinfo=UTC)  # 10:40 in Guangzhou, a Tuesday
ZONE = ZoneInfo("Asia/Shanghai")
LOAD_SECONDS = 30  # measured at 2-4 s on a quiet machine; the bound leaves room for a loaded CI runner
REVIEW_STATES = {"manual_review": 2, "conditional": 2, "declined": 2, "approved": 3}
ORDER_STATES = {"reserved": 3, "confirmed": 2, "completed": 1, "cancelled": 1}
DRIVE_STATES_AT_NOW = {"completed": 4, "no_show": 2, "in_progress": 4, "confirmed": 9}


@dataclass(frozen=True)
class Base:
    engine: Engine
    settings: Settings


@pytest.fixture(scope="module", params=BACKENDS)
def base(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Base]:
    folder = tmp_path_factory.mktemp("demo-day")
    url = f"sqlite:///{folder / 'demo.db'}" if request.param == "sqlite" else _create_postgres_database()
    engine = make_engine(url)
    settings = Settings(environment="test", database_url=url, outbox_dir=folder / "outbox", run_jobs=False)
    try:
        upgrade(engine)
        import_all_models()
        ensure_partitions(engine, months_around(NOW, back=40))  # as `demo load` does: the owners' odometer history
        with clock.pinned(NOW), transaction(make_session_factory(engine)) as session:
            _load_the_demos_before_the_customers(session, settings)
        yield Base(engine, settings)
    finally:
        engine.dispose()
        if request.param != "sqlite":
            _drop_postgres_database(url)


def _load_the_demos_before_the_customers(session: Session, settings: Settings) -> None:
    load_demo(session, vehicles=600, seed=2018)
    ensure_demo_users(session, "test")
    ensure_finance_demo(session)
    load_marketing_demo(session, visitors=3_000, days=42)
    load_lead_demo(session)
    load_telematics_demo(session)
    load_test_drive_demo(session)
    load_ownership_demo(session)
    load_service_demo(session)
    load_mobility_demo(session, settings)


@dataclass
class Day:
    connection: Connection
    session: Session
    summaries: list[str]
    seconds: float
    now: datetime


@contextmanager
def loaded_day(base: Base, now: datetime = NOW) -> Iterator[Day]:
    connection = base.engine.connect()
    outer = connection.begin()
    session = _joined_session(connection)
    try:
        started = time.perf_counter()
        with clock.pinned(now):
            summaries = load_customers_day(session, base.settings, now)
            session.commit()  # to the test's savepoint: the app and the relay read it through their own sessions
        yield Day(connection, session, summaries, time.perf_counter() - started, now)
    finally:
        session.close()
        outer.rollback()
        connection.close()


def _customer_ids(session: Session) -> dict[str, int]:
    return ensure_demo_customers(session)


def _drives(session: Session) -> list[TestDriveBooking]:
    return [b for user_id in _customer_ids(session).values() for b in bookings.list_my_bookings(session, user_id)]


def _fingerprint(session: Session) -> dict[str, list[tuple]]:
    """Everything a load made for the customers but the random references: who, where, when, in what state."""
    stores = {s.id: s.code for s in catalog.list_stores(session)}
    by_id = {user_id: email for email, user_id in _customer_ids(session).items()}
    drives = sorted(
        (by_id[b.shopper_user_id], stores[b.store_id], b.kind, b.starts_at.astimezone(ZONE).isoformat(), b.status)
        for b in _drives(session)
    )
    applications = sorted(
        (by_id[row.user_id], row.kind, row.status, row.vehicle_id)
        for user_id in by_id
        for row in review.list_own(session, user_id)
    )
    orders = sorted(
        (by_id[o.user_id], o.product, o.status, o.vehicle_id, str(o.refunded_amount))
        for user_id in by_id
        for o in lookups.list_my_orders(session, user_id)
    )
    return {"drives": drives, "applications": applications, "orders": orders}


@contextmanager
def signed_in(base: Base, day: Day, email: str) -> Iterator[TestClient]:
    """A client of the app over the day's transaction, signed in as `email`."""
    app = create_app(base.settings)
    app.state.session_factory = lambda: _joined_session(day.connection)
    with TestClient(app, raise_server_exceptions=False) as client, clock.pinned(NOW):
        client.cookies.set(LANG_COOKIE, "en")  # the pages in English, whatever the account's own language
        answer = client.post("/api/v1/auth/sign-in", json={"identifier": email, "password": DEMO_PASSWORD})
        assert answer.status_code == 200, answer.text
        yield client
    app.state.engine.dispose()


def _page(client: TestClient, path: str) -> str:
    answer = client.get(path)
    assert answer.status_code == 200, (path, answer.status_code)
    return answer.text


def test_the_customers_are_who_the_demo_says():
    assert len({c.email for c in CUSTOMERS}) == len({c.id_number for c in CUSTOMERS}) == len(CUSTOMERS) == 10
    for customer in CUSTOMERS:
        resident = parse_resident_id(customer.id_number)  # a valid number, check character included
        assert resident.birth_date == customer.born
        assert customer.id_number.startswith("4401")  # Guangzhou's region codes: the stores' own city
    assert {d.customer for d in DRIVES} <= set(CUSTOMER)


def test_every_back_office_queue_has_work_in_every_state(base: Base):
    with loaded_day(base) as day:
        session = day.session
        assert day.summaries[0] == "customer journeys: 10 customers came through a campaign's ad and signed up"
        assert day.summaries[2].startswith("credit applications: 9 at gz-tianhe")
        assert day.summaries[3] == "orders: 7 at gz-tianhe (1 cancelled, 1 completed, 2 confirmed, 3 reserved)"
        assert Counter(b.status for b in _drives(session)) == DRIVE_STATES_AT_NOW

        with signed_in(base, day, FINANCE_EMAIL) as officer:
            for status, count in REVIEW_STATES.items():
                html = _page(officer, f"/backoffice/finance/review?status={status}")
                assert len(re.findall(r'href="/backoffice/finance/review/CA', html)) == count, status
                assert 'id="queue-next-step"' in html and 'id="queue-empty"' not in html
            waiting = _page(officer, "/backoffice/finance/review")
            assert "<h1>Waiting for your review</h1>" in waiting
            assert "record your decision with its reason" in waiting
            # Nothing in the finance context withdraws an application, so the demo has none: the empty state says so.
            withdrawn = _page(officer, "/backoffice/finance/review?status=withdrawn")
            assert "No application has been withdrawn." in withdrawn and "review/CA" not in withdrawn

        today = NOW.astimezone(ZONE).date()
        with signed_in(base, day, MANAGER_EMAIL) as manager:
            staff_view = _page(manager, "/backoffice/finance/review")
            assert "<h1>Waiting for a finance officer's review</h1>" in staff_view
            assert len(re.findall(r'href="/backoffice/finance/review/CA', staff_view)) == 2  # the store's own
            for status, count in ORDER_STATES.items():
                html = _page(manager, f"/backoffice/orders?store={DEMO_STORE}&status={status}")
                assert len(re.findall(r'href="/backoffice/orders/OR', html)) == count, status
            calendar = "/backoffice/stores/{}/test-drives?date={}"
            self_service = _page(manager, calendar.format(DEMO_SELF_SERVICE_STORE, today))
            assert self_service.count("td-block td-in_progress") >= 4  # three customers' and the watched demo drive
            dealer = _page(manager, calendar.format(DEMO_STORE, today))
            assert dealer.count("td-block td-in_progress") == 1 and dealer.count("td-block td-confirmed") >= 3
            yesterday = _page(manager, calendar.format(DEMO_STORE, today - timedelta(days=1)))
            assert yesterday.count("td-block td-completed") == 1 and yesterday.count("td-block td-no_show") == 1
            tomorrow = _page(manager, calendar.format(DEMO_STORE, today + timedelta(days=1)))
            assert tomorrow.count("td-block td-confirmed") == 2


def test_the_customers_conversions_become_leads_of_campaigns_that_exist(base: Base):
    with loaded_day(base) as day:
        session = day.session
        relayed = relay_the_day(lambda: _joined_session(day.connection), base.settings)
        assert relayed.startswith("outbox: ") and int(relayed.split()[1]) > 50
        session.expire_all()
        ids = _customer_ids(session)
        leads = session.scalars(select(Lead).where(Lead.user_id.in_(ids.values()))).all()
        assert {lead.user_id for lead in leads} == set(ids.values())  # one lead for each customer
        campaigns = {c.id: c for c in session.scalars(select(Campaign))}
        assert all(lead.campaign_id in campaigns for lead in leads)
        assert all(lead.channel == campaigns[lead.campaign_id].channel for lead in leads)
        # Those who ordered are won (a cancelled order too: the pipeline moves on an order); the others applied.
        assert Counter(lead.status for lead in leads) == {"won": 7, "application": 3}
        with signed_in(base, day, MANAGER_EMAIL) as manager:
            html = _page(manager, "/backoffice/leads")
        assert all(f'href="/backoffice/leads/{lead.reference}"' in html for lead in leads if lead.status != "won")


def test_the_day_is_the_same_on_every_load_and_takes_seconds(base: Base):
    seen = []
    for _ in range(2):
        with loaded_day(base) as day:
            again = load_customers_day(day.session, base.settings, NOW)
            assert [line.endswith(("already there", "already loaded")) for line in again] == [True] * 4
            seen.append((_fingerprint(day.session), day.seconds))
    (first, first_seconds), (second, second_seconds) = seen
    assert first == second
    assert [len(first[kind]) for kind in ("drives", "applications", "orders")] == [len(DRIVES), 9, 7]
    print(f"customers' day loaded in {first_seconds:.1f} s and {second_seconds:.1f} s")
    assert max(first_seconds, second_seconds) < LOAD_SECONDS


@pytest.mark.parametrize(
    "local",
    [(2, 30), (13, 40), (21, 50)],
    ids=["before-dawn", "afternoon", "after-closing"],
)
def test_at_any_hour_every_drive_is_made_and_nothing_happens_after_now(base: Base, local: tuple[int, int]):
    now = datetime(2026, 12, 8, *local, tzinfo=ZONE).astimezone(UTC)
    with loaded_day(base, now) as day:
        drives = _drives(day.session)
        fingerprint = _fingerprint(day.session)
        assert len(drives) == len(DRIVES)
        assert [len(fingerprint[kind]) for kind in ("applications", "orders")] == [9, 7]
        assert Counter(row[2] for row in fingerprint["applications"]) == REVIEW_STATES
        assert Counter(row[2] for row in fingerprint["orders"]) == ORDER_STATES
        out = [b for b in drives if b.status == "in_progress" and b.kind == "self_service"]
        assert len(out) >= 2, "some self-service drives are out at every hour"
        for b in drives:
            steps = [b.created_at, b.confirmed_at, b.checked_out_at, b.checked_in_at]
            assert all(step is None or step <= now for step in steps), b.reference
            if b.status == "confirmed":
                assert b.starts_at + timedelta(minutes=5) > now  # else it would have been checked out
            if b.status == "in_progress":
                assert b.ends_at > now - timedelta(minutes=20)  # else it would have come back
            if b.status == "completed":
                assert b.checked_in_at is not None and b.checked_out_at < b.checked_in_at
