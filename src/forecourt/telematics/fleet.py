"""The simulated fleet on the wire: which cars drive, their schedule of samples, and publishing it over MQTT.

`forecourt telematics simulate` and `make fleet` use this; so does `bench/telematics.py`. Each car publishes
with its own MQTT identity (its VIN and password), exactly as a real car would, so the broker's ACL applies.
Mischief flags make the stream realistic to a fault: some samples sent twice, some held back and sent later as a
reversed store-and-forward batch, some messages malformed.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

import paho.mqtt.client as mqtt

from forecourt.telematics.mqtt import BrokerAddress, make_client
from forecourt.telematics.signals import telemetry_topic
from forecourt.telematics.simulation import SimCar, drive


@dataclass(frozen=True)
class Mischief:
    duplicates: float = 0.0  # share of samples published twice
    out_of_order: float = 0.0  # share of samples held back and sent later in a reversed batch
    malformed: float = 0.0  # share of extra messages that are not valid telemetry


@dataclass(order=True)
class Scheduled:
    ts: datetime
    vin: str = field(compare=False)
    sample: dict = field(compare=False)


@dataclass
class PublishReport:
    samples: int = 0
    messages: int = 0
    duplicates: int = 0
    reordered_batches: int = 0
    malformed: int = 0
    distance_m: float = 0.0


def schedule(cars: Sequence[SimCar], start: datetime, minutes: float, seed: int) -> tuple[list[Scheduled], float]:
    """Every sample the cars send between `start` and `start + minutes`: drives separated by 5–40 minutes parked.
    Returns the samples in time order and the metres driven."""
    rng = random.Random(seed)
    end = start + timedelta(minutes=minutes)
    out: list[Scheduled] = []
    distance = 0.0
    for car in cars:
        moment = start + timedelta(minutes=rng.uniform(0, min(10.0, minutes / 3)))
        while moment < end:
            trip = drive(car, moment, rng)
            for sample in trip.samples:
                ts = datetime.fromisoformat(sample["ts"])
                if ts > end:
                    break
                out.append(Scheduled(ts, car.vin, sample))
            distance += trip.distance_m
            car = trip.car
            moment = datetime.fromisoformat(trip.samples[-1]["ts"]) + timedelta(minutes=rng.uniform(5, 40))
    out.sort()
    return out, distance


def publish(
    address: BrokerAddress,
    passwords: dict[str, str],
    items: Iterable[Scheduled],
    *,
    speedup: float = 1.0,
    mischief: Mischief = Mischief(),
    seed: int = 0,
    stop: threading.Event | None = None,
    progress: Callable[[int], object] | None = None,
) -> PublishReport:
    """Publish the samples in time order, `speedup` times faster than they happened (0: as fast as possible)."""
    rng = random.Random(seed)
    stop = stop or threading.Event()
    items = list(items)
    clients = {vin: _connect(address, vin, passwords[vin]) for vin in sorted({item.vin for item in items})}
    report = PublishReport()
    held: dict[str, list[dict]] = {}
    pending: list[mqtt.MQTTMessageInfo] = []
    started, first = time.monotonic(), items[0].ts if items else None
    try:
        for item in items:
            if stop.is_set():
                break
            if speedup > 0 and first is not None:
                delay = (item.ts - first).total_seconds() / speedup - (time.monotonic() - started)
                if delay > 0 and stop.wait(delay):
                    break
            client = clients[item.vin]
            report.samples += 1
            if rng.random() < mischief.out_of_order:
                held.setdefault(item.vin, []).append(item.sample)
                continue
            pending.append(_send(client, item.vin, item.sample, report))
            if rng.random() < mischief.duplicates:
                pending.append(_send(client, item.vin, item.sample, report))
                report.duplicates += 1
            if held.get(item.vin) and rng.random() < 0.3:
                batch = {"samples": list(reversed(held.pop(item.vin)))}
                pending.append(_send(client, item.vin, batch, report))
                report.reordered_batches += 1
            if rng.random() < mischief.malformed:
                pending.append(_send_raw(client, item.vin, rng.choice(_MALFORMED), report))
                report.malformed += 1
            if progress is not None:
                progress(1)
        for vin, samples in held.items():
            pending.append(_send(clients[vin], vin, {"samples": list(reversed(samples))}, report))
            report.reordered_batches += 1
        for info in pending:
            info.wait_for_publish(timeout=60)
    finally:
        for client in clients.values():
            client.loop_stop()
            client.disconnect()
    return report


_MALFORMED = (
    b"{not json",
    b'{"seq": 1, "ts": "2026-12-07T08:00:00Z", "signals": {"Vehicle.Speed": NaN}}',
    b'{"seq": -5, "ts": "yesterday", "signals": {}}',
    b"[]",
)


def _connect(address: BrokerAddress, vin: str, password: str) -> mqtt.Client:
    client = make_client(replace(address, username=vin, password=password), f"sim-{vin}")
    client.max_inflight_messages_set(1000)
    client.max_queued_messages_set(0)
    client.connect(address.host, address.port)
    client.loop_start()
    return client


def _send(client: mqtt.Client, vin: str, body: dict, report: PublishReport) -> mqtt.MQTTMessageInfo:
    return _send_raw(client, vin, json.dumps(body, separators=(",", ":")).encode(), report)


def _send_raw(client: mqtt.Client, vin: str, payload: bytes, report: PublishReport) -> mqtt.MQTTMessageInfo:
    report.messages += 1
    return client.publish(telemetry_topic(vin), payload, qos=1)
