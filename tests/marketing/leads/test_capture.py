"""Capturing leads from events: dedup by person, routing, automatic pipeline moves, tasks."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from forecourt.core.crypto import field_cipher_from_config
from forecourt.marketing.leads import contact_form
from forecourt.marketing.leads.contact import check_contact
from forecourt.marketing.leads.models import Lead, LeadTask
from tests.marketing.leads.helpers import T0, emit, make_world, stitch

CIPHER = field_cipher_from_config("", "test-secret-key-for-leads-0123456789")


def _leads(session: Session) -> list[Lead]:
    return list(session.scalars(select(Lead).order_by(Lead.id)))


def test_engagement_alone_makes_no_lead_but_counts_later(db_session: Session) -> None:
    make_world(db_session)
    emit(db_session, "vehicle_view", visitor="v-a")
    emit(db_session, "calculator_use", visitor="v-a", at=T0 + timedelta(minutes=1))
    assert _leads(db_session) == []
    emit(db_session, "quote_request", visitor="v-a", at=T0 + timedelta(minutes=2))
    (lead,) = _leads(db_session)
    assert (lead.person_key, lead.source, lead.status) == ("visitor:v-a", "quote_request", "new")
    assert (lead.vehicle_views, lead.calculator_uses, lead.quote_requests) == (1, 1, 1)


def test_same_user_is_one_lead(db_session: Session) -> None:
    world = make_world(db_session)
    user = world.users["shopper"].id
    emit(db_session, "quote_request", user=user)
    emit(db_session, "contact", user=user, at=T0 + timedelta(hours=1))
    emit(db_session, "test_drive_booked", user=user, at=T0 + timedelta(hours=2), store="gz-tianhe")
    (lead,) = _leads(db_session)
    assert lead.person_key == f"user:{user}" and lead.status == "test_drive" and lead.test_drive_booked


def test_stitched_visitor_joins_the_users_lead(db_session: Session) -> None:
    world = make_world(db_session)
    user = world.users["shopper"].id
    emit(db_session, "quote_request", user=user)
    stitch(db_session, "v-phone", user)
    emit(db_session, "credit_application", visitor="v-phone", at=T0 + timedelta(hours=1))
    (lead,) = _leads(db_session)
    assert lead.status == "application" and lead.credit_applied


def test_visitor_lead_upgrades_to_user_after_sign_in(db_session: Session) -> None:
    world = make_world(db_session)
    user = world.users["shopper"].id
    emit(db_session, "quote_request", visitor="v-laptop")
    stitch(db_session, "v-laptop", user)
    emit(db_session, "test_drive_taken", user=user, at=T0 + timedelta(hours=1))
    (lead,) = _leads(db_session)
    assert (lead.person_key, lead.user_id, lead.status) == (f"user:{user}", user, "test_drive")


def test_contact_form_dedups_by_blind_index(db_session: Session) -> None:
    world = make_world(db_session)
    vin = world.catalog and db_session.scalars(select(Lead.reference)).first()  # no lead yet
    assert vin is None
    from forecourt.catalog.models import Vehicle

    car = db_session.scalars(select(Vehicle).where(Vehicle.store_id == world.stores["gz-tianhe"].id)).first()
    first, _ = check_contact("Li Lei", "+86 138 0013 8000", "", "Hello", True)
    second, _ = check_contact("Li Lei", "13800138000", "li@example.com", "Again", True)
    assert first and second
    contact_form.submit(db_session, CIPHER, car.vin, first, user_id=None, visitor_id=None, now=T0)
    contact_form.submit(db_session, CIPHER, car.vin, second, user_id=None, visitor_id=None, now=T0 + timedelta(hours=1))
    (lead,) = _leads(db_session)
    assert lead.person_kind == "contact" and lead.contacts == 2 and lead.routed_by == "event_store"
    assert lead.mobile_masked == "138****8000" and lead.email_masked == "l***@example.com"
    assert "13800138000" not in (lead.mobile_enc or "") and lead.mobile_enc.startswith("fc1:")


def test_routing(db_session: Session) -> None:
    world = make_world(db_session)
    kuga = emit(db_session, "quote_request", model="kuga")  # gz-baiyun has the most kuga stock in guangzhou
    store_wins = emit(db_session, "quote_request", model="kuga", store="sh-pudong")
    no_stock = emit(db_session, "quote_request", model="navigator")
    by_name = emit(db_session, "quote_request", city="Shanghai", model="kuga")
    nowhere = emit(db_session, "quote_request", city="Atlantis", model=None)
    leads = {lead.visitor_id: lead for lead in _leads(db_session)}
    ids = {code: store.id for code, store in world.stores.items()}
    assert (leads[kuga.visitor_id].store_id, leads[kuga.visitor_id].routed_by) == (ids["gz-baiyun"], "city_model")
    assert (leads[store_wins.visitor_id].store_id, leads[store_wins.visitor_id].routed_by) == (
        ids["sh-pudong"],
        "event_store",
    )
    assert (leads[no_stock.visitor_id].store_id, leads[no_stock.visitor_id].routed_by) == (ids["gz-baiyun"], "city")
    assert (leads[by_name.visitor_id].store_id, leads[by_name.visitor_id].routed_by) == (ids["sh-pudong"], "city_model")
    assert (leads[nowhere.visitor_id].store_id, leads[nowhere.visitor_id].routed_by) == (ids["gz-baiyun"], "default")
    assert leads[kuga.visitor_id].distance_km is not None and leads[nowhere.visitor_id].distance_km is None


def test_tasks_follow_the_pipeline_and_order_wins(db_session: Session) -> None:
    make_world(db_session)
    emit(db_session, "quote_request", visitor="v-t")
    (lead,) = _leads(db_session)
    tasks = list(db_session.scalars(select(LeadTask).where(LeadTask.lead_id == lead.id)))
    assert [(t.kind, t.state) for t in tasks] == [("first_contact", "open")]
    assert tasks[0].due_at == T0 + timedelta(hours=2)  # Wednesday 10:00 local, open till 18:00
    emit(db_session, "test_drive_taken", visitor="v-t", at=T0 + timedelta(hours=3))
    emit(db_session, "order", visitor="v-t", at=T0 + timedelta(hours=5))
    db_session.expire_all()
    assert lead.status == "won" and lead.open_person_key is None and lead.closed_at is not None
    states = {t.kind: t.state for t in db_session.scalars(select(LeadTask).where(LeadTask.lead_id == lead.id))}
    assert states == {"first_contact": "cancelled", "test_drive_follow_up": "cancelled"}
    emit(db_session, "quote_request", visitor="v-t", at=T0 + timedelta(days=30))  # a new inquiry: a new lead
    assert len(_leads(db_session)) == 2
