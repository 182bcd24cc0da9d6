"""The back-office ownership pages in both languages: the list and a VIN's history, registering a car sold
elsewhere (a double submit shows the first ownership), a refusal shown by its code, transfer and end, and staff of
another store refused."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from forecourt.ownership.models import Ownership
from tests.backoffice.helpers import sign_in
from tests.ownership.helpers import NOW, completed_order, make_world, sold_car

pytestmark = pytest.mark.pinned_clock(NOW)

BASE = "/backoffice/ownerships"


@pytest.fixture
def world(db_session):
    return make_world(db_session)


def _form(
    vin: str, owner: str, csrf: str, key: str = "7a0b1f6e-0000-4000-8000-000000000001", **changes: str
) -> dict[str, str]:
    form = {
        "csrf_token": csrf,
        "idempotency_key": key,
        "vin": vin,
        "owner": owner,
        "store": "gz-tianhe",
        "product": "loan",
        "price": "150000.00",
        "down_payment": "30000.00",
        "term_months": "36",
        "annual_rate": "0.0499",
        "delivered_on": "2026-10-01",
        "delivery_odometer_km": "20",
    }
    form.update(changes)
    return form


@pytest.mark.parametrize(
    ("lang", "heading"), [("en", "Register a car sold elsewhere"), ("zh-Hans", "登记在别处售出的车辆")]
)
def test_staff_register_transfer_and_end_through_the_pages(client, db_session, world, lang, heading):
    vehicle = sold_car(db_session, world, status="sold")
    db_session.commit()
    csrf = sign_in(client, world.users["staff"])
    assert heading in client.get(f"{BASE}/new?lang={lang}").text
    form = _form(vehicle.vin, world.users["owner"].email, csrf)
    made = client.post(f"{BASE}/new?lang={lang}", data=form, follow_redirects=False)
    assert made.status_code == 303, made.text[made.text.find("<h1") :][:1500]
    again = client.post(f"{BASE}/new?lang={lang}", data=form, follow_redirects=False)  # a double submit
    assert again.headers["location"] == made.headers["location"]
    page = client.get(made.headers["location"] + f"&lang={lang}")
    assert page.status_code == 200 and vehicle.vin in page.text and 'id="transfer"' in page.text
    assert page.headers["cache-control"] == "no-store"  # it names the owner
    reference = made.headers["location"].split("/")[-1].split("?")[0]
    listing = client.get(f"{BASE}?vin={vehicle.vin}&lang={lang}")
    assert reference in listing.text and 'id="history"' in listing.text
    moved = client.post(
        f"{BASE}/{reference}/transfer",
        data={"csrf_token": csrf, "new_owner": world.users["buyer"].mobile, "on": "2026-11-15", "odometer_km": "900"},
        follow_redirects=False,
    )
    assert moved.status_code == 303, moved.text[:500]
    successor = moved.headers["location"].split("/")[-1].split("?")[0]
    ended = client.post(
        f"{BASE}/{successor}/end",
        data={"csrf_token": csrf, "reason": "sold_back", "on": "2026-11-30", "odometer_km": "1200"},
        follow_redirects=False,
    )
    assert ended.status_code == 303
    db_session.expire_all()
    rows = db_session.scalars(select(Ownership).where(Ownership.vin == vehicle.vin).order_by(Ownership.id)).all()
    assert [(r.status, r.end_reason) for r in rows] == [("transferred", "transferred"), ("ended", "sold_back")]


@pytest.mark.parametrize(("lang", "text"), [("en", "already has a current owner"), ("zh-Hans", "这辆车已有当前车主")])
def test_a_refusal_is_shown_in_the_pages_language(client, db_session, world, lang, text):
    ownership, _ = completed_order(db_session, world, "cash")
    csrf = sign_in(client, world.users["staff"])
    refused = client.post(
        f"{BASE}/new?lang={lang}",
        data=_form(ownership.vin, world.users["other"].email, csrf, "7a0b1f6e-0000-4000-8000-000000000002"),
    )
    assert refused.status_code == 409 and text in refused.text
    invalid = client.post(
        f"{BASE}/new?lang={lang}",
        data=_form(
            ownership.vin, world.users["other"].email, csrf, "7a0b1f6e-0000-4000-8000-000000000003", term_months="x"
        ),
    )
    assert invalid.status_code == 422 and 'id="term_months-error"' in invalid.text


def test_a_bad_transfer_or_end_form_and_a_refused_change_are_shown_on_the_ownership(client, db_session, world):
    ownership, _ = completed_order(db_session, world, "cash")
    csrf = sign_in(client, world.users["staff"])
    here = f"{BASE}/{ownership.reference}"
    sale = {"csrf_token": csrf, "on": "2026-11-15", "odometer_km": "900"}
    answers = [
        ("invalid_form", client.post(f"{here}/transfer", data={**sale, "new_owner": "x@example.test", "on": "soon"})),
        ("owner_not_found", client.post(f"{here}/transfer", data={**sale, "new_owner": "nobody@example.test"})),
        ("invalid_form", client.post(f"{here}/end", data={**sale, "reason": "lost"})),
        ("day_in_future", client.post(f"{here}/end", data={**sale, "reason": "sold_back", "on": "2099-01-01"})),
    ]
    for code, answer in answers:
        assert answer.status_code == 422 and f'data-code="{code}"' in answer.text, (code, answer.text[:800])
        assert 'id="transfer"' in answer.text  # the ownership's own page, with its forms
    db_session.expire_all()
    assert db_session.get(Ownership, ownership.id).status == "current"  # nothing changed


def test_staff_of_another_store_are_refused(client, db_session, world):
    ownership, _ = completed_order(db_session, world, "cash")
    sign_in(client, world.users["outsider"])
    assert client.get(f"{BASE}/{ownership.reference}").status_code == 403
    listing = client.get(BASE)
    assert listing.status_code == 200 and ownership.reference not in listing.text
