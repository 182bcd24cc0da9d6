"""The ownership records are the cars servicing, bookings and recalls work on (records.car_facts, installed by
default), on SQLite and PostgreSQL: the facts of a sold car and of a car registered from outside the catalog, who
drops out when an ownership ends, and the scheduled jobs and the garage card working on them end to end."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from forecourt.catalog import service as catalog
from forecourt.catalog.vin import model_year_of
from forecourt.core.outbox import OutboxMessage
from forecourt.jobs.registry import SCHEDULED_JOBS
from forecourt.ownership.models import EndReason
from forecourt.ownership.recalls import service as recalls
from forecourt.ownership.recalls.targeting import RecallTarget, TargetKind
from forecourt.ownership.records import car_facts, changes
from forecourt.ownership.records import service as records
from forecourt.ownership.records.car_facts import RecordedCars
from tests.ownership.helpers import GARAGE, NOW, OWNERSHIPS, backdate, completed_order, make_world
from tests.ownership.service_bookings.helpers import key

pytestmark = pytest.mark.pinned_clock(NOW)

OUTSIDE_VIN = "LFV3A23C9J3000017"  # valid, not in the catalog; position 10 "J": model year 2018


@pytest.fixture
def world(db_session):
    return make_world(db_session)


def _job(name: str):
    return next(job for job in SCHEDULED_JOBS if job.name == name)


def test_a_sold_car_is_an_owned_car_with_its_contracts_delivery(db_session, world):
    ownership, _ = completed_order(db_session, world, "loan")
    backdate(db_session, ownership, date(2026, 5, 20))
    car = car_facts.find_car(db_session, ownership.vin.lower())
    vehicle = catalog.get_vehicle(db_session, ownership.vin)
    contract = records.contract_of(db_session, ownership)
    assert car is not None and isinstance(car_facts.source(), RecordedCars)
    assert (car.vin, car.owner_user_id, car.store_id) == (ownership.vin, world.users["owner"].id, vehicle.store_id)
    assert (car.model_code, car.powertrain, car.model_year) == ("kuga", vehicle.trim.powertrain, vehicle.model_year)
    assert (car.delivered_on, car.delivery_km) == (date(2026, 5, 20), contract.delivery_odometer_km)
    assert car.contact_email == world.users["owner"].email and car.time_zone == "Asia/Shanghai"
    assert [c.vin for c in car_facts.active_cars(db_session, NOW.date())] == [ownership.vin]


def test_a_car_from_outside_the_catalog_takes_its_year_from_the_vin(client, db_session, world):
    body = {
        "vin": OUTSIDE_VIN,
        "owner": world.users["owner"].email,
        "store": "gz-tianhe",
        "model_code": "kuga",
        "contract": {"product": "cash", "price": "150000.00", "delivered_on": "2026-03-01", "delivery_odometer_km": 9},
    }
    made = client.post(OWNERSHIPS, json=body, headers={**world.headers["staff"], **key()})
    assert made.status_code == 201, made.text
    car = car_facts.find_car(db_session, OUTSIDE_VIN)
    powertrains = {trim.powertrain for trim in catalog.get_model(db_session, "kuga").trims}
    assert car is not None and car.model_year == 2018 and car.powertrain in powertrains
    assert (car.delivered_on, car.delivery_km) == (date(2026, 3, 1), 9)


def test_an_ended_ownership_and_a_closed_account_stop_the_messages(db_session, world):
    ownership, _ = completed_order(db_session, world, "loan")
    world.users["owner"].is_active = False
    db_session.flush()
    car = car_facts.find_car(db_session, ownership.vin)
    assert car is not None and (car.contact_email, car.contact_mobile) == ("", "")
    changes.end(
        db_session,
        ownership.reference,
        EndReason.SOLD_BACK,
        NOW.date(),
        ownership.start_odometer_km + 10,
        actor=world.users["staff"].id,
        allowed_store_ids=None,
        now=NOW,
    )
    assert car_facts.find_car(db_session, ownership.vin) is None
    assert car_facts.active_cars(db_session, NOW.date()) == ()


def test_an_ownership_starting_later_is_not_active_yet(db_session, world):
    ownership, _ = completed_order(db_session, world, "loan")
    backdate(db_session, ownership, NOW.date() + timedelta(days=1))
    assert car_facts.active_cars(db_session, NOW.date()) == ()
    assert [c.vin for c in car_facts.active_cars(db_session, NOW.date() + timedelta(days=1))] == [ownership.vin]


def test_the_jobs_remind_and_notify_the_recorded_owner_once_and_the_garage_shows_it(client, db_session, world):
    ownership, _ = completed_order(db_session, world, "loan")
    backdate(db_session, ownership, date(2026, 8, 20))  # first service at 3 months: 20 November, due now
    vehicle = catalog.get_vehicle(db_session, ownership.vin)
    target = RecallTarget(TargetKind.MODEL_YEAR, model_code="kuga", year_from=vehicle.model_year)
    draft = recalls.CampaignDraft("R-TEST-1", "Brake hose", "制动软管", target, "Replace it.", "更换。")
    recalls.create_campaign(db_session, draft, actor=None, now=NOW)
    runs = [
        (_job("service-reminders").run(db_session, at), _job("recall-notices").run(db_session, at))
        for at in (NOW, NOW + timedelta(hours=1))
    ]
    assert runs == [(1, 1), (0, 0)]
    to_owner = db_session.scalars(
        select(OutboxMessage).where(OutboxMessage.recipient == world.users["owner"].email)
    ).all()
    subjects = sorted(m.subject for m in to_owner)
    assert subjects == ["召回通知 R-TEST-1：制动软管", "您的爱车已到保养时间"]  # zh-Hans: the language of the market
    db_session.commit()
    card = client.get(f"{GARAGE}/{ownership.reference}", headers=world.headers["owner"]).json()
    assert card["sections"]["service_status"]["stage"] == "due"
    assert card["sections"]["service_status"]["due_on"] == "2026-11-20"
    assert [r["code"] for r in card["sections"]["recalls"]["recalls"]] == ["R-TEST-1"]
    assert "service_history" not in card["sections"]  # nothing done yet


@pytest.mark.parametrize(
    ("code", "latest", "year"),
    [("J", 2027, 2018), ("A", 2027, 2010), ("Y", 2027, 2000), ("1", 2027, 2001), ("9", 2027, 2009), ("R", 2024, 2024)],
)
def test_model_year_from_vin_position_ten(code, latest, year):
    vin = f"LFV3A23C9{code}3000017"
    assert model_year_of(vin, latest) == year


def test_model_year_is_never_after_the_latest_and_unknown_codes_name_none():
    assert model_year_of("LFV3A23C9S3000017", 2025) == 2025  # S is 2025
    assert model_year_of("LFV3A23C9T3000017", 2025) == 1996  # T is 2026 or 1996: not after 2025
    assert model_year_of("LFV3A23C9U3000017", 2027) is None  # U names no year
    assert model_year_of("SHORT", 2027) is None
