"""Rental pages through the TestClient: rent (the quote, every bad field at once, hold), the rental (verify, confirm
and the pick-up code once, cancel with its refund, the bill and its balance), my rentals; the back office's desk
(check-out and check-in through its forms, refusals on the page, other stores' staff refused); both languages.

The clock is pinned (tests/mobility/factories.NOW: 08:00 on 1 December 2026 in Guangzhou; stores open
09:00–18:00). People sign in with the session cookie, so every form post carries the CSRF token the page rendered.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from forecourt.core import clock
from forecourt.identity.models import DriverVerification
from tests.backoffice.helpers import sign_in
from tests.factories import make_small_catalog, make_user, make_vehicle
from tests.mobility.factories import NOW, RENTAL_DAY, make_plans
from tests.testdrive.helpers import HIGH_SCORE_ID

STORE = "gz-self-service"
TIMES = {"pickup_date": "2026-12-02", "pickup_time": "10:00", "return_date": "2026-12-02", "return_time": "13:00"}
RENT = {"store": STORE, "model": "mondeo", **TIMES}
LANGS = ("en", "zh-Hans")

pytestmark = pytest.mark.pinned_clock(NOW)


@dataclass
class People:
    renter: Any
    other: Any
    staff: Any
    outsider: Any
    cars: list[str]


@pytest.fixture
def people(db_session: Session) -> Iterator[People]:
    with clock.pinned(NOW):
        catalog = make_small_catalog(db_session)
        store = catalog["stores"]["gz-self"]
        make_plans(db_session)
        cars = [
            make_vehicle(db_session, catalog["trims"]["mondeo-ecoboost180"], store, pool="rental").vin for _ in "ab"
        ]
        built = People(
            make_user(db_session, roles=[("shopper", None)], email="renter@example.test"),
            make_user(db_session, roles=[("shopper", None)], email="other@example.test"),
            make_user(db_session, roles=[("store_staff", store.id)]),
            make_user(db_session, roles=[("store_staff", catalog["stores"]["sh-pudong"].id)]),
            cars,
        )
        db_session.commit()
        yield built


def _hidden(page: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert found, f"no hidden field {name}"
    return html.unescape(found.group(1))


def _csrf(client, url: str) -> tuple[str, str]:
    response = client.get(url)
    assert response.status_code == 200, response.text[:800]
    return response.text, _hidden(response.text, "csrf_token")


def _rent(client, **changes: str) -> str:
    page, csrf = _csrf(client, "/rent?" + "&".join(f"{k}={v}" for k, v in {**RENT, **changes}.items()))
    data = {**RENT, **changes, "csrf_token": csrf, "idempotency_key": _hidden(page, "idempotency_key")}
    response = client.post("/rent", data=data, follow_redirects=False)
    assert response.status_code == 303, response.text[:1500]
    return response.headers["location"].rsplit("/", 1)[1]


def _verify(client, reference: str) -> None:
    _, csrf = _csrf(client, f"/rentals/{reference}")
    licence = {"full_name": "Li Lei", "id_number": HIGH_SCORE_ID, "licence_expiry": "2030-01-01", "licence_class": "C1"}
    answer = client.post(f"/rentals/{reference}/verify", data={"csrf_token": csrf, **licence}, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].endswith("notice=verified"), answer.text[:800]


def _confirm(client, reference: str):
    page, csrf = _csrf(client, f"/rentals/{reference}")
    data = {"csrf_token": csrf, "idempotency_key": _hidden(page, "idempotency_key"), "payment_method": "demo-card-ok"}
    return client.post(f"/rentals/{reference}/confirm", data=data, follow_redirects=False)


def _confirmed(client, people: People, **changes: str) -> tuple[str, str]:
    sign_in(client, people.renter)
    reference = _rent(client, **changes)
    _verify(client, reference)
    answer = _confirm(client, reference)
    assert answer.status_code == 200, answer.text[:1500]
    code = re.search(r'id="pickup-code">(\d{8})<', answer.text)
    assert code, answer.text[:1500]
    return reference, code.group(1)


@pytest.mark.parametrize(("lang", "heading"), [("en", "Rent a car"), ("zh-Hans", "租车")])
def test_the_rent_form_offers_the_stores_with_rental_cars_and_prices_the_time(client, people, lang, heading):
    blank = client.get(f"/rent?lang={lang}")
    assert blank.status_code == 200 and f"<h1>{heading}</h1>" in blank.text
    assert f'<option value="{STORE}" selected>' in blank.text and 'value="sh-pudong"' not in blank.text
    assert 'id="quote"' not in blank.text  # no times yet, no price
    priced = client.get("/rent", params={**RENT, "lang": lang})
    assert priced.status_code == 200, priced.text[:800]
    quote = priced.text[priced.text.index('id="quote"') :]
    # 10:00–13:00 at 45.00 an hour, 20 km an hour, 1.20 a km over, a 2,000.00 deposit.
    for figure in ("135.00", "60", "1.20", "2,000.00"):
        assert figure in quote, figure
    assert ("waived with a good credit score" if lang == "en" else "信用") in quote


@pytest.mark.parametrize("lang", LANGS)
def test_a_bad_rent_form_names_every_field_at_once_and_keeps_what_was_typed(client, people, lang):
    csrf = sign_in(client, people.renter)
    typed = {"store": STORE, "model": "focus", "pickup_date": "2026-12-02", "pickup_time": "08:00"}
    typed |= {"return_date": "2026-12-02", "return_time": "12:30"}
    answer = client.post(f"/rent?lang={lang}", data={**typed, "csrf_token": csrf, "idempotency_key": "k" * 20})
    assert answer.status_code == 422, answer.text[:800]
    page = answer.text
    assert all(f'id="{name}-error"' in page for name in ("model", "pickup")), page
    expected = {
        "en": ("Choose a model this store rents.", "The store is closed then: pick the car up while it is open."),
        "zh-Hans": ("请选择该门店出租的车型。", "门店届时未营业：请在营业时间内取车。"),
    }[lang]
    assert all(text in page for text in expected)
    assert 'value="08:00"' in page and 'value="12:30"' in page and 'value="2026-12-02"' in page
    broken = client.post(
        "/rent", data={"store": "nowhere", "pickup_date": "2026-13-01", "pickup_time": "25:00", "csrf_token": csrf}
    )
    assert broken.status_code == 422
    for name in ("store", "pickup_date", "pickup_time", "return_date", "return_time"):
        assert f'id="{name}-error"' in broken.text, name
    assert 'value="2026-13-01"' in broken.text and 'value="25:00"' in broken.text


def test_a_too_short_rental_is_refused_beside_the_return(client, people):
    csrf = sign_in(client, people.renter)
    data = {**RENT, "return_time": "10:59", "csrf_token": csrf, "idempotency_key": "k" * 20}
    answer = client.post("/rent?lang=en", data=data)
    assert answer.status_code == 422 and "The return must be at least an hour after the pick-up." in answer.text
    at_an_hour = client.get("/rent", params={**RENT, "return_time": "11:00"})
    assert at_an_hour.status_code == 200 and 'id="quote"' in at_an_hour.text


def test_signed_out_renters_are_sent_to_sign_in_and_back_to_their_choice(client, people):
    page = client.get("/rent", params=RENT).text
    data = {**RENT, "csrf_token": "", "idempotency_key": _hidden(page, "idempotency_key")}
    answer = client.post("/rent", data=data, follow_redirects=False)
    assert answer.status_code == 303, answer.text[:500]
    back = answer.headers["location"]
    assert back.startswith("/account/sign-in?next=/rent%3F") and "pickup_time%3D10%253A00" in back, back
    for path in ("/rentals", "/rentals/RN12345678"):
        refused = client.get(path, follow_redirects=False)
        assert refused.status_code == 303 and refused.headers["location"].startswith("/account/sign-in?next=")


@pytest.mark.parametrize("lang", LANGS)
def test_held_then_confirmed_shows_the_pick_up_code_once_and_the_waived_deposit(client, people, lang):
    sign_in(client, people.renter)
    reference = _rent(client)
    held = client.get(f"/rentals/{reference}?lang={lang}")
    assert held.status_code == 200 and 'id="licence-form"' in held.text and 'id="confirm-form"' not in held.text
    csrf = _hidden(held.text, "csrf_token")
    data = {"csrf_token": csrf, "idempotency_key": "a" * 32, "payment_method": "demo-card-ok"}
    refused = client.post(f"/rentals/{reference}/confirm", data=data)  # no licence yet: the way to verify one
    assert refused.status_code == 409 and 'data-code="licence_not_verified"' in refused.text
    assert 'id="licence-form"' in refused.text
    _verify(client, reference)
    ready = client.get(f"/rentals/{reference}?lang={lang}").text
    assert 'id="confirm-form"' in ready and 'value="demo-card-ok"' in ready
    answer = _confirm(client, reference)
    assert answer.status_code == 200
    assert re.search(r'id="pickup-code">\d{8}<', answer.text)
    again = client.get(f"/rentals/{reference}?lang={lang}").text
    assert 'id="pickup-code"' not in again and 'id="pickup-window"' in again
    assert ("Waived" if lang == "en" else "免") in again[again.index('id="deposit"') :][:300]
    mine = client.get(f"/rentals?lang={lang}")
    assert mine.status_code == 200 and reference in mine.text and 'class="plain-list rn-cards"' in mine.text


@pytest.mark.parametrize("lang", LANGS)
def test_a_bad_licence_form_is_answered_beside_each_field_and_stores_nothing(client, people, db_session, lang):
    sign_in(client, people.renter)
    reference = _rent(client)
    _, csrf = _csrf(client, f"/rentals/{reference}?lang={lang}")
    verify = f"/rentals/{reference}/verify?lang={lang}"
    empty = client.post(verify, data={"csrf_token": csrf, "licence_class": "Z9"})
    assert empty.status_code == 422 and 'action="/rentals/' + reference + '/verify"' in empty.text
    for name in ("full_name", "id_number", "licence_expiry", "licence_class"):
        assert f'id="{name}-error"' in empty.text, name
    licence = {"full_name": "Li Lei", "id_number": HIGH_SCORE_ID, "licence_class": "C1"}
    # The rental ends at 13:00 on 2 December: a licence valid through that day is good, one a day shorter is not.
    short = client.post(verify, data={"csrf_token": csrf, **licence, "licence_expiry": "2026-12-01"})
    assert short.status_code == 422 and HIGH_SCORE_ID not in short.text  # the ID number is never echoed
    error = re.search(r'<p class="field-error" id="licence_expiry-error">([^<]*)</p>', short.text)
    expected = {
        "en": "This licence expires before the rental ends. Enter a licence that is valid until then.",
        "zh-Hans": "此驾照在租车结束前到期。请输入在此之前一直有效的驾照。",
    }[lang]
    assert error and expected in html.unescape(error.group(1)), short.text[:1500]
    assert 'value="2026-12-01"' in short.text and 'value="Li Lei"' in short.text
    assert not db_session.scalars(select(DriverVerification)).all()
    good = client.post(
        verify, data={"csrf_token": csrf, **licence, "licence_expiry": "2026-12-02"}, follow_redirects=False
    )
    assert good.status_code == 303 and good.headers["location"] == f"/rentals/{reference}?notice=verified"


def test_the_cancel_page_shows_the_refund_and_cancelling_gives_it(client, people):
    reference, _ = _confirmed(client, people, pickup_date="2026-12-03", return_date="2026-12-03")
    page = client.get(f"/rentals/{reference}?lang=en").text
    assert "135.00" in page[page.index('id="cancel-refund"') :][:200]  # over 24 h ahead: all of it
    with clock.pinned(NOW + timedelta(hours=26, minutes=1)):  # 23 h 59 min before the start: half kept
        form, csrf = _csrf(client, f"/rentals/{reference}/cancel?lang=en")
        assert "67.50" in form[form.index('id="refund"') :][:300]
        done = client.post(f"/rentals/{reference}/cancel", data={"csrf_token": csrf}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == f"/rentals?cancelled={reference}"
    after = client.get(f"/rentals/{reference}?lang=en").text
    assert "67.50" in after[after.index('id="time-refunded"') :][:100]


def _out_with_the_renter(client, people: People) -> tuple[str, str]:
    """A confirmed rental the desk has handed over (at 10:00, its start); the renter signed in again: (reference,
    their CSRF token)."""
    reference, code = _confirmed(client, people)
    client.cookies.clear()
    staff_csrf = sign_in(client, people.staff)
    with clock.pinned(RENTAL_DAY + timedelta(hours=2)):
        data = {"csrf_token": staff_csrf, "odometer_km": "10000", "energy_percent": "90", "pickup_code": code}
        assert client.post(f"/backoffice/rentals/{reference}/check-out", data=data).status_code == 200
    client.cookies.clear()
    return reference, sign_in(client, people.renter)


def test_a_car_out_with_the_renter_cannot_be_cancelled_and_the_cancel_page_says_so(client, people):
    reference, csrf = _out_with_the_renter(client, people)
    with clock.pinned(RENTAL_DAY + timedelta(hours=2)):
        refused = client.post(f"/rentals/{reference}/cancel?lang=en", data={"csrf_token": csrf}, follow_redirects=False)
    assert refused.status_code == 409 and 'data-code="not_cancellable"' in refused.text
    assert "This rental can no longer be cancelled." in refused.text


def test_staff_check_the_car_out_and_in_and_the_renter_reads_and_pays_the_bill(client, people):
    reference, code = _confirmed(client, people)
    client.cookies.clear()
    staff_csrf = sign_in(client, people.staff)
    for lang in LANGS:
        desk = client.get(f"/backoffice/rentals?lang={lang}")
        assert desk.status_code == 200 and f'id="check-out-{reference}"' in desk.text
    out = f"/backoffice/rentals/{reference}/check-out"
    reading = {"csrf_token": staff_csrf, "odometer_km": "10000", "energy_percent": "90"}
    with clock.pinned(RENTAL_DAY + timedelta(hours=1, minutes=50)):  # 09:50, inside the pick-up window
        wrong = client.post(out, data={**reading, "pickup_code": "00000000"})
        assert wrong.status_code == 422 and 'data-code="pickup_code_wrong"' in wrong.text
        missing = client.post(out, data={"csrf_token": staff_csrf, "energy_percent": "900"})
        assert missing.status_code == 422
        assert all(f'id="{n}-error"' in missing.text for n in ("pickup_code", "odometer_km", "energy_percent"))
        assert 'value="900"' in missing.text
        done = client.post(out, data={**reading, "pickup_code": code}, follow_redirects=False)
        assert done.status_code == 303, done.text[:800]
    back = f"/backoffice/rentals/{reference}/check-in"
    with clock.pinned(RENTAL_DAY + timedelta(hours=6)):  # 14:00: an hour after the 13:00 end, still out
        desk = client.get("/backoffice/rentals?lang=en").text
        assert f'class="rn-card rn-overdue" id="rental-{reference}"' in desk
        bad = client.post(back, data={"csrf_token": staff_csrf, "odometer_km": "10160", "damage_charge": "12.345"})
        assert (
            bad.status_code == 422
            and 'id="damage_charge-error"' in bad.text
            and 'id="energy_percent-error"' in bad.text
        )
        assert 'value="12.345"' in bad.text and 'value="10160"' in bad.text
        checked_in = client.post(
            back,
            data={**reading, "odometer_km": "10160", "damage_charge": "100.00", "damage_notes": "scratch"},
            follow_redirects=False,
        )
        assert checked_in.status_code == 303, checked_in.text[:800]
    client.cookies.clear()
    csrf = sign_in(client, people.renter)
    bill = client.get(f"/rentals/{reference}?lang=en").text
    # 100 km over the 60 included at 1.20 = 120.00; 1 h late after the 30-min grace = 60.00; damage 100.00.
    lines = dict(re.findall(r'data-code="(\w+)">.*?<span class="rn-amount">([^<]+)</span>', bill, re.DOTALL))
    assert set(lines) == {"time", "km_over", "late", "energy", "damage"}
    assert "120.00" in lines["km_over"] and "60.00" in lines["late"] and "100.00" in lines["damage"]
    assert "280.00" in bill[bill.index('id="balance-due"') :][:80] and 'id="pay-form"' in bill
    paid = client.post(
        f"/rentals/{reference}/pay", data={"csrf_token": csrf, "payment_method": "demo-card-ok"}, follow_redirects=False
    )
    assert paid.status_code == 303 and paid.headers["location"].endswith("notice=paid")
    settled = client.get(f"/rentals/{reference}?lang=zh-Hans").text
    assert 'class="badge td-badge rn-settled"' in settled and 'id="pay-form"' not in settled


def test_a_self_service_return_without_a_car_reading_is_sent_to_the_desk(client, people):
    reference, csrf = _out_with_the_renter(client, people)
    with clock.pinned(RENTAL_DAY + timedelta(hours=4)):
        page = client.get(f"/rentals/{reference}?lang=en").text
        assert 'id="return-form"' in page
        answer = client.post(f"/rentals/{reference}/return?lang=en", data={"csrf_token": csrf})
    assert answer.status_code == 409 and 'data-code="no_car_reading"' in answer.text
    assert "return it at the store&#39;s desk" in answer.text or "return it at the store's desk" in answer.text


def test_other_stores_staff_and_other_shoppers_are_refused(client, people):
    reference, code = _confirmed(client, people)
    client.cookies.clear()
    csrf = sign_in(client, people.other)
    assert client.get(f"/rentals/{reference}").status_code == 404
    assert client.post(f"/rentals/{reference}/cancel", data={"csrf_token": csrf}).status_code == 404
    assert client.get("/backoffice/rentals").status_code == 403  # a shopper has no back office
    client.cookies.clear()
    csrf = sign_in(client, people.outsider)
    desk = client.get("/backoffice/rentals")
    assert desk.status_code == 200 and reference not in desk.text
    data = {"csrf_token": csrf, "odometer_km": "1", "energy_percent": "50", "pickup_code": code}
    assert client.post(f"/backoffice/rentals/{reference}/check-out", data=data).status_code == 403
    assert client.post(f"/backoffice/rentals/{reference}/check-in", data=data).status_code == 403
    assert client.post("/backoffice/rentals/RN00000000/check-in", data=data).status_code == 404
