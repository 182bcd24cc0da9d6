"""Telematics use cases: store a batch of what cars said exactly once, and keep each car's latest state.

`store_batch` is the one path every sample takes — the MQTT ingest worker, the demo's recorded trips and the
tests all call it — so the guarantees hold whatever the source:

- a sample is stored once per (car, seq, ts) however often it arrives (insert-or-ignore on that key);
- a refused message or sample becomes one dead letter with its reason (insert-or-ignore on a fingerprint);
- the latest state and the fault-code intervals only move forward in time: samples older than the car's state
  are stored but change neither (a late fix raises no events; Traccar's rule);
- on PostgreSQL the states of the batch's cars are locked in id order, so two workers holding samples of the
  same car apply them one after the other.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from forecourt.catalog import service as catalog
from forecourt.telematics import credentials, partitions, repository
from forecourt.telematics.broker import BrokerUser
from forecourt.telematics.models import CarCredential
from forecourt.telematics.signals import Refusal, Rejection, Sample, parse_message
from forecourt.telematics.simulation import SimCar
from forecourt.telematics.watching import service as watching

DEAD_LETTER_PAYLOAD_BYTES = 4096


@dataclass(frozen=True)
class IncomingMessage:
    topic: str
    payload: bytes


@dataclass(frozen=True)
class BatchReport:
    messages: int
    samples: int  # valid samples in the batch, repeats included
    stored: int  # of which new
    dead_letters: int  # new dead letters
    refused: int  # refusals in the batch (new or already recorded)
    states_advanced: int
    alerts: int = 0  # new alerts raised on watched cars (a self-service drive that is out)
    newest_sample_at: datetime | None = None  # the car's own time of the newest valid sample (for the ingest lag)

    @property
    def duplicates(self) -> int:
        return self.samples - self.stored


@dataclass(frozen=True)
class _Accepted:
    vehicle_id: int
    sample: Sample


def store_batch(session: Session, messages: Sequence[IncomingMessage], received_at: datetime) -> BatchReport:
    parsed = [(message, parse_message(message.topic, message.payload, received_at)) for message in messages]
    known = repository.vehicle_ids_by_username(session, {p.vin for _, p in parsed if p.vin and p.samples})
    accepted: list[_Accepted] = []
    dead: list[dict[str, Any]] = []
    for message, result in parsed:
        dead.extend(_dead_letter(message, result.vin, rejection, received_at) for rejection in result.rejections)
        if not result.samples:
            continue
        vehicle_id = known.get(result.vin or "")
        if vehicle_id is None:
            unknown = Rejection(Refusal.UNKNOWN_VEHICLE, f"no provisioned car has the VIN {result.vin}")
            dead.append(_dead_letter(message, result.vin, unknown, received_at))
            continue
        accepted.extend(_Accepted(vehicle_id, sample) for sample in result.samples)
    rows = _unique_rows(accepted, received_at)
    partitions.ensure_partitions(session.get_bind().engine, {partitions.month_of(row["ts"]) for row in rows})
    stored = repository.insert_samples(session, rows)
    new_dead = repository.insert_dead_letters(session, dead)
    advanced = _move_forward(session, accepted, received_at)
    alerts = watching.check_samples(session, _by_vehicle(accepted), received_at)
    newest = max((item.sample.ts for item in accepted), default=None)
    return BatchReport(len(messages), len(accepted), stored, new_dead, len(dead), advanced, alerts, newest)


def _by_vehicle(accepted: Sequence[_Accepted]) -> dict[int, list[Sample]]:
    by_vehicle: dict[int, list[Sample]] = defaultdict(list)
    for item in accepted:
        by_vehicle[item.vehicle_id].append(item.sample)
    return by_vehicle


def _unique_rows(accepted: Sequence[_Accepted], received_at: datetime) -> list[dict[str, Any]]:
    rows: dict[tuple[int, int, datetime], dict[str, Any]] = {}
    for item in accepted:
        sample = item.sample
        key = (item.vehicle_id, sample.seq, sample.ts)
        if key not in rows:  # a repeat costs a lookup, not a row built and thrown away
            rows[key] = {
                "vehicle_id": item.vehicle_id,
                "seq": sample.seq,
                "ts": sample.ts,
                "received_at": received_at,
                **_measurements(sample),
                "signals": dict(sample.signals),
            }
    return list(rows.values())


def _measurements(sample: Sample) -> dict[str, Any]:
    return {
        "odometer_m": sample.odometer_m,
        "latitude": sample.latitude,
        "longitude": sample.longitude,
        "speed_kmh": sample.speed_kmh,
        "fuel_pct": sample.fuel_pct,
        "charge_pct": sample.charge_pct,
        "ignition": sample.ignition,
        "dtcs": list(sample.dtcs) if sample.dtcs is not None else None,
    }


def _dead_letter(message: IncomingMessage, vin: str | None, rejection: Rejection, at: datetime) -> dict[str, Any]:
    index = "" if rejection.index is None else str(rejection.index)
    fingerprint = hashlib.sha256(message.topic.encode() + b"\0" + message.payload + b"\0" + index.encode())
    return {
        "fingerprint": fingerprint.hexdigest(),
        "received_at": at,
        "topic": message.topic[:200],
        "vin": vin,
        "code": rejection.code.value,
        "detail": rejection.detail,
        "sample_index": rejection.index,
        "payload": message.payload[:DEAD_LETTER_PAYLOAD_BYTES],
        "payload_bytes": len(message.payload),
    }


def _move_forward(session: Session, accepted: Sequence[_Accepted], received_at: datetime) -> int:
    by_vehicle = _by_vehicle(accepted)
    if not by_vehicle:
        return 0
    in_order = {vehicle_id: sorted(samples, key=_order) for vehicle_id, samples in by_vehicle.items()}
    states = repository.lock_states(session, list(by_vehicle))
    first_seen = [vehicle_id for vehicle_id in by_vehicle if vehicle_id not in states]
    created = repository.create_states(session, [_state_row(v, in_order[v], received_at) for v in first_seen])
    if len(created) < len(first_seen):  # another worker saw one of these cars first: lock its state too
        states = repository.lock_states(session, list(by_vehicle))
    moved = []
    for vehicle_id in sorted(by_vehicle):
        created_now = vehicle_id in created
        since = None if created_now else (states[vehicle_id].ts, states[vehicle_id].seq)
        fresh = [s for s in in_order[vehicle_id] if since is None or _order(s) > since]
        # The state's code list is what the open intervals say (both move together, here): no query needed.
        active = set() if created_now else set(states[vehicle_id].dtcs or ())
        _apply_fault_codes(session, vehicle_id, fresh, active)
        if fresh and not created_now:
            moved.append(_state_row(vehicle_id, fresh, received_at))
    return len(created) + repository.advance_states(session, moved)


def _apply_fault_codes(session: Session, vehicle_id: int, fresh: Sequence[Sample], active: set[str]) -> None:
    for sample in (sample for sample in fresh if sample.dtcs is not None):
        now_active = set(sample.dtcs or ())
        for code in sorted(now_active - active):
            repository.open_fault_code(session, vehicle_id, code, sample.ts)
        for code in sorted(active - now_active):
            repository.close_fault_code(session, vehicle_id, code, sample.ts)
        active = now_active


def _order(sample: Sample) -> tuple[datetime, int]:
    return sample.ts, sample.seq


def _state_row(vehicle_id: int, samples: Sequence[Sample], received_at: datetime) -> dict[str, Any]:
    """The state after `samples` (in time order): the newest one's time and counter, and for each signal the last
    value reported among them (a sample that does not report a signal leaves the previous value standing)."""
    row: dict[str, Any] = {"vehicle_id": vehicle_id, "position_at": None, "updated_at": received_at}
    missing = dict.fromkeys(_measurements(samples[-1]))
    row |= missing
    position_missing = True
    # Newest first, stopping when every field has its value: a batch brings hundreds of samples of a car, and
    # the newest one or two usually report every signal.
    for sample in reversed(samples):
        for name, value in _measurements(sample).items():
            if value is not None and name in missing:
                row[name] = value
                del missing[name]
        if position_missing and sample.has_position:
            row["position_at"] = sample.ts
            position_missing = False
        if not missing and not position_missing:
            break
    row |= {"ts": samples[-1].ts, "seq": samples[-1].seq}
    return row


@dataclass(frozen=True)
class Provisioned:
    vin: str
    username: str
    password: str  # shown once; only its hash is stored
    rotated: bool


def provision(session: Session, vin: str, now: datetime) -> Provisioned:
    """Give a car its own MQTT identity (username = VIN, a new random password), or a new password if it has one."""
    vehicle = catalog.get_vehicle(session, vin)
    password = credentials.new_password()
    existing = repository.credential_of(session, vehicle.id)
    if existing is None:
        session.add(
            CarCredential(
                vehicle_id=vehicle.id,
                username=vehicle.vin,
                password_hash=credentials.mosquitto_hash(password),
                created_at=now,
            )
        )
    else:
        existing.password_hash = credentials.mosquitto_hash(password)
        existing.rotated_at = now
    session.flush()
    return Provisioned(vehicle.vin, vehicle.vin, password, existing is not None)


def provision_fleet(session: Session, count: int, store_code: str | None, now: datetime) -> dict[str, str]:
    """Give up to `count` test-drive cars (of one store, or of all) new MQTT passwords: {VIN: password}."""
    fleet = catalog.list_test_drive_fleet(session, store_code=store_code)[:count]
    return {vehicle.vin: provision(session, vehicle.vin, now).password for vehicle in fleet}


def sim_cars(session: Session, vins: Collection[str]) -> list[SimCar]:
    """The simulator's view of these cars: where they live (their store), how they are powered, and their
    odometer, level and message counter as the platform last heard them."""
    cars = []
    for vin in sorted(vins):
        vehicle = catalog.get_vehicle(session, vin)
        state = repository.get_state(session, vehicle.id)
        trim = vehicle.trim
        cars.append(
            SimCar(
                vin=vehicle.vin,
                home=(float(vehicle.store.latitude), float(vehicle.store.longitude)),
                electric=trim.powertrain == "bev",
                consumption_l_100km=float(trim.fuel_consumption_l_100km or 8),
                odometer_m=state.odometer_m if state and state.odometer_m else vehicle.mileage_km * 1000,
                level_pct=(state.fuel_pct or state.charge_pct or 80.0) if state else 80.0,
                seq=state.seq if state else 0,
            )
        )
    return cars


def broker_users(session: Session) -> list[BrokerUser]:
    return [BrokerUser(c.username, c.password_hash) for c in repository.all_credentials(session)]
