"""What a shopper sees of a test drive they took: the distance by the odometer readings and, when the car reported
positions while it was out, the route on a map (read from telematics between check-out and check-in). Only the
booking's owner sees it; the marketing event of a drive taken carries the distance."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from forecourt.core import clock
from forecourt.core.outbox import OutboxMessage
from forecourt.marketing.events import record_platform_event
from forecourt.marketing.models import MarketingEvent
from forecourt.telematics import service as telematics
from forecourt.telematics.signals import IGNITION, LATITUDE, LONGITUDE, ODOMETER, SPEED, telemetry_topic
from forecourt.testdrive import handover
from forecourt.testdrive.models import TestDriveBooking
from tests.backoffice.helpers import sign_in
from tests.testdrive.helpers import BOOKINGS, NOW, Fleet, confirm, hold, make_fleet, verify

OUT_AT = NOW + timedelta(hours=26)  # 10:00 in Guangzhou on the 2nd: the slot's start
IN_AT = OUT_AT + timedelta(minutes=50)


@pytest.fixture
def fleet(db_session: Session, client) -> Fleet:
    client.headers["Accept-Language"] = "en"
    with clock.pinned(NOW):
        yield make_fleet(db_session)


def completed_drive(client, fleet: Fleet, kind: str = "accompanied", odometer_in: int = 12_042) -> str:
    """A drive booked, confirmed, checked out (12,000 km) and checked in (`odometer_in`) through the API."""
    car = fleet.self_service_car if kind == "self_service" else fleet.dealer_cars[0]
    with clock.pinned(NOW):
        verify(client, fleet.shopper)
        held = hold(client, fleet.shopper, vin=car.vin, kind=kind)
        assert held.status_code == 201, held.text
        reference = held.json()["reference"]
        code = confirm(client, fleet.shopper, reference).json().get("pickup_code")
    with clock.pinned(OUT_AT):
        reading = {"odometer_km": 12_000, "energy_percent": 80, **({"pickup_code": code} if code else {})}
        out = client.post(f"{BOOKINGS}/{reference}/check-out", json=reading, headers=fleet.staff)
        assert out.status_code == 200, out.text
    with clock.pinned(IN_AT):
        back = client.post(
            f"{BOOKINGS}/{reference}/check-in",
            json={"odometer_km": odometer_in, "energy_percent": 60},
            headers=fleet.staff,
        )
        assert back.status_code == 200, back.text
    return reference


def report_positions(session: Session, vin: str) -> None:
    """The car's telemetry: one fix before check-out and one after check-in (neither is the shopper's), and three
    while it was out, ~2 km apart in a line north."""

    def fix(seq: int, at: datetime, latitude: float, odometer_m: int) -> dict:
        signals = {IGNITION: "ON", LATITUDE: latitude, LONGITUDE: 113.30, SPEED: 40.0, ODOMETER: odometer_m}
        return {"seq": seq, "ts": at.isoformat(), "signals": signals}

    telematics.provision(session, vin, NOW)
    samples = [
        fix(1, OUT_AT - timedelta(hours=3), 22.50, 11_990_000),  # someone else's drive
        fix(2, OUT_AT + timedelta(minutes=5), 23.10, 12_001_000),
        fix(3, OUT_AT + timedelta(minutes=20), 23.11, 12_020_000),
        fix(4, OUT_AT + timedelta(minutes=40), 23.12, 12_040_000),
        fix(5, IN_AT + timedelta(hours=2), 24.00, 12_100_000),  # after the car came back
    ]
    body = json.dumps({"samples": samples}).encode()
    telematics.store_batch(session, [telematics.IncomingMessage(telemetry_topic(vin), body)], IN_AT)
    session.commit()


def owner(session: Session):
    from forecourt.accounts.models import User

    return session.scalars(select(User).where(User.email == "driver@example.test")).one()


def other_shopper(session: Session):
    from forecourt.accounts.models import User

    return session.scalars(select(User).where(User.email == "other@example.test")).one()


@pytest.mark.parametrize("kind", ["accompanied", "self_service"])
def test_the_owner_sees_the_route_and_the_distance(client, fleet: Fleet, db_session: Session, kind: str) -> None:
    reference = completed_drive(client, fleet, kind)
    car = fleet.self_service_car if kind == "self_service" else fleet.dealer_cars[0]
    report_positions(db_session, car.vin)
    sign_in(client, owner(db_session))
    with clock.pinned(IN_AT + timedelta(days=1)):
        page = client.get(f"/test-drives/{reference}")
    assert page.status_code == 200, page.text[:500]
    route = page.text.split('id="drive-route"', 1)[1].split("</section>", 1)[0]
    assert re.search(r'id="distance-driven">42\s*km<', route)  # 12,042 − 12,000
    assert re.search(r'id="gps-distance">2(\.2)?\s*km<', route)  # the three fixes of the drive, ~2.2 km
    (points,) = re.findall(r'class="route-map-track" points="([^"]+)"', route)
    assert len(points.split()) == 3  # the fixes before check-out and after check-in are not the shopper's
    assert "The route of your test drive" in route
    with clock.pinned(IN_AT + timedelta(days=1)):
        zh = client.get(f"/test-drives/{reference}?lang=zh-Hans").text
    assert "您的试驾路线" in zh and "行驶里程" in zh


def test_another_shopper_gets_404(client, fleet: Fleet, db_session: Session) -> None:
    reference = completed_drive(client, fleet)
    report_positions(db_session, fleet.dealer_cars[0].vin)
    sign_in(client, other_shopper(db_session))
    page = client.get(f"/test-drives/{reference}")
    assert page.status_code == 404
    assert "route-map" not in page.text and "23.1" not in page.text


def test_a_drive_without_telemetry_shows_the_distance_but_no_map(client, fleet: Fleet, db_session: Session) -> None:
    reference = completed_drive(client, fleet, odometer_in=12_007)
    sign_in(client, owner(db_session))
    page = client.get(f"/test-drives/{reference}").text
    route = page.split('id="drive-route"', 1)[1].split("</section>", 1)[0]
    assert re.search(r'id="distance-driven">7\s*km<', route)
    assert 'id="no-route"' in route and "<svg" not in page and 'id="gps-distance"' not in route


def test_a_drive_not_taken_yet_shows_no_route(client, fleet: Fleet, db_session: Session) -> None:
    with clock.pinned(NOW):
        verify(client, fleet.shopper)
        reference = hold(client, fleet.shopper, vin=fleet.dealer_cars[0].vin).json()["reference"]
        confirm(client, fleet.shopper, reference)
        sign_in(client, owner(db_session))
        page = client.get(f"/test-drives/{reference}")
    assert page.status_code == 200 and 'id="drive-route"' not in page.text


def _event_of(session: Session, reference: str, kind: str) -> dict:
    session.expire_all()
    bodies = [
        json.loads(m.body) for m in session.scalars(select(OutboxMessage).where(OutboxMessage.channel == "event"))
    ]
    (body,) = [b for b in bodies if b["event_id"] == f"platform:{kind}:{reference}"]
    return body


def test_the_drive_taken_event_carries_the_distance_and_marketing_accepts_it(
    client, fleet: Fleet, db_session: Session
) -> None:
    reference = completed_drive(client, fleet, odometer_in=12_042)
    taken = _event_of(db_session, reference, "test_drive_taken")
    assert taken["distance_km"] == 42
    assert "distance_km" not in _event_of(db_session, reference, "test_drive_booked")
    assert record_platform_event(db_session, taken) is True  # what the relay does with it: stored, not refused
    stored = db_session.scalars(select(MarketingEvent).where(MarketingEvent.event_id == taken["event_id"])).one()
    assert stored.type == "test_drive_taken" and stored.subject == reference


def test_without_both_readings_the_distance_is_left_out(client, fleet: Fleet, db_session: Session) -> None:
    reference = completed_drive(client, fleet)
    booking = db_session.scalars(select(TestDriveBooking).where(TestDriveBooking.reference == reference)).one()
    booking.odometer_out_km = None  # a drive checked out before readings were recorded
    db_session.execute(
        OutboxMessage.__table__.delete().where(OutboxMessage.body.contains(f"platform:test_drive_taken:{reference}"))
    )
    handover.conversion_event(db_session, booking, "test_drive_taken", IN_AT)
    assert "distance_km" not in _event_of(db_session, reference, "test_drive_taken")
