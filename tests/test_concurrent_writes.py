"""Every write route on SQLite under concurrent clients: no 503 (nor any 5xx) for a load the database can serve.

SQLite has one write lock. A request that reads in a DEFERRED transaction and then writes cannot wait for it
(SQLite answers "database is locked" at once, since waiting could deadlock), which once made most concurrent
sign-ins, sign-ups and resets answer 503. Now every state-changing request takes the lock at its first statement
(`core.http._session`), so writers queue on the busy timeout instead.

Built from the route table, so a new write route is covered by construction or fails until it is listed:
- `test_every_write_route_runs_in_the_request_transaction`: each POST/PUT/PATCH/DELETE route depends on the
  request session (`DbSession`/`WriteSession`), which is what gives it the write lock;
- `test_every_write_route_has_a_class`: each is listed in ROUTE_CLASS, naming the class of writes it belongs to;
- `test_concurrent_writes_of_a_class`: for each class, CLIENTS concurrent requests of a representative route at
  a live uvicorn server (sync handlers run in its thread pool: real concurrency) on a file SQLite database.
"""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi.dependencies.models import Dependant
from sqlalchemy.orm import Session

from forecourt.accounts.models import PasswordResetToken
from forecourt.accounts.tokens import digest
from forecourt.app import create_app
from forecourt.core.clock import utcnow
from forecourt.core.db import make_engine, make_session_factory, transaction
from forecourt.core.http import _session
from forecourt.core.migrate import upgrade
from forecourt.core.settings import Settings
from forecourt.testdrive.policy import update_store_policy
from tests.backoffice.helpers import _lead_of_store
from tests.factories import PASSWORD, make_small_catalog, make_token, make_user, make_vehicle
from tests.finance.factories import make_provider, make_standard_programs
from tests.finance.orders.factories import make_quote
from tests.live_server import serving
from tests.routes import iter_routes

CLIENTS = 12  # more than the 8 that once made most writes fail; the admission limit (15) is above it
SHANGHAI = ZoneInfo("Asia/Shanghai")
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}

