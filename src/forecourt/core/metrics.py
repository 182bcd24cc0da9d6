"""Prometheus metrics: every metric Forecourt exports, the functions that record them, and their exposition.

One process or many: `forecourt serve --workers N` runs N web processes behind one socket, and a scrape reaches
whichever worker accepts it. prometheus-client's multiprocess mode makes any of them answer for all: with
PROMETHEUS_MULTIPROC_DIR set (by `serve`, before the workers start) each process writes its values to memory-mapped
files there and `/metrics` merges the files of every process, the dead ones' counters included, so totals never
drop when a worker is replaced. Without the variable (tests, one process, `forecourt worker`) the ordinary
in-process registry is used. The choice is prometheus-client's, made once when it is imported, so this module asks
it (`values.ValueClass`) rather than re-reading the environment.

Label values are bounded by construction: route templates, not paths; a fixed set of methods; outcomes checked.
This module imports no web framework: the test-drive use cases and the ingest record here too.
"""

from __future__ import annotations

import glob
import logging
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Protocol

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
    start_http_server,
    values,
)
from prometheus_client.registry import Collector

log = logging.getLogger("forecourt.metrics")
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = CONTENT_TYPE_LATEST
UNMATCHED_ROUTE = "unmatched"  # every request no route matched (404s of arbitrary paths): one label value
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
OTHER_METHOD = "other"
JOB_OUTCOMES = frozenset({"ran", "skipped", "failed"})
# Requests: most answer in milliseconds; a SQLite write may wait up to its 20 s busy timeout.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0)
JOB_BUCKETS = (0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0, 300.0)

HTTP_REQUESTS = Counter(
    "forecourt_http_requests",
    "HTTP requests answered, by route template, method and status",
    ["route", "method", "status"],
)
HTTP_LATENCY = Histogram(
    "forecourt_http_request_duration_seconds",
    "Time from a request's arrival to the last byte of its answer, by route template and method",
    ["route", "method"],
    buckets=LATENCY_BUCKETS,
)
# Per process, summed over the live ones (livesum): a dead worker's connections are gone with it.
POOL_IN_USE = Gauge(
    "forecourt_db_pool_connections_in_use",
    "Database connections checked out of the web processes' pools",
    multiprocess_mode="livesum",
)
POOL_LIMIT = Gauge(
    "forecourt_db_pool_connections_limit",
    "Connections the web processes' pools may open (pool size plus overflow)",
    multiprocess_mode="livesum",
)
SLOT_CONFLICTS = Counter(
    "forecourt_testdrive_slot_conflicts",
    "Test-drive holds and reschedules refused because the slot was just taken (409 slot_taken), by kind of drive",
    ["kind"],
)
JOB_RUNS = Counter(
    "forecourt_job_runs", "Background job runs, by job and outcome (ran, skipped, failed)", ["job", "outcome"]
)
JOB_DURATION = Histogram(
    "forecourt_job_duration_seconds", "How long background job runs took, by job", ["job"], buckets=JOB_BUCKETS
)
INGEST_MESSAGES = Counter("forecourt_telematics_ingest_messages", "MQTT messages stored and acknowledged by the ingest")
INGEST_STORED = Counter("forecourt_telematics_ingest_samples_stored", "Telemetry samples stored (new ones only)")
INGEST_DUPLICATES = Counter(
    "forecourt_telematics_ingest_duplicates", "Samples received again (redelivered or resent) and not stored twice"
)
INGEST_DEAD_LETTERS = Counter(
    "forecourt_telematics_ingest_dead_letters", "Messages or samples refused and kept as dead letters"
)
INGEST_STORE_FAILURES = Counter(
    "forecourt_telematics_ingest_store_failures", "Batches the database refused (each retried until stored)"
)
INGEST_LAG = Gauge(
    "forecourt_telematics_ingest_lag_seconds",
    "At the last stored batch: the time of storage minus the newest sample's own time",
    multiprocess_mode="mostrecent",
)
NEWEST_SAMPLE = Gauge(
    "forecourt_telematics_newest_sample_timestamp_seconds",
    "Unix time of the newest sample stored; time() minus this is how stale telemetry is, even if ingest stopped",
    multiprocess_mode="max",
)


# --- recording ------------------------------------------------------------------------------------------------


def method_label(method: str) -> str:
    """A client chooses the method: anything outside the standard set counts as one value."""
    return method if method in KNOWN_METHODS else OTHER_METHOD


def record_http_request(route: str | None, method: str, status: int, seconds: float) -> None:
    """`route` is the matched route's template (`/api/v1/vehicles/{vin}`), None when nothing matched."""
    route_label, method_value = route or UNMATCHED_ROUTE, method_label(method)
    HTTP_REQUESTS.labels(route_label, method_value, str(status)).inc()
    HTTP_LATENCY.labels(route_label, method_value).observe(seconds)


def record_slot_conflict(kind: str) -> None:
    SLOT_CONFLICTS.labels(kind).inc()


