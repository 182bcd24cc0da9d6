"""Shared set-up of the test-drive tests: a small fleet, a shopper, store staff, a pinned clock."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from forecourt.integrations import DEMO_ID_HIGH_SCORE, DEMO_ID_LOW_SCORE
from tests.factories import auth_headers, make_small_catalog, make_token, make_user, make_vehicle

NOW = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)  # 08:00 in Guangzhou
SLOT = "2026-12-02T10:00:00+08:00"
LATER_SLOT = "2026-12-02T14:00:00+08:00"
HIGH_SCORE_ID = DEMO_ID_HIGH_SCORE
LOW_SCORE_ID = DEMO_ID_LOW_SCORE
HOLDS = "/api/v1/test-drives/holds"
BOOKINGS = "/api/v1/test-drives/bookings"
VERIFY = "/api/v1/me/driver-verification"


@dataclass
class Fleet:
    catalog: dict
    dealer_cars: list  # two Mondeos at gz-tianhe (accompanied)
    self_service_car: object  # one Mondeo at gz-self-service
    shopper: dict[str, str]
    other_shopper: dict[str, str]
    staff: dict[str, str]  # staff of gz-tianhe and gz-self-service
    outsider_staff: dict[str, str]  # staff of sh-pudong only
    shopper_id: int = 0
    staff_id: int = 0


def make_fleet(session: Session) -> Fleet:
    catalog = make_small_catalog(session)
    trim = catalog["trims"]["mondeo-ecoboost180"]
    stores = catalog["stores"]
    dealer_cars = [make_vehicle(session, trim, stores["gz-tianhe"], test_drive_fleet=True) for _ in range(2)]
    self_service_car = make_vehicle(session, trim, stores["gz-self"], test_drive_fleet=True)
    shopper = make_user(session, roles=[("shopper", None)], email="driver@example.test")
    shopper.mobile = "13800138000"
    other = make_user(session, roles=[("shopper", None)], email="other@example.test")
    staff = make_user(session, roles=[("store_staff", stores["gz-tianhe"].id), ("store_staff", stores["gz-self"].id)])
    outsider = make_user(session, roles=[("store_staff", stores["sh-pudong"].id)])
    session.flush()
    fleet = Fleet(
        catalog,
        dealer_cars,
        self_service_car,
        auth_headers(make_token(session, shopper)),
        auth_headers(make_token(session, other)),
        auth_headers(make_token(session, staff)),
        auth_headers(make_token(session, outsider)),
        shopper.id,
        staff.id,
    )
    session.commit()
    return fleet


def key() -> dict[str, str]:
    return {"Idempotency-Key": str(uuid.uuid4())}


def verify(client, headers: dict[str, str], id_number: str = HIGH_SCORE_ID, name: str = "Li Lei") -> dict:
    response = client.post(
        VERIFY, json={"full_name": name, "id_number": id_number, "licence_expiry": "2030-01-01"}, headers=headers
    )
    assert response.status_code == 200, response.text
    return response.json()


def hold(client, headers: dict[str, str], **body) -> object:
    body.setdefault("start", SLOT)
    return client.post(HOLDS, json=body, headers={**headers, **key()})


def confirm(client, headers: dict[str, str], reference: str, **body) -> object:
    return client.post(f"{BOOKINGS}/{reference}/confirm", json=body, headers={**headers, **key()})