# Every state-changing route, by the class of write it belongs to (the class's representative is exercised below).
ROUTE_CLASS: dict[tuple[str, str], str] = {
    ("POST", "/api/v1/auth/sign-up"): "sign-up",
    ("POST", "/account/sign-up"): "sign-up",
    ("POST", "/api/v1/auth/sign-up/confirm"): "sign-up",
    ("POST", "/account/sign-up/confirm"): "sign-up",
    ("POST", "/api/v1/auth/sign-in"): "sign-in",
    ("POST", "/account/sign-in"): "sign-in",
    ("POST", "/api/v1/auth/sign-out"): "sign-out",
    ("POST", "/account/sign-out"): "sign-out",
    ("POST", "/api/v1/auth/password-reset"): "password reset",
    ("POST", "/account/password-reset"): "password reset page",
    ("POST", "/api/v1/auth/password-reset/confirm"): "password reset confirmation",
    ("POST", "/account/password-reset/confirm"): "password reset confirmation",
    ("POST", "/api/v1/me/tokens"): "api token",
    ("DELETE", "/api/v1/me/tokens/{token_id}"): "api token",
    ("POST", "/account/tokens"): "api token",
    ("POST", "/account/tokens/{token_id}/revoke"): "api token",
    ("POST", "/api/v1/vehicles/{vin}/status"): "vehicle edit",
    ("PATCH", "/api/v1/vehicles/{vin}"): "vehicle edit",
    ("POST", "/backoffice/vehicles/{vin}"): "vehicle edit",
    ("POST", "/backoffice/stores/{code}"): "vehicle edit",
    ("POST", "/backoffice/users/{user_id}/roles"): "vehicle edit",
    ("POST", "/api/v1/inventory/imports"): "vehicle edit",
    ("POST", "/backoffice/imports"): "vehicle edit",
    ("POST", "/api/v1/me/driver-verification"): "test-drive hold",
    ("PUT", "/api/v1/users/{user_id}/premium-membership"): "vehicle edit",
    ("POST", "/api/v1/test-drives/holds"): "test-drive hold",
    ("POST", "/api/v1/rentals"): "test-drive hold",
    ("POST", "/api/v1/rentals/{reference}/confirm"): "test-drive hold",
    ("POST", "/api/v1/rentals/{reference}/cancel"): "test-drive hold",
    ("POST", "/api/v1/rentals/{reference}/return"): "test-drive hold",
    ("POST", "/api/v1/rentals/{reference}/pay"): "test-drive hold",
    ("POST", "/api/v1/staff/rentals/{reference}/check-out"): "test-drive hold",
    ("POST", "/api/v1/staff/rentals/{reference}/check-in"): "test-drive hold",
    ("POST", "/api/v1/staff/vehicles/{vin}/pool"): "vehicle edit",
    ("POST", "/api/v1/subscriptions"): "test-drive hold",
    ("POST", "/api/v1/subscriptions/{reference}/swap"): "test-drive hold",
    ("POST", "/api/v1/subscriptions/{reference}/pause"): "test-drive hold",
    ("POST", "/api/v1/subscriptions/{reference}/resume"): "test-drive hold",
    ("POST", "/api/v1/subscriptions/{reference}/cancel"): "test-drive hold",
    # Buying the subscription's car: the quote prices it (as a comparison does), the conversion places an order.
    ("POST", "/api/v1/subscriptions/{reference}/conversion-quote"): "quote",
    ("POST", "/api/v1/subscriptions/{reference}/convert"): "order",
    ("POST", "/subscriptions/{reference}/convert"): "order",
    ("POST", "/test-drives/book"): "test-drive hold",
    ("POST", "/api/v1/test-drives/bookings/{reference}/confirm"): "test-drive hold",
    ("POST", "/api/v1/test-drives/bookings/{reference}/cancel"): "test-drive hold",
    ("POST", "/api/v1/test-drives/bookings/{reference}/reschedule"): "test-drive hold",
    ("POST", "/api/v1/test-drives/bookings/{reference}/pickup-code"): "test-drive hold",
    ("POST", "/api/v1/test-drives/bookings/{reference}/check-out"): "test-drive hold",
    ("POST", "/api/v1/test-drives/bookings/{reference}/check-in"): "test-drive hold",
    ("POST", "/api/v1/test-drives/bookings/{reference}/no-show"): "test-drive hold",
    ("PATCH", "/api/v1/stores/{code}/test-drive-settings"): "vehicle edit",
    ("POST", "/test-drives/{reference}/verify"): "test-drive hold",
    ("POST", "/test-drives/{reference}/confirm"): "test-drive hold",
    ("POST", "/test-drives/{reference}/cancel"): "test-drive hold",
    ("POST", "/test-drives/{reference}/reschedule"): "test-drive hold",
    ("POST", "/backoffice/test-drives/{reference}/check-out"): "test-drive hold",
    ("POST", "/backoffice/test-drives/{reference}/check-in"): "test-drive hold",
    ("POST", "/backoffice/test-drives/{reference}/no-show"): "test-drive hold",
    # Rental pages hold, confirm and hand over cars of the one reservation table, as test-drive pages do.
    ("POST", "/rent"): "test-drive hold",
    ("POST", "/rentals/{reference}/verify"): "test-drive hold",
    ("POST", "/rentals/{reference}/confirm"): "test-drive hold",
    ("POST", "/rentals/{reference}/cancel"): "test-drive hold",
    ("POST", "/rentals/{reference}/return"): "test-drive hold",
    ("POST", "/rentals/{reference}/pay"): "test-drive hold",
    ("POST", "/backoffice/rentals/{reference}/check-out"): "test-drive hold",
    ("POST", "/backoffice/rentals/{reference}/check-in"): "test-drive hold",
    # Subscription pages reserve and give back cars of the one reservation table, as the rental pages do.
    ("POST", "/subscribe"): "test-drive hold",
    ("POST", "/subscribe/verify"): "test-drive hold",
    ("POST", "/subscriptions/{reference}/swap"): "test-drive hold",
    ("POST", "/subscriptions/{reference}/pause"): "test-drive hold",
    ("POST", "/subscriptions/{reference}/resume"): "test-drive hold",
    ("POST", "/subscriptions/{reference}/cancel"): "test-drive hold",
    ("POST", "/api/v1/finance/programs"): "vehicle edit",
    ("POST", "/api/v1/finance/programs/import"): "vehicle edit",
    ("PUT", "/api/v1/finance/programs/{code:program_code}"): "vehicle edit",
    ("DELETE", "/api/v1/finance/programs/{code:program_code}"): "vehicle edit",
    ("POST", "/api/v1/finance/residuals"): "vehicle edit",
    ("POST", "/backoffice/finance/programs/new"): "vehicle edit",
    ("POST", "/backoffice/finance/programs/import"): "vehicle edit",
    ("POST", "/backoffice/finance/programs/{code}"): "vehicle edit",
    ("POST", "/backoffice/finance/programs/{code}/retire"): "vehicle edit",
    ("POST", "/backoffice/finance/residuals"): "vehicle edit",
    ("POST", "/api/v1/quotes"): "quote",
    ("POST", "/quotes"): "quote",
    ("POST", "/api/v1/finance/prequalifications"): "quote",
    ("POST", "/api/v1/finance/applications"): "quote",
    ("POST", "/finance/apply"): "quote",
    ("POST", "/api/v1/finance/review/applications/{reference}/decision"): "lead action",
    ("POST", "/backoffice/finance/review/{reference}/reveal"): "lead action",
    ("POST", "/backoffice/finance/review/{reference}/decision"): "lead action",
    ("POST", "/api/v1/orders"): "order",
    ("POST", "/orders/new"): "order",
    ("POST", "/api/v1/orders/{reference}/confirm"): "order",
    ("POST", "/api/v1/orders/{reference}/cancel"): "order",
    ("POST", "/api/v1/orders/{reference}/complete"): "order",
    ("POST", "/orders/{reference}/cancel"): "order",
    ("POST", "/backoffice/orders/{reference}/confirm"): "order",
    ("POST", "/backoffice/orders/{reference}/complete"): "order",
    ("POST", "/backoffice/orders/{reference}/cancel"): "order",
    ("POST", "/api/v1/events"): "events",
    ("POST", "/api/v1/events/import"): "events",
    ("POST", "/api/v1/visitors/{visitor_id}/consent"): "consent",
    ("POST", "/api/v1/visitors/me/consent"): "consent",
    ("POST", "/api/v1/campaigns"): "vehicle edit",
    ("PATCH", "/api/v1/campaigns/{code}"): "vehicle edit",
    ("POST", "/api/v1/campaigns/spend/import"): "vehicle edit",
    ("POST", "/api/v1/leads/contact"): "lead contact",
    ("POST", "/vehicles/{vin}/contact"): "lead contact",
    ("POST", "/api/v1/leads/tasks/{task_id}/complete"): "lead action",
    ("POST", "/api/v1/leads/{reference}/stage"): "lead action",
    ("POST", "/api/v1/leads/{reference}/contacted"): "lead action",
    ("POST", "/api/v1/leads/{reference}/reveal"): "lead action",
    ("POST", "/backoffice/leads/{reference}/contacted"): "lead action",
    ("POST", "/backoffice/leads/{reference}/stage"): "lead action",
    ("POST", "/backoffice/leads/{reference}/reveal"): "lead action",
    ("POST", "/backoffice/leads/tasks/{task_id}/complete"): "lead action",
    ("POST", "/api/v1/ownerships"): "vehicle edit",
    ("POST", "/api/v1/ownerships/{reference}/transfer"): "vehicle edit",
    ("POST", "/api/v1/ownerships/{reference}/end"): "vehicle edit",
    ("POST", "/backoffice/ownerships/new"): "vehicle edit",
    ("POST", "/backoffice/ownerships/{reference}/transfer"): "vehicle edit",
    ("POST", "/backoffice/ownerships/{reference}/end"): "vehicle edit",
    # Service bookings are bookings like test drives (a hold, an overlap the database refuses, a confirm); staff's
    # completions, bays, advisors, schedule imports and recalls are store edits.
    ("POST", "/api/v1/service-bookings/holds"): "test-drive hold",
    ("POST", "/api/v1/service-bookings/{reference}/confirm"): "test-drive hold",
    ("POST", "/api/v1/service-bookings/{reference}/cancel"): "test-drive hold",
    ("POST", "/garage/cars/{vin}/service/book"): "test-drive hold",
    ("POST", "/garage/service-jobs/{reference}/confirm"): "test-drive hold",
    ("POST", "/api/v1/service-bookings/{reference}/complete"): "vehicle edit",
    ("POST", "/backoffice/service-jobs/{reference}/complete"): "vehicle edit",
    ("POST", "/backoffice/service-jobs/{reference}/cancel"): "vehicle edit",
    ("POST", "/api/v1/stores/{code}/service-bays"): "vehicle edit",
    ("POST", "/api/v1/stores/{code}/service-advisors"): "vehicle edit",
    ("POST", "/api/v1/service-schedules/import"): "vehicle edit",
    ("POST", "/backoffice/service-schedules/import"): "vehicle edit",
    ("POST", "/api/v1/recalls"): "vehicle edit",
    ("POST", "/backoffice/recalls/new"): "vehicle edit",
}


