"""Engine, declarative base, portable column types and the session factory.

SQLite and PostgreSQL run the same schema: money is stored as integer minor units (exact on both),
datetimes are stored in UTC and always come back timezone-aware.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import BigInteger, DateTime, Engine, MetaData, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from forecourt.core.money import from_minor_units, to_minor_units

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Money(TypeDecorator[Decimal]):
    """A Decimal amount stored as a BIGINT count of minor units (cents, fen)."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect: Any) -> int | None:
        if value is None:
            return None
        if not isinstance(value, Decimal):
            raise TypeError(f"money must be a Decimal, got {type(value).__name__}")
        return to_minor_units(value)

    def process_result_value(self, value: int | None, dialect: Any) -> Decimal | None:
        return None if value is None else from_minor_units(value)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware datetimes, normalised to UTC; SQLite's naive values are read back as UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: pass a timezone-aware value")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# How long a SQLite writer waits for the write lock before the request answers 503. The web app admits at most
# the pool's 15 requests at a time (core/admission.py), so this covers a full queue of slow writes (an argon2
# sign-in, an import) while staying under a reverse proxy's usual 60 s read timeout.
SQLITE_BUSY_TIMEOUT_SECONDS = 20.0
WRITE_LOCK_FIRST = "forecourt.write_lock_first"  # Session.info key: the session's transaction writes


def _configure_sqlite(engine: Engine, busy_timeout: float) -> None:
    """Let SQLAlchemy, not pysqlite, emit BEGIN (so savepoints and BEGIN IMMEDIATE work) and turn on FKs."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")


def make_engine(
    database_url: str, *, sqlite_busy_timeout: float = SQLITE_BUSY_TIMEOUT_SECONDS, **kwargs: Any
) -> Engine:
    """`hide_parameters`: statement parameters (phone numbers, e-mail addresses) stay out of SQL logging and out
    of the text of database errors, which end up in tracebacks and log lines."""
    kwargs.setdefault("hide_parameters", True)
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        connect_args = {"check_same_thread": False, "timeout": sqlite_busy_timeout}
        engine = create_engine(url, connect_args=connect_args, **kwargs)
        _configure_sqlite(engine, sqlite_busy_timeout)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def write_lock_first(session: Session) -> None:
    """Declare that the session's transaction writes. On SQLite its BEGIN becomes BEGIN IMMEDIATE, emitted lazily
    with the first statement: the write lock is taken before the first read, waiting up to the busy timeout
    behind other writers. (A DEFERRED transaction that has read and then writes cannot wait: SQLite answers
    "database is locked" at once, because waiting could deadlock.) It also makes a check-then-insert atomic
    against other writers. Other databases, and sessions bound to a connection (the tests'), are unchanged.
    Idempotent; must come before the session's first statement."""
    if session.info.get(WRITE_LOCK_FIRST):
        return
    if session.in_transaction():
        raise RuntimeError("the write lock must be chosen before the session's first statement")
    session.info[WRITE_LOCK_FIRST] = True
    bind = session.bind
    if isinstance(bind, Engine) and bind.dialect.name == "sqlite":
        # An option engine (some 30 µs to make) shares the pool and the events of its parent; the "begin"
        # listener above reads the mode from it.
        session.bind = bind.execution_options(sqlite_begin="IMMEDIATE")


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work for CLI commands and jobs: commit on success, roll back on any exception."""
    with factory() as session, session.begin():
        yield session
