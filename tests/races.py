"""What the race tests share: a migrated database of their own per backend (a race needs committed data, not the
rolled-back test transaction), the morning they all book (the served app runs on the real clock), and clients
that each open their connection first and are then released together, so their requests meet in the server."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import Engine

from forecourt.app import create_app
from forecourt.core.db import make_engine
from forecourt.core.migrate import upgrade
from forecourt.core.settings import Settings
from tests.conftest import _create_postgres_database, _drop_postgres_database
from tests.live_server import serving

GUANGZHOU = ZoneInfo("Asia/Shanghai")
Post = tuple[str, dict[str, Any], str]  # a client's path, JSON body and API token
Answer = tuple[int, dict[str, Any]]  # its status and JSON body (the text, under "text", if the body is not JSON)


@contextmanager
def scratch_database(backend: str, folder: Path) -> Iterator[tuple[str, Engine]]:
    """A migrated database of `backend` ("sqlite": a file in `folder`; else a fresh PostgreSQL database) and an
    engine on it; the engine is disposed of and the PostgreSQL database dropped after."""
    url = f"sqlite:///{folder / 'races.db'}" if backend == "sqlite" else _create_postgres_database()
    engine = make_engine(url)
    try:
        upgrade(engine)
        yield url, engine
    finally:
        engine.dispose()
        if backend != "sqlite":
            _drop_postgres_database(url)


@contextmanager
def served(url: str, outbox: Path) -> Iterator[str]:
    """The app on the race's database, served by uvicorn in a thread of this process: its base URL."""
    app = create_app(Settings(environment="test", database_url=url, outbox_dir=outbox))
    with serving(app, start_seconds=30) as base_url:
        yield base_url


def ten_oclock_two_days_on() -> datetime:
    """10:00 in Guangzhou the day after tomorrow: inside opening hours, past every lead time, within every horizon."""
    day = datetime.now(GUANGZHOU).date() + timedelta(days=2)
    return datetime(day.year, day.month, day.day, 10, 0, tzinfo=GUANGZHOU)


def api_headers(token: str) -> dict[str, str]:
    """A client's token and a fresh Idempotency-Key: each client's request is its own attempt."""
    return {"Authorization": f"Bearer {token}", "Idempotency-Key": str(uuid.uuid4())}


def _answer(response: httpx.Response) -> Answer:
    try:
        return response.status_code, response.json()
    except ValueError:
        return response.status_code, {"text": response.text}


def race(base_url: str, posts: Sequence[Post], *, timeout: float = 60) -> list[Answer]:
    """One client thread per post: each connects (a /healthz first), then all post at once when the last is ready.
    The answers come back in the order of `posts`."""
    barrier = threading.Barrier(len(posts))
    answers: list[Answer | None] = [None] * len(posts)

    def client(i: int) -> None:
        path, body, token = posts[i]
        with httpx.Client(base_url=base_url, timeout=timeout) as http:
            http.get("/healthz")
            headers = api_headers(token)
            barrier.wait(timeout=30)
            answers[i] = _answer(http.post(path, json=body, headers=headers))

    threads = [threading.Thread(target=client, args=(i,)) for i in range(len(posts))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout + 30)
    assert all(a is not None for a in answers), "a client thread failed; see the captured output"
    return answers  # type: ignore[return-value]
