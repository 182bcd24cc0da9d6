"""Metrics that come from the database: the connection pool's use, and the outbox backlog read at scrape time.

The pool is per process, so it is counted as it changes (checkout and checkin events) into gauges summed over the
live processes. The outbox is one table shared by every process, so it is read when Prometheus asks, by whichever
process answers: a count kept in memory would be each process's own view, and wrong after any restart.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import Engine, event
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from sqlalchemy.pool import QueuePool

from forecourt.core import metrics
from forecourt.core.clock import utcnow
from forecourt.core.outbox import backlog_by_channel

log = logging.getLogger("forecourt.metrics")


def watch_pool(engine: Engine) -> None:
    """Count the engine's checked-out connections and its limit into the pool gauges."""
    pool = engine.pool
    if isinstance(pool, QueuePool):
        metrics.set_pool_limit(pool.size() + max(0, pool._max_overflow))  # noqa: SLF001 - no public getter

    @event.listens_for(engine, "checkout")
    def _checked_out(*_args: Any) -> None:
        metrics.pool_checked_out()

    @event.listens_for(engine, "checkin")
    def _checked_in(*_args: Any) -> None:
        metrics.pool_checked_in()


class OutboxBacklogCollector(Collector):
    """Per channel: messages waiting, the age of the oldest waiting one, and messages given up on.

    A database that cannot answer leaves these metrics out of the scrape (and says so in the log) rather than
    failing it: the request metrics are still worth having, and an absent series is what alerts should catch."""

    def __init__(self, session_factory: Callable[[], Session]) -> None:
        self._session_factory = session_factory

    def collect(self) -> Iterator[GaugeMetricFamily]:
        try:
            with self._session_factory() as session:
                backlog = backlog_by_channel(session)
        except SQLAlchemyError as exc:
            log.warning("outbox backlog not read for /metrics: %s", type(exc).__name__)
            return
        now = utcnow()
        pending = GaugeMetricFamily(
            "forecourt_outbox_backlog_messages",
            "Outbox messages not yet sent (still to be tried), by channel",
            labels=["channel"],
        )
        age = GaugeMetricFamily(
            "forecourt_outbox_oldest_unsent_age_seconds",
            "Age of the oldest outbox message still to be sent, by channel (0 when none waits)",
            labels=["channel"],
        )
        given_up = GaugeMetricFamily(
            "forecourt_outbox_given_up_messages",
            "Outbox messages left unsent after every attempt, waiting for a person, by channel",
            labels=["channel"],
        )
        for channel in backlog:
            pending.add_metric([channel.channel], channel.pending)
            oldest = channel.oldest_pending_at
            age.add_metric([channel.channel], max(0.0, (now - oldest).total_seconds()) if oldest else 0.0)
            given_up.add_metric([channel.channel], channel.given_up)
        yield from (pending, age, given_up)
