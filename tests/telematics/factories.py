"""Cars with MQTT identities and telemetry messages for the telematics tests: messages handed to the service
in-process, and streams published to a live broker."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime, timedelta

import paho.mqtt.client as mqtt
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from forecourt.catalog.models import Vehicle
from forecourt.telematics import service
from forecourt.telematics.models import TelemetrySample
from forecourt.telematics.service import IncomingMessage
from forecourt.telematics.signals import ODOMETER, SPEED, telemetry_topic
from tests.factories import make_brand, make_city, make_model, make_store, make_trim, make_vehicle

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


_calls = itertools.count(1)


def provisioned_cars(session: Session, count: int = 1) -> list[Vehicle]:
    """`count` provisioned cars of a new self-service store (each call makes its own brand, model and store)."""
    n = next(_calls)
    brand = make_brand(session, f"tm{n}", "Ford", "福特")
    model = make_model(session, brand, f"kuga{n}", "Kuga", "翼虎", "suv")
    trim = make_trim(session, model, f"kuga{n}-245", "EcoBoost 245 4WD", "EcoBoost 245 四驱", "249800.00")
    store = make_store(session, make_city(session, f"gz{n}", "Guangzhou", "广州"), f"gz{n}-self", "self_service")
    cars = [make_vehicle(session, trim, store, test_drive_fleet=True) for _ in range(count)]
    for car in cars:
        service.provision(session, car.vin, NOW)
    return cars


def message(vin: str, *samples: dict, batch: bool | None = None) -> IncomingMessage:
    body: object = {"samples": list(samples)} if batch or len(samples) != 1 else samples[0]
    return IncomingMessage(telemetry_topic(vin), json.dumps(body).encode())


START = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)


def at(minute: float) -> datetime:
    return START + timedelta(minutes=minute)


def sample(seq: int, minute: float, **signals: object) -> dict:
    """A sample `minute` minutes after START (an hour before NOW)."""
    return {"seq": seq, "ts": at(minute).isoformat(), "signals": signals or {"Vehicle.Speed": 10.0}}


# The live-broker tests run on the real clock (an ingest worker in another process cannot share a pinned one), and
# the ingest refuses samples from the future: their streams start two hours before the wall clock.
STREAM_START = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)


def body(seq: int, **signals: object) -> bytes:
    ts = (STREAM_START + timedelta(seconds=seq)).isoformat()
    return json.dumps({"seq": seq, "ts": ts, "signals": signals or {ODOMETER: seq * 10, SPEED: 30.0}}).encode()


def publish_all(client: mqtt.Client, vin: str, payloads: list[bytes]) -> None:
    infos = [client.publish(telemetry_topic(vin), payload, qos=1) for payload in payloads]
    for info in infos:
        info.wait_for_publish(timeout=30)


def count_samples(engine: Engine, vehicle_ids: list[int]) -> int:
    with Session(engine) as session:
        return session.scalar(
            select(func.count()).select_from(TelemetrySample).where(TelemetrySample.vehicle_id.in_(vehicle_ids))
        )
