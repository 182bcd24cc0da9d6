"""Repeating work on a thread until a stop event is set: the job passes (in `forecourt worker`, and in web processes
with FORECOURT_RUN_JOBS) and the worker's outbox relay.

Plain threads and one `threading.Event` rather than APScheduler: a stop that ends every loop after its current pass
is one `Event.set()`, the telematics ingest already stops on the same kind of event, and the only schedule needed
is "every N seconds" (which job runs in which slot is the database's business, not the scheduler's).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from datetime import timedelta

from sqlalchemy.orm import Session

from forecourt.core.outbox import MessageAdapter
from forecourt.jobs.runner import run_due_jobs

log = logging.getLogger("forecourt.jobs")


def seconds_to_next_tick(now: float, interval: float) -> float:
    """Wait until the next multiple of `interval` on the wall clock: every process passes at the start of each slot
    (09:00:00, 09:01:00), so a pass is neither late in its slot nor two in one slot from one process."""
    return interval - (now % interval)


def repeat_until_stopped(stop: threading.Event, interval: float, action: Callable[[], object], name: str) -> None:
    """Run `action` at each tick of `interval` until `stop` is set; the action in hand always finishes. A failing
    action is logged and tried again at the next tick (the database may be back by then)."""
    while not stop.is_set():
        try:
            action()
        except Exception:  # noqa: BLE001 - a loop of a long-lived process outlives one bad pass
            log.exception("%s failed; trying again in %.3g s", name, interval)
        stop.wait(seconds_to_next_tick(time.time(), interval))


def job_passes(
    session_factory: Callable[[], Session], adapters: Callable[[], Mapping[str, MessageAdapter]], interval: float
) -> Callable[[], object]:
    """One pass of the scheduled jobs, then the outbox (the adapters are built each time, so a test that swaps the
    app's session factory or settings is followed)."""
    return lambda: run_due_jobs(session_factory, adapters(), interval=timedelta(seconds=interval))


class BackgroundJobs:
    """The job passes on a daemon thread of a web process; `stop` lets the pass in hand finish (for a while)."""

    def __init__(self, pass_once: Callable[[], object], interval: float) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=repeat_until_stopped,
            args=(self._stop, interval, pass_once, "scheduled jobs"),
            name="forecourt-jobs",
            daemon=True,  # a pass stuck on the database must not keep the server from exiting
        )

    def start(self) -> BackgroundJobs:
        self._thread.start()
        return self

    def stop(self, wait_seconds: float = 10) -> None:
        self._stop.set()
        self._thread.join(timeout=wait_seconds)
