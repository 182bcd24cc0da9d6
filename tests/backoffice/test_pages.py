"""The staff back office: scoping to the user's stores, edits with validation, imports, settings, audit, users."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from forecourt.catalog.models import Store, Vehicle
from tests.backoffice.helpers import World, events, make_world, sign_in
from tests.catalog.factories import row, to_csv


@pytest.fixture
def world(db_session, client) -> World:
    client.headers["Accept-Language"] = "en"  # the default language is Chinese; these tests read English
    return make_world(db_session)


def test_anonymous_is_sent_to_sign_in_with_next(client, world):
    response = client.get("/backoffice/vehicles?status=sold", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/account/sign-in?next=/backoffice/vehicles%3Fstatus%3Dsold"


def test_shopper_gets_a_403_page(client, world):
    sign_in(client, world.users["shopper"])
    response = client.get("/backoffice/vehicles")
    assert response.status_code == 403 and "text/html" in response.headers["content-type"]
    assert "store staff" in response.text


def test_staff_sees_only_their_stores_vehicles_in_every_status(client, world):
    sign_in(client, world.users["staff_a"])
    page = client.get("/backoffice/vehicles")
    assert page.status_code == 200
    assert world.vehicles["a"].vin in page.text and world.vehicles["a_reserved"].vin in page.text
    assert world.vehicles["b"].vin not in page.text
    # Asking for the other store by code finds nothing rather than leaking it.
    other = client.get("/backoffice/vehicles?store=sh-pudong")
    assert world.vehicles["b"].vin not in other.text


def test_admin_sees_every_store(client, world):
    sign_in(client, world.users["admin"])
    page = client.get("/backoffice/vehicles")
    assert all(v.vin in page.text for v in world.vehicles.values())


def test_chinese_inventory_page(client, world):
    sign_in(client, world.users["staff_a"])
    page = client.get("/backoffice/vehicles?lang=zh-Hans")
    assert page.headers["content-language"] == "zh-Hans"
    assert "库存" in page.text


def test_staff_cannot_open_or_edit_another_stores_vehicle(client, world, db_session):
    csrf = sign_in(client, world.users["staff_a"])
    vin = world.vehicles["b"].vin
    assert client.get(f"/backoffice/vehicles/{vin}").status_code == 403
    response = client.post(
        f"/backoffice/vehicles/{vin}",
        data={"csrf_token": csrf, "offer_price": "1000", "mileage_km": "0", "status": "available"},
    )
    assert response.status_code == 403
    db_session.expire_all()
    assert db_session.scalars(select(Vehicle).where(Vehicle.vin == vin)).one().offer_price is None


def test_form_post_without_csrf_is_refused(client, world):
    sign_in(client, world.users["staff_a"])
    vin = world.vehicles["a"].vin
    response = client.post(f"/backoffice/vehicles/{vin}", data={"offer_price": "1000", "mileage_km": "0"})
    assert response.status_code == 403


def _edit(client, csrf, vin, **fields):
    data = {
        "csrf_token": csrf,
        "offer_price": "",
        "mileage_km": "0",
        "colour": "",
        "photo_urls": "",
        "status": "available",
    }
    data.update(fields)
    return client.post(f"/backoffice/vehicles/{vin}", data=data, follow_redirects=False)


def test_edit_saves_and_audits(client, world, db_session):
    csrf = sign_in(client, world.users["staff_a"])
    vin = world.vehicles["a"].vin
    response = _edit(
        client,
        csrf,
        vin,
        offer_price="169,800.00",
        mileage_km="12",
        colour="oxford-white",
        photo_urls="https://img.example/1.jpg\n/static/photos/2.jpg\n",
        is_test_drive_fleet="1",
    )
    assert response.status_code == 303 and response.headers["location"] == f"/backoffice/vehicles/{vin}?saved=1"
    assert "Changes saved." in client.get(response.headers["location"]).text
    db_session.expire_all()
    vehicle = db_session.scalars(select(Vehicle).where(Vehicle.vin == vin)).one()
    assert vehicle.offer_price == Decimal("169800.00") == vehicle.price
    assert vehicle.mileage_km == 12 and vehicle.is_test_drive_fleet
    assert vehicle.photo_urls == ["https://img.example/1.jpg", "/static/photos/2.jpg"]
    (event,) = events(db_session, "vehicle.updated")
    assert event.store_id == world.store_a.id and event.actor_user_id == world.users["staff_a"].id
    assert event.details["changes"]["offer_price"] == {"before": None, "after": "169800.00"}
    # Clearing the offer puts the price back to the list price.
    _edit(client, csrf, vin, offer_price="", mileage_km="12", colour="oxford-white")
    db_session.expire_all()
    vehicle = db_session.scalars(select(Vehicle).where(Vehicle.vin == vin)).one()
    assert vehicle.offer_price is None and vehicle.price == vehicle.list_price


def test_edit_validation_errors_are_shown_beside_the_fields(client, world, db_session):
    csrf = sign_in(client, world.users["staff_a"])
    vin = world.vehicles["a"].vin
    response = _edit(
        client, csrf, vin, offer_price="999999999", mileage_km="-3", colour="agate-black", photo_urls="ftp://nope"
    )
    assert response.status_code == 422
    for field, text in (
        ("offer_price", "cannot be above the list price"),
        ("mileage_km", "whole number"),
        ("colour", "this model"),
        ("photo_urls", "https://"),
    ):
        assert f'id="{field}-error"' in response.text, field
        assert text in response.text
    assert 'value="999999999"' in response.text  # what was typed is kept
    db_session.expire_all()
    assert db_session.scalars(select(Vehicle).where(Vehicle.vin == vin)).one().mileage_km == 0
    client.headers["Accept-Language"] = "zh-CN"
    chinese = _edit(client, csrf, vin, offer_price="abc")
    assert chinese.status_code == 422 and "请输入金额" in chinese.text


def test_legal_and_illegal_status_changes(client, world, db_session):
    csrf = sign_in(client, world.users["staff_a"])
    reserved = world.vehicles["a_reserved"].vin
    form = client.get(f"/backoffice/vehicles/{reserved}").text
    assert 'value="sold"' in form and 'value="available"' in form and 'value="in_transit"' not in form
    assert _edit(client, csrf, reserved, status="sold").status_code == 303
    (event,) = events(db_session, "vehicle.status_changed")
    assert event.details == {"from": "reserved", "to": "sold"}
    illegal = _edit(client, csrf, reserved, status="available")  # sold is final
    assert illegal.status_code == 409 and 'id="status-error"' in illegal.text


def test_import_with_one_bad_row_shows_the_report_and_lands_the_good_rows(client, world, db_session):
    csrf = sign_in(client, world.users["staff_a"])
    rows = [row(1, store="gz-tianhe"), row(2, store="gz-tianhe"), row(3, store="gz-tianhe", list_price="abc")]
    response = client.post(
        "/backoffice/imports", data={"csrf_token": csrf}, files={"file": ("stock.csv", to_csv(rows), "text/csv")}
    )
    assert response.status_code == 200, response.text
    assert '<dd id="created">2</dd>' in response.text and '<dd id="rejected">1</dd>' in response.text
    assert 'id="row-errors"' in response.text and "list_price" in response.text
    db_session.expire_all()
    assert db_session.scalars(select(Vehicle).where(Vehicle.vin == rows[0]["vin"])).one_or_none() is not None


def test_import_into_another_store_is_a_row_error(client, world, db_session):
    csrf = sign_in(client, world.users["staff_a"])
    response = client.post(
        "/backoffice/imports",
        data={"csrf_token": csrf},
        files={"file": ("stock.csv", to_csv([row(1, store="sh-pudong")]), "text/csv")},
    )
    assert '<dd id="rejected">1</dd>' in response.text


def test_import_without_csrf_or_file(client, world):
    csrf = sign_in(client, world.users["staff_a"])
    assert client.post("/backoffice/imports", files={"file": ("s.csv", b"vin\n", "text/csv")}).status_code == 403
    assert client.post("/backoffice/imports", data={"csrf_token": csrf}).status_code == 422


def _hours_form(csrf, **overrides):
    data = {"csrf_token": csrf, "phone": "020-1234 5678"}
    for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun"):
        data.update(
            {f"{day}-1-open": "09:00", f"{day}-1-close": "12:00", f"{day}-2-open": "13:00", f"{day}-2-close": "18:00"}
        )
    data.update({"sun-1-open": "", "sun-1-close": "", "sun-2-open": "", "sun-2-close": ""})
    data.update(overrides)
    return data


def test_store_settings_save_validate_and_audit(client, world, db_session):
    csrf = sign_in(client, world.users["staff_a"])
    saved = client.post("/backoffice/stores/gz-tianhe", data=_hours_form(csrf), follow_redirects=False)
    assert saved.status_code == 303
    db_session.expire_all()
    store = db_session.scalars(select(Store).where(Store.code == "gz-tianhe")).one()
    assert store.opening_hours["mon"] == [["09:00", "12:00"], ["13:00", "18:00"]]
    assert store.opening_hours["sun"] == [] and store.phone == "020-1234 5678"
    assert events(db_session, "store.updated")[0].store_id == store.id

    bad = client.post(
        "/backoffice/stores/gz-tianhe",
        data=_hours_form(
            csrf, **{"mon-2-open": "11:00", "tue-1-open": "9am", "wed-1-open": "19:00", "phone": "call me"}
        ),
    )
    assert bad.status_code == 422
    assert "must not overlap" in bad.text and "HH:MM" in bad.text and "before the closing time" in bad.text
    assert 'id="phone-error"' in bad.text


def test_staff_cannot_post_another_stores_settings(client, world, db_session):
    csrf = sign_in(client, world.users["staff_a"])
    assert client.get("/backoffice/stores/sh-pudong").status_code == 403
    assert client.post("/backoffice/stores/sh-pudong", data=_hours_form(csrf)).status_code == 403
    db_session.expire_all()
    assert db_session.scalars(select(Store).where(Store.code == "sh-pudong")).one().phone == ""
    stores = client.get("/backoffice/stores").text
    assert "gz-tianhe" in stores and "sh-pudong" not in stores


def test_audit_log_is_scoped_to_the_staff_members_stores(client, world):
    csrf_a = sign_in(client, world.users["staff_a"])
    _edit(client, csrf_a, world.vehicles["a"].vin, mileage_km="5")
    csrf_b = sign_in(client, world.users["staff_b"])
    _edit(client, csrf_b, world.vehicles["b"].vin, mileage_km="7")
    log_b = client.get("/backoffice/audit").text
    assert world.vehicles["b"].vin in log_b and world.vehicles["a"].vin not in log_b
    sign_in(client, world.users["admin"])
    log_admin = client.get("/backoffice/audit").text
    assert world.vehicles["a"].vin in log_admin and world.vehicles["b"].vin in log_admin


def test_users_page_is_for_admins_only(client, world, db_session):
    csrf = sign_in(client, world.users["staff_a"])
    assert client.get("/backoffice/users").status_code == 403
    target = world.users["shopper"]
    assert (
        client.post(
            f"/backoffice/users/{target.id}/roles", data={"csrf_token": csrf, "role": "admin", "action": "grant"}
        ).status_code
        == 403
    )
    csrf = sign_in(client, world.users["admin"])
    assert client.get("/backoffice/users").status_code == 200
    granted = client.post(
        f"/backoffice/users/{target.id}/roles",
        follow_redirects=False,
        data={"csrf_token": csrf, "role": "store_staff", "store": "gz-tianhe", "action": "grant"},
    )
    assert granted.status_code == 303
    assert events(db_session, "role.granted")[-1].details == {"role": "store_staff"}
    revoked = client.post(
        f"/backoffice/users/{target.id}/roles",
        follow_redirects=False,
        data={"csrf_token": csrf, "role": "store_staff", "store": "gz-tianhe", "action": "revoke"},
    )
    assert revoked.status_code == 303 and events(db_session, "role.revoked")
    assert (
        client.post(
            f"/backoffice/users/{target.id}/roles", data={"csrf_token": csrf, "role": "store_staff", "action": "grant"}
        ).status_code
        == 422
    )


def test_patch_api(client, world, db_session):
    from tests.factories import auth_headers, make_token

    token = make_token(db_session, world.users["staff_a"])
    db_session.commit()
    vin = world.vehicles["a"].vin
    ok = client.patch(
        f"/api/v1/vehicles/{vin}", json={"offer_price": "170000", "mileage_km": 9}, headers=auth_headers(token)
    )
    assert ok.status_code == 200, ok.text
    assert ok.json()["price"] == "170000.00" and ok.json()["mileage_km"] == 9
    bad = client.patch(f"/api/v1/vehicles/{vin}", json={"offer_price": "999999"}, headers=auth_headers(token))
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "offer_price"
    extra = client.patch(f"/api/v1/vehicles/{vin}", json={"list_price": "1"}, headers=auth_headers(token))
    assert extra.status_code == 422
    other = client.patch(
        f"/api/v1/vehicles/{world.vehicles['b'].vin}", json={"mileage_km": 1}, headers=auth_headers(token)
    )
    assert other.status_code == 403 and other.json()["code"] == "store_forbidden"
    illegal = client.patch(
        f"/api/v1/vehicles/{world.vehicles['a_reserved'].vin}",
        json={"status": "in_transit"},
        headers=auth_headers(token),
    )
    assert illegal.status_code == 409 and illegal.json()["code"] == "illegal_status_transition"