def _write_routes() -> dict[tuple[str, str], Any]:
    app = create_app(Settings(environment="test", database_url="sqlite://"))
    table = {}
    for route in iter_routes(app.routes):
        for method in route.methods & UNSAFE:
            table[(method, route.path)] = route
    return table


WRITE_ROUTES = _write_routes()


def _depends_on_request_session(dependant: Dependant) -> bool:
    return dependant.call is _session or any(_depends_on_request_session(d) for d in dependant.dependencies)


def test_every_write_route_runs_in_the_request_transaction():
    outside = sorted(key for key, route in WRITE_ROUTES.items() if not _depends_on_request_session(route.dependant))
    assert not outside, f"write routes that do not use the request's session (DbSession/WriteSession): {outside}"


def test_every_write_route_has_a_class():
    unlisted = sorted(set(WRITE_ROUTES) - set(ROUTE_CLASS))
    assert not unlisted, (
        f"New write routes: {unlisted}. Add each to ROUTE_CLASS in {__name__}, under the class of writes it "
        "belongs to (or a new class with a representative request in REQUESTS), so concurrent use is tested."
    )
    stale = sorted(set(ROUTE_CLASS) - set(WRITE_ROUTES))
    assert not stale, f"ROUTE_CLASS lists routes that no longer exist: {stale}"
    assert set(ROUTE_CLASS.values()) == set(REQUESTS), "every class needs a representative request, and no more"


