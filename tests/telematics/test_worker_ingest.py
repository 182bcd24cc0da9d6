"""`forecourt worker` with FORECOURT_MQTT_URL set runs the telematics ingest beside its jobs and relay: a car's
samples reach the database, and SIGTERM stops the ingest with the rest (exit code 0)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Engine, delete

from forecourt.core.job_runs import JobRun
from tests.jobs.processes import environment, start_cli, stop, wait_for
from tests.telematics.conftest import Broker, Car, connect_car
from tests.telematics.factories import body, count_samples, publish_all


def test_the_worker_ingests_telemetry_and_stops_on_sigterm(
    db_engine: Engine,
    database_url: str,
    committed_fleet: Callable[[int], list[Car]],
    start_broker: Callable[[list[Car]], Broker],
    tmp_path: Path,
) -> None:
    (car,) = committed_fleet(1)
    broker = start_broker([car])
    env = environment(
        database_url,
        tmp_path / "no-clock",  # missing: the wall clock
        tmp_path / "outbox",
        mqtt_url=broker.url,
        mqtt_client_id=f"worker-ingest-{uuid.uuid4().hex[:6]}",
        job_interval_seconds="3600",
    )
    log = tmp_path / "worker.log"
    worker = start_cli(["worker"], env, log)
    client = None
    try:
        wait_for(lambda: "subscribed to" in log.read_text(), 60, "the worker's ingest to subscribe", interval=0.1)
        client = connect_car(broker, car)
        publish_all(client, car.vin, [body(seq) for seq in range(50)])
        wait_for(lambda: count_samples(db_engine, [car.vehicle_id]) == 50, 30, "the 50 samples", interval=0.05)
    finally:
        codes = stop([worker])
        if client is not None:
            client.loop_stop()
            client.disconnect()
        with db_engine.begin() as connection:  # its job pass ran on the shared test database, at the wall clock
            connection.execute(delete(JobRun).where(JobRun.runner.endswith(f":{worker.pid}")))
    text = log.read_text()
    assert codes == [0], text[-3000:]
    assert "telematics ingest on" in text and "worker stopped" in text
