"""The leads API and pages: scoping, masking and audited reveals, moves and refusals, tasks, SLA, contact form."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from forecourt.catalog.models import Vehicle
from forecourt.core.clock import pinned
from forecourt.marketing.leads.models import Lead
from tests.backoffice.helpers import events, sign_in
from tests.factories import auth_headers, make_token
from tests.marketing.leads.helpers import T0, World, emit, make_world


def _token(session: Session, world: World, who: str) -> dict[str, str]:
    headers = auth_headers(make_token(session, world.users[who]))
    session.commit()
    return headers


def _car(session: Session, world: World, store: str = "gz-tianhe") -> str:
    return session.scalars(select(Vehicle.vin).where(Vehicle.store_id == world.stores[store].id)).first()


def _contact(client: TestClient, car: str, **changes: object) -> object:
    body = {"vin": car, "name": "李雷", "mobile": "13800138000", "message": "还有货吗？", "consent": True} | changes
    return client.post("/api/v1/leads/contact", json=body)


def _lead_ref(session: Session) -> str:
    session.expire_all()
    return session.scalars(select(Lead.reference).order_by(Lead.id.desc())).first()


def test_contact_api_creates_a_masked_lead_and_staff_reveal_is_audited(client: TestClient, db_session: Session) -> None:
    world = make_world(db_session)
    answer = _contact(client, _car(db_session, world))
    assert answer.status_code == 201 and "13800138000" not in answer.text
    reference = _lead_ref(db_session)
    staff = _token(db_session, world, "staff_a")
    lead = client.get(f"/api/v1/leads/{reference}", headers=staff).json()
    assert lead["contact"] == {"name": "李*", "mobile": "138****8000", "email": None, "revealed": False}
    assert [t["kind"] for t in lead["tasks"]] == ["first_contact"]
    revealed = client.post(f"/api/v1/leads/{reference}/reveal", headers=staff)
    assert revealed.json() == {"name": "李雷", "mobile": "13800138000", "email": None, "revealed": True}
    (audit,) = events(db_session, "lead.contact_revealed")
    assert audit.object_id == reference and audit.details["fields"] == ["name", "mobile"]


def test_scoping_and_masking(client: TestClient, db_session: Session) -> None:
    world = make_world(db_session)
    _contact(client, _car(db_session, world))
    reference = _lead_ref(db_session)
    other, marketer, admin = (_token(db_session, world, who) for who in ("staff_b", "marketer", "admin"))
    assert client.get(f"/api/v1/leads/{reference}", headers=other).status_code == 404
    assert client.post(f"/api/v1/leads/{reference}/reveal", headers=other).status_code == 404
    assert reference not in client.get("/api/v1/leads", headers=other).text
    seen = client.get(f"/api/v1/leads/{reference}", headers=marketer).json()
    assert seen["contact"]["mobile"] == "138****8000"
    assert client.post(f"/api/v1/leads/{reference}/reveal", headers=marketer).status_code == 403
    assert client.post(f"/api/v1/leads/{reference}/reveal", headers=admin).status_code == 403
    refused = client.post(f"/api/v1/leads/{reference}/stage", json={"status": "contacted"}, headers=marketer)
    assert refused.status_code == 403 and refused.json()["code"] == "lead_read_only"
    shopper = _token(db_session, world, "shopper")
    assert client.get("/api/v1/leads", headers=shopper).status_code == 403
    assert client.get("/api/v1/leads").status_code == 401


def test_list_status_filter_is_the_documented_enum(client: TestClient, db_session: Session) -> None:
    world = make_world(db_session)
    emit(db_session, "quote_request", visitor="v-filter", store="gz-tianhe")
    db_session.commit()
    staff = _token(db_session, world, "staff_a")
    assert len(client.get("/api/v1/leads", headers=staff).json()) == 1
    assert len(client.get("/api/v1/leads?status=open", headers=staff).json()) == 1
    assert len(client.get("/api/v1/leads?status=new", headers=staff).json()) == 1
    assert client.get("/api/v1/leads?status=won", headers=staff).json() == []
    for refused in ("", "OPEN", "bogus"):
        answer = client.get("/api/v1/leads", params={"status": refused}, headers=staff)
        assert answer.status_code == 422 and answer.json()["code"] == "invalid_status", refused


def test_moves_and_refusals(client: TestClient, db_session: Session) -> None:
    world = make_world(db_session)
    emit(db_session, "quote_request", visitor="v-move", store="gz-tianhe")
    db_session.commit()
    reference = _lead_ref(db_session)
    staff, admin = _token(db_session, world, "staff_a"), _token(db_session, world, "admin")

    def move(status: str, reason: str = "", headers: dict[str, str] = staff) -> object:
        return client.post(
            f"/api/v1/leads/{reference}/stage", json={"status": status, "reason": reason}, headers=headers
        )

    assert move("contacted").json()["first_contacted_at"] is not None
    assert move("contacted").status_code == 409
    assert move("bogus").json()["code"] == "invalid_stage"
    assert move("test_drive").json()["status"] == "test_drive"
    back = move("contacted", "wrong")
    assert back.status_code == 403 and back.json()["code"] == "backwards_move_admin_only"
    lost = move("lost")
    assert lost.status_code == 422 and lost.json()["errors"][0]["field"] == "reason"
    assert move("lost", "Bought elsewhere").json()["lost_reason"] == "Bought elsewhere"
    assert move("new", "came back").status_code == 403
    assert move("contacted", "came back", admin).json()["status"] == "contacted"
    assert [e.details["to"] for e in events(db_session, "lead.stage_changed")] == [
        "contacted",
        "test_drive",
        "lost",
        "contacted",
    ]
    detail = client.get(f"/api/v1/leads/{reference}", headers=staff).json()
    assert {"created", "contacted", "stage"} <= {a["kind"] for a in detail["timeline"]}


def test_sla_overdue_and_tasks(client: TestClient, db_session: Session) -> None:
    world = make_world(db_session)
    emit(db_session, "quote_request", visitor="v-late", store="gz-tianhe")
    emit(db_session, "contact", visitor="v-early", store="gz-tianhe", at=T0 + timedelta(hours=1))
    db_session.commit()
    staff = _token(db_session, world, "staff_a")
    with pinned(T0 + timedelta(hours=2, minutes=30)):
        leads = client.get("/api/v1/leads", headers=staff).json()
        assert [(lead["overdue"]) for lead in leads] == [True, False]  # the oldest overdue first
        tasks = client.get("/api/v1/leads/tasks", headers=staff).json()
        assert [t["overdue"] for t in tasks] == [True, False]
        done = client.post(f"/api/v1/leads/tasks/{tasks[0]['id']}/complete", json={"note": "called"}, headers=staff)
        assert done.json()["state"] == "done"
        again = client.post(f"/api/v1/leads/tasks/{tasks[0]['id']}/complete", json={}, headers=staff)
        assert again.status_code == 409
        lead = client.get(f"/api/v1/leads/{tasks[0]['lead_reference']}", headers=staff).json()
        assert lead["status"] == "contacted" and not lead["overdue"]
        assert [t["kind"] for t in lead["tasks"] if t["state"] == "open"] == ["propose_test_drive"]
    other = _token(db_session, world, "staff_b")
    assert client.post(f"/api/v1/leads/tasks/{tasks[1]['id']}/complete", json={}, headers=other).status_code == 404


@pytest.mark.parametrize(
    "changes",
    [
        {"mobile": "", "email": ""},
        {"consent": False},
        {"name": ""},
        {"mobile": "1" * 40},
        {"email": "a@"},
        {"vin": "NOPE"},
        {"vin": "'; DROP TABLE leads; --"},
        {"name": "x" * 500},
        {"message": 42},
        {"consent": "maybe"},
        {"extra": "field"},
        {"name": "\u202e\x00"},
        {"visitor_id": "v" * 100},
    ],
)
def test_contact_api_refuses_bad_input_cleanly(client: TestClient, db_session: Session, changes: dict) -> None:
    world = make_world(db_session)
    answer = _contact(client, _car(db_session, world), **changes)
    assert 400 <= answer.status_code < 500, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")


def test_storefront_form_and_back_office_pages(client: TestClient, db_session: Session) -> None:
    world = make_world(db_session)
    vin = _car(db_session, world)
    page = client.get(f"/vehicles/{vin}")
    assert page.status_code == 200 and 'id="ask-about-car"' in page.text
    refused = client.post(f"/vehicles/{vin}/contact", data={"name": "", "mobile": "123", "message": "<b>hi</b>"})
    assert refused.status_code == 422 and 'id="cf-mobile-error"' in refused.text and "&lt;b&gt;hi" in refused.text
    sent = client.post(
        f"/vehicles/{vin}/contact",
        data={"name": "Han Meimei", "email": "han@example.com", "consent": "yes"},
        follow_redirects=False,
    )
    assert sent.status_code == 303 and sent.headers["location"].endswith("?contact=sent#ask-about-car")
    assert client.post("/vehicles/NOPE/contact", data={}).status_code in (404, 422)  # malformed VIN: 422
    reference = _lead_ref(db_session)
    csrf = sign_in(client, world.users["staff_a"])
    listing = client.get("/backoffice/leads")
    assert listing.status_code == 200 and reference in listing.text
    detail = client.get(f"/backoffice/leads/{reference}")
    assert "H***" in detail.text and "han@example.com" not in detail.text
    shown = client.post(f"/backoffice/leads/{reference}/reveal", data={"csrf_token": csrf})
    assert "han@example.com" in shown.text
    refused_move = client.post(f"/backoffice/leads/{reference}/stage", data={"csrf_token": csrf, "status": "lost"})
    assert refused_move.status_code == 422 and 'id="lead-problem"' in refused_move.text
    moved = client.post(f"/backoffice/leads/{reference}/contacted", data={"csrf_token": csrf}, follow_redirects=False)
    assert moved.status_code == 303


def test_pages_scope(client: TestClient, db_session: Session) -> None:
    world = make_world(db_session)
    emit(db_session, "quote_request", visitor="v-page", store="gz-tianhe")
    db_session.commit()
    reference = _lead_ref(db_session)
    sign_in(client, world.users["staff_b"])
    assert client.get(f"/backoffice/leads/{reference}").status_code == 404
    client.cookies.clear()
    sign_in(client, world.users["shopper"])
    assert client.get("/backoffice/leads").status_code == 403
    client.cookies.clear()
    assert client.get("/backoffice/leads", follow_redirects=False).status_code == 303