def record_job_run(job: str, outcome: str, seconds: float) -> None:
    """One run of a background job: `outcome` is ran, skipped (another process had it) or failed."""
    if outcome not in JOB_OUTCOMES:
        raise ValueError(f"job outcome {outcome!r} is not one of {', '.join(sorted(JOB_OUTCOMES))}")
    JOB_RUNS.labels(job, outcome).inc()
    JOB_DURATION.labels(job).observe(seconds)


class IngestBatch(Protocol):
    """What a stored batch reports (telematics.service.BatchReport), without importing the context."""

    messages: int
    stored: int
    dead_letters: int

    @property
    def duplicates(self) -> int: ...


_newest_sample_seen = 0.0


def record_ingest_batch(batch: IngestBatch, newest_sample_at: float | None, stored_at: float) -> None:
    """A batch committed and acknowledged; the times are Unix seconds (None: the batch held no valid sample)."""
    global _newest_sample_seen  # the newest time this process stored: a max over time
    INGEST_MESSAGES.inc(batch.messages)
    INGEST_STORED.inc(batch.stored)
    INGEST_DUPLICATES.inc(batch.duplicates)
    INGEST_DEAD_LETTERS.inc(batch.dead_letters)
    if newest_sample_at is not None:
        INGEST_LAG.set(max(0.0, stored_at - newest_sample_at))
        if newest_sample_at > _newest_sample_seen:  # an offline car's late, older samples leave it as it is
            _newest_sample_seen = newest_sample_at
            NEWEST_SAMPLE.set(newest_sample_at)


def record_ingest_failure() -> None:
    INGEST_STORE_FAILURES.inc()


def set_pool_limit(connections: int) -> None:
    POOL_LIMIT.set(connections)


def pool_checked_out() -> None:
    POOL_IN_USE.inc()


def pool_checked_in() -> None:
    POOL_IN_USE.dec()


# --- processes --------------------------------------------------------------------------------------------------

_FILE_NAME = re.compile(r"^(counter|gauge_[a-z]+|histogram|summary)_(\d+)\.db$")


def multiprocess_dir() -> Path | None:
    """The shared metrics directory when this process records in multiprocess mode, else None."""
    if values.ValueClass is values.MutexValue:
        return None
    return Path(os.environ.get(MULTIPROC_ENV) or os.environ["prometheus_multiproc_dir"])  # the old name too


def prepare_multiprocess_dir(directory: Path) -> Path:
    """Create the directory and empty it of metric files, before the workers start (their pids would otherwise
    add to a previous run's totals). Only prometheus-client's own files are removed: a directory set by mistake
    to something shared loses nothing else. Returns the absolute path, to put in PROMETHEUS_MULTIPROC_DIR."""
    directory = directory.resolve()
    directory.mkdir(parents=True, exist_ok=True)
    for path in directory.iterdir():
        if _FILE_NAME.match(path.name):
            path.unlink()
    return directory


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, someone else's
        return True
    return True


def on_worker_start() -> None:
    """A worker that replaces one that died without cleaning up (killed) removes that one's live gauges, so the
    pool gauges count only living processes. Counters of dead processes stay: totals must not drop."""
    directory = multiprocess_dir()
    if directory is None:
        return
    pids = {
        int(m.group(2)) for f in glob.glob(str(directory / "gauge_live*_*.db")) if (m := _FILE_NAME.match(Path(f).name))
    }
    for pid in pids - {os.getpid()}:
        if not _pid_alive(pid):
            multiprocess.mark_process_dead(pid, str(directory))


def on_worker_stop() -> None:
    """A worker shutting down takes its live gauges (pool connections) with it."""
    directory = multiprocess_dir()
    if directory is not None:
        multiprocess.mark_process_dead(os.getpid(), str(directory))


# --- exposition -------------------------------------------------------------------------------------------------


class _Union:
    """Several collectors as one, for one exposition."""

    def __init__(self, collectors: Iterable[Any]) -> None:
        self._collectors = list(collectors)

    def collect(self) -> Iterable[Any]:
        for collector in self._collectors:
            yield from collector.collect()


def _recorded() -> Any:
    """What the processes recorded: merged from every process's files in multiprocess mode, else this process's
    registry (which also has the process and Python collectors)."""
    directory = multiprocess_dir()
    if directory is None:
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, str(directory))
    return registry


def exposition(live: Iterable[Collector] = ()) -> bytes:
    """The text exposition: recorded metrics plus `live` collectors read at scrape time (the outbox backlog)."""
    return generate_latest(_Union([_recorded(), *live]))  # type: ignore[arg-type]


def start_metrics_server(port: int, host: str = "127.0.0.1", live: Iterable[Collector] = ()) -> Any:
    """Serve this process's metrics on http://host:port/ from a thread, for a process without a web app
    (`forecourt worker`). Loopback by default, like /metrics without a token: the endpoint has no
    authentication, so bind it wider only on a private network. Returns the server (call `shutdown()` on it).
    A worker keeps its own metrics: give it no PROMETHEUS_MULTIPROC_DIR, or one that web processes don't use."""
    registry = CollectorRegistry()
    registry.register(_Union([_recorded(), *live]))  # type: ignore[arg-type]
    server, _thread = start_http_server(port, addr=host, registry=registry)
    log.info("metrics on http://%s:%d/metrics", host, port)
    return server
