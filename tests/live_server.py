"""Serve an app with uvicorn in a background thread of the test process, for browser and race tests."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI
from sqlalchemy.orm import Session

from forecourt.accounts.demo import ensure_demo_users
from forecourt.app import create_app
from forecourt.catalog.demo import load_demo
from forecourt.core.db import make_engine, make_session_factory, transaction
from forecourt.core.migrate import upgrade
from forecourt.core.settings import Settings


@contextmanager
def serving(app: FastAPI, start_seconds: float = 15, **uvicorn_options: Any) -> Iterator[str]:
    """Yield the base URL while uvicorn serves `app`; stop the server and dispose of its engine after.
    `uvicorn_options` override the quiet defaults (e.g. Forecourt's `log_config` and the access log)."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))  # the OS picks a free port; uvicorn serves on this very socket
    port = listener.getsockname()[1]
    options = {"log_level": "warning", "access_log": False, **uvicorn_options}
    server = uvicorn.Server(uvicorn.Config(app, **options))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + start_seconds
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        app.state.engine.dispose()
        listener.close()


def demo_database(directory: Path, *, vehicles: int, then: Callable[[Session], Any] | None = None) -> tuple[str, Any]:
    """A migrated SQLite file with the demo catalog (`vehicles` cars) and the demo accounts; `then` adds more in the
    same transaction and its answer is returned beside the database URL."""
    url = f"sqlite:///{directory / 'forecourt.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with transaction(make_session_factory(engine)) as session:
        load_demo(session, vehicles=vehicles, seed=2018)
        ensure_demo_users(session, "test")
        extra = then(session) if then else None
    engine.dispose()
    return url, extra


@contextmanager
def serving_database(url: str) -> Iterator[str]:
    """Serve the whole app over the database at `url`; yield its base URL."""
    with serving(create_app(Settings(environment="test", database_url=url))) as base_url:
        yield base_url
