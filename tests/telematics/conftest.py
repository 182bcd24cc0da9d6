"""A real Mosquitto per test, configured by Forecourt's own broker files, and a committed fleet of cars.

The broker tests need rows that other processes (the broker's clients, an ingest worker started as a
subprocess) can see, so `committed_fleet` commits its catalog rows under codes no other test uses, and deletes
everything it and the ingest wrote afterwards.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from sqlalchemy import Engine, delete
from sqlalchemy.orm import Session

from forecourt.catalog.models import Brand, City, Store, Trim, Vehicle, VehicleModel
from forecourt.core.clock import utcnow
from forecourt.core.db import make_session_factory
from forecourt.telematics import credentials, partitions
from forecourt.telematics.broker import BrokerUser, write_broker_files
from forecourt.telematics.models import (
    CarCredential,
    DeadLetter,
    FaultCodeInterval,
    TelemetrySample,
    VehicleState,
)
from forecourt.telematics.mqtt import BrokerAddress, make_client
from tests.factories import make_brand, make_city, make_model, make_store, make_trim, make_vehicle

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
INGEST_USER, INGEST_PASSWORD = "forecourt-ingest", "ingest-password-for-tests"


@dataclass
class Car:
    vehicle_id: int
    vin: str
    password: str


@dataclass
class Broker:
    port: int
    directory: Path

    def address(self, username: str = INGEST_USER, password: str = INGEST_PASSWORD) -> BrokerAddress:
        return BrokerAddress("127.0.0.1", self.port, username, password, tls=False)

    @property
    def url(self) -> str:
        return f"mqtt://{INGEST_USER}:{INGEST_PASSWORD}@127.0.0.1:{self.port}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def start_broker(tmp_path: Path) -> Iterator[Callable[[list[Car]], Broker]]:
    if not os.path.exists(MOSQUITTO):
        if os.environ.get("FORECOURT_TEST_REQUIRE_MOSQUITTO") == "1":
            pytest.fail("Mosquitto is required (FORECOURT_TEST_REQUIRE_MOSQUITTO=1) but not installed")
        pytest.skip("Mosquitto is not installed (.ci/run installs it)")
    processes: list[subprocess.Popen[bytes]] = []

    def start(cars: list[Car]) -> Broker:
        directory = tmp_path / f"broker-{len(processes)}"
        port = free_port()
        users = [BrokerUser(car.vin, credentials.mosquitto_hash(car.password)) for car in cars]
        users.append(BrokerUser(INGEST_USER, credentials.mosquitto_hash(INGEST_PASSWORD)))
        run_as = "root" if os.geteuid() == 0 else None
        write_broker_files(directory, users, [INGEST_USER], port=port, run_as=run_as)
        process = subprocess.Popen([MOSQUITTO, "-c", str(directory / "mosquitto.conf")])
        processes.append(process)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                return Broker(port, directory)
            except OSError:
                if process.poll() is not None:
                    break
                time.sleep(0.05)
        log = (directory / "mosquitto.log").read_text() if (directory / "mosquitto.log").exists() else ""
        pytest.fail(f"mosquitto did not start: {log}")

    yield start
    for process in processes:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def committed_fleet(db_engine: Engine) -> Iterator[Callable[[int], list[Car]]]:
    factory = make_session_factory(db_engine)
    tag = uuid.uuid4().hex[:8]
    made: list[int] = []
    started = utcnow()

    def make(count: int) -> list[Car]:
        cars = []
        with factory() as session, session.begin():
            brand = make_brand(session, f"tm-{tag}", "Telematics", "车联网")
            model = make_model(session, brand, f"tm-{tag}", "Probe", "探针", "suv")
            trim = make_trim(session, model, f"tm-{tag}", "Probe", "探针", "199800.00")
            city = make_city(session, f"tm-{tag}", "Probe City", "探针市")
            store = make_store(session, city, f"tm-{tag}", "self_service")
            for _ in range(count):
                vehicle = make_vehicle(session, trim, store, test_drive_fleet=True)
                password = credentials.new_password()
                session.add(
                    CarCredential(
                        vehicle_id=vehicle.id,
                        username=vehicle.vin,
                        password_hash=credentials.mosquitto_hash(password),
                        created_at=started,
                    )
                )
                cars.append(Car(vehicle.id, vehicle.vin, password))
                made.append(vehicle.id)
        return cars

    yield make
    with factory() as session, session.begin():
        _remove(session, made, tag, started)
    partitions.forget_known_partitions()


def _remove(session: Session, vehicle_ids: list[int], tag: str, since: datetime) -> None:
    session.execute(delete(DeadLetter).where(DeadLetter.received_at >= since))
    for table in (TelemetrySample, VehicleState, FaultCodeInterval, CarCredential):
        session.execute(delete(table).where(table.vehicle_id.in_(vehicle_ids)))
    session.execute(delete(Vehicle).where(Vehicle.id.in_(vehicle_ids)))
    for table, column in ((Store, Store.code), (City, City.code), (Trim, Trim.code)):
        session.execute(delete(table).where(column == f"tm-{tag}"))
    session.execute(delete(VehicleModel).where(VehicleModel.code == f"tm-{tag}"))
    session.execute(delete(Brand).where(Brand.code == f"tm-{tag}"))


def connect_car(broker: Broker, car: Car, client_id: str | None = None) -> mqtt.Client:
    client = make_client(broker.address(car.vin, car.password), client_id or f"car-{car.vin}-{uuid.uuid4().hex[:6]}")
    client.connect("127.0.0.1", broker.port)
    client.loop_start()
    return client
