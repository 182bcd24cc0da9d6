"""Vehicle status lifecycle: the pure transition table, and POST /api/v1/vehicles/{vin}/status on both backends."""

from __future__ import annotations

import itertools

import pytest

from forecourt.catalog.lifecycle import ALLOWED_TRANSITIONS, IllegalTransition, VehicleStatus, check_transition
from forecourt.catalog.vin import build_vin
from tests.factories import make_small_catalog, make_vehicle

S = VehicleStatus
# The business rule, written out by hand: staying put is always fine; sold is final; in_service (the rental and
# subscription fleets) is reached and left only by a fleet-pool move, never by a status change.
LEGAL = {
    (S.IN_TRANSIT, S.IN_TRANSIT),
    (S.IN_TRANSIT, S.AVAILABLE),
    (S.AVAILABLE, S.AVAILABLE),
    (S.AVAILABLE, S.RESERVED),
    (S.AVAILABLE, S.IN_TRANSIT),
    (S.RESERVED, S.RESERVED),
    (S.RESERVED, S.AVAILABLE),
    (S.RESERVED, S.SOLD),
    (S.SOLD, S.SOLD),
    (S.IN_SERVICE, S.IN_SERVICE),
}
ALL_PAIRS = list(itertools.product(VehicleStatus, repeat=2))


def test_table_covers_every_status():
    assert set(ALLOWED_TRANSITIONS) == set(VehicleStatus)
    assert len(ALL_PAIRS) == 25


@pytest.mark.parametrize(("current", "target"), ALL_PAIRS, ids=[f"{c.value}->{t.value}" for c, t in ALL_PAIRS])
def test_transition_pair(current, target):
    if (current, target) in LEGAL:
        check_transition(current, target)
        return
    with pytest.raises(IllegalTransition) as info:
        check_transition(current, target)
    message = str(info.value)
    assert f"from {current.value} to {target.value}" in message
    assert info.value.current is current and info.value.target is target
    if S.IN_SERVICE in (current, target):
        assert "by a fleet-pool move" in message
    elif current is S.SOLD:
        assert "sold is final" in message
    else:
        allowed = sorted(t.value for c, t in LEGAL if c is current and t is not current)
        assert f"allowed next: {', '.join(allowed)}" in message


def test_illegal_transition_is_a_value_error():
    assert issubclass(IllegalTransition, ValueError)


# --- API ---------------------------------------------------------------------------------------------------


V = "/api/v1/vehicles"


@pytest.fixture
def vehicle_in(db_session):
    cat = make_small_catalog(db_session)

    def make(status: str):
        pool = "rental" if status == S.IN_SERVICE.value else None  # the table checks that pool and status agree
        trim, store = cat["trims"]["kuga-ecoboost245"], cat["stores"]["gz-tianhe"]
        vehicle = make_vehicle(db_session, trim, store, status=status, pool=pool)
        db_session.commit()
        return vehicle

    return make


def _post(client, vin, status):
    return client.post(f"{V}/{vin}/status", json={"status": status})


def _assert_problem(response, status, code):
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["code"] == code and body["status"] == status
    assert body["title"] and body["detail"]
    return body


def test_api_every_pair(admin_client, vehicle_in):
    """All 25 (current, target) pairs through the API, one fresh vehicle each, on one catalog."""
    for current, target in ALL_PAIRS:
        vehicle = vehicle_in(current.value)
        response = _post(admin_client, vehicle.vin, target.value)
        if (current, target) in LEGAL:
            assert response.status_code == 200, (current, target, response.text)
            assert response.json()["status"] == target.value and response.json()["vin"] == vehicle.vin
        else:
            body = _assert_problem(response, 409, "illegal_status_transition")
            assert f"from {current.value} to {target.value}" in body["detail"]
            assert body["current"] == current.value
        expected = target if (current, target) in LEGAL else current
        assert admin_client.get(f"{V}/{vehicle.vin}").json()["status"] == expected.value, (current, target)


def test_api_walks_the_whole_lifecycle(admin_client, vehicle_in):
    vin = vehicle_in("in_transit").vin
    for target in ("available", "reserved", "available", "reserved", "sold"):
        response = _post(admin_client, vin, target)
        assert response.status_code == 200, response.text
    _assert_problem(_post(admin_client, vin, "available"), 409, "illegal_status_transition")


def test_api_accepts_lowercase_vin(admin_client, vehicle_in):
    vehicle = vehicle_in("available")
    response = _post(admin_client, vehicle.vin.lower(), "reserved")
    assert response.status_code == 200, response.text
    assert response.json()["vin"] == vehicle.vin


def test_api_unknown_vin_is_404(admin_client, vehicle_in):
    vehicle_in("available")
    unknown = build_vin("LVS", "HCAMB", 2018, "Z", 999_999)
    body = _assert_problem(_post(admin_client, unknown, "reserved"), 404, "vehicle_not_found")
    assert unknown in body["detail"]


@pytest.mark.parametrize(
    ("vin", "fragment"),
    [
        ("LVSHCAMB9JZ00012", "got 16"),
        ("LVSHCAMB9JZ0001I3", "position 16"),
        ("LVSHCAMB0JZ000123", "check digit is 0 but the other characters require 9"),
        ("LVSHCAMB9JZ00012%2A", "'*'"),
    ],
)
def test_api_malformed_vin_is_422_naming_the_problem(admin_client, vehicle_in, vin, fragment):
    vehicle_in("available")
    body = _assert_problem(_post(admin_client, vin, "reserved"), 422, "invalid_vin")
    assert fragment in body["detail"]
    assert body["errors"][0]["field"] == "vin"
    assert fragment in body["errors"][0]["message"]


def test_api_unknown_status_lists_allowed_values(admin_client, vehicle_in):
    vehicle = vehicle_in("available")
    body = _assert_problem(_post(admin_client, vehicle.vin, "scrapped"), 422, "validation_error")
    message = body["errors"][0]["message"]
    assert body["errors"][0]["field"] == "status"
    for status in VehicleStatus:
        assert status.value in message
