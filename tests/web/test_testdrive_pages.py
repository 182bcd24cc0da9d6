"""Test-drive pages through the TestClient: booking, verification, confirmation, cancel and reschedule for a
shopper; the calendar, handover forms and figures for staff; both languages; refusals shown on the page.

The clock is pinned (tests/testdrive/helpers.NOW: 08:00 on 1 December 2026 in Guangzhou). People sign in with
the session cookie, so every form post carries the CSRF token and the idempotency key the page rendered.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from forecourt.core import clock
from forecourt.core.outbox import OutboxMessage
from forecourt.identity.id_number import check_character
from forecourt.identity.models import DriverVerification
from forecourt.testdrive import policy as policies
from forecourt.testdrive.models import TestDriveBooking
from tests.backoffice.helpers import sign_in
from tests.factories import make_user
from tests.testdrive.helpers import HIGH_SCORE_ID, LATER_SLOT, LOW_SCORE_ID, NOW, SLOT, Fleet, make_fleet
from tests.web.testdrive_forms import BOOK, People, hidden, hold, page_with_csrf


@pytest.fixture
def fleet(db_session: Session) -> Iterator[Fleet]:
    with clock.pinned(NOW):
        yield make_fleet(db_session)


@pytest.fixture
def people(db_session: Session, fleet: Fleet) -> People:
    return People(db_session, fleet)


def _verify(client, reference: str, id_number: str = HIGH_SCORE_ID) -> None:
    _, csrf = page_with_csrf(client, f"/test-drives/{reference}")
    response = client.post(
        f"/test-drives/{reference}/verify",
        follow_redirects=False,
        data={
            "csrf_token": csrf,
            "full_name": "Li Lei",
            "id_number": id_number,
            "licence_expiry": "2030-01-01",
            "licence_class": "C1",
        },
    )
    assert response.status_code == 303 and response.headers["location"].endswith("notice=verified"), response.text[:800]


def _confirm(client, reference: str, **fields: str):
    page, csrf = page_with_csrf(client, f"/test-drives/{reference}")
    data = {"csrf_token": csrf, "idempotency_key": hidden(page, "idempotency_key"), **fields}
    return client.post(f"/test-drives/{reference}/confirm", data=data, follow_redirects=False), data


def _booking(session: Session, reference: str) -> TestDriveBooking:
    session.expire_all()
    return session.scalars(select(TestDriveBooking).where(TestDriveBooking.reference == reference)).one()


def test_a_fleet_car_page_offers_a_test_drive(client, fleet):
    with clock.pinned(NOW):
        page = client.get(f"/vehicles/{fleet.dealer_cars[0].vin}?lang=en").text
    assert f'href="/test-drives/book?vin={fleet.dealer_cars[0].vin}"' in page


@pytest.mark.parametrize(("lang", "heading"), [("en", "Book a test drive"), ("zh-Hans", "预约试驾")])
def test_the_slot_picker_lists_free_times_by_day(client, fleet, lang, heading):
    with clock.pinned(NOW):
        response = client.get(f"{BOOK}?vin={fleet.dealer_cars[0].vin}&lang={lang}")
    assert response.status_code == 200, response.text[:500]
    assert f'<html lang="{lang}">' in response.text and f"<h1>{heading}</h1>" in response.text
    assert 'value="2026-12-02T02:00:00+00:00"' in response.text  # 10:00 local on the 2nd
    assert 'value="self_service"' not in response.text  # a dealer offers accompanied drives only
    with clock.pinned(NOW):
        self_service = client.get(f"{BOOK}?vin={fleet.self_service_car.vin}&lang={lang}").text
    assert 'value="self_service" checked' in self_service and 'name="days"' in self_service  # fell back
    with clock.pinned(NOW):  # any Mondeo in the city: one form per store offering the drive
        by_model = client.get(f"{BOOK}?model=mondeo&city=guangzhou&lang={lang}").text
    assert 'id="store-gz-tianhe"' in by_model and 'name="store" value="gz-tianhe"' in by_model


def test_anonymous_shoppers_are_sent_to_sign_in_and_back(client, fleet, db_session):
    vin = fleet.dealer_cars[0].vin
    with clock.pinned(NOW):
        picked = client.post(
            BOOK,
            data={
                "vin": vin,
                "kind": "accompanied",
                "minutes": "60",
                "start": SLOT,
                "from": "2026-12-01",
                "to": "2026-12-14",
            },
            follow_redirects=False,
        )
        assert picked.status_code == 303
        assert picked.headers["location"].startswith("/account/sign-in?next=/test-drives/book%3Fvin%3D" + vin)
        for path in ("/test-drives", "/test-drives/TD23456789", "/backoffice/stores/gz-tianhe/test-drives"):
            response = client.get(path, follow_redirects=False)
            assert response.status_code == 303 and response.headers["location"].startswith("/account/sign-in?next=/")
    assert not db_session.scalars(select(TestDriveBooking)).all()


def test_a_double_submitted_slot_holds_one_car(client, fleet, people, db_session):
    sign_in(client, people.shopper)
    vin = fleet.dealer_cars[0].vin
    with clock.pinned(NOW):
        page, csrf = page_with_csrf(client, f"{BOOK}?vin={vin}")
        data = {
            "csrf_token": csrf,
            "idempotency_key": hidden(page, "idempotency_key"),
            "vin": vin,
            "kind": "accompanied",
            "minutes": "60",
            "days": "1",
            "start": SLOT,
        }
        first = client.post(BOOK, data=data, follow_redirects=False)
        second = client.post(BOOK, data=data, follow_redirects=False)
        assert first.status_code == second.status_code == 303
        assert first.headers["location"] == second.headers["location"]
        held = client.get(first.headers["location"])
    assert held.status_code == 200 and "data-countdown" in held.text and "full_name" in held.text
    assert len(db_session.scalars(select(TestDriveBooking)).all()) == 1
    with clock.pinned(NOW):  # without the form's CSRF token nothing happens
        refused = client.post(BOOK, data={**data, "csrf_token": "forged"}, follow_redirects=False)
    assert refused.status_code == 403


def test_a_taken_slot_is_explained_on_the_page(client, fleet, people):
    sign_in(client, people.shopper)
    with clock.pinned(NOW):
        hold(client, fleet.self_service_car.vin, kind="self_service")
        response = client.post(
            BOOK,
            follow_redirects=False,
            data={
                "csrf_token": page_with_csrf(client, "/test-drives")[1],
                "idempotency_key": "another-key-123",
                "kind": "self_service",
                "vin": fleet.self_service_car.vin,
                "days": "1",
                "start": SLOT,
                "lang": "zh-Hans",
            },
        )
    assert response.status_code in (409, 422), response.text[:500]
    assert 'id="problem"' in response.text


def test_verification_errors_are_shown_beside_the_fields(client, fleet, people, lang="zh-Hans"):
    sign_in(client, people.shopper)
    with clock.pinned(NOW):
        reference = hold(client, fleet.dealer_cars[0].vin)
        _, csrf = page_with_csrf(client, f"/test-drives/{reference}?lang={lang}")
        empty = client.post(f"/test-drives/{reference}/verify", data={"csrf_token": csrf, "licence_class": "Z9"})
        assert empty.status_code == 422
        for field in ("full_name", "id_number", "licence_expiry", "licence_class"):
            assert f'id="{field}-error"' in empty.text
        assert 'aria-invalid="true"' in empty.text
        bad_id = client.post(
            f"/test-drives/{reference}/verify",
            data={
                "csrf_token": csrf,
                "full_name": "Li Lei",
                "id_number": "440106199003071230",
                "licence_expiry": "2030-01-01",
                "licence_class": "C1",
            },
        )
    assert bad_id.status_code == 422 and 'id="id_number-error"' in bad_id.text
    assert "440106199003071230" not in bad_id.text  # never echoed
    if lang == "zh-Hans":
        assert "请" in bad_id.text


def test_confirm_with_a_waived_deposit(client, fleet, people, db_session, lang="zh-Hans"):
    sign_in(client, people.shopper)
    client.cookies.set("lang", lang)
    with clock.pinned(NOW):
        reference = hold(client, fleet.dealer_cars[0].vin)
        _verify(client, reference)
        page = client.get(f"/test-drives/{reference}").text
        assert 'id="deposit" class="td-waived"' in page and 'name="payment_method"' not in page
        confirmed, data = _confirm(client, reference)
        assert confirmed.status_code == 200, confirmed.text[:800]
        assert 'id="pickup-code"' not in confirmed.text  # accompanied: no code
        assert confirmed.headers["cache-control"] == "no-store"
        again = client.post(f"/test-drives/{reference}/confirm", data=data, follow_redirects=False)
        assert again.status_code == 303 and again.headers["location"].endswith("notice=confirmed")
        invite = client.get(f"/test-drives/{reference}/invite.ics")
    assert _booking(db_session, reference).status == "confirmed"
    assert invite.status_code == 200 and invite.headers["content-type"].startswith("text/calendar")
    assert f"UID:{reference}@" in invite.text


def test_a_self_service_drive_shows_its_pick_up_code_once(client, fleet, people):
    sign_in(client, people.shopper)
    with clock.pinned(NOW):
        reference = hold(client, fleet.self_service_car.vin, kind="self_service", days="2")
        _verify(client, reference)
        confirmed, _ = _confirm(client, reference)
        later = client.get(f"/test-drives/{reference}")
    code = re.search(r'id="pickup-code">(\d{8})<', confirmed.text)
    assert code, confirmed.text[:1500]
    assert code.group(1) not in later.text


@pytest.mark.parametrize(
    ("mobile", "sent", "code_sent"),
    [
        ("13800138000", "We sent the details by SMS and email.", "We also sent it by SMS and email."),
        (None, "We sent the details by email.", "We also sent it by email."),
    ],
)
def test_the_confirmation_names_only_the_channels_written_to(
    client, fleet, people, db_session, mobile, sent, code_sent
):
    people.shopper.mobile = mobile
    db_session.commit()
    sign_in(client, people.shopper)
    client.cookies.set("lang", "en")
    with clock.pinned(NOW):
        reference = hold(client, fleet.self_service_car.vin, kind="self_service", days="2")
        _verify(client, reference)
        confirmed, _ = _confirm(client, reference)
    channels = {m.channel for m in db_session.scalars(select(OutboxMessage)) if reference in (m.subject or "")}
    assert channels == ({"email", "sms"} if mobile else {"email"})
    assert sent in confirmed.text and code_sent in confirmed.text
    assert mobile or "SMS" not in confirmed.text


def test_confirm_with_a_deposit_declined_then_paid_then_cancelled(client, fleet, people, db_session):
    sign_in(client, people.shopper)
    with clock.pinned(NOW):
        reference = hold(client, fleet.dealer_cars[0].vin)
        _verify(client, reference, LOW_SCORE_ID)
        page = client.get(f"/test-drives/{reference}?lang=en").text
        assert "CN¥99.00" in page and 'value="demo-card-ok"' in page and "DEMO" in page
        declined, _ = _confirm(client, reference, payment_method="demo-card-declined")
        assert declined.status_code == 402 and 'id="problem"' in declined.text
        paid, _ = _confirm(client, reference, payment_method="demo-card-ok")
        assert paid.status_code == 200 and "CN¥99.00" in paid.text
        cancel_page, csrf = page_with_csrf(client, f"/test-drives/{reference}/cancel?lang=en")
        assert "CN¥99.00" in cancel_page and 'id="refund"' in cancel_page  # the refund, before the shopper agrees
        cancelled = client.post(
            f"/test-drives/{reference}/cancel", data={"csrf_token": csrf, "reason": "busy"}, follow_redirects=False
        )
        assert cancelled.status_code == 303 and cancelled.headers["location"] == f"/test-drives?cancelled={reference}"
        mine = client.get("/test-drives?lang=zh-Hans&cancelled=" + reference)
    booking = _booking(db_session, reference)
    assert booking.status == "cancelled" and booking.refunded_amount == 99
    assert mine.status_code == 200 and "已取消" in mine.text


def test_reschedule_moves_the_drive(client, fleet, people, db_session):
    sign_in(client, people.shopper)
    with clock.pinned(NOW):
        reference = hold(client, fleet.dealer_cars[0].vin)
        _verify(client, reference)
        _confirm(client, reference)
        page, csrf = page_with_csrf(client, f"/test-drives/{reference}/reschedule")
        assert 'value="2026-12-02T06:00:00+00:00"' in page
        moved = client.post(
            f"/test-drives/{reference}/reschedule",
            data={"csrf_token": csrf, "start": LATER_SLOT},
            follow_redirects=False,
        )
        assert moved.status_code == 303 and moved.headers["location"].endswith("notice=moved")
        refused = client.post(
            f"/test-drives/{reference}/reschedule", data={"csrf_token": csrf, "start": "2026-12-02T03:13:00+08:00"}
        )
    assert _booking(db_session, reference).starts_at.isoformat() == "2026-12-02T06:00:00+00:00"
    assert refused.status_code == 422 and 'id="problem"' in refused.text


def test_someone_elses_drive_is_not_found(client, fleet, people, db_session):
    sign_in(client, people.shopper)
    with clock.pinned(NOW):
        reference = hold(client, fleet.dealer_cars[0].vin)
    other = make_user(db_session, roles=[("shopper", None)])
    db_session.commit()
    sign_in(client, other)
    assert client.get(f"/test-drives/{reference}").status_code == 404
    assert client.get(f"/test-drives/{reference}/invite.ics").status_code == 404


def _confirmed_self_service(client, fleet, people) -> tuple[str, str]:
    sign_in(client, people.shopper)
    with clock.pinned(NOW):
        reference = hold(client, fleet.self_service_car.vin, kind="self_service", days="1")
        _verify(client, reference)
        confirmed, _ = _confirm(client, reference)
    return reference, re.search(r'id="pickup-code">(\d{8})<', confirmed.text).group(1)


def test_staff_check_out_and_check_in_through_the_forms(client, fleet, people, db_session, lang="zh-Hans"):
    reference, code = _confirmed_self_service(client, fleet, people)
    csrf = sign_in(client, people.staff)
    client.cookies.set("lang", lang)
    with clock.pinned(NOW):
        early = client.post(
            f"/backoffice/test-drives/{reference}/check-out",
            data={"csrf_token": csrf, "odometer_km": "100", "energy_percent": "90", "pickup_code": code},
        )
    assert early.status_code == 409 and 'data-code="outside_pickup_window"' in early.text  # on the page, not a 500
    with clock.pinned(NOW + timedelta(hours=26)):  # 10:00 on the 2nd, the drive's start
        for view in ("day", "week"):
            calendar = client.get(f"/backoffice/stores/gz-self-service/test-drives?date=2026-12-02&view={view}")
            assert calendar.status_code == 200 and f"/backoffice/test-drives/{reference}" in calendar.text
            assert "td-block td-confirmed" in calendar.text
        page = client.get(f"/backoffice/test-drives/{reference}")
        assert 'id="check-out"' in page.text and 'name="pickup_code"' in page.text
        invalid = client.post(
            f"/backoffice/test-drives/{reference}/check-out",
            data={"csrf_token": csrf, "odometer_km": "lots", "energy_percent": "120", "pickup_code": code},
        )
        assert invalid.status_code == 422 and 'id="odometer_km-error"' in invalid.text
        wrong = client.post(
            f"/backoffice/test-drives/{reference}/check-out",
            data={"csrf_token": csrf, "odometer_km": "100", "energy_percent": "90", "pickup_code": "00000000"},
        )
        assert wrong.status_code == 422 and 'data-code="pickup_code_wrong"' in wrong.text
        assert _booking(db_session, reference).pickup_code_failures == 1  # kept with the refusal
        out = client.post(
            f"/backoffice/test-drives/{reference}/check-out",
            follow_redirects=False,
            data={"csrf_token": csrf, "odometer_km": "100", "energy_percent": "90", "pickup_code": code},
        )
        assert out.status_code == 303, out.text[:500]
        assert 'id="check-in"' in client.get(out.headers["location"]).text
    with clock.pinned(NOW + timedelta(hours=30)):
        back = client.post(
            f"/backoffice/test-drives/{reference}/check-in",
            follow_redirects=False,
            data={
                "csrf_token": csrf,
                "odometer_km": "180",
                "energy_percent": "70",
                "damage_notes": "scratch, rear left",
            },
        )
        assert back.status_code == 303
    booking = _booking(db_session, reference)
    assert booking.status == "completed" and booking.odometer_in_km == 180 and booking.damage_in == "scratch, rear left"


def test_no_show_button_only_when_allowed_and_figures(client, fleet, people, db_session):
    sign_in(client, people.shopper)
    with clock.pinned(NOW):
        reference = hold(client, fleet.dealer_cars[0].vin)
        _verify(client, reference)
        _confirm(client, reference)
    csrf = sign_in(client, people.staff)
    with clock.pinned(NOW + timedelta(hours=26, minutes=5)):
        assert 'id="no-show"' not in client.get(f"/backoffice/test-drives/{reference}").text
    with clock.pinned(NOW + timedelta(hours=26, minutes=20)):
        assert 'id="no-show"' in client.get(f"/backoffice/test-drives/{reference}").text
        marked = client.post(
            f"/backoffice/test-drives/{reference}/no-show", data={"csrf_token": csrf}, follow_redirects=False
        )
        assert marked.status_code == 303
        for lang in ("en", "zh-Hans"):
            figures = client.get(f"/backoffice/test-drives/figures?from=2026-12-01&to=2026-12-31&lang={lang}")
            assert figures.status_code == 200 and "<svg" in figures.text and 'id="figures"' in figures.text
            assert "0.0 %" in figures.text
        assert client.get("/backoffice/test-drives/figures?from=2026-12-31&to=2026-12-01").status_code == 422
    assert _booking(db_session, reference).status == "no_show"


def test_other_stores_staff_are_refused(client, fleet, people):
    reference, code = _confirmed_self_service(client, fleet, people)
    csrf = sign_in(client, people.outsider)
    with clock.pinned(NOW + timedelta(hours=26)):
        assert client.get(f"/backoffice/test-drives/{reference}").status_code == 403
        assert client.get("/backoffice/stores/gz-self-service/test-drives").status_code == 403
        posted = client.post(
            f"/backoffice/test-drives/{reference}/check-out",
            data={"csrf_token": csrf, "odometer_km": "1", "energy_percent": "1", "pickup_code": code},
        )
        assert posted.status_code == 403
        assert client.get("/backoffice/stores/sh-pudong/test-drives?view=week").status_code == 200  # their own
    sign_in(client, people.shopper)
    assert client.get(f"/backoffice/test-drives/{reference}").status_code == 403  # shoppers: no back office


@pytest.mark.parametrize(("lang", "word"), [("en", "My test drives"), ("zh-Hans", "我的试驾")])
def test_every_page_renders_in_both_languages(client, fleet, people, lang, word):
    reference, _ = _confirmed_self_service(client, fleet, people)
    client.cookies.set("lang", lang)
    with clock.pinned(NOW):
        for path in (
            "/test-drives",
            f"/test-drives/{reference}",
            f"/test-drives/{reference}/cancel",
            f"/test-drives/{reference}/reschedule",
        ):
            response = client.get(path)
            assert response.status_code == 200, (path, response.text[:500])
            assert f'<html lang="{lang}">' in response.text and word in response.text
        sign_in(client, people.staff)
        for path in (
            "/backoffice/test-drives",
            "/backoffice/stores/gz-self-service/test-drives?date=2026-12-02",
            f"/backoffice/test-drives/{reference}",
            "/backoffice/test-drives/figures",
        ):
            response = client.get(path)
            assert response.status_code == 200, (path, response.text[:500])
            assert f'<html lang="{lang}">' in response.text


def test_handover_posts_need_staff_and_the_csrf_token(client, fleet, people):
    reference, code = _confirmed_self_service(client, fleet, people)
    form = {"odometer_km": "1", "energy_percent": "1", "pickup_code": code}
    for action in ("check-out", "check-in", "no-show"):
        client.cookies.clear()
        url = f"/backoffice/test-drives/{reference}/{action}"
        anonymous = client.post(url, data=form, follow_redirects=False)
        assert anonymous.status_code == 303
        assert anonymous.headers["location"].startswith("/account/sign-in?next=/backoffice/")
        sign_in(client, people.staff)
        with clock.pinned(NOW + timedelta(hours=26)):
            assert client.post(url, data=form, follow_redirects=False).status_code == 403  # no CSRF token


def _report(db_session: Session, vin: str, at, seq: int, **signals: object) -> None:
    import json

    from forecourt.telematics import service as telematics
    from forecourt.telematics.service import IncomingMessage
    from forecourt.telematics.signals import telemetry_topic

    body = {"seq": seq, "ts": at.isoformat(), "signals": signals}
    telematics.store_batch(db_session, [IncomingMessage(telemetry_topic(vin), json.dumps(body).encode())], at)
    db_session.commit()


@pytest.mark.parametrize(
    ("lang", "watched", "alert", "from_car"),
    [
        ("en", "Watched from the car", "Left the area", "Filled in from the car"),
        ("zh-Hans", "车辆实时监控", "驶出电子围栏", "已按车辆在"),
    ],
)
def test_a_watched_drive_shows_its_alerts_and_the_car_fills_in_the_readings(
    client, fleet, people, db_session, lang, watched, alert, from_car
):
    from forecourt.telematics import service as telematics

    reference, code = _confirmed_self_service(client, fleet, people)
    vin = fleet.self_service_car.vin
    out_at, odometer = NOW + timedelta(hours=26), "Vehicle.TraveledDistance"
    with clock.pinned(out_at):
        telematics.provision(db_session, vin, out_at)
        _report(db_session, vin, out_at - timedelta(minutes=5), 1, **{odometer: 12_345_499, "Vehicle.Speed": 0.0})
        _report(
            db_session, vin, out_at - timedelta(minutes=4), 2, **{"Vehicle.Powertrain.FuelSystem.RelativeLevel": 80.5}
        )
        csrf = sign_in(client, people.staff)
        client.cookies.set("lang", lang)
        page = client.get(f"/backoffice/test-drives/{reference}")
        # Before the hand-over: the car's last reading, rounded half up (12,345.499 km → 12,345; 80.5 % → 81).
        assert 'id="out-odometer_km" name="odometer_km" inputmode="numeric" required value="12345"' in page.text
        assert 'name="energy_percent" inputmode="numeric" required value="81"' in page.text
        assert from_car in page.text and 'id="car-watch"' not in page.text
        client.post(
            f"/backoffice/test-drives/{reference}/check-out",
            data={"csrf_token": csrf, "odometer_km": "12345", "energy_percent": "81", "pickup_code": code},
        )
    with clock.pinned(out_at + timedelta(hours=2)):
        page = client.get(f"/backoffice/test-drives/{reference}")
        assert watched in page.text and 'id="car-alerts-none"' in page.text
        # At check-in only what the car said after it left counts: nothing yet, so nothing is filled in.
        assert 'id="in-odometer_km" name="odometer_km" inputmode="numeric" required value=""' in page.text
        far = {"Vehicle.CurrentLocation.Latitude": 23.75, "Vehicle.CurrentLocation.Longitude": 113.26}
        _report(db_session, vin, out_at + timedelta(hours=1), 3, **far, **{odometer: 12_420_500})
        page = client.get(f"/backoffice/test-drives/{reference}")
        assert alert in page.text and 'class="td-alert td-alert-geofence_exit"' in page.text
        assert 'id="in-odometer_km" name="odometer_km" inputmode="numeric" required value="12421"' in page.text
        calendar = client.get("/backoffice/stores/gz-self-service/test-drives?date=2026-12-02")
        assert 'class="td-alert-badge"' in calendar.text and "⚠ 1" in calendar.text


# --- the driving licence against the drive, and a next step for every refusal ------------------------------------


def _post_licence(client, reference: str, expiry: str, id_number: str = HIGH_SCORE_ID):
    _, csrf = page_with_csrf(client, f"/test-drives/{reference}")
    data = {"csrf_token": csrf, "full_name": "Li Lei", "id_number": id_number, "licence_expiry": expiry}
    return client.post(f"/test-drives/{reference}/verify", data={**data, "licence_class": "C1"}, follow_redirects=False)


def _licence_on_file_expires(session: Session, user_id: int, day: date) -> None:
    """As if verified for an earlier drive, or through the API without naming a drive: valid then, not now."""
    row = session.scalars(select(DriverVerification).where(DriverVerification.user_id == user_id)).one()
    row.licence_expiry = day
    session.commit()


def _has_cjk(text: str) -> bool:
    return re.search(r"[\u4e00-\u9fff]", text) is not None


@pytest.mark.parametrize("lang", ["en", "zh-Hans"])
@pytest.mark.parametrize(("expiry", "accepted"), [("2026-12-02", True), ("2026-12-01", False)])
def test_a_licence_expiring_before_the_drive_is_refused_at_verify(
    client, fleet, people, db_session, expiry, accepted, lang
):
    sign_in(client, people.shopper)
    client.cookies.set("lang", lang)
    with clock.pinned(NOW):
        reference = hold(client, fleet.dealer_cars[0].vin)  # 10:00–11:00 on 2 December: its last local day
        answer = _post_licence(client, reference, expiry)
    if accepted:
        assert answer.status_code == 303 and answer.headers["location"].endswith("notice=verified")
        return
    assert answer.status_code == 422, answer.text[:800]
    error = re.search(r'<p class="field-error" id="licence_expiry-error">([^<]*)</p>', answer.text)
    assert error and 'aria-describedby="licence_expiry-error"' in answer.text
    assert _has_cjk(error.group(1)) is (lang == "zh-Hans")
    assert ("2026年12月2日" if lang == "zh-Hans" else "December 2, 2026") in error.group(1)
    assert HIGH_SCORE_ID not in answer.text  # never echoed
    assert not db_session.scalars(select(DriverVerification)).all()  # nothing half-saved


def test_a_refused_replacement_keeps_the_good_licence(client, fleet, people, db_session):
    sign_in(client, people.shopper)
    with clock.pinned(NOW):
        reference = hold(client, fleet.dealer_cars[0].vin)
        _verify(client, reference)
        page = client.get(f"/test-drives/{reference}").text
        assert 'id="replace-licence">' in page and 'id="confirm"' in page  # offered, folded away
        refused = _post_licence(client, reference, "2026-12-01")
    assert refused.status_code == 422 and 'id="replace-licence" open' in refused.text
    assert 'id="licence_expiry-error"' in refused.text and 'id="confirm"' in refused.text
    db_session.expire_all()
    row = db_session.scalars(select(DriverVerification)).one()
    assert row.verified and row.licence_expiry == date(2030, 1, 1)


def test_replacing_the_licence_after_a_refused_confirm_then_confirming(client, fleet, people, db_session):
    sign_in(client, people.shopper)
    with clock.pinned(NOW):
        reference = hold(client, fleet.dealer_cars[0].vin)
        _verify(client, reference)
        confirm_page = client.get(f"/test-drives/{reference}").text  # Confirm was offered with a good licence…
        _licence_on_file_expires(db_session, people.shopper.id, date(2026, 12, 1))  # …which is now too short
        data = {
            "csrf_token": hidden(confirm_page, "csrf_token"),
            "idempotency_key": hidden(confirm_page, "idempotency_key"),
        }
        refused = client.post(f"/test-drives/{reference}/confirm", data=data, follow_redirects=False)
        assert refused.status_code == 409 and 'data-code="licence_expires_before_drive"' in refused.text
        assert (
            'id="replace-licence" open' in refused.text and f'action="/test-drives/{reference}/verify"' in refused.text
        )
        assert 'id="confirm"' not in refused.text  # not Confirm again: it could only be refused
        replaced = _post_licence(client, reference, "2031-06-30")
        assert replaced.status_code == 303, replaced.text[:800]
        confirmed, _ = _confirm(client, reference)
    assert confirmed.status_code == 200, confirmed.text[:800]
    assert _booking(db_session, reference).status == "confirmed"


def test_cancelling_and_booking_again_does_not_trap_the_shopper(client, fleet, people, db_session):
    sign_in(client, people.shopper)
    with clock.pinned(NOW):
        first = hold(client, fleet.dealer_cars[0].vin)
        _verify(client, first)
        _licence_on_file_expires(db_session, people.shopper.id, date(2026, 12, 1))
        page, csrf = page_with_csrf(client, f"/test-drives/{first}/cancel")
        cancelled = client.post(f"/test-drives/{first}/cancel", data={"csrf_token": csrf}, follow_redirects=False)
        assert cancelled.status_code == 303
        again = hold(client, fleet.dealer_cars[0].vin)
        page = client.get(f"/test-drives/{again}").text
        # Said before any Confirm is tried, with the licence form opened as the way forward.
        assert 'data-code="licence_expires_before_drive"' in page and 'id="replace-licence" open' in page
        assert 'id="confirm"' not in page
        assert _post_licence(client, again, "2031-06-30").status_code == 303
        confirmed, _ = _confirm(client, again)
    assert confirmed.status_code == 200 and _booking(db_session, again).status == "confirmed"


def _id_born(yyyymmdd: str) -> str:
    body = f"440106{yyyymmdd}123"
    return body + check_character(body)


def _row_not_verified(client, fleet, people, db_session):
    reference = hold(client, fleet.dealer_cars[0].vin)
    return reference, _post_confirm(client, reference)


def _post_confirm(client, reference: str):
    """Confirm as a form rendered earlier would (the page shown now may offer no Confirm)."""
    page = client.get(f"/test-drives/{reference}").text
    data = {"csrf_token": hidden(page, "csrf_token"), "idempotency_key": str(uuid.uuid4())}
    return client.post(f"/test-drives/{reference}/confirm", data=data, follow_redirects=False)


def _row_expires_at_confirm(client, fleet, people, db_session):
    reference = hold(client, fleet.dealer_cars[0].vin)
    _verify(client, reference)
    _licence_on_file_expires(db_session, people.shopper.id, date(2026, 12, 1))
    return reference, _post_confirm(client, reference)


def _row_expires_at_verify(client, fleet, people, db_session):
    reference = hold(client, fleet.dealer_cars[0].vin)
    return reference, _post_licence(client, reference, "2026-12-01")


def _row_too_young(client, fleet, people, db_session):
    reference = hold(client, fleet.self_service_car.vin, kind="self_service", days="1")
    assert _post_licence(client, reference, "2030-01-01", _id_born("20050601")).status_code == 303  # 21: under 22
    return reference, _post_confirm(client, reference)


def _row_id_number_invalid(client, fleet, people, db_session):
    reference = hold(client, fleet.dealer_cars[0].vin)
    return reference, _post_licence(client, reference, "2030-01-01", "440106199003071230")


def _row_identity_refused(client, fleet, people, db_session):
    reference = hold(client, fleet.dealer_cars[0].vin)
    body = "44010619900307999"  # the demo provider refuses sequence digits 999
    return reference, _post_licence(client, reference, "2030-01-01", body + check_character(body))


def _row_payment_method_required(client, fleet, people, db_session):
    reference = hold(client, fleet.dealer_cars[0].vin)
    _verify(client, reference, LOW_SCORE_ID)
    return reference, _confirm(client, reference)[0]


def _row_card_declined(client, fleet, people, db_session):
    reference = hold(client, fleet.dealer_cars[0].vin)
    _verify(client, reference, LOW_SCORE_ID)
    return reference, _confirm(client, reference, payment_method="demo-card-declined")[0]


def _row_hold_not_active(client, fleet, people, db_session):
    reference = hold(client, fleet.dealer_cars[0].vin)
    _verify(client, reference)
    page = client.get(f"/test-drives/{reference}").text
    data = {"csrf_token": hidden(page, "csrf_token"), "idempotency_key": hidden(page, "idempotency_key")}
    with clock.pinned(NOW + timedelta(minutes=11)):
        return reference, client.post(f"/test-drives/{reference}/confirm", data=data, follow_redirects=False)


def _row_form_reused(client, fleet, people, db_session):
    reference = hold(client, fleet.dealer_cars[0].vin)
    _verify(client, reference)
    confirmed, data = _confirm(client, reference)
    assert confirmed.status_code == 200
    return reference, client.post(f"/test-drives/{reference}/confirm", data={**data, "payment_method": "demo-card-ok"})


@pytest.mark.parametrize("offers_accompanied", [False, True])
def test_too_young_to_drive_alone_is_offered_an_accompanied_drive_where_the_store_has_them(
    client, fleet, people, db_session, offers_accompanied
):
    if offers_accompanied:
        store = fleet.catalog["stores"]["gz-self"]
        policies.update_store_policy(db_session, store, {"accompanied_enabled": True}, actor=None)
        db_session.commit()
    sign_in(client, people.shopper)
    with clock.pinned(NOW):
        _, refused = _row_too_young(client, fleet, people, db_session)
    assert refused.status_code == 409 and 'data-code="under_minimum_age"' in refused.text
    link = f'id="book-accompanied" href="/test-drives/book?vin={fleet.self_service_car.vin}&amp;kind=accompanied"'
    assert (link in refused.text) is offers_accompanied


# Every refusal the hold page can show after a verify or confirm post: (code, how to get it, status, the next step
# the page must offer). `{ref}` is the drive's reference. The identity provider's refusal has no code of its own:
# the page marks it `id="not-verified"`.
NEXT_STEPS = [
    (
        "licence_not_verified",
        _row_not_verified,
        409,
        ['data-code="licence_not_verified"', 'action="/test-drives/{ref}/verify"'],
    ),
    (
        "licence_expires_before_drive",
        _row_expires_at_confirm,
        409,
        ['id="replace-licence" open', 'action="/test-drives/{ref}/verify"'],
    ),
    (
        "licence_expires_before_drive@verify",
        _row_expires_at_verify,
        422,
        ['id="licence_expiry-error"', 'action="/test-drives/{ref}/verify"'],
    ),
    ("under_minimum_age", _row_too_young, 409, ['id="replace-licence" open', 'action="/test-drives/{ref}/verify"']),
    ("id_number_invalid", _row_id_number_invalid, 422, ['id="id_number-error"', 'action="/test-drives/{ref}/verify"']),
    ("identity_refused", _row_identity_refused, 422, ['id="not-verified"', 'action="/test-drives/{ref}/verify"']),
    (
        "payment_method_required",
        _row_payment_method_required,
        422,
        ['name="payment_method"', 'action="/test-drives/{ref}/confirm"'],
    ),
    ("card_declined", _row_card_declined, 402, ['name="payment_method"', 'action="/test-drives/{ref}/confirm"']),
    ("hold_not_active", _row_hold_not_active, 409, ['id="book-again" href="/test-drives/book?vin=']),
    ("idempotency_key_reused", _row_form_reused, 422, ['id="reload" href="/test-drives/{ref}"']),
]


@pytest.mark.parametrize("lang", ["en", "zh-Hans"])
@pytest.mark.parametrize(("code", "make", "status", "offers"), NEXT_STEPS, ids=[row[0] for row in NEXT_STEPS])
def test_every_refusal_on_the_hold_page_offers_a_next_step(
    client, fleet, people, db_session, lang, code, make, status, offers
):
    sign_in(client, people.shopper)
    client.cookies.set("lang", lang)
    with clock.pinned(NOW):
        reference, answer = make(client, fleet, people, db_session)
    assert answer.status_code == status, answer.text[:800]
    assert f'<html lang="{lang}">' in answer.text
    for marker in offers:
        assert marker.format(ref=reference) in answer.text, (code, marker)
    said = re.search(
        r'id="problem"[^>]*>(.*?)</div>|class="field-error"[^>]*>(.*?)</p>|id="not-verified">(.*?)</p>',
        answer.text,
        re.DOTALL,
    )
    assert said, code
    text = next(group for group in said.groups() if group)
    assert _has_cjk(text) is (lang == "zh-Hans"), (code, text)
