"""/readyz: 200 when the database answers at the code's head revision (and the broker, when telematics is on), 503
`not_ready` naming the failing check otherwise; and serving never migrates a database.

The database outage is real: a PostgreSQL cluster of the test's own (initdb, on a free port) is stopped and started
while the app keeps running, so the probe meets a refused connection and then a database that is back.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from fastapi.testclient import TestClient
from sqlalchemy import Engine, inspect

from forecourt.app import create_app
from forecourt.core.db import make_engine
from forecourt.core.health import TIMEOUT
from forecourt.core.migrate import alembic_config, upgrade
from forecourt.core.settings import Settings
from tests.conftest import REQUIRE_POSTGRES, _create_postgres_database, _drop_postgres_database

PG_BIN = Path(os.environ.get("FORECOURT_TEST_PG_BIN", "/usr/local/bin"))
READY = {"status": "ready", "checks": {"database": "ok", "migrations": "ok", "broker": "off"}}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def _app_client(database_url: str, **settings: object) -> Iterator[TestClient]:
    app = create_app(Settings(environment="test", database_url=database_url, **settings))
    with TestClient(app) as web:
        yield web
    app.state.engine.dispose()


def test_ready_at_head_with_telematics_off(client: TestClient) -> None:
    answer = client.get("/readyz")
    assert answer.status_code == 200 and answer.json() == READY


@pytest.fixture
def fresh_database(backend: str, tmp_path: Path) -> Iterator[str]:
    """An empty database of the parametrized backend, dropped afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    url = _create_postgres_database()
    yield url
    _drop_postgres_database(url)


def _downgrade_one(engine: Engine) -> None:
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "-1")


def test_a_database_behind_the_code_is_not_ready_until_migrated(fresh_database: str) -> None:
    engine = make_engine(fresh_database)
    upgrade(engine)
    _downgrade_one(engine)
    scripts = ScriptDirectory.from_config(alembic_config())
    (head,) = scripts.get_heads()
    previous = scripts.get_revision(head).down_revision
    with _app_client(fresh_database) as web:
        behind = web.get("/readyz")
        assert behind.status_code == 503
        assert behind.headers["content-type"] == "application/problem+json"
        problem = behind.json()
        assert problem["code"] == "not_ready" and problem["status"] == 503
        assert problem["checks"] == {
            "database": "ok",
            "migrations": f"database at {previous}, code expects {head}",
            "broker": "off",
        }
        upgrade(engine)  # the deployment's `forecourt db upgrade`, while the app keeps running
        assert web.get("/readyz").json() == READY
    engine.dispose()


def test_serving_never_migrates_an_empty_database(fresh_database: str) -> None:
    with _app_client(fresh_database) as web:  # start-up (lifespan) and a probe
        answer = web.get("/readyz")
        assert answer.status_code == 503 and answer.json()["checks"]["migrations"] == "no schema"
        assert web.get("/healthz").status_code == 200  # alive, just not ready
    engine = make_engine(fresh_database)
    assert inspect(engine).get_table_names() == []
    engine.dispose()


def test_the_broker_must_accept_connections_when_telematics_is_on(database_url: str, db_engine: Engine) -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    with _app_client(database_url, mqtt_url=f"mqtt://ingest:secret@127.0.0.1:{port}") as web:
        up = web.get("/readyz")
        assert up.status_code == 200 and up.json()["checks"]["broker"] == "ok"
        listener.close()
        started = time.monotonic()
        down = web.get("/readyz")
        assert down.status_code == 503 and time.monotonic() - started < TIMEOUT + 1
        assert down.json()["checks"] == {"database": "ok", "migrations": "ok", "broker": "unreachable"}
        assert "secret" not in down.text and str(port) not in down.text  # a public probe names no address


class PrivateCluster:
    """A PostgreSQL server of this test's own, in a temporary directory, that the test may stop and start."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.data = directory / "data"
        self.port = _free_port()
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        # initdb refuses to run as root; the server then runs as the owner of its data directory
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run([*prefix, *args], check=True, capture_output=True, timeout=60)

    def init(self) -> None:
        self._run(str(PG_BIN / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -F"
        log = str(self.directory / "server.log")
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-o", options, "-l", log, "-w", "start")

    def stop(self) -> None:
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")


@pytest.fixture
def private_postgres() -> Iterator[PrivateCluster]:
    if not (PG_BIN / "initdb").exists() or not (PG_BIN / "pg_ctl").exists():
        message = f"initdb and pg_ctl not found in {PG_BIN} (set FORECOURT_TEST_PG_BIN)"
        if REQUIRE_POSTGRES:
            pytest.fail(message)
        pytest.skip(message)
    directory = Path(tempfile.mkdtemp(prefix="forecourt-pg-"))  # not under pytest's root-only tmp directory
    if os.geteuid() == 0:
        shutil.chown(directory, "postgres")
    cluster = PrivateCluster(directory)
    try:
        cluster.init()
        cluster.start()
        yield cluster
    finally:
        try:
            cluster.stop()
        except subprocess.CalledProcessError:
            pass  # already stopped (the test failed while it was down)
        shutil.rmtree(directory, ignore_errors=True)


def test_readyz_follows_the_database_down_and_back(private_postgres: PrivateCluster) -> None:
    engine = make_engine(private_postgres.url)
    upgrade(engine)
    engine.dispose()
    with _app_client(private_postgres.url) as web:
        assert web.get("/readyz").json() == READY
        private_postgres.stop()
        started = time.monotonic()
        down = web.get("/readyz")
        assert down.status_code == 503 and time.monotonic() - started < TIMEOUT + 1
        assert down.json()["code"] == "not_ready"
        assert down.json()["checks"] == {"database": "unreachable", "migrations": "unknown", "broker": "off"}
        assert web.get("/healthz").status_code == 200  # liveness asks nothing of the database
        private_postgres.start()
        back = web.get("/readyz")
        assert back.status_code == 200 and back.json() == READY
