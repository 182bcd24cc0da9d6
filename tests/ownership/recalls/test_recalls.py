"""Recalls: targeting by VIN list, VIN range and model/year at both ends of each, notified once, books as a recall
job, fixed on completion, and the figures of reached and fixed per store."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from forecourt.core import clock
from forecourt.core.outbox import OutboxMessage
from forecourt.ownership.owned_cars import OwnedCar
from forecourt.ownership.recalls import service as recalls
from forecourt.ownership.recalls.targeting import RecallTarget, TargetKind, target_problems
from tests.factories import auth_headers, make_token, make_user
from tests.ownership.service_bookings.helpers import JOBS, NOW, confirm, hold, installed, make_workshop

A = "LVSHCAMB1TZ000100"
B = "LVSHCAMB7TZ000950"


def _car(vin: str, model: str = "kuga", year: int = 2024, store_id: int = 1) -> OwnedCar:
    return OwnedCar(vin, 1, store_id, model, "ice", year, date(2025, 1, 1), 0, "o@example.test", language="en")


@pytest.mark.parametrize(
    ("vin", "inside"),
    [
        ("LVSHCAMB1TZ000100", True),  # the first end
        ("LVSHCAMB5TZ000950", True),  # the last end, another check digit
        ("LVSHCAMB0TZ000500", True),
        ("LVSHCAMB1TZ000099", False),  # one before
        ("LVSHCAMB1TZ000951", False),  # one after
        ("LVSHCAMB1SZ000500", False),  # another model year (position 10)
        ("LVSHCAMB1TY000500", False),  # another plant (position 11)
        ("LVSHCAMX1TZ000500", False),  # another descriptor
    ],
)
def test_vin_range(vin, inside):
    target = RecallTarget(TargetKind.VIN_RANGE, vin_from=A, vin_to=B)
    assert target.matches(vin, "kuga", 2026) is inside


@pytest.mark.parametrize(("year", "inside"), [(2021, False), (2022, True), (2024, True), (2025, False)])
def test_model_and_years_inclusive(year, inside):
    target = RecallTarget(TargetKind.MODEL_YEAR, model_code="kuga", year_from=2022, year_to=2024)
    assert target.matches(A, "kuga", year) is inside
    assert not target.matches(A, "mondeo", year)


def test_open_ended_years_and_vin_list():
    assert RecallTarget(TargetKind.MODEL_YEAR, model_code="kuga", year_from=2022).matches(A, "kuga", 2030)
    listed = RecallTarget(TargetKind.VINS, vins=frozenset({A}))
    assert listed.matches(A.lower(), "x", 1) and not listed.matches(B, "kuga", 2024)


@pytest.mark.parametrize(
    ("target", "field"),
    [
        (RecallTarget(TargetKind.VINS), "vins"),
        (RecallTarget(TargetKind.VINS, vins=frozenset({"SHORT"})), "vins"),
        (RecallTarget(TargetKind.VIN_RANGE, vin_from=B, vin_to=A), "vin_to"),
        (RecallTarget(TargetKind.VIN_RANGE, vin_from=A, vin_to="LVSHCAMB1SZ000950"), "vin_to"),
        (RecallTarget(TargetKind.MODEL_YEAR), "model_code"),
        (RecallTarget(TargetKind.MODEL_YEAR, model_code="kuga", year_from=2025, year_to=2024), "year_to"),
    ],
)
def test_unclear_targets_are_refused(target, field):
    assert [f for f, _ in target_problems(target)] == [field]


def _campaign(session, code="R-2026-01", **target) -> None:
    kind = target.pop("kind", TargetKind.MODEL_YEAR)
    draft = recalls.CampaignDraft(
        code, "Brake hose", "制动软管", RecallTarget(kind, **target), "Replace the hose.", "更换软管。"
    )
    recalls.create_campaign(session, draft, actor=None, now=NOW)


def test_affected_owners_are_told_once(db_session):
    _campaign(db_session, model_code="kuga", year_from=2023, year_to=2024)
    cars = [_car("LVSHCAMB1TZ000101"), _car("LVSHCAMB1TZ000102", year=2022), _car("LVSHCAMB1TZ000103", model="mondeo")]
    assert recalls.notify_affected(db_session, cars, NOW) == 1
    assert recalls.notify_affected(db_session, cars, NOW + timedelta(hours=1)) == 0
    messages = db_session.scalars(select(OutboxMessage).where(OutboxMessage.subject.like("Recall R-2026-01%"))).all()
    assert len(messages) == 1 and "LVSHCAMB1TZ000101" in messages[0].body
    assert [n.code for n in recalls.open_notices(db_session, "LVSHCAMB1TZ000101")] == ["R-2026-01"]
    assert recalls.open_notices(db_session, "LVSHCAMB1TZ000102") == []


def test_a_campaign_code_is_unique(db_session):
    _campaign(db_session, model_code="kuga")
    with pytest.raises(Exception) as refused:
        _campaign(db_session, model_code="kuga")
    assert getattr(refused.value, "code", "") == "recall_exists"


@pytest.fixture
def shop(db_session) -> Iterator:
    workshop = make_workshop(db_session)
    for _ in installed([workshop.car]):
        with clock.pinned(NOW):
            yield workshop


def test_a_recall_books_as_a_job_and_completion_fixes_it(client, db_session, shop):
    _campaign(db_session, kind=TargetKind.VINS, vins=frozenset({shop.car.vin}))
    recalls.notify_affected(db_session, [shop.car], NOW)
    db_session.commit()
    refused = hold(client, shop.owner, shop.car.vin, job_type="recall", recall_code="R-OTHER")
    assert refused.status_code == 422 and refused.json()["code"] == "recall_not_open"
    held = hold(client, shop.owner, shop.car.vin, job_type="recall", recall_code="r-2026-01")
    assert held.status_code == 201 and held.json()["recall_code"] == "R-2026-01"
    reference = held.json()["reference"]
    confirm(client, shop.owner, reference)
    work = {"odometer_km": 3000, "work_done": "Brake hose replaced", "cost": "0.00"}
    assert client.post(f"{JOBS}/{reference}/complete", json=work, headers=shop.staff).status_code == 200
    assert recalls.open_notices(db_session, shop.car.vin) == []
    figures = client.get("/api/v1/recalls", headers=shop.staff).json()
    assert [(f["code"], f["reached"], f["fixed"]) for f in figures] == [("R-2026-01", 1, 1)]
    assert client.get("/api/v1/recalls", headers=shop.outsider_staff).json() == []  # no car of theirs
    status = client.get(f"/api/v1/cars/{shop.car.vin}/service-status", headers=shop.owner).json()
    assert status["open_recalls"] == []


def test_creating_a_campaign_is_for_admins(client, db_session, shop):
    admin = auth_headers(make_token(db_session, make_user(db_session, roles=[("admin", None)])))
    db_session.commit()
    body = {"code": "R-9", "title_en": "x", "title_zh": "x", "target": "model_year", "model": "kuga", "year_from": 2024}
    assert client.post("/api/v1/recalls", json=body, headers=shop.staff).status_code == 403
    created = client.post("/api/v1/recalls", json=body, headers=admin)
    assert created.status_code == 201, created.text
    assert client.post("/api/v1/recalls", json=body, headers=admin).status_code == 409
    unclear = {**body, "code": "R-10", "target": "vin_range", "vin_from": A, "vin_to": "LVSHCAMB1SZ000950"}
    assert client.post("/api/v1/recalls", json=unclear, headers=admin).json()["code"] == "invalid_recall_target"
    assert db_session.scalar(select(func.count()).select_from(OutboxMessage)) == 0  # told by the job, not here


def test_service_status_shows_the_next_service_and_open_recalls(client, db_session, shop):
    _campaign(db_session, kind=TargetKind.VINS, vins=frozenset({shop.car.vin}))
    recalls.notify_affected(db_session, [shop.car], datetime(2026, 11, 30, tzinfo=UTC))
    db_session.commit()
    status = client.get(f"/api/v1/cars/{shop.car.vin}/service-status", headers=shop.owner).json()
    assert (
        status["due_day"] == "2026-12-01" and status["due_km"] == 5010 and status["stage"] == "due"
    )  # today is the day
    assert [n["code"] for n in status["open_recalls"]] == ["R-2026-01"]
    assert client.get(f"/api/v1/cars/{shop.car.vin}/service-status", headers=shop.other_owner).status_code == 404
