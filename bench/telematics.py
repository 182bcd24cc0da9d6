"""Telematics ingest throughput: samples per second from the broker into the database, beside a bare subscriber.

For each database (PostgreSQL, SQLite) the benchmark provisions 20 cars, starts a Mosquitto configured by
Forecourt's own broker files, and fills the persistent sessions of the consumers with a backlog of simulated
telemetry (one sample per message, ~250 bytes, QoS 1), published by the cars themselves. Then it times how fast
the consumers drain it:

- `forecourt ingest`, 1 and 2 workers on the shared subscription: parse, validate, store (insert-or-ignore),
  move the latest state forward, commit, then acknowledge;
- the baseline, in the same run, from the same broker: a bare paho subscriber that only counts the messages
  (acknowledging each at once), and Mosquitto's own C client `mosquitto_sub`.

The backlog includes 2 % duplicates; lost and duplicate counts compare what was stored with what was published.

    python bench/telematics.py [--samples 100000] [--backends postgresql,sqlite]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.factories import make_brand, make_city, make_model, make_store, make_trim, make_vehicle
from tests.telematics.conftest import free_port

from _common import print_table, scratch_database
from forecourt.core.db import make_engine, make_session_factory, transaction
from forecourt.core.migrate import upgrade
from forecourt.telematics import credentials
from forecourt.telematics.broker import SHARED_FILTER, BrokerUser, write_broker_files
from forecourt.telematics.fleet import Mischief, publish, schedule
from forecourt.telematics.ingest import IngestWorker
from forecourt.telematics.models import CarCredential, TelemetrySample
from forecourt.telematics.mqtt import BrokerAddress, make_client, persistent_session
from forecourt.telematics.simulation import SimCar

CARS = 20
INGEST = ("forecourt-ingest", "bench-ingest-password")


def prepare(url: str) -> dict[str, str]:
    engine = make_engine(url)
    upgrade(engine)
    passwords = {}
    with transaction(make_session_factory(engine)) as session:
        brand = make_brand(session)
        model = make_model(session, brand, "kuga", "Kuga", "翼虎", "suv")
        trim = make_trim(session, model, "kuga-245", "EcoBoost 245", "EcoBoost 245", "249800.00")
        store = make_store(session, make_city(session, "guangzhou", "Guangzhou", "广州"), "gz-self", "self_service")
        for _ in range(CARS):
            vehicle = make_vehicle(session, trim, store, test_drive_fleet=True)
            passwords[vehicle.vin] = credentials.new_password()
            session.add(
                CarCredential(
                    vehicle_id=vehicle.id,
                    username=vehicle.vin,
                    password_hash=credentials.mosquitto_hash(passwords[vehicle.vin]),
                    created_at=datetime.now(UTC),
                )
            )
    engine.dispose()
    return passwords


class Broker:
    def __init__(self, directory: Path, passwords: dict[str, str]) -> None:
        self.port = free_port()
        users = [BrokerUser(vin, credentials.mosquitto_hash(pw)) for vin, pw in passwords.items()]
        users.append(BrokerUser(INGEST[0], credentials.mosquitto_hash(INGEST[1])))
        write_broker_files(directory, users, [INGEST[0]], port=self.port, run_as="root" if os.geteuid() == 0 else None)
        mosquitto = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        self.process = subprocess.Popen([mosquitto, "-c", str(directory / "mosquitto.conf")])
        time.sleep(0.5)
        self.address = BrokerAddress("127.0.0.1", self.port, INGEST[0], INGEST[1], tls=False)

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def open_sessions(broker: Broker, client_ids: list[str]) -> None:
    """Create each consumer's persistent session and shared subscription, then leave: the broker queues for it."""
    for client_id in client_ids:
        client = make_client(broker.address, client_id)
        subscribed = threading.Event()
        client.on_subscribe = lambda *_, done=subscribed: done.set()
        client.connect(broker.address.host, broker.port, clean_start=True, properties=persistent_session(1000))
        client.loop_start()
        client.subscribe(SHARED_FILTER, qos=1)
        subscribed.wait(10)
        client.disconnect()
        client.loop_stop()


def backlog(broker: Broker, passwords: dict[str, str], samples: int) -> tuple[int, int]:
    """Publish the simulated samples (as the cars) into the waiting sessions; returns the messages published and
    the distinct samples among them."""
    minutes = samples / CARS * 10 / 60  # a sample every 10 s while driving
    cars = [SimCar(vin, (23.1291, 113.2644)) for vin in passwords]
    items, _ = schedule(cars, datetime.now(UTC) - timedelta(minutes=minutes * 2), minutes * 2, seed=2018)
    items = items[:samples]
    report = publish(broker.address, passwords, items, speedup=0, seed=7, mischief=Mischief(duplicates=0.02))
    return report.messages, len(items)


