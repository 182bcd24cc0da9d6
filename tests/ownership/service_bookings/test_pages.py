"""The service pages without a browser: the owner books (hold → confirm with the form's idempotency key, a double
submit booking once), staff see the job on their store's calendar and complete it (every field checked beside
it), the owner's history shows the work and the next service due; who may open what (another owner's car and job
answer the "not your car" 404, another store's calendar and job the 403 page); the schedule page's import with
per-row problems; the recall figures page."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from forecourt.accounts.models import User
from forecourt.core import clock
from forecourt.ownership.recalls import service as recalls
from forecourt.ownership.recalls.targeting import RecallTarget, TargetKind
from forecourt.ownership.service_bookings.models import ServiceJob
from tests.backoffice.helpers import sign_in
from tests.factories import make_user
from tests.ownership.service_bookings.helpers import NOW, SLOT, Workshop, installed, make_workshop

pytestmark = pytest.mark.pinned_clock(NOW)

SERVICE = "/garage/cars/{vin}/service"


@pytest.fixture
def shop(db_session) -> Iterator[Workshop]:
    workshop = make_workshop(db_session)
    for _ in installed([workshop.car]):
        yield workshop


def _user(db_session, user_id: int) -> User:
    return db_session.get(User, user_id)


def _hidden(page: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert found, f"no hidden {name}"
    return html.unescape(found.group(1))


def _book(client, shop: Workshop, csrf: str) -> str:
    page = client.get(SERVICE.format(vin=shop.car.vin), params={"date": "2026-12-02"})
    assert page.status_code == 200, page.text
    assert 'value="2026-12-02T10:00:00+08:00"' in page.text
    form = {
        "csrf_token": csrf,
        "idempotency_key": _hidden(page.text, "idempotency_key"),
        "store": "gz-tianhe",
        "job_type": "periodic_service",
        "start": "2026-12-02T10:00:00+08:00",
    }
    first = client.post(f"{SERVICE.format(vin=shop.car.vin)}/book", data=form, follow_redirects=False)
    again = client.post(f"{SERVICE.format(vin=shop.car.vin)}/book", data=form, follow_redirects=False)
    assert first.status_code == again.status_code == 303, first.text
    assert first.headers["location"] == again.headers["location"]  # the double submit replays the first hold
    return first.headers["location"].rsplit("/", 1)[1]


def test_owner_books_staff_complete_and_the_history_shows_it(client, db_session, shop):
    csrf = sign_in(client, _user(db_session, shop.owner_id))
    page = client.get(SERVICE.format(vin=shop.car.vin))
    assert page.status_code == 200 and 'id="history-none"' in page.text
    assert page.headers["cache-control"] == "no-store"  # a car's owner and history
    reference = _book(client, shop, csrf)
    assert db_session.scalar(select(func.count()).select_from(ServiceJob)) == 1
    held = client.get(f"/garage/service-jobs/{reference}")
    assert held.status_code == 200 and 'id="confirm"' in held.text
    form = {"csrf_token": csrf, "idempotency_key": _hidden(held.text, "idempotency_key")}
    for _ in range(2):  # the second submit of the same form replays the first outcome
        done = client.post(f"/garage/service-jobs/{reference}/confirm", data=form, follow_redirects=False)
        assert done.status_code == 303 and done.headers["location"].endswith("?notice=confirmed"), done.text
    assert "td-confirmed" in client.get(f"/garage/service-jobs/{reference}").text

    client.cookies.clear()
    csrf = sign_in(client, _user(db_session, shop.staff_id))
    calendar = client.get("/backoffice/stores/gz-tianhe/service", params={"date": "2026-12-02"})
    assert calendar.status_code == 200 and f"/backoffice/service-jobs/{reference}" in calendar.text
    week = client.get("/backoffice/stores/gz-tianhe/service", params={"date": "2026-12-02", "view": "week"})
    assert f"/backoffice/service-jobs/{reference}" in week.text
    path = f"/backoffice/service-jobs/{reference}"
    with clock.pinned(NOW + timedelta(days=1, hours=5)):
        bad = client.post(
            f"{path}/complete",
            data={"csrf_token": csrf, "odometer_km": "4 850", "work_done": "", "cost": "-1", "part_name_1": "Filter"},
        )
        assert bad.status_code == 422
        for field in ("odometer_km-error", "work_done-error", "cost-error", "parts-error"):
            assert f'id="{field}"' in bad.text, field
        work = {
            "csrf_token": csrf,
            "odometer_km": "5100",
            "work_done": "First service: oil and filter",
            "cost": "480.005",
            "part_name_1": "Oil filter",
            "part_quantity_1": "1",
            "part_price_1": "60.00",
        }
        done = client.post(f"{path}/complete", data=work, follow_redirects=False)
        assert done.status_code == 303 and done.headers["location"] == f"{path}?done=completed", done.text
        again = client.post(f"{path}/complete", data=work)
        assert again.status_code == 409 and 'data-code="job_not_confirmed"' in again.text
    job = db_session.scalars(select(ServiceJob)).one()
    db_session.refresh(job)
    assert job.status == "completed" and str(job.cost) == "480.01" and job.next_due_km == 15_100

    client.cookies.clear()
    sign_in(client, _user(db_session, shop.owner_id))
    history = client.get(SERVICE.format(vin=shop.car.vin), params={"lang": "en"})
    assert 'id="history"' in history.text and "First service: oil and filter" in history.text
    assert "15,100" in history.text


def test_staff_cancel_a_job_and_another_store_is_refused(client, db_session, shop):
    csrf = sign_in(client, _user(db_session, shop.owner_id))
    reference = _book(client, shop, csrf)
    client.cookies.clear()
    outsider = make_user(db_session, roles=[("store_staff", shop.catalog["stores"]["sh-pudong"].id)])
    db_session.commit()
    csrf = sign_in(client, outsider)
    assert client.get("/backoffice/stores/gz-tianhe/service").status_code == 403
    assert client.get(f"/backoffice/service-jobs/{reference}").status_code == 403
    refused = client.post(f"/backoffice/service-jobs/{reference}/cancel", data={"csrf_token": csrf})
    assert refused.status_code == 403
    assert client.get("/backoffice/service-jobs/SVNOSUCHJOB1").status_code == 404
    client.cookies.clear()
    csrf = sign_in(client, _user(db_session, shop.staff_id))
    done = client.post(
        f"/backoffice/service-jobs/{reference}/cancel", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert done.status_code == 303
    again = client.post(f"/backoffice/service-jobs/{reference}/cancel", data={"csrf_token": csrf})
    assert again.status_code == 409 and 'data-code="job_not_cancellable"' in again.text


def test_not_your_car_and_not_your_job(client, db_session, shop):
    csrf = sign_in(client, _user(db_session, shop.owner_id))
    reference = _book(client, shop, csrf)
    client.cookies.clear()
    other = db_session.scalars(select(User).where(User.email == "other-owner@example.test")).one()
    csrf = sign_in(client, other)
    page = client.get(SERVICE.format(vin=shop.car.vin), params={"lang": "en"})
    assert page.status_code == 404 and "only its owner sees a car" in page.text
    booked = client.post(
        f"{SERVICE.format(vin=shop.car.vin)}/book",
        data={
            "csrf_token": csrf,
            "idempotency_key": "k",
            "store": "gz-tianhe",
            "job_type": "periodic_service",
            "start": SLOT,
        },
    )
    assert booked.status_code == 404
    assert client.get(f"/garage/service-jobs/{reference}").status_code == 404
    refused = client.post(f"/garage/service-jobs/{reference}/confirm", data={"csrf_token": csrf})
    assert refused.status_code == 404
    client.cookies.clear()
    signed_out = client.get(SERVICE.format(vin=shop.car.vin), follow_redirects=False)
    assert signed_out.status_code == 303 and signed_out.headers["location"].startswith("/account/sign-in?next=")


def test_a_taken_slot_and_an_expired_hold_are_explained(client, db_session, shop):
    csrf = sign_in(client, _user(db_session, shop.owner_id))
    page = client.get(SERVICE.format(vin=shop.car.vin))
    form = {
        "csrf_token": csrf,
        "idempotency_key": _hidden(page.text, "idempotency_key"),
        "job_type": "periodic_service",
    }
    odd = client.post(f"{SERVICE.format(vin=shop.car.vin)}/book", data={**form, "start": "2026-12-02T10:10:00+08:00"})
    assert odd.status_code == 422 and 'data-code="slot_not_offered"' in odd.text
    reference = _book(client, shop, csrf)
    with clock.pinned(NOW + timedelta(minutes=10)):
        late = client.get(f"/garage/service-jobs/{reference}")
        assert 'id="expired"' in late.text and 'id="confirm"' not in late.text


def test_schedule_page_shows_exports_and_imports_with_every_problem(client, db_session, shop):
    officer = make_user(db_session, roles=[("finance_officer", None)])
    db_session.commit()
    staff_csrf = sign_in(client, _user(db_session, shop.staff_id))
    page = client.get("/backoffice/service-schedules")
    assert page.status_code == 200 and 'id="schedules"' in page.text and 'type="file"' not in page.text
    upload = {
        "file": ("s.csv", b"model_code,powertrain,first_km,first_months,every_km,every_months\n,,5000,3,10000,6\n")
    }
    assert (
        client.post("/backoffice/service-schedules/import", data={"csrf_token": staff_csrf}, files=upload).status_code
        == 403
    )
    client.cookies.clear()
    csrf = sign_in(client, officer)
    bad = (
        b"model_code,powertrain,first_km,first_months,every_km,every_months\n,,0,3,10000,6\nkuga,steam,5000,3,10000,6\n"
    )
    refused = client.post(
        "/backoffice/service-schedules/import", data={"csrf_token": csrf}, files={"file": ("s.csv", bad)}
    )
    assert refused.status_code == 422 and 'id="problems"' in refused.text
    rows = re.findall(r"<tr><td class=\"num\">(\d+)</td>", refused.text)
    assert rows == ["2", "3"], rows
    good = (
        b"model_code,powertrain,first_km,first_months,every_km,every_months\n"
        b",,5000,3,10000,6\n,bev,10000,6,20000,12\nkuga,,3000,3,8000,6\n"
    )
    imported = client.post(
        "/backoffice/service-schedules/import", data={"csrf_token": csrf, "lang": "en"}, files={"file": ("s.csv", good)}
    )
    assert imported.status_code == 200 and 'id="imported"' in imported.text
    assert "8,000" in client.get("/backoffice/service-schedules", params={"lang": "en"}).text
    assert client.post("/backoffice/service-schedules/import", data={"csrf_token": csrf}).status_code == 422


def test_recall_figures_page_counts_the_stores_cars(client, db_session, shop):
    target = RecallTarget(TargetKind.VINS, frozenset({shop.car.vin}))
    recalls.create_campaign(db_session, recalls.CampaignDraft("R-1", "Hose", "软管", target), actor=None, now=NOW)
    recalls.notify_affected(db_session, [shop.car], NOW)
    db_session.commit()
    sign_in(client, _user(db_session, shop.staff_id))
    page = client.get("/backoffice/recalls", params={"lang": "en"})
    assert page.status_code == 200 and "R-1" in page.text
    assert re.search(r'<td class="num">1</td><td class="num">0</td><td class="num">1</td>', page.text), page.text
    client.cookies.clear()
    outsider = make_user(db_session, roles=[("store_staff", shop.catalog["stores"]["sh-pudong"].id)])
    db_session.commit()
    sign_in(client, outsider)
    assert "R-1" not in client.get("/backoffice/recalls").text
    client.cookies.clear()
    sign_in(client, _user(db_session, shop.owner_id))
    assert client.get("/backoffice/recalls", follow_redirects=False).status_code == 403
    car = client.get(SERVICE.format(vin=shop.car.vin), params={"lang": "en"})
    assert 'id="open-recalls"' in car.text and '<option value="recall" selected>' in car.text
