"""Watching a car that is out: each rule's alert is stored once per watch, tells the store once (through the
outbox, in the same transaction), whatever replays, and nothing is raised before the watch starts or after it ends."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from forecourt.core.errors import Conflict
from forecourt.core.outbox import OutboxMessage
from forecourt.telematics import service
from forecourt.telematics.signals import DTC_LIST, FUEL_LEVEL, LATITUDE, LONGITUDE, SPEED
from forecourt.telematics.watching import repository
from forecourt.telematics.watching import service as watching
from forecourt.telematics.watching.models import VehicleWatch, WatchAlert
from forecourt.telematics.watching.rules import Circle, WatchRules
from tests.telematics.factories import NOW, at, message, provisioned_cars, sample

STORE = (23.129110, 113.264385)  # the factories' store
KM_NORTH = 1 / 111.195  # degrees of latitude per km on the mean-radius sphere
RULES = WatchRules(
    geofence=Circle(STORE, 50_000.0),
    speed_limit_kmh=120.0,
    low_fuel_pct=15.0,
    new_fault_codes=True,
    return_due_at=at(180),
)


def _watch(session: Session, vin_index: int = 0, rules: WatchRules = RULES, **changes: object) -> tuple[str, int]:
    car = provisioned_cars(session)[vin_index]
    start = watching.WatchStart(
        subject=f"test_drive:T{car.id}",
        vehicle_id=car.id,
        store_id=car.store_id,
        rules=rules,
        notify=("duty@store.test", "manager@store.test"),
        link=f"/backoffice/test-drives/T{car.id}",
    )
    watching.start_watch(session, start, changes.get("now", at(0)))  # type: ignore[arg-type]
    return car.vin, car.id


def _at_km_north(km: float) -> dict[str, float]:
    return {LATITUDE: STORE[0] + km * KM_NORTH, LONGITUDE: STORE[1]}


def _alerts(session: Session) -> list[str]:
    return sorted(session.scalars(select(WatchAlert.key)))


def _notices(session: Session) -> list[OutboxMessage]:
    return list(session.scalars(select(OutboxMessage).where(OutboxMessage.channel == "email")))


def test_each_rule_raises_once_and_tells_every_address_once(db_session: Session) -> None:
    vin, _ = _watch(db_session)
    drive = [
        sample(1, 1, **_at_km_north(10), **{SPEED: 120.0, FUEL_LEVEL: 15.0}),  # at the limits: nothing
        sample(2, 2, **_at_km_north(60), **{SPEED: 120.5, FUEL_LEVEL: 14.9, DTC_LIST: ["P0301"]}),
        sample(3, 3, **_at_km_north(70), **{SPEED: 150.0, FUEL_LEVEL: 10.0, DTC_LIST: ["P0301", "P0420"]}),
    ]
    report = service.store_batch(db_session, [message(vin, *drive)], NOW)
    assert report.alerts == 5
    assert _alerts(db_session) == ["fault_code:P0301", "fault_code:P0420", "geofence_exit", "low_fuel", "overspeed"]
    assert len(_notices(db_session)) == 10  # five alerts, two addresses
    first = db_session.scalar(select(WatchAlert).where(WatchAlert.key == "geofence_exit"))
    assert first.raised_at == at(2) and first.details["radius_m"] == 50_000.0
    assert 59_500 < first.details["distance_m"] < 60_500

    replayed = service.store_batch(db_session, [message(vin, *drive), message(vin, *reversed(drive))], NOW)
    assert replayed.alerts == 0 and len(_notices(db_session)) == 10


def test_the_notice_says_what_happened_in_both_languages(db_session: Session) -> None:
    vin, _ = _watch(db_session)
    service.store_batch(db_session, [message(vin, sample(1, 5, **_at_km_north(55)))], NOW)
    notice = _notices(db_session)[0]
    assert notice.recipient == "duty@store.test"
    assert "驶出电子围栏 / Left the area" in notice.subject
    assert "outside the 50.0 km area" in notice.body and "已超出 50.0 公里范围" in notice.body
    assert "/backoffice/test-drives/T" in notice.body
    assert f"{STORE[0]:.3f}" not in notice.body  # the position itself stays in the back office


def test_codes_open_at_the_start_are_not_new(db_session: Session) -> None:
    car = provisioned_cars(db_session)[0]
    service.store_batch(db_session, [message(car.vin, sample(1, -30, **{DTC_LIST: ["P0128"]}))], NOW)
    start = watching.WatchStart("test_drive:OLD", car.id, car.store_id, RULES, ("a@b.test",), "/x")
    watch = watching.start_watch(db_session, start, at(0))
    assert watch.codes_at_start == ["P0128"]
    service.store_batch(db_session, [message(car.vin, sample(2, 10, **{DTC_LIST: ["P0128", "P0171"]}))], NOW)
    assert _alerts(db_session) == ["fault_code:P0171"]


def test_samples_before_the_start_or_after_the_end_raise_nothing(db_session: Session) -> None:
    vin, _ = _watch(db_session, now=at(10))
    service.store_batch(db_session, [message(vin, sample(1, 9, **{SPEED: 200.0}))], NOW)  # before the hand-over
    assert _alerts(db_session) == []
    service.store_batch(db_session, [message(vin, sample(2, 10, **{SPEED: 121.0}))], NOW)  # from the hand-over
    assert _alerts(db_session) == ["overspeed"]
    ended = watching.end_watch(db_session, db_session.scalar(select(VehicleWatch.subject)), at(20))
    assert ended is not None and ended.closed_at == at(20)
    service.store_batch(db_session, [message(vin, sample(3, 30, **_at_km_north(90)))], NOW)
    assert _alerts(db_session) == ["overspeed"]
    assert watching.end_watch(db_session, ended.subject, at(40)).closed_at == at(20)  # ending twice: no change
    assert watching.end_watch(db_session, "test_drive:NEVER", at(40)) is None


def test_overdue_only_after_the_return_time_and_once(db_session: Session) -> None:
    _watch(db_session)
    assert watching.raise_overdue(db_session, at(180)) == 0  # exactly at the return time: not yet late
    assert watching.raise_overdue(db_session, at(180) + timedelta(seconds=1)) == 1
    assert watching.raise_overdue(db_session, at(240)) == 0
    assert _alerts(db_session) == ["overdue"]
    body = _notices(db_session)[0].body
    assert "2026-12-07 19:00" in body  # the return time (11:00 UTC) in the store's zone


def test_a_closed_watch_is_never_overdue(db_session: Session) -> None:
    _watch(db_session)
    watching.end_watch(db_session, db_session.scalar(select(VehicleWatch.subject)), at(100))
    assert watching.raise_overdue(db_session, at(500)) == 0


def test_one_open_watch_per_car_and_starting_again_is_harmless(db_session: Session) -> None:
    vin, vehicle_id = _watch(db_session)
    watch = db_session.scalar(select(VehicleWatch))
    again = watching.WatchStart(watch.subject, vehicle_id, watch.store_id, RULES, (), "/x")
    assert watching.start_watch(db_session, again, at(50)).id == watch.id
    other = watching.WatchStart("rental:R1", vehicle_id, watch.store_id, RULES, (), "/x")
    with pytest.raises(Conflict) as refused:
        watching.start_watch(db_session, other, at(50))
    assert refused.value.code == "vehicle_already_watched"
    watching.end_watch(db_session, watch.subject, at(60))
    assert watching.start_watch(db_session, other, at(70)).closed_at is None  # back, and out again


def test_the_database_keeps_one_alert_per_key(db_session: Session) -> None:
    _watch(db_session)
    watch_id = db_session.scalar(select(VehicleWatch.id))
    row = {"watch_id": watch_id, "key": "overspeed", "kind": "overspeed", "raised_at": at(1), "recorded_at": NOW}
    assert repository.insert_alert(db_session, {**row, "details": {}}) is True
    assert repository.insert_alert(db_session, {**row, "raised_at": at(2), "details": {}}) is False
    assert db_session.scalar(select(func.count()).select_from(WatchAlert)) == 1


def test_views_list_alerts_oldest_first(db_session: Session) -> None:
    vin, _ = _watch(db_session)
    service.store_batch(
        db_session,
        [message(vin, sample(2, 20, **{SPEED: 130.0}), sample(1, 10, **_at_km_north(80)))],
        NOW,
    )
    subject = db_session.scalar(select(VehicleWatch.subject))
    view = watching.watch_views(db_session, [subject, "test_drive:NONE"])
    assert list(view) == [subject]
    assert [alert.kind for alert in view[subject].alerts] == ["geofence_exit", "overspeed"]
    assert watching.alert_counts(db_session, [subject]) == {subject: 2}