# --- the live server --------------------------------------------------------------------------------------------


@dataclass
class World:
    base_url: str
    shoppers: list[str]  # one API token per client
    staff: str  # an API token of gz-tianhe's staff
    admin: str  # an API token of an admin
    vins: list[str]  # one car of gz-tianhe per client
    fleet: list[str]  # test-drive cars of gz-tianhe
    quotes: list[str]  # one cash quote per client, each on its own car, made by that client's shopper
    leads: list[str]  # one lead of gz-tianhe per client
    reset_codes: list[str]  # one valid password-reset code per client
    emails: list[str]  # the shoppers' email addresses
    csrf: str = field(default_factory=lambda: uuid.uuid4().hex)  # the anonymous forms' double-submit token


def _seed(session: Session) -> dict[str, Any]:
    catalog = make_small_catalog(session)
    store = catalog["stores"]["gz-tianhe"]
    update_store_policy(session, store, {"max_holds_per_ip_per_hour": 1000}, actor=None)  # all clients: 127.0.0.1
    make_standard_programs(session, make_provider(session))
    mondeo = catalog["trims"]["mondeo-ecoboost180"]
    users = [make_user(session, roles=[("shopper", None)]) for _ in range(CLIENTS)]
    cars = [make_vehicle(session, mondeo, store) for _ in range(2 * CLIENTS)]
    expires = utcnow() + timedelta(days=1)  # the server runs on the real clock
    codes = [uuid.uuid4().hex for _ in users]
    for user, code in zip(users, codes, strict=True):
        now = utcnow()
        session.add(PasswordResetToken(user_id=user.id, token_hash=digest(code), created_at=now, expires_at=expires))
    return {
        "shoppers": [make_token(session, user) for user in users],
        "staff": make_token(session, make_user(session, roles=[("store_staff", store.id)])),
        "admin": make_token(session, make_user(session, roles=[("admin", None)])),
        "vins": [car.vin for car in cars[:CLIENTS]],
        "fleet": [make_vehicle(session, mondeo, store, test_drive_fleet=True).vin for _ in range(4)],
        "quotes": [make_quote(session, u, car, expires_at=expires).reference for u, car in zip(users, cars[CLIENTS:])],
        "leads": [_lead_of_store(session, user, store).reference for user in users],
        "reset_codes": codes,
        "emails": [user.email for user in users],
    }


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path, dict[str, Any]]:
    folder = tmp_path_factory.mktemp("concurrent-writes")
    url = f"sqlite:///{folder / 'writes.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with transaction(make_session_factory(engine)) as session:
        seeded = _seed(session)
    engine.dispose()
    return url, folder, seeded


