"""The demo's recorded drives go through store_batch: idempotent, consistent trips, no broker."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from forecourt.telematics import query_service, repository
from forecourt.telematics.demo import load_telematics_demo
from forecourt.telematics.models import DeadLetter, TelemetrySample
from tests.factories import make_small_catalog, make_vehicle
from tests.telematics.factories import NOW


def test_self_service_cars_get_a_day_of_drives_once(db_session: Session) -> None:
    catalog = make_small_catalog(db_session)
    self_store, dealer = catalog["stores"]["gz-self"], catalog["stores"]["gz-tianhe"]
    for store in (self_store, self_store, dealer):
        make_vehicle(db_session, catalog["trims"]["kuga-ecoboost245"], store, test_drive_fleet=True)
    summary = load_telematics_demo(db_session, NOW)
    assert summary.startswith("telematics: 2 self-service car(s)")
    samples = db_session.scalar(select(func.count()).select_from(TelemetrySample))
    assert samples > 100 and db_session.scalar(select(func.count()).select_from(DeadLetter)) == 0
    assert load_telematics_demo(db_session, NOW).startswith("telematics: 0 ")
    assert db_session.scalar(select(func.count()).select_from(TelemetrySample)) == samples
    for vehicle_id in db_session.scalars(select(TelemetrySample.vehicle_id).distinct()):
        state = repository.get_state(db_session, vehicle_id)
        assert NOW - timedelta(hours=26) < state.ts <= NOW
        span = query_service.Window(NOW - timedelta(days=2), NOW)
        trips = query_service.trips_between(db_session, vehicle_id, span)
        assert trips and all(trip.gps_agrees for trip in trips)
