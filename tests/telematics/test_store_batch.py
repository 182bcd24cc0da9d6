"""store_batch on both databases: exactly once, forward-only state, fault-code intervals, dead letters."""

from __future__ import annotations

import random

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from forecourt.core.errors import NotFound
from forecourt.telematics import credentials, partitions, repository, service
from forecourt.telematics.models import DeadLetter, FaultCodeInterval, TelemetrySample, VehicleState
from forecourt.telematics.service import IncomingMessage, store_batch
from forecourt.telematics.signals import DTC_LIST, FUEL_LEVEL, IGNITION, LATITUDE, LONGITUDE, ODOMETER, SPEED
from tests.telematics.factories import NOW, message, provisioned_cars, sample
from tests.telematics.factories import at as _ts


def stored(session: Session, vehicle_id: int) -> list[int]:
    return list(
        session.scalars(select(TelemetrySample.seq).where(TelemetrySample.vehicle_id == vehicle_id).order_by("seq"))
    )


def test_a_sample_is_stored_with_its_measurements_and_becomes_the_state(db_session: Session) -> None:
    (car,) = provisioned_cars(db_session)
    body = sample(1, 0, **{ODOMETER: 1_000, LATITUDE: 23.1, LONGITUDE: 113.2, SPEED: 30.5, IGNITION: "ON"})
    report = store_batch(db_session, [message(car.vin, body)], NOW)
    assert (report.samples, report.stored, report.dead_letters, report.states_advanced) == (1, 1, 0, 1)
    row = db_session.get(TelemetrySample, (car.id, 1, _ts(0)))
    assert row is not None and row.odometer_m == 1_000 and row.speed_kmh == 30.5 and row.ignition == "ON"
    state = db_session.get(VehicleState, car.id)
    assert (state.seq, state.odometer_m, state.latitude, state.position_at) == (1, 1_000, 23.1, _ts(0))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_replayed_one_to_three_times_in_any_order_each_sample_is_stored_once(db_session: Session, seed: int) -> None:
    cars = provisioned_cars(db_session, 3)
    originals = [
        message(car.vin, *[sample(n, n, **{ODOMETER: 1_000 * n}) for n in range(i * 5, i * 5 + 5)], batch=True)
        for i, car in enumerate(cars)
    ]
    generator = random.Random(seed)
    deliveries = [m for m in originals for _ in range(generator.randint(1, 3))]
    generator.shuffle(deliveries)
    total_new = 0
    for start in range(0, len(deliveries), 2):  # batches of two messages, as a worker would take them
        total_new += store_batch(db_session, deliveries[start : start + 2], NOW).stored
    assert total_new == 15
    for i, car in enumerate(cars):
        assert stored(db_session, car.id) == list(range(i * 5, i * 5 + 5))
        state = db_session.get(VehicleState, car.id)
        assert state.seq == i * 5 + 4 and state.odometer_m == 1_000 * (i * 5 + 4)


def test_the_state_never_moves_back_and_keeps_what_a_newer_sample_did_not_report(db_session: Session) -> None:
    (car,) = provisioned_cars(db_session)
    store_batch(
        db_session, [message(car.vin, sample(10, 10, **{LATITUDE: 23.1, LONGITUDE: 113.2, FUEL_LEVEL: 50}))], NOW
    )
    store_batch(db_session, [message(car.vin, sample(11, 11, **{SPEED: 42.0}))], NOW)
    late = store_batch(
        db_session, [message(car.vin, sample(5, 5, **{FUEL_LEVEL: 90, LATITUDE: 1.0, LONGITUDE: 1.0}))], NOW
    )
    assert late.stored == 1 and late.states_advanced == 0  # stored, but too old to move the state
    state = db_session.get(VehicleState, car.id)
    assert (state.seq, state.speed_kmh, state.fuel_pct) == (11, 42.0, 50.0)
    assert (state.latitude, state.longitude, state.position_at) == (23.1, 113.2, _ts(10))
    same_time_higher_seq = store_batch(db_session, [message(car.vin, sample(12, 11, **{SPEED: 1.0}))], NOW)
    assert same_time_higher_seq.states_advanced == 1
    assert db_session.get(VehicleState, car.id).speed_kmh == 1.0


def test_fault_codes_open_and_close_as_intervals_and_late_samples_do_not_touch_them(db_session: Session) -> None:
    (car,) = provisioned_cars(db_session)
    batch = [
        sample(1, 1, **{DTC_LIST: []}),
        sample(2, 2, **{DTC_LIST: ["P0301"]}),
        sample(3, 3, **{DTC_LIST: ["P0301", "P0420"]}),
        sample(4, 4, **{SPEED: 5.0}),  # does not report codes: nothing changes
        sample(5, 5, **{DTC_LIST: ["P0420"]}),
    ]
    store_batch(db_session, [message(car.vin, *reversed(batch))], NOW)  # order in the message does not matter
    intervals = {(i.code, i.opened_at, i.closed_at) for i in repository.fault_code_intervals(db_session, car.id)}
    assert intervals == {("P0301", _ts(2), _ts(5)), ("P0420", _ts(3), None)}
    store_batch(db_session, [message(car.vin, sample(0, 0.5, **{DTC_LIST: ["U0100"]}))], NOW)  # late
    assert repository.open_fault_codes(db_session, car.id) == {"P0420"}
    store_batch(db_session, [message(car.vin, sample(6, 6, **{DTC_LIST: []}))], NOW)
    assert repository.open_fault_codes(db_session, car.id) == set()
    assert db_session.scalar(select(func.count()).select_from(FaultCodeInterval)) == 2