@pytest.fixture(scope="module")
def world(database: tuple[str, Path, dict[str, Any]]) -> Iterator[World]:
    url, folder, seeded = database
    app = create_app(Settings(environment="test", database_url=url, outbox_dir=folder / "outbox"))
    with serving(app, start_seconds=30) as base_url:
        yield World(base_url, **seeded)


Request = tuple[str, str, dict[str, Any]]  # method, path, httpx keyword arguments


def _bearer(token: str, **headers: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **headers}


def _slot(i: int) -> str:
    """Staggered 10:00-17:00 slots the day after tomorrow in Guangzhou: some holds win, the rest answer 409."""
    day = datetime.now(SHANGHAI).date() + timedelta(days=2)
    return (datetime(day.year, day.month, day.day, 10, 0, tzinfo=SHANGHAI) + timedelta(minutes=30 * i)).isoformat()


def _event(i: int) -> dict[str, Any]:
    at = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    return {
        "events": [{"event_id": str(uuid.uuid4()), "type": "visit", "visitor_id": uuid.uuid4().hex, "occurred_at": at}]
    }


def _form(w: World, **fields: str) -> dict[str, Any]:
    return {"data": {"csrf_token": w.csrf, **fields}, "cookies": {"csrf_pre": w.csrf}}


# class -> (the representative request of client i, the answers a served request may give)
REQUESTS: dict[str, tuple[Callable[[World, int], Request], set[int]]] = {
    "sign-up": (
        lambda w, i: (
            "POST",
            "/api/v1/auth/sign-up",
            {"json": {"email": f"new-{uuid.uuid4().hex}@example.cn", "password": "a-long-new-password"}},
        ),
        {202},  # the same answer for free and taken addresses; the account is made when the code comes back
    ),
    "sign-in": (
        lambda w, i: ("POST", "/api/v1/auth/sign-in", {"json": {"identifier": w.emails[i], "password": PASSWORD}}),
        {200},
    ),
    "sign-out": (lambda w, i: ("POST", "/api/v1/auth/sign-out", {"headers": _bearer(w.shoppers[i])}), {204}),
    "password reset": (
        lambda w, i: ("POST", "/api/v1/auth/password-reset", {"json": {"identifier": w.emails[i]}}),
        {202},
    ),
    "password reset page": (
        lambda w, i: ("POST", "/account/password-reset", _form(w, identifier=w.emails[i])),
        {200, 303},
    ),
    "password reset confirmation": (
        lambda w, i: (
            "POST",
            "/api/v1/auth/password-reset/confirm",
            {"json": {"token": w.reset_codes[i], "password": PASSWORD}},
        ),
        {204},
    ),
    "api token": (
        lambda w, i: ("POST", "/api/v1/me/tokens", {"json": {"name": f"t{i}"}, "headers": _bearer(w.shoppers[i])}),
        {201},
    ),
    "vehicle edit": (
        lambda w, i: (
            "PATCH",
            f"/api/v1/vehicles/{w.vins[i]}",
            {"json": {"mileage_km": i + 1}, "headers": _bearer(w.staff)},
        ),
        {200},
    ),
    "test-drive hold": (
        lambda w, i: (
            "POST",
            "/api/v1/test-drives/holds",
            {
                "json": {"vin": w.fleet[i % len(w.fleet)], "start": _slot(i)},
                "headers": _bearer(w.shoppers[i], **{"Idempotency-Key": str(uuid.uuid4())}),
            },
        ),
        {201, 409},
    ),
    "quote": (
        lambda w, i: ("POST", "/api/v1/quotes", {"json": {"vin": w.vins[i], "down_percent": "0.2", "term_months": 36}}),
        {201},
    ),
    "order": (
        lambda w, i: (
            "POST",
            "/api/v1/orders",
            {
                "json": {"quote_reference": w.quotes[i], "payment_method": "demo-card-ok"},
                "headers": _bearer(w.shoppers[i], **{"Idempotency-Key": str(uuid.uuid4())}),
            },
        ),
        {201},
    ),
    "events": (lambda w, i: ("POST", "/api/v1/events", {"json": _event(i)}), {200, 202}),
    "consent": (
        lambda w, i: (
            "POST",
            f"/api/v1/visitors/{uuid.uuid4().hex}/consent",
            {"json": {"granted": i % 2 == 0}, "headers": _bearer(w.admin)},  # an admin may set any visitor's
        ),
        {200},
    ),
    "lead contact": (
        lambda w, i: (
            "POST",
            "/api/v1/leads/contact",
            {"json": {"vin": w.vins[i], "name": f"Client {i}", "mobile": f"1380013{i:04d}", "consent": True}},
        ),
        {200, 201, 202},
    ),
    "lead action": (
        lambda w, i: ("POST", f"/api/v1/leads/{w.leads[i]}/contacted", {"json": {}, "headers": _bearer(w.staff)}),
        {200},
    ),
}


