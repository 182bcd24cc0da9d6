"""The ingest worker: MQTT in, `store_batch` out, and the acknowledgement sent only after the commit.

paho-mqtt's network thread puts each message in an inbox; the worker's thread takes up to `batch_size` of them
(waiting at most `max_wait` for more), stores them in one transaction, and only after the commit acknowledges
them (manual acks, in the order received, as MQTT requires). A worker killed at any instant therefore loses
nothing: whatever it had not acknowledged the broker delivers again from the persistent session, and
`store_batch` stores a redelivered sample no second time. Any number of workers share the stream through the
shared subscription `$share/forecourt-ingest/…`.

After a reconnect the broker numbers messages afresh, so a message received on an earlier connection is never
acknowledged on a later one (its number might now mean another message); the broker redelivers it instead.
"""

from __future__ import annotations

import logging
import queue
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

import paho.mqtt.client as mqtt
from sqlalchemy.orm import Session, sessionmaker

from forecourt.core import metrics
from forecourt.core.clock import utcnow
from forecourt.core.settings import Settings
from forecourt.telematics.broker import SHARED_FILTER
from forecourt.telematics.mqtt import BrokerAddress, TlsFiles, make_client, persistent_session
from forecourt.telematics.service import BatchReport, IncomingMessage, store_batch

log = logging.getLogger("forecourt.telematics.ingest")
# Seconds between attempts to store a batch the database refused; the worker holds the batch (unacknowledged)
# and keeps trying, so a database outage delays telemetry but loses none of it.
RETRY_DELAYS = (0.5, 1, 2, 5, 10)


class _Received(NamedTuple):  # one per message, built on paho's thread: a tuple is half a frozen dataclass's cost
    message: IncomingMessage
    mid: int
    qos: int
    connection: int


@dataclass
class IngestStats:
    batches: int = 0
    messages: int = 0
    stored: int = 0
    duplicates: int = 0
    dead_letters: int = 0
    failed_attempts: int = 0


class IngestWorker:
    def __init__(
        self,
        session_factory: sessionmaker[Session],
        address: BrokerAddress,
        client_id: str,
        *,
        tls: TlsFiles | None = None,
        batch_size: int = 500,
        max_wait: float = 0.05,
        qos: int = 1,
        clock: Callable[[], datetime] = utcnow,
        on_batch: Callable[[BatchReport], None] | None = None,
    ) -> None:
        self._session_factory = session_factory
        self._address = address
        self._client_id = client_id
        self._tls = tls
        self._batch_size = batch_size
        self._max_wait = max_wait
        self._qos = qos
        self._clock = clock
        self._on_batch = on_batch
        self._inbox: queue.SimpleQueue[_Received] = queue.SimpleQueue()
        self._connection = 0
        self._connected = threading.Event()
        self.stats = IngestStats()

    def run(self, stop: threading.Event) -> IngestStats:
        """Consume until `stop` is set; the batch in hand is stored and acknowledged before returning."""
        client = make_client(self._address, self._client_id, manual_ack=True, tls=self._tls)
        client.on_connect = self._on_connect
        client.on_subscribe = self._on_subscribe
        client.on_message = self._on_message
        client.reconnect_delay_set(min_delay=1, max_delay=30)
        # connect_async: a broker that is not up yet (or restarts) is retried by paho's loop, not fatal
        client.connect_async(
            self._address.host,
            self._address.port,
            keepalive=30,
            clean_start=False,
            properties=persistent_session(receive_maximum=2 * self._batch_size),
        )
        client.loop_start()
        try:
            while not stop.is_set():
                batch = self._take_batch(stop)
                if batch:
                    self._store_and_ack(client, batch, stop)
        finally:
            client.disconnect()
            client.loop_stop()
        return self.stats

    def wait_connected(self, timeout: float) -> bool:
        """Wait until connected and subscribed: from then on the broker keeps messages for this session."""
        return self._connected.wait(timeout)

    # paho's network thread ----------------------------------------------------------------------------------

    def _on_connect(self, client: mqtt.Client, _userdata: Any, _flags: Any, reason: Any, _properties: Any) -> None:
        if reason.is_failure:
            log.error("broker refused the ingest connection: %s", reason)
            return
        self._connection += 1
        client.subscribe(SHARED_FILTER, qos=self._qos)

    def _on_subscribe(self, _client: mqtt.Client, _userdata: Any, _mid: int, reasons: Any, _properties: Any) -> None:
        if any(reason.is_failure for reason in reasons):
            log.error("the broker refused the subscription to %s: %s", SHARED_FILTER, reasons)
            return
        log.info("subscribed to %s", SHARED_FILTER)
        self._connected.set()

    def _on_message(self, _client: mqtt.Client, _userdata: Any, message: mqtt.MQTTMessage) -> None:
        received = IncomingMessage(message.topic, bytes(message.payload))
        self._inbox.put(_Received(received, message.mid, message.qos, self._connection))

    # the worker's thread ------------------------------------------------------------------------------------

    def _take_batch(self, stop: threading.Event) -> list[_Received]:
        try:
            batch = [self._inbox.get(timeout=0.2)]
        except queue.Empty:
            return []
        deadline = time.monotonic() + self._max_wait
        while len(batch) < self._batch_size and not stop.is_set():
            remaining = deadline - time.monotonic()
            try:
                batch.append(self._inbox.get(timeout=remaining) if remaining > 0 else self._inbox.get_nowait())
            except queue.Empty:
                break
        return batch

    def _store_and_ack(self, client: mqtt.Client, batch: list[_Received], stop: threading.Event) -> None:
        attempt = 0
        while True:
            try:
                report = self._store(batch)
                break
            except Exception:
                self.stats.failed_attempts += 1
                metrics.record_ingest_failure()
                log.exception("storing a batch of %d messages failed (attempt %d)", len(batch), attempt + 1)
                if stop.wait(RETRY_DELAYS[min(attempt, len(RETRY_DELAYS) - 1)]):
                    return  # shutting down: not acknowledged, so the broker delivers these messages again
                attempt += 1
        current = self._connection
        for item in batch:
            if item.connection == current and item.qos > 0:
                client.ack(item.mid, item.qos)
        self.stats.batches += 1
        self.stats.messages += len(batch)
        self.stats.stored += report.stored
        self.stats.duplicates += report.duplicates
        self.stats.dead_letters += report.dead_letters
        newest = report.newest_sample_at.timestamp() if report.newest_sample_at else None
        metrics.record_ingest_batch(report, newest, self._clock().timestamp())
        if self._on_batch is not None:
            self._on_batch(report)

    def _store(self, batch: list[_Received]) -> BatchReport:
        with self._session_factory() as session, session.begin():
            if session.get_bind().dialect.name == "sqlite":
                session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
            return store_batch(session, [item.message for item in batch], self._clock())


def ingest_worker_from_settings(
    settings: Settings, session_factory: sessionmaker[Session], client_id: str | None = None
) -> IngestWorker:
    """The worker FORECOURT_MQTT_* describe (`forecourt telematics ingest` and `forecourt worker`); the settings
    must name a broker. Each process needs its own stable client id: the broker keeps that id's session."""
    return IngestWorker(
        session_factory,
        BrokerAddress.parse(settings.mqtt_url.get_secret_value()),
        client_id or settings.mqtt_client_id or f"forecourt-ingest-{socket.gethostname()}",
        tls=TlsFiles(settings.mqtt_tls_ca_file, settings.mqtt_tls_cert_file, settings.mqtt_tls_key_file),
        batch_size=settings.telematics_batch_size,
        qos=settings.mqtt_qos,
    )