def test_bad_messages_become_one_dead_letter_each_and_never_stop_the_batch(db_session: Session) -> None:
    (car,) = provisioned_cars(db_session)
    topic = message(car.vin, sample(1, 1)).topic
    bad = [
        IncomingMessage(topic, b"not json"),
        IncomingMessage(topic, b'{"seq": 1, "ts": "2026-12-07T08:00:00Z", "signals": {"Vehicle.Speed": NaN}}'),
        IncomingMessage("forecourt/v1/vehicles/nope/telemetry", b"{}"),
        message("LVSHFFAL6JS999999", sample(1, 1)),  # a VIN no car of the fleet has
        message(car.vin, sample(7, 7), {"seq": "x", "ts": "", "signals": {}}, batch=True),  # one good, one bad
    ]
    report = store_batch(db_session, bad, NOW)
    assert (report.stored, report.dead_letters) == (1, 5)
    letters = {(d.code, d.sample_index) for d in db_session.scalars(select(DeadLetter))}
    assert letters == {
        ("not_json", None),
        ("not_finite", None),
        ("bad_topic", None),
        ("unknown_vehicle", None),
        ("bad_seq", 1),
    }
    again = store_batch(db_session, bad, NOW)  # the broker redelivers: nothing new is recorded
    assert (again.stored, again.dead_letters, again.refused) == (0, 0, 5)
    assert db_session.scalar(select(func.count()).select_from(DeadLetter)) == 5


def test_oversized_payloads_keep_only_their_first_bytes(db_session: Session) -> None:
    (car,) = provisioned_cars(db_session)
    huge = IncomingMessage(message(car.vin, sample(1, 1)).topic, b"x" * 300_000)
    store_batch(db_session, [huge], NOW)
    letter = db_session.scalars(select(DeadLetter)).one()
    assert letter.code == "too_large" and letter.payload_bytes == 300_000 and len(letter.payload) == 4096


def test_provisioning_keeps_only_a_hash_and_rotates(db_session: Session) -> None:
    (car,) = provisioned_cars(db_session)
    first = repository.credential_of(db_session, car.id).password_hash
    issued = service.provision(db_session, car.vin, NOW)
    credential = repository.credential_of(db_session, car.id)
    assert issued.rotated and credential.password_hash != first and credential.rotated_at == NOW
    assert issued.password not in credential.password_hash
    assert credentials.verify(issued.password, credential.password_hash)
    assert not credentials.verify(issued.password + "x", credential.password_hash)
    with pytest.raises(NotFound):
        service.provision(db_session, "LVSHFFAL2JS999999", NOW)  # a valid VIN of no car here


def test_monthly_partitions_on_postgresql(db_session: Session, backend: str) -> None:
    if backend != "postgresql":
        pytest.skip("partitions are PostgreSQL's")
    (car,) = provisioned_cars(db_session)
    store_batch(db_session, [message(car.vin, {"seq": 1, "ts": "2026-11-30T23:59:59Z", "signals": {SPEED: 1}})], NOW)
    store_batch(db_session, [message(car.vin, {"seq": 2, "ts": "2026-12-01T00:00:00Z", "signals": {SPEED: 1}})], NOW)
    rows = db_session.execute(text("SELECT tableoid::regclass::text, seq FROM telemetry_samples ORDER BY seq")).all()
    assert rows == [("telemetry_samples_y2026m11", 1), ("telemetry_samples_y2026m12", 2)]
    assert partitions.partition_name(2026, 12) == "telemetry_samples_y2026m12"


def test_within_one_batch_the_state_keeps_the_last_reported_value_of_each_signal(db_session: Session) -> None:
    """The newest sample reports no codes and no position: the state takes them from the batch's earlier ones, and
    the fault-code intervals and the state agree, so a later sample with no codes closes the interval."""
    (car,) = provisioned_cars(db_session)
    batch = [
        sample(1, 1, **{DTC_LIST: ["P0301"], LATITUDE: 23.1, LONGITUDE: 113.2}),
        sample(2, 2, **{SPEED: 40.0}),
    ]
    store_batch(db_session, [message(car.vin, *batch)], NOW)  # first sight of the car
    state = db_session.get(VehicleState, car.id)
    assert (state.seq, state.dtcs, state.latitude, state.position_at, state.speed_kmh) == (
        2,
        ["P0301"],
        23.1,
        _ts(1),
        40.0,
    )
    store_batch(
        db_session, [message(car.vin, sample(3, 3, **{DTC_LIST: ["P0420"]}), sample(4, 4, **{SPEED: 1.0}))], NOW
    )
    assert db_session.get(VehicleState, car.id).dtcs == ["P0420"]
    store_batch(db_session, [message(car.vin, sample(5, 5, **{DTC_LIST: []}))], NOW)
    assert repository.open_fault_codes(db_session, car.id) == set()
    intervals = {(i.code, i.opened_at, i.closed_at) for i in repository.fault_code_intervals(db_session, car.id)}
    assert intervals == {("P0301", _ts(1), _ts(3)), ("P0420", _ts(3), _ts(5))}