def _fire(world: World, make: Callable[[World, int], Request]) -> list[tuple[int, str]]:
    """CLIENTS threads, each with its connection open, released together."""
    barrier = threading.Barrier(CLIENTS)
    answers: list[tuple[int, str] | None] = [None] * CLIENTS

    def client(i: int) -> None:
        method, path, kwargs = make(world, i)
        cookies = kwargs.pop("cookies", None)
        with httpx.Client(base_url=world.base_url, timeout=60, cookies=cookies) as http:
            http.get("/healthz")
            barrier.wait(timeout=30)
            response = http.request(method, path, follow_redirects=False, **kwargs)
            answers[i] = (response.status_code, response.text[:300])

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    assert all(a is not None for a in answers), "a client thread failed; see the captured output"
    return answers  # type: ignore[return-value]


@pytest.mark.parametrize("write_class", sorted(REQUESTS))
def test_concurrent_writes_of_a_class(world: World, write_class: str):
    make, served = REQUESTS[write_class]
    answers = _fire(world, make)
    tally = Counter(status for status, _ in answers)
    failed = [a for a in answers if a[0] >= 500]
    assert not failed, f"{write_class}: {dict(tally)}; e.g. {failed[0]}"
    unexpected = [a for a in answers if a[0] not in served]
    assert not unexpected, f"{write_class}: {dict(tally)}; e.g. {unexpected[0]}"
