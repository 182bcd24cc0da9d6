"""Admission control: no more requests in flight than the database pool can serve.

FastAPI runs each sync dependency and handler as its own step in a shared worker-thread pool. Under a burst
(50 shoppers racing for one car), requests waiting for the SQLite write lock or a pooled connection can
occupy every worker thread, and the one request holding the lock then cannot get a thread to finish: all
wait until the busy timeout and answer 503. Queuing surplus requests here, on the event loop and holding
no thread, keeps the lock holder moving; a waiting request costs a coroutine, not a thread.
"""

from __future__ import annotations

import asyncio

from sqlalchemy import Engine
from sqlalchemy.pool import QueuePool
from starlette.types import ASGIApp, Receive, Scope, Send

DEFAULT_LIMIT = 15
EXEMPT_PREFIXES = ("/static/",)  # files need no database
# Probes take no connection from the pool (readiness has its own): a full queue must not make a live process look
# dead to its orchestrator.
EXEMPT_PATHS = frozenset({"/healthz", "/readyz"})


def pool_capacity(engine: Engine) -> int:
    pool = engine.pool
    if isinstance(pool, QueuePool):
        return pool.size() + max(0, pool._max_overflow)  # noqa: SLF001 - QueuePool exposes no public getter
    return DEFAULT_LIMIT


class AdmissionControl:
    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = max(1, limit)
        self._slots: asyncio.Semaphore | None = None  # made on first use, inside the server's event loop

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(EXEMPT_PREFIXES) or scope["path"] in EXEMPT_PATHS:
            await self.app(scope, receive, send)
            return
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.limit)
        async with self._slots:
            await self.app(scope, receive, send)