def drain_with_ingest(url: str, broker: Broker, client_ids: list[str], expected: int) -> tuple[float, int]:
    engine = make_engine(url, pool_size=len(client_ids) + 2)
    factory = make_session_factory(engine)
    stop, drained = threading.Event(), threading.Event()

    def count(_report: object) -> None:  # told by the workers, not polled: a polling thread would take the GIL too
        if sum(w.stats.messages for w in workers) >= expected:
            drained.set()

    workers = [
        IngestWorker(factory, broker.address, client_id, batch_size=500, on_batch=count) for client_id in client_ids
    ]
    threads = [threading.Thread(target=w.run, args=(stop,), daemon=True) for w in workers]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    drained.wait(600)
    elapsed = time.perf_counter() - started
    stop.set()
    for thread in threads:
        thread.join(timeout=30)
    with engine.connect() as connection:
        stored = connection.scalar(select(func.count()).select_from(TelemetrySample))
    engine.dispose()
    return elapsed, stored


def drain_with_bare_subscriber(broker: Broker, client_id: str, expected: int) -> float:
    received = 0
    done = threading.Event()

    def count(*_: object) -> None:
        nonlocal received
        received += 1
        if received >= expected:
            done.set()

    client = make_client(broker.address, client_id)
    client.on_message = count
    started = time.perf_counter()
    client.connect(broker.address.host, broker.port, clean_start=False, properties=persistent_session(1000))
    client.loop_start()
    done.wait(600)
    elapsed = time.perf_counter() - started
    client.disconnect()
    client.loop_stop()
    return elapsed


def drain_with_mosquitto_sub(broker: Broker, client_id: str, expected: int) -> float:
    command = [
        shutil.which("mosquitto_sub") or "/usr/bin/mosquitto_sub",
        *("-h", "127.0.0.1", "-p", str(broker.port), "-u", INGEST[0], "-P", INGEST[1]),
        *("-i", client_id, "-c", "-V", "mqttv5", "-x", "3600", "-q", "1", "-t", SHARED_FILTER, "-C", str(expected)),
    ]
    started = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, check=True, timeout=600)
    return time.perf_counter() - started


def run(backend: str, samples: int) -> list[list[str]]:
    rows = []
    with scratch_database(backend) as url:
        passwords = prepare(url)
        for label, consumers in (("forecourt ingest, 1 worker", 1), ("forecourt ingest, 2 workers", 2)):
            with running_broker(passwords) as broker:
                ids = [f"ingest-{uuid.uuid4().hex[:6]}" for _ in range(consumers)]
                open_sessions(broker, ids)
                published, distinct = backlog(broker, passwords, samples)
                elapsed, stored = drain_with_ingest(url, broker, ids, published)
                rows.append(_row(backend, label, published, elapsed, stored, distinct))
            _clear(url)
    return rows


def baselines(samples: int, passwords: dict[str, str]) -> list[list[str]]:
    """The same backlog drained by consumers that only count: the broker's and the client library's ceiling."""
    rows = []
    for label, drain in (
        ("bare paho subscriber (counts only)", drain_with_bare_subscriber),
        ("mosquitto_sub (C, counts only)", drain_with_mosquitto_sub),
    ):
        with running_broker(passwords) as broker:
            client_id = f"bare-{uuid.uuid4().hex[:6]}"
            open_sessions(broker, [client_id])  # mosquitto_sub resumes this session by its client id
            published, _ = backlog(broker, passwords, samples)
            elapsed = drain(broker, client_id, published)
            rows.append(
                ["(none)", label, f"{published:,}", f"{elapsed:.2f}", f"{published / elapsed:,.0f}", "", "", ""]
            )
    return rows


def _row(backend: str, label: str, published: int, elapsed: float, stored: int, distinct: int) -> list[str]:
    return [
        backend,
        label,
        f"{published:,}",
        f"{elapsed:.2f}",
        f"{published / elapsed:,.0f}",
        f"{stored / elapsed:,.0f}",
        f"{max(0, distinct - stored):,}",
        f"{max(0, stored - distinct):,}",
    ]


@contextmanager
def running_broker(passwords: dict[str, str]) -> Iterator[Broker]:
    with tempfile.TemporaryDirectory() as folder:
        broker = Broker(Path(folder), passwords)
        try:
            yield broker
        finally:
            broker.close()


def _clear(url: str) -> None:
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(TelemetrySample.__table__.delete())
        connection.exec_driver_sql("DELETE FROM vehicle_states")
        connection.exec_driver_sql("DELETE FROM fault_code_intervals")
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=100_000)
    parser.add_argument("--backends", default="postgresql,sqlite")
    args = parser.parse_args()
    rows = [row for backend in args.backends.split(",") for row in run(backend, args.samples)]
    with scratch_database("sqlite") as url:
        rows += baselines(args.samples, prepare(url))
    print(f"\nTelemetry backlog drained from Mosquitto ({args.samples:,} samples from {CARS} cars, 2 % sent twice)\n")
    print_table(
        ["database", "consumer", "messages", "seconds", "messages/s", "samples stored/s", "lost", "duplicated"],
        rows,
    )
    print("\nlost: simulated samples not stored; duplicated: rows stored beyond them (both must be 0)")


if __name__ == "__main__":
    main()
