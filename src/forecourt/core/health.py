"""Readiness: may this process be sent traffic? The database answers, its schema is the one this code expects,
and the MQTT broker accepts connections when telematics is on.

Liveness (`/healthz`) asks nothing of anyone: a process that cannot reach its database is alive and should not be
restarted for it, only taken out of the load balancer (`/readyz` answering 503) until the database is back.

Every check is bounded by `TIMEOUT` seconds, so a probe never hangs on a database or broker that does not answer
(a firewall dropping packets, a server stopped mid-connection). The checks use an engine of their own, one
connection with short connect and statement timeouts, so a probe neither waits behind a busy request pool nor
takes a connection from it.

Web processes never migrate: `forecourt db upgrade` is a step of its own, run once before new code starts. A
database behind the code's head revision makes the process not ready, so an orchestrator holds the new version
back until the migration has run, instead of serving requests against a schema it does not know.
"""

from __future__ import annotations

import logging
import socket
import threading
from dataclasses import dataclass
from functools import cache

from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from forecourt.core.db import make_engine

log = logging.getLogger("forecourt.health")
TIMEOUT = 2.0  # seconds per check; below the usual 5 s probe timeout of an orchestrator


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    state: str  # "ok", "off", or what is wrong: short, and free of addresses and secrets (the probe is public)
    reason: str = ""  # for the log only: the error as the driver gave it


@cache
def script_heads() -> frozenset[str]:
    """The head revision(s) of the migrations shipped with this code, read once per process."""
    from alembic.script import ScriptDirectory

    from forecourt.core.migrate import alembic_config

    return frozenset(ScriptDirectory.from_config(alembic_config()).get_heads())


def readiness_engine(database_url: str) -> Engine:
    """One pooled connection for the probes, with connect and statement timeouts (PostgreSQL), or the busy
    timeout (SQLite, whose file is local: only a held write lock can make it wait)."""
    if make_url(database_url).get_backend_name() == "sqlite":
        return make_engine(database_url, sqlite_busy_timeout=TIMEOUT)
    milliseconds = int(TIMEOUT * 1000)
    return make_engine(
        database_url,
        pool_size=1,
        max_overflow=1,
        pool_timeout=TIMEOUT,
        connect_args={"connect_timeout": max(2, int(TIMEOUT)), "options": f"-c statement_timeout={milliseconds}"},
    )


def check_database(engine: Engine, expected_heads: frozenset[str]) -> list[Check]:
    """`SELECT 1`, then the revision recorded by Alembic against the code's head (one connection, two checks)."""
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            try:
                revisions = frozenset(connection.scalars(text("SELECT version_num FROM alembic_version")))
            except SQLAlchemyError as exc:
                return [Check("database", True, "ok"), Check("migrations", False, "no schema", _first_line(exc))]
    except SQLAlchemyError as exc:
        return [Check("database", False, "unreachable", _first_line(exc)), Check("migrations", False, "unknown")]
    if revisions == expected_heads:
        return [Check("database", True, "ok"), Check("migrations", True, "ok")]
    found = ", ".join(sorted(revisions)) or "none"
    return [
        Check("database", True, "ok"),
        Check("migrations", False, f"database at {found}, code expects {', '.join(sorted(expected_heads))}"),
    ]


def check_broker(broker: tuple[str, int] | None) -> Check:
    """A TCP connection to the broker; "off" when telematics has no broker configured."""
    if broker is None:
        return Check("broker", True, "off")
    try:
        socket.create_connection(broker, timeout=TIMEOUT).close()
    except OSError as exc:
        return Check("broker", False, "unreachable", exc.strerror or type(exc).__name__)
    return Check("broker", True, "ok")


def _first_line(error: BaseException) -> str:
    cause = getattr(error, "orig", None) or error
    lines = str(cause).strip().splitlines()
    return lines[0] if lines else type(cause).__name__


class Readiness:
    """The checks of one web process; the engine is made on the first probe and reused. A change of state is
    logged once (probes come every few seconds; an outage should not write a line each time)."""

    def __init__(self, database_url: str, broker: tuple[str, int] | None) -> None:
        self._database_url = database_url
        self._broker = broker
        self._engine: Engine | None = None
        self._engine_lock = threading.Lock()  # probes run in worker threads; one engine for all of them
        self._failing: frozenset[str] = frozenset()

    def run(self) -> list[Check]:
        with self._engine_lock:
            if self._engine is None:
                self._engine = readiness_engine(self._database_url)
        try:
            heads = script_heads()
        except Exception as exc:  # noqa: BLE001 - a broken install is reported as not ready, not as a 500
            log.error("readiness: the migration scripts cannot be read: %s", exc)
            heads = frozenset({"unreadable"})
        checks = [*check_database(self._engine, heads), check_broker(self._broker)]
        self._log_change(checks)
        return checks

    def _log_change(self, checks: list[Check]) -> None:
        failing = frozenset(check.name for check in checks if not check.ok)
        if failing == self._failing:
            return
        self._failing = failing
        if failing:
            for check in checks:
                if not check.ok:
                    log.warning("not ready: %s %s %s", check.name, check.state, check.reason)
        else:
            log.info("ready again")

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None
