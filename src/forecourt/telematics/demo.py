"""Telematics demo data: the self-service stores' cars, given MQTT identities, with a day of recorded drives.

`make run` needs no broker: the recorded drives are published by nobody and stored through `store_batch`, the
same path the ingest worker takes, so the demo's samples, trips, latest states, fault codes and dead letters are
exactly what the live system would have made of them. Idempotent: cars that already reported are left alone.
"""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from forecourt.catalog import service as catalog
from forecourt.core.clock import utcnow
from forecourt.telematics import repository, service
from forecourt.telematics.service import IncomingMessage, store_batch
from forecourt.telematics.signals import telemetry_topic
from forecourt.telematics.simulation import drive

SEED = 2018
DRIVES_PER_CAR = 2
INTERVAL_SECONDS = 30


def load_telematics_demo(session: Session, now: datetime | None = None) -> str:
    now = now or utcnow()
    rng = random.Random(SEED)
    stores = [store for store in catalog.list_stores(session) if store.kind == "self_service"]
    cars = stored = 0
    for store in stores:
        fleet = catalog.list_test_drive_fleet(session, store_code=store.code)
        new = [vehicle for vehicle in fleet if repository.get_state(session, vehicle.id) is None]
        for vehicle in new:
            if repository.credential_of(session, vehicle.id) is None:
                service.provision(session, vehicle.vin, now)  # the demo keeps no password: no car will connect
        for car in service.sim_cars(session, [vehicle.vin for vehicle in new]):
            messages = []
            moment = now - timedelta(hours=rng.uniform(20, 26))
            for _ in range(DRIVES_PER_CAR):
                trip = drive(car, moment, rng, interval_s=INTERVAL_SECONDS)
                messages += [
                    IncomingMessage(telemetry_topic(car.vin), json.dumps(sample).encode()) for sample in trip.samples
                ]
                car = trip.car
                moment = datetime.fromisoformat(trip.samples[-1]["ts"]) + timedelta(hours=rng.uniform(2, 8))
                if moment > now - timedelta(hours=1):
                    break
            stored += store_batch(session, messages, now).stored
            cars += 1
    return f"telematics: {cars} self-service car(s) given a day of recorded drives ({stored:,} samples)"
