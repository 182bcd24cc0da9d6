"""A licence is judged against the drive it is for: at the verify step when the shopper names the drive, and at
confirm for the licence on file; a refused confirm says how to go on, and a new verification replaces the old.

The drive of these tests starts at 10:00 on 2 December 2026 in Guangzhou (tests/testdrive/helpers.SLOT)."""

from __future__ import annotations

import pytest

from tests.testdrive.helpers import BOOKINGS, HIGH_SCORE_ID, VERIFY, confirm, hold


def _verify(client, headers, expiry: str, test_drive: str | None = None):
    body = {"full_name": "Li Lei", "id_number": HIGH_SCORE_ID, "licence_expiry": expiry}
    if test_drive:
        body["test_drive"] = test_drive
    return client.post(VERIFY, json=body, headers=headers)


@pytest.mark.parametrize(
    ("kind", "vin_of", "extra", "last_day"),
    [
        ("accompanied", "dealer", {"minutes": 60}, "2026-12-02"),
        ("self_service", "self", {"days": 2}, "2026-12-04"),  # back at 10:00 two days later
    ],
)
def test_verify_for_a_drive_accepts_a_licence_valid_on_its_last_local_day_only(
    client, fleet, kind, vin_of, extra, last_day
):
    vin = fleet.dealer_cars[0].vin if vin_of == "dealer" else fleet.self_service_car.vin
    reference = hold(client, fleet.shopper, vin=vin, kind=kind, **extra).json()["reference"]
    day_before = f"{last_day[:8]}{int(last_day[8:]) - 1:02d}"
    refused = _verify(client, fleet.shopper, day_before, reference)
    assert refused.status_code == 422, refused.text
    problem = refused.json()
    assert problem["code"] == "licence_expires_before_drive" and problem["drive_ends_on"] == last_day
    assert [e["field"] for e in problem["errors"]] == ["licence_expiry"]
    assert client.get(VERIFY, headers=fleet.shopper).status_code == 404  # nothing stored
    accepted = _verify(client, fleet.shopper, last_day, reference)
    assert accepted.status_code == 200 and accepted.json()["licence_expiry"] == last_day


def test_a_refused_replacement_keeps_the_licence_on_file(client, fleet):
    assert _verify(client, fleet.shopper, "2030-01-01").status_code == 200
    reference = hold(client, fleet.shopper, vin=fleet.dealer_cars[0].vin).json()["reference"]
    assert _verify(client, fleet.shopper, "2026-12-01", reference).status_code == 422
    mine = client.get(VERIFY, headers=fleet.shopper).json()
    assert (mine["licence_expiry"], mine["verified"]) == ("2030-01-01", True)


def test_someone_elses_drive_cannot_be_named(client, fleet):
    reference = hold(client, fleet.shopper, vin=fleet.dealer_cars[0].vin).json()["reference"]
    assert _verify(client, fleet.other_shopper, "2030-01-01", reference).status_code == 404


def test_a_refused_confirm_says_what_to_do_and_a_replacement_then_confirms(client, fleet):
    assert _verify(client, fleet.shopper, "2026-12-01").status_code == 200  # no drive named: on file as given
    reference = hold(client, fleet.shopper, vin=fleet.dealer_cars[0].vin).json()["reference"]
    refused = confirm(client, fleet.shopper, reference)
    assert refused.status_code == 409
    problem = refused.json()
    assert problem["code"] == "licence_expires_before_drive" and problem["drive_ends_on"] == "2026-12-02"
    assert problem["next_step"] == {
        "action": "verify_licence",
        "method": "POST",
        "href": VERIFY,
        "test_drive": reference,
    }
    assert "then confirm again" in problem["detail"]
    assert _verify(client, fleet.shopper, "2026-12-02", reference).status_code == 200  # the replacement
    confirmed = confirm(client, fleet.shopper, reference)
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "confirmed"


def test_cancelling_and_booking_again_is_no_trap(client, fleet):
    assert _verify(client, fleet.shopper, "2026-12-01").status_code == 200
    first = hold(client, fleet.shopper, vin=fleet.dealer_cars[0].vin).json()["reference"]
    assert confirm(client, fleet.shopper, first).json()["code"] == "licence_expires_before_drive"
    cancelled = client.post(f"{BOOKINGS}/{first}/cancel", json={}, headers=fleet.shopper)
    assert cancelled.status_code == 200
    again = hold(client, fleet.shopper, vin=fleet.dealer_cars[0].vin).json()["reference"]
    refused = confirm(client, fleet.shopper, again)
    assert refused.status_code == 409 and refused.json()["next_step"]["test_drive"] == again
    assert _verify(client, fleet.shopper, "2031-06-30", again).status_code == 200
    assert confirm(client, fleet.shopper, again).status_code == 200
