"""`forecourt worker`: the background process. It runs the scheduled jobs every FORECOURT_JOB_INTERVAL_SECONDS, the
outbox relay every few seconds and, when FORECOURT_MQTT_URL is set, the telematics ingest, each on its own thread.

Any number of workers (and of web processes with FORECOURT_RUN_JOBS) may run against one database: each job runs
once per slot (core/job_runs.py), each message is claimed by one relay (core/outbox.py), and the ingest shares the
broker's stream (telematics/ingest.py). One stop event ends everything: SIGTERM or SIGINT sets it, each loop
finishes the pass or batch in hand, and the process exits 0 (1 if the ingest died, so a supervisor restarts it).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from forecourt.core.clock import follow_clock_file
from forecourt.core.db import make_engine, make_session_factory
from forecourt.core.outbox import MessageAdapter, relay_outbox
from forecourt.core.settings import Settings
from forecourt.jobs.loop import job_passes, repeat_until_stopped
from forecourt.models_registry import import_all_models

RELAY_INTERVAL_SECONDS = 5.0  # messages a request's own relay missed (or the jobs wrote) wait at most this long
log = logging.getLogger("forecourt.worker")


@dataclass
class _IngestThread:
    """The telematics ingest on a thread; if it dies, the whole worker stops (and says so by its exit code)."""

    run: Callable[[threading.Event], object]
    stop: threading.Event
    died: bool = field(default=False, init=False)

    def __call__(self) -> None:
        try:
            self.run(self.stop)
        except Exception:  # noqa: BLE001 - logged, then the process stops for its supervisor to restart it
            log.exception("telematics ingest died; stopping the worker")
            self.died = True
            self.stop.set()


def _relay(session_factory: Callable[[], Session], adapters: dict[str, MessageAdapter]) -> Callable[[], object]:
    def relay_once() -> None:
        if sent := relay_outbox(session_factory, adapters):
            log.info("outbox relay sent %d message(s)", sent)

    return relay_once


def run_worker(settings: Settings, stop: threading.Event, *, relay_interval: float = RELAY_INTERVAL_SECONDS) -> int:
    """Run the loops until `stop` is set, let each finish what it is doing, and return the exit code."""
    from forecourt.marketing.platform_events import outbox_adapters

    follow_clock_file(settings.clock_file)  # None outside tests: the wall clock
    # A worker imports no web module, which is what imports every context's models elsewhere; without them a job
    # whose tables refer to another context's (a booking's payment) fails when SQLAlchemy configures its mappers.
    import_all_models()
    engine = make_engine(settings.database_url, sqlite_busy_timeout=settings.sqlite_busy_timeout)
    factory = make_session_factory(engine)
    interval = settings.job_interval_seconds
    loops = [
        # The job passes relay nothing themselves: the relay loop sends what they wrote within seconds.
        ("scheduled jobs", interval, job_passes(factory, dict, interval)),
        ("outbox relay", relay_interval, _relay(factory, outbox_adapters(factory, settings.outbox_dir))),
    ]
    threads = [
        threading.Thread(target=repeat_until_stopped, args=(stop, every, action, name), name=f"forecourt-{name}")
        for name, every, action in loops
    ]
    ingest = None
    if settings.mqtt_url.get_secret_value():
        from forecourt.telematics.ingest import ingest_worker_from_settings

        ingest = _IngestThread(ingest_worker_from_settings(settings, factory).run, stop)
        threads.append(threading.Thread(target=ingest, name="forecourt-telematics-ingest"))
    log.info(
        "worker started: jobs every %g s, outbox relay every %g s, telematics ingest %s",
        interval,
        relay_interval,
        "on" if ingest else "off (FORECOURT_MQTT_URL is not set)",
    )
    for thread in threads:
        thread.start()
    while not stop.is_set():
        # Polled, not stop.wait(): a signal handler that sets the event while this thread is inside Event.wait could
        # deadlock on the event's own lock; is_set takes no lock.
        time.sleep(0.2)
    for thread in threads:
        thread.join()
    engine.dispose()
    log.info("worker stopped")
    return 1 if ingest is not None and ingest.died else 0
