"""SQLite's write lock: a session declared as writing (`write_lock_first`) queues behind another writer instead of
failing, the request session takes it for state-changing methods only (lazily), a GET that writes is caught, and
a database busy beyond the busy timeout answers 503 with Retry-After.

These build their own SQLite files: the rolled-back test transaction cannot show two connections racing.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Column, Engine, Integer, MetaData, Table, event, text, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from forecourt.core.db import make_engine, make_session_factory, write_lock_first
from forecourt.core.http import DbSession, WriteSession, install_error_handlers
from forecourt.core.settings import Settings

COUNTER = Table("counter", MetaData(), Column("id", Integer, primary_key=True), Column("n", Integer))
HOLD = 0.4  # how long the first writer keeps the lock after its read


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'lock.db'}", sqlite_busy_timeout=5)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)"))
        connection.execute(text("INSERT INTO counter VALUES (1, 0)"))
    yield engine
    engine.dispose()


def _increment(engine: Engine, *, immediate: bool, after: threading.Event, done: threading.Event, first: bool) -> None:
    """Read the counter, then write it plus one: the check-then-write of every use case. The first writer keeps its
    transaction open until the second has read (or for HOLD seconds, when the second cannot read: it waits)."""
    with make_session_factory(engine)() as session:
        if immediate:
            write_lock_first(session)
        if not first:
            after.wait(5)
        n = session.execute(text("SELECT n FROM counter WHERE id = 1")).scalar_one()
        (after if first else done).set()
        if first:
            done.wait(HOLD)
        session.execute(text("UPDATE counter SET n = :n WHERE id = 1"), {"n": n + 1})
        session.commit()


def _race(engine: Engine, *, immediate: bool) -> list[BaseException]:
    first_read, second_read, errors = threading.Event(), threading.Event(), []

    def run(first: bool) -> None:
        try:
            _increment(engine, immediate=immediate, after=first_read, done=second_read, first=first)
        except BaseException as exc:  # noqa: BLE001 - reported to the test
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(first,)) for first in (True, False)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    return errors


def _count(engine: Engine) -> int:
    with engine.connect() as connection:
        return connection.execute(text("SELECT n FROM counter")).scalar_one()


def test_two_writers_racing_read_then_write_both_succeed_one_waits(engine):
    started = time.monotonic()
    assert _race(engine, immediate=True) == []
    assert _count(engine) == 2  # the second read after the first committed: no lost update
    assert time.monotonic() - started >= HOLD  # it waited


def test_without_the_write_lock_first_the_second_writer_fails_at_once(engine):
    """The control: a DEFERRED transaction that read cannot wait for the lock, whatever the busy timeout."""
    started = time.monotonic()
    errors = _race(engine, immediate=False)
    assert len(errors) == 1 and isinstance(errors[0], OperationalError) and "locked" in str(errors[0])
    assert _count(engine) == 1
    assert time.monotonic() - started < 4  # well under the 5 s busy timeout: it did not wait


def test_write_lock_first_is_chosen_before_the_first_statement(engine):
    with make_session_factory(engine)() as session:
        write_lock_first(session)
        write_lock_first(session)  # idempotent
        session.execute(text("SELECT 1"))
        write_lock_first(session)  # still fine: already declared
    with make_session_factory(engine)() as session:
        session.execute(text("SELECT 1"))
        with pytest.raises(RuntimeError, match="before the session's first statement"):
            write_lock_first(session)


def test_other_databases_and_connection_bound_sessions_keep_their_bind(engine):
    postgres = make_engine("postgresql+psycopg://127.0.0.1:5432/never-connected")
    with Session(bind=postgres) as session:
        write_lock_first(session)
        assert session.bind is postgres
    with engine.connect() as connection, Session(bind=connection) as session:
        write_lock_first(session)
        assert session.bind is connection
    postgres.dispose()


# --- the request session ------------------------------------------------------------------------------------------


def _app(engine: Engine, environment: str = "test") -> FastAPI:
    app = FastAPI()
    app.state.settings = Settings(environment=environment, database_url="sqlite://")
    app.state.session_factory = make_session_factory(engine)
    install_error_handlers(app)

    @app.get("/read")
    def read(session: DbSession) -> int:
        return session.execute(text("SELECT n FROM counter")).scalar_one()

    @app.get("/sneaky-write")
    def sneaky_write(session: DbSession) -> int:
        session.execute(update(COUNTER).where(COUNTER.c.id == 1).values(n=COUNTER.c.n + 1))
        return 1

    @app.get("/declared-write")
    def declared_write(session: WriteSession) -> int:
        session.execute(text("UPDATE counter SET n = n + 1 WHERE id = 1"))
        return 1

    @app.post("/write")
    def write(session: DbSession) -> int:
        n = session.execute(text("SELECT n FROM counter")).scalar_one()
        session.execute(text("UPDATE counter SET n = :n WHERE id = 1"), {"n": n + 1})
        return n + 1

    @app.post("/no-database")
    def no_database(session: DbSession) -> str:
        return "ok"

    return app


@pytest.fixture
def begins(engine: Engine) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(_conn, _cursor, statement: str, *_args) -> None:
        if statement.startswith("BEGIN"):
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    yield seen
    event.remove(engine, "before_cursor_execute", record)


def test_state_changing_requests_begin_immediate_lazily_and_gets_deferred(engine, begins):
    with TestClient(_app(engine)) as client:
        assert client.post("/write").json() == 1
        assert begins == ["BEGIN IMMEDIATE"]
        assert client.post("/no-database").json() == "ok"
        assert begins == ["BEGIN IMMEDIATE"]  # no statement, no transaction, no lock
        assert client.get("/read").json() == 1
        assert begins == ["BEGIN IMMEDIATE", "BEGIN DEFERRED"]
        assert client.get("/declared-write").json() == 1
        assert begins == ["BEGIN IMMEDIATE", "BEGIN DEFERRED", "BEGIN IMMEDIATE"]


def test_a_get_that_writes_without_declaring_it_fails_the_tests_and_is_logged_elsewhere(engine, caplog):
    with TestClient(_app(engine), raise_server_exceptions=False) as client:
        assert client.get("/sneaky-write").status_code == 500
    assert _count(engine) == 0  # rolled back
    with TestClient(_app(engine, environment="development")) as client, caplog.at_level(logging.ERROR):
        assert client.get("/sneaky-write").status_code == 200
    assert "GET /sneaky-write writes (Update) in a read-only transaction" in caplog.text


def test_a_busy_database_answers_503_with_retry_after(tmp_path: Path):
    engine = make_engine(f"sqlite:///{tmp_path / 'busy.db'}", sqlite_busy_timeout=0.3)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)"))
        connection.execute(text("INSERT INTO counter VALUES (1, 0)"))
    holder = engine.raw_connection()
    holder.execute("BEGIN IMMEDIATE")  # another writer keeps the lock beyond the busy timeout
    try:
        with TestClient(_app(engine)) as client:
            busy = client.post("/write")
            assert busy.status_code == 503 and busy.json()["code"] == "database_busy"
            assert busy.headers["Retry-After"] == "5"
            assert client.get("/read").status_code == 200  # readers do not queue behind the writer (WAL)
            holder.rollback()
            assert client.post("/write").status_code == 200
    finally:
        holder.close()
        engine.dispose()
