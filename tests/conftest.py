"""Test fixtures: the same suite runs on SQLite and PostgreSQL.

The schema is built once per backend per test session by the Alembic migrations; each test runs inside
a transaction that is rolled back afterwards. PostgreSQL gets a fresh database per test session, so
parallel runs on one server never see each other's rows.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from forecourt.accounts import passwords
from forecourt.app import create_app
from forecourt.core import clock
from forecourt.core.db import make_engine
from forecourt.core.migrate import upgrade
from forecourt.core.settings import Settings
from forecourt.integrations import build_integrations

POSTGRES_URL = os.environ.get("FORECOURT_TEST_POSTGRES_URL", "postgresql+psycopg://127.0.0.1:5432/test")
REQUIRE_POSTGRES = os.environ.get("FORECOURT_TEST_REQUIRE_POSTGRES") == "1"
pytest_plugins = [
    "tests.log_guard",  # every test: no secret in any log line, at DEBUG
    "tests.browser",  # the `browser` fixture of the Playwright tests
]
BACKENDS = [b for b in os.environ.get("FORECOURT_TEST_BACKENDS", "sqlite,postgresql").split(",") if b]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "pinned_clock(moment): forecourt's clock answers this aware datetime throughout the test"
    )


@pytest.fixture(autouse=True)
def pinned_clock(request: pytest.FixtureRequest) -> Iterator[datetime | None]:
    """The suite's one pinned clock. A test marked `pinned_clock(moment)` (itself, its class, or its module through
    `pytestmark`) runs with `clock.utcnow()` answering `moment`, its function-scoped fixtures included (this one
    is set up before them); an unmarked test keeps the real clock. Yields the moment, or None."""
    mark = request.node.get_closest_marker("pinned_clock")
    if mark is None:
        yield None
        return
    with clock.pinned(mark.args[0]):
        yield mark.args[0]


def _create_postgres_database() -> str:
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    name = f"forecourt_test_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as exc:
        if REQUIRE_POSTGRES:
            pytest.fail(f"PostgreSQL is required (FORECOURT_TEST_REQUIRE_POSTGRES=1) but unreachable: {exc}")
        pytest.skip(f"PostgreSQL unreachable at {POSTGRES_URL}; set FORECOURT_TEST_REQUIRE_POSTGRES=1 to fail instead")
    finally:
        admin.dispose()
    return make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)


def _drop_postgres_database(url: str) -> None:
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashing() -> Iterator[None]:
    """argon2id at its real cost (64 MiB, three passes) takes 0.1-1 s per sign-up, sign-in and reset on these machines,
    and the suite signs in thousands of times: the tests hash with argon2id at its smallest cost instead. The
    production parameters are checked by tests/accounts/test_passwords_tokens.py; processes the tests start (the
    relay, prod-smoke) keep the real cost."""
    real = passwords._hasher
    passwords._hasher = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    yield
    passwords._hasher = real


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'forecourt-test.db'}"
        return
    url = _create_postgres_database()
    yield url
    _drop_postgres_database(url)


@pytest.fixture(scope="session")
def db_engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def db_connection(db_engine: Engine) -> Iterator[Connection]:
    connection = db_engine.connect()
    outer = connection.begin()
    yield connection
    outer.rollback()
    connection.close()


def _joined_session(connection: Connection) -> Session:
    # Commits inside the code under test release savepoints; the outer transaction is rolled back.
    return Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False, autoflush=False)


@pytest.fixture
def db_session(db_connection: Connection) -> Iterator[Session]:
    session = _joined_session(db_connection)
    yield session
    session.close()


@pytest.fixture
def test_settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        environment="test",
        database_url=database_url,
        outbox_dir=tmp_path / "outbox",
        import_report_dir=tmp_path / "import-reports",
    )


# One app per worker process and settings (less the per-test directories), shared by the tests' clients: FastAPI
# builds a router's routes (dependency trees, signatures, validators) at an app's first request, about 0.3 s for
# Forecourt's, and thousands of tests each made an app of their own.
_shared_apps: dict[str, FastAPI] = {}
_PER_TEST_SETTINGS = {"outbox_dir", "import_report_dir"}


def _shared_app(settings: Settings) -> FastAPI:
    # Secrets by value: the app's field cipher and keys come from them (model_dump_json would write them as stars).
    key = repr(
        sorted(
            (name, value.get_secret_value() if isinstance(value, SecretStr) else value)
            for name, value in settings.model_dump(exclude=_PER_TEST_SETTINGS).items()
        )
    )
    if key not in _shared_apps:
        _shared_apps[key] = create_app(settings)
    return _shared_apps[key]


@pytest.fixture
def client(db_connection: Connection, db_session: Session, test_settings: Settings) -> Iterator[TestClient]:
    """A client of the shared app, with this test's settings, integrations and joined session; whatever the test
    sets on the app's state or its dependency overrides is put back afterwards."""
    app = _shared_app(test_settings)
    state_before, overrides_before = dict(app.state._state), dict(app.dependency_overrides)
    app.state.settings = test_settings
    app.state.integrations = build_integrations(test_settings)
    app.state.session_factory = lambda: _joined_session(db_connection)
    try:
        with TestClient(app, raise_server_exceptions=False) as test_client:
            yield test_client
    finally:
        app.state._state.clear()
        app.state._state.update(state_before)
        app.dependency_overrides.clear()
        app.dependency_overrides.update(overrides_before)
        app.state.engine.dispose()


@pytest.fixture
def admin_token(db_session: Session) -> str:
    """A Bearer token of an admin (committed to the test's savepoint so the app sees it)."""
    from tests.factories import make_token, make_user

    token = make_token(db_session, make_user(db_session, roles=[("admin", None)]))
    db_session.commit()
    return token


@pytest.fixture
def admin_client(client: TestClient, admin_token: str) -> TestClient:
    """`client` authenticated as an admin through a Bearer token (no CSRF needed)."""
    client.headers["Authorization"] = f"Bearer {admin_token}"
    return client


@pytest.fixture
def backend(database_url: str) -> str:
    return make_url(database_url).get_backend_name()
