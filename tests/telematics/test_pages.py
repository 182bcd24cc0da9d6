"""The back-office telemetry page of a car: its states (never reported, reporting with and without fault codes, several
trips, a trip chosen), the refusals of a bad `trip`, who may see it, and the audit row every view writes."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from forecourt.audit.models import AuditEvent
from forecourt.catalog.models import Vehicle
from forecourt.telematics.service import store_batch
from forecourt.telematics.signals import DTC_LIST, IGNITION, LATITUDE, LONGITUDE, ODOMETER, SPEED
from tests.backoffice.helpers import sign_in
from tests.factories import make_user
from tests.telematics.factories import NOW, message, provisioned_cars, sample

pytestmark = pytest.mark.pinned_clock(NOW)


@dataclass
class Cast:
    car: Vehicle
    staff: object
    admin: object
    other_staff: object
    shopper: object


@pytest.fixture
def cast(db_session: Session) -> Cast:
    (car,) = provisioned_cars(db_session)
    (elsewhere,) = provisioned_cars(db_session)  # another store
    people = Cast(
        car,
        make_user(db_session, roles=[("store_staff", car.store_id)]),
        make_user(db_session, roles=[("admin", None)]),
        make_user(db_session, roles=[("store_staff", elsewhere.store_id)]),
        make_user(db_session, roles=[("shopper", None)]),
    )
    db_session.commit()
    return people


def url(car: Vehicle, query: str = "") -> str:
    return f"/backoffice/vehicles/{car.vin}/telemetry{query}"


def two_trips(session: Session, car: Vehicle, *, codes: list[str] | None = None) -> None:
    """Trip 1 (08:00–08:02): 1 km by the odometer, ~1 km by GPS. Trip 2 (08:30–08:32): the odometer says 5 km but
    the GPS track is ~1 km long, so the page flags the disagreement. With `codes`, trip 2 reports those codes."""
    first = [
        sample(1, 0, **{IGNITION: "ON", ODOMETER: 10_000, LATITUDE: 23.100, LONGITUDE: 113.20, SPEED: 0.0}),
        sample(2, 1, **{ODOMETER: 10_500, LATITUDE: 23.1045, LONGITUDE: 113.20, SPEED: 50.0}),
        sample(3, 2, **{IGNITION: "LOCK", ODOMETER: 11_000, LATITUDE: 23.109, LONGITUDE: 113.20, SPEED: 0.0}),
    ]
    second = [
        sample(4, 30, **{IGNITION: "ON", ODOMETER: 11_000, LATITUDE: 23.109, LONGITUDE: 113.20, SPEED: 0.0}),
        sample(5, 31, **{ODOMETER: 13_000, LATITUDE: 23.109, LONGITUDE: 113.205, SPEED: 60.0, DTC_LIST: codes or []}),
        sample(6, 32, **{IGNITION: "LOCK", ODOMETER: 16_000, LATITUDE: 23.109, LONGITUDE: 113.21, SPEED: 0.0}),
    ]
    store_batch(session, [message(car.vin, *first, *second)], NOW)
    session.commit()


def views_of(session: Session, vin: str) -> list[AuditEvent]:
    session.expire_all()
    return list(
        session.scalars(
            select(AuditEvent).where(AuditEvent.action == "telemetry.viewed", AuditEvent.object_id == vin)
        ).all()
    )


def rows(html: str) -> list[str]:
    return (
        re.findall(r"<tr[^>]*>.*?</tr>", html.split('id="trips"', 1)[1], flags=re.S)[1:] if 'id="trips"' in html else []
    )


@pytest.fixture(autouse=True)
def english(client: TestClient) -> None:
    client.headers["Accept-Language"] = "en"  # the default language is Chinese; `?lang=zh-Hans` asks for it


def test_a_car_that_never_reported_says_so(client: TestClient, cast: Cast) -> None:
    sign_in(client, cast.staff)
    page = client.get(url(cast.car))
    assert page.status_code == 200, page.text[:500]
    assert 'id="tm-never-reported"' in page.text and "has not reported any telemetry yet" in page.text
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in page.text and "route-map-store" in page.text
    assert "route-map-track" not in page.text and 'id="trips"' not in page.text
    assert page.headers["cache-control"] == "no-store"
    zh = client.get(url(cast.car, "?lang=zh-Hans"))
    assert "这辆车还没有上报任何车联网数据" in zh.text


def test_latest_state_open_fault_codes_and_trips(client: TestClient, db_session: Session, cast: Cast) -> None:
    two_trips(db_session, cast.car, codes=["P0301", "P0420"])
    sign_in(client, cast.staff)
    page = client.get(url(cast.car))
    assert page.status_code == 200, page.text[:500]
    text = page.text
    state = text.split('id="tm-state"', 1)[1].split("</dl>", 1)[0]
    assert "16 km" in state  # 16,000 m on the odometer
    assert "Off" in state and "23.10900, 113.21000" in state and "fix of" in state
    assert "not reported" in state  # no fuel level in these samples
    faults = text.split('id="fault-codes"', 1)[1].split("</ul>", 1)[0]
    assert faults.index("P0301") < faults.index("P0420")  # severe first
    assert "Cylinder 1 misfire" in faults and "Check before driving on" in faults
    assert "Catalytic converter efficiency below threshold" in faults
    first, second = rows(text)
    assert "1 km" in first and "agree" in first and "disagree" not in first
    assert "5 km" in second and "disagree" in second and 'aria-current="true"' in second  # the latest is shown
    assert "route-map-track" in text and "Trip 2:" in text
    zh = client.get(url(cast.car, "?lang=zh-Hans")).text
    assert "第 1 缸缺火" in zh and "三元催化器效率低于阈值" in zh and "不一致" in zh


def test_a_reporting_car_without_fault_codes(client: TestClient, db_session: Session, cast: Cast) -> None:
    two_trips(db_session, cast.car)
    sign_in(client, cast.admin)
    page = client.get(url(cast.car))
    assert page.status_code == 200 and 'id="no-fault-codes"' in page.text and 'id="fault-codes"' not in page.text


def test_choosing_a_trip(client: TestClient, db_session: Session, cast: Cast) -> None:
    two_trips(db_session, cast.car)
    sign_in(client, cast.staff)
    latest = client.get(url(cast.car)).text
    chosen = client.get(url(cast.car, "?trip=1")).text
    assert "Trip 1:" in chosen and 'aria-current="true"' in rows(chosen)[0]
    track = re.compile(r'class="route-map-track" points="([^"]+)"')
    assert track.search(latest).group(1) != track.search(chosen).group(1)
    assert 'href="/backoffice/vehicles/' in rows(chosen)[1] and "trip=2" in rows(chosen)[1]


@pytest.mark.parametrize("trip", ["abc", "0", "-1", "1.5", str(2**63), ""])
def test_a_malformed_trip_is_a_4xx_page(client: TestClient, db_session: Session, cast: Cast, trip: str) -> None:
    two_trips(db_session, cast.car)
    sign_in(client, cast.staff)
    page = client.get(url(cast.car, f"?trip={trip}"))
    assert page.status_code == 422, page.text[:300]
    assert page.headers["content-type"].startswith("text/html")


def test_a_trip_that_is_not_there_is_a_404_that_shows_the_latest(
    client: TestClient, db_session: Session, cast: Cast
) -> None:
    two_trips(db_session, cast.car)
    sign_in(client, cast.staff)
    page = client.get(url(cast.car, "?trip=3"))
    assert page.status_code == 404 and 'id="no-such-trip"' in page.text and "Trip 2:" in page.text
    silent = client.get(url(provisioned_car_without_samples(db_session, cast), "?trip=1"))
    assert silent.status_code == 404 and 'id="tm-never-reported"' in silent.text


def provisioned_car_without_samples(session: Session, cast: Cast) -> Vehicle:
    (car,) = provisioned_cars(session)
    session.execute(Vehicle.__table__.update().where(Vehicle.id == car.id).values(store_id=cast.car.store_id))
    session.commit()
    return car


def test_who_may_see_the_page(client: TestClient, db_session: Session, cast: Cast) -> None:
    two_trips(db_session, cast.car)
    anonymous = client.get(url(cast.car), follow_redirects=False)
    assert anonymous.status_code == 303
    assert anonymous.headers["location"].startswith("/account/sign-in?next=/backoffice/vehicles/")
    for person, status in ((cast.shopper, 403), (cast.other_staff, 404), (cast.admin, 200), (cast.staff, 200)):
        client.cookies.clear()
        sign_in(client, person)
        answer = client.get(url(cast.car))
        assert answer.status_code == status, (person, answer.status_code)
        assert ("23.10900" in answer.text) is (status == 200)  # no position leaks into a refusal
    assert client.get("/backoffice/vehicles/NOTAVIN/telemetry").status_code in (404, 422)


def test_every_view_is_audited_and_refusals_are_not(client: TestClient, db_session: Session, cast: Cast) -> None:
    two_trips(db_session, cast.car)
    sign_in(client, cast.other_staff)
    client.get(url(cast.car))
    assert views_of(db_session, cast.car.vin) == []
    client.cookies.clear()
    sign_in(client, cast.staff)
    client.get(url(cast.car))
    client.get(url(cast.car, "?trip=1"))
    seen = views_of(db_session, cast.car.vin)
    assert [(v.actor_user_id, v.details["view"]) for v in seen] == [(cast.staff.id, "page")] * 2


def test_the_vehicle_page_links_to_the_telemetry(client: TestClient, cast: Cast) -> None:
    sign_in(client, cast.staff)
    page = client.get(f"/backoffice/vehicles/{cast.car.vin}")
    assert f'href="/backoffice/vehicles/{cast.car.vin}/telemetry"' in page.text


def test_a_tile_server_is_drawn_and_allowed_by_the_page_policy(
    client: TestClient, db_session: Session, cast: Cast
) -> None:
    two_trips(db_session, cast.car)
    settings = client.app.state.settings
    settings.map_tile_url = "https://tiles.example.test/{z}/{x}/{y}.png"
    try:
        sign_in(client, cast.staff)
        page = client.get(url(cast.car))
    finally:
        settings.map_tile_url = ""
    assert '<image href="https://tiles.example.test/' in page.text
    assert "img-src 'self' data: https://tiles.example.test;" in page.headers["content-security-policy"]
