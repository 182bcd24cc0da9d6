"""Against a real Mosquitto configured by Forecourt: ACLs, exactly-once storage, shared subscriptions, dead letters,
and an ingest worker killed with SIGKILL in the middle of a stream."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from prometheus_client import REGISTRY
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from forecourt.core.db import make_session_factory
from forecourt.telematics.ingest import IngestWorker
from forecourt.telematics.models import DeadLetter, TelemetrySample, VehicleState
from forecourt.telematics.mqtt import make_client
from forecourt.telematics.signals import SPEED, telemetry_topic
from tests.telematics.conftest import Broker, Car, connect_car
from tests.telematics.factories import STREAM_START, body, count_samples, publish_all

pytestmark = pytest.mark.slow


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    pytest.fail(f"timed out waiting for {what}")


class RunningWorker:
    """An IngestWorker on a thread of this process."""

    def __init__(self, engine: Engine, broker: Broker, client_id: str, batch_size: int = 200) -> None:
        self.stop = threading.Event()
        self.worker = IngestWorker(make_session_factory(engine), broker.address(), client_id, batch_size=batch_size)
        self.thread = threading.Thread(target=self.worker.run, args=(self.stop,), daemon=True)
        self.thread.start()
        assert self.worker.wait_connected(10), "the ingest worker did not connect"

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=20)


def test_acl_a_car_publishes_only_as_itself_and_strangers_cannot_connect(
    db_engine: Engine, committed_fleet: Callable[[int], list[Car]], start_broker: Callable[[list[Car]], Broker]
) -> None:
    honest, other = committed_fleet(2)
    broker = start_broker([honest, other])
    worker = RunningWorker(db_engine, broker, "ingest-acl")
    try:
        car = connect_car(broker, honest)
        publish_all(car, honest.vin, [body(1)])
        publish_all(car, other.vin, [body(2)])  # the broker drops it: not this car's topic
        sniff = []
        car.on_message = lambda *args: sniff.append(args)
        car.subscribe(telemetry_topic(other.vin), qos=1)  # a car reads nothing
        wait_until(lambda: count_samples(db_engine, [honest.vehicle_id]) == 1, 10, "the honest sample")
        time.sleep(0.5)
        assert count_samples(db_engine, [other.vehicle_id]) == 0
        assert sniff == []
        car.loop_stop()
        car.disconnect()
    finally:
        worker.close()
    for username, password in (("stranger", "guess"), (honest.vin, "wrong-password"), (None, None)):
        assert connection_refused(broker, username, password), username


def connection_refused(broker: Broker, username: str | None, password: str | None) -> bool:
    client = make_client(broker.address(username, password), f"stranger-{uuid.uuid4().hex[:6]}")
    if username is None:
        client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    answers: list[bool] = []
    client.on_connect = lambda _c, _u, _f, reason, _p: answers.append(reason.is_failure)
    client.connect("127.0.0.1", broker.port)
    client.loop_start()
    wait_until(lambda: bool(answers), 5, "the broker's answer")
    client.loop_stop()
    return answers == [True]


def test_replays_and_reordering_through_the_broker_store_each_sample_once(
    db_engine: Engine, committed_fleet: Callable[[int], list[Car]], start_broker: Callable[[list[Car]], Broker]
) -> None:
    (car,) = committed_fleet(1)
    broker = start_broker([car])
    before, started = ingest_metrics(), time.time()
    worker = RunningWorker(db_engine, broker, "ingest-replay")
    try:
        client = connect_car(broker, car)
        payloads = [body(seq) for seq in range(300)]
        replayed = [p for i, p in enumerate(payloads) for _ in range(1 + i % 3)]
        replayed = replayed[1::2] + replayed[::2]  # out of order, every sample one to three times
        publish_all(client, car.vin, replayed)
        wait_until(lambda: count_samples(db_engine, [car.vehicle_id]) == 300, 20, "300 samples")
        time.sleep(0.5)  # let any straggling duplicate arrive
        assert count_samples(db_engine, [car.vehicle_id]) == 300
        with Session(db_engine) as session:
            state = session.get(VehicleState, car.vehicle_id)
            assert (state.seq, state.odometer_m) == (299, 2_990)
        client.loop_stop()
        client.disconnect()
    finally:
        worker.close()
    assert worker.worker.stats.duplicates == len(replayed) - 300
    stats, after = worker.worker.stats, ingest_metrics()
    counted = {name: after[name] - before[name] for name in ("messages", "stored", "duplicates", "dead_letters")}
    assert counted == {"messages": len(replayed), "stored": 300, "duplicates": stats.duplicates, "dead_letters": 0}
    newest = (STREAM_START + timedelta(seconds=299)).timestamp()
    assert after["newest_sample"] >= newest
    # The lag is the storing moment minus the newest sample's time (STREAM_START is two hours before
    # tests/telematics/factories.py was imported, which in a long parallel run may be many minutes before this
    # test).
    assert started - newest <= after["lag"] <= time.time() - newest


def ingest_metrics() -> dict[str, float]:
    def value(name: str) -> float:
        return REGISTRY.get_sample_value(f"forecourt_telematics_{name}") or 0.0

    return {
        "messages": value("ingest_messages_total"),
        "stored": value("ingest_samples_stored_total"),
        "duplicates": value("ingest_duplicates_total"),
        "dead_letters": value("ingest_dead_letters_total"),
        "lag": value("ingest_lag_seconds"),
        "newest_sample": value("newest_sample_timestamp_seconds"),
    }


def test_two_workers_on_the_shared_subscription_split_the_stream(
    db_engine: Engine, committed_fleet: Callable[[int], list[Car]], start_broker: Callable[[list[Car]], Broker]
) -> None:
    cars = committed_fleet(4)
    broker = start_broker(cars)
    first = RunningWorker(db_engine, broker, "ingest-a", batch_size=50)
    second = RunningWorker(db_engine, broker, "ingest-b", batch_size=50)
    try:
        clients = [connect_car(broker, car) for car in cars]
        for client, car in zip(clients, cars, strict=True):
            publish_all(client, car.vin, [body(seq) for seq in range(500)])
        ids = [car.vehicle_id for car in cars]
        wait_until(lambda: count_samples(db_engine, ids) == 2_000, 30, "2,000 samples")
        for client in clients:
            client.loop_stop()
            client.disconnect()
    finally:
        first.close()
        second.close()
    stats = first.worker.stats, second.worker.stats
    assert all(s.stored > 0 for s in stats), "both workers did work"
    assert sum(s.stored for s in stats) == 2_000  # and between them stored each sample once
    with Session(db_engine) as session:
        for car in cars:
            assert session.get(VehicleState, car.vehicle_id).seq == 499


def test_malformed_messages_land_in_the_dead_letters_and_the_stream_goes_on(
    db_engine: Engine, committed_fleet: Callable[[int], list[Car]], start_broker: Callable[[list[Car]], Broker]
) -> None:
    (car,) = committed_fleet(1)
    broker = start_broker([car])
    worker = RunningWorker(db_engine, broker, "ingest-dead")
    future = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    bad = [
        b"not json",
        b'{"seq": 1, "ts": "2026-12-07T08:00:00Z", "signals": {"Vehicle.Speed": NaN}}',
        json.dumps({"seq": 2, "ts": "2026-12-07T08:00:00Z", "signals": {SPEED: "fast"}}).encode(),
        json.dumps({"seq": 3, "ts": future, "signals": {SPEED: 1}}).encode(),
        json.dumps(
            {"vin": "LVSHFFAL2JS999999", "seq": 4, "ts": STREAM_START.isoformat(), "signals": {SPEED: 1}}
        ).encode(),
        b"x" * 300_000,
    ]
    try:
        client = connect_car(broker, car)
        publish_all(client, car.vin, [body(100), *bad, body(101)])
        wait_until(lambda: count_samples(db_engine, [car.vehicle_id]) == 2, 10, "the two good samples")
        with Session(db_engine) as session:
            wait_until(lambda: session.scalar(select(func.count()).select_from(DeadLetter)) >= 6, 10, "dead letters")
            codes = sorted(session.scalars(select(DeadLetter.code)))
        client.loop_stop()
        client.disconnect()
    finally:
        worker.close()
    assert codes == sorted(
        ["not_json", "not_finite", "bad_signal_value", "future_timestamp", "vin_mismatch", "too_large"]
    )


def test_an_ingest_worker_killed_mid_stream_loses_nothing_and_stores_nothing_twice(
    db_engine: Engine,
    database_url: str,
    committed_fleet: Callable[[int], list[Car]],
    start_broker: Callable[[list[Car]], Broker],
    tmp_path: Path,
) -> None:
    (car,) = committed_fleet(1)
    broker = start_broker([car])
    env = {
        **os.environ,
        "FORECOURT_DATABASE_URL": database_url,
        "FORECOURT_MQTT_URL": broker.url,
        "FORECOURT_MQTT_CLIENT_ID": f"ingest-kill-{uuid.uuid4().hex[:6]}",
        "FORECOURT_TELEMATICS_BATCH_SIZE": "100",
    }
    command = [str(Path(sys.executable).with_name("forecourt")), "telematics", "ingest"]

    def start_worker() -> subprocess.Popen[bytes]:
        """The worker, once it is subscribed: from then on the broker keeps its session's messages."""
        process = subprocess.Popen(command, env=env, cwd=tmp_path, stderr=subprocess.PIPE)
        lines = []
        for line in iter(process.stderr.readline, b""):
            lines.append(line)
            if b"subscribed to" in line:
                return process
        pytest.fail(f"the ingest worker stopped before subscribing: {b''.join(lines).decode()[-2000:]}")

    worker = start_worker()
    client = connect_car(broker, car)
    publisher = threading.Thread(
        target=publish_all, args=(client, car.vin, [body(seq) for seq in range(10_000)]), daemon=True
    )
    publisher.start()
    try:
        wait_until(lambda: count_samples(db_engine, [car.vehicle_id]) > 1_000, 30, "the first thousand samples")
    except BaseException:
        worker.kill()
        print(worker.communicate()[1].decode()[-3000:])
        raise
    worker.send_signal(signal.SIGKILL)
    worker.wait()
    stored_at_kill = count_samples(db_engine, [car.vehicle_id])
    publisher.join(timeout=60)
    worker = start_worker()
    try:
        wait_until(lambda: count_samples(db_engine, [car.vehicle_id]) == 10_000, 60, "all 10,000 samples")
    finally:
        worker.send_signal(signal.SIGTERM)
        _, stderr = worker.communicate(timeout=30)
        client.loop_stop()
        client.disconnect()
    assert worker.returncode == 0, stderr.decode()[-2000:]
    assert 1_000 < stored_at_kill < 10_000, "the kill landed mid-stream"
    with Session(db_engine) as session:
        seqs = session.scalars(
            select(TelemetrySample.seq).where(TelemetrySample.vehicle_id == car.vehicle_id).order_by("seq")
        ).all()
        assert seqs == list(range(10_000))
        assert session.get(VehicleState, car.vehicle_id).seq == 9_999
        assert session.scalar(select(func.count()).select_from(DeadLetter)) == 0
