"""Credit pre-qualification and applications end to end through the API, on SQLite and PostgreSQL: every
outcome, consent, idempotency, store scoping, the officer's audited view and the manual override."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from forecourt.core import clock
from forecourt.finance.credit.bureau import DemoCreditBureau
from forecourt.finance.models import Consent, CreditApplication
from tests.backoffice.helpers import events
from tests.finance.credit.helpers import (
    APPLY,
    FAIR_ID,
    GOOD_ID,
    INCOME,
    LATE_ID,
    NO_FILE_ID,
    NOW,
    PREQUALIFY,
    REVIEW,
    Finance,
    body,
    key,
    make_finance,
    submit,
)


@pytest.fixture
def fin(db_session: Session) -> Iterator[Finance]:
    with clock.pinned(NOW):
        yield make_finance(db_session)


def _count(session: Session, model: type) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(model))


# --- outcomes -----------------------------------------------------------------------------------------------------


def test_approved_application(client, fin, db_session):
    response = submit(client, fin.headers["shopper"], body(fin.quote))
    assert response.status_code == 201, response.text
    app = response.json()
    assert app["kind"] == "application" and app["status"] == "approved" and app["inquiry"] == "hard"
    assert app["decision"]["outcome"] == "approved" and app["decision"]["tier"] == "A"
    assert app["decision"]["reasons"] == [] and app["decision"]["stipulations"] == []
    assert app["applicant"] == {
        "full_name": "Z***",
        "id_type": "resident_id",
        "id_number": "4****************1",
        "income_band": "CNY 30,000–50,000 / month",
        "employment_months": 48,
    }
    assert app["quote"] == fin.quote and app["vin"] == fin.car.vin and app["store"] == "gz-tianhe"
    assert not app["has_adverse_action_notice"]
    created = events(db_session, "credit_application.created")
    assert created[-1].object_id == app["reference"] and created[-1].details["inquiry"] == "hard"
    assert created[-1].actor_user_id == fin.users["shopper"].id and created[-1].store_id == fin.car.store_id


def test_conditional_approval_names_the_down_payment_that_cures(client, fin):
    # 12,000 a month with 1,000 housing and the bureau's 1,500 of debts: the payment must come down to 4,100.
    response = submit(
        client, fin.headers["shopper"], body(fin.quote, monthly_income="12000.00", monthly_housing_cost="1000.00")
    )
    assert response.status_code == 201, response.text
    decision = response.json()["decision"]
    assert response.json()["status"] == "conditional" and decision["tier"] == "A"
    [stipulation] = decision["stipulations"]
    assert stipulation["code"] == "minimum_down_payment"
    required = float(stipulation["required_down_payment"])
    assert required > 35960 and required % 100 == 0
    assert float(stipulation["additional_down_payment"]) == pytest.approx(required - 35960)
    assert "down payment of at least CNY" in stipulation["message_en"] and "首付款" in stipulation["message_zh"]
    assert [r["code"] for r in decision["reasons"]][0] in ("dti_too_high", "pti_too_high")


def test_decline_has_reasons_and_an_adverse_action_notice_in_the_applicants_language(client, fin):
    response = submit(client, fin.headers["shopper"], body(fin.quote, id_number=FAIR_ID), lang="zh-Hans")
    assert response.status_code == 201, response.text
    app = response.json()
    assert app["status"] == "declined" and app["has_adverse_action_notice"]
    assert app["decision"]["reasons"][0]["code"] == "score_too_low"
    assert (
        "610" in app["decision"]["reasons"][0]["message_en"]
        and "信用评分" in app["decision"]["reasons"][0]["message_zh"]
    )
    notice = client.get(f"{APPLY}/{app['reference']}/adverse-action-notice", headers=fin.headers["shopper"])
    assert notice.status_code == 200 and notice.headers["content-type"].startswith("text/plain")
    assert "贷款申请结果通知" in notice.text and "尊敬的Zhang Wei" in notice.text and "信用评分 610" in notice.text
    assert "Forecourt Demo Credit Bureau" in notice.text and "福特汽车金融" in notice.text


def test_late_payments_decline(client, fin):
    app = submit(client, fin.headers["shopper"], body(fin.quote, id_number=LATE_ID)).json()
    assert app["status"] == "declined" and app["decision"]["reasons"][0]["code"] == "too_many_delinquencies"
    notice = client.get(f"{APPLY}/{app['reference']}/adverse-action-notice", headers=fin.headers["shopper"])
    assert notice.text.startswith("NOTICE OF ACTION TAKEN")


def test_no_credit_file_goes_to_manual_review(client, fin):
    app = submit(client, fin.headers["shopper"], body(fin.quote, id_number=NO_FILE_ID)).json()
    assert app["status"] == "manual_review" and app["decision"]["tier"] is None
    assert app["decision"]["reasons"][0]["code"] == "no_credit_file"
    queue = client.get(REVIEW, headers=fin.headers["officer"]).json()
    assert [a["reference"] for a in queue] == [app["reference"]]


def test_prequalification_is_a_soft_inquiry(client, fin, db_session):
    bureau = DemoCreditBureau()
    client.app.state.credit_bureau = bureau
    response = submit(client, fin.headers["shopper"], body(fin.quote, consents=["prequalification"]), url=PREQUALIFY)
    assert response.status_code == 201, response.text
    app = response.json()
    assert app["kind"] == "prequalification" and app["inquiry"] == "soft" and app["status"] == "approved"
    assert [kind for _, kind in bureau.inquiries] == ["soft"]
    row = db_session.scalars(select(CreditApplication)).one()
    assert row.kind == "prequalification" and row.bureau_reference.startswith("DEMO-S-")
    assert events(db_session, "credit_application.created")[-1].details["inquiry"] == "soft"


# --- consent, input, idempotency -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "given", "missing"),
    [
        (APPLY, [], ["credit_check", "share_with_provider"]),
        (APPLY, ["credit_check"], ["share_with_provider"]),
        (APPLY, ["prequalification", "share_with_provider"], ["credit_check"]),
        (PREQUALIFY, ["credit_check"], ["prequalification"]),
    ],
)
def test_missing_consent_is_refused_before_the_bureau_is_asked(client, fin, db_session, url, given, missing):
    bureau = DemoCreditBureau()
    client.app.state.credit_bureau = bureau
    response = submit(client, fin.headers["shopper"], body(fin.quote, consents=given), url=url)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["code"] == "consent_required" and problem["missing_consents"] == missing
    assert [e["field"] for e in problem["errors"]] == [f"consents.{m}" for m in missing]
    assert bureau.inquiries == [] and _count(db_session, CreditApplication) == 0 and _count(db_session, Consent) == 0


def test_consents_are_recorded_with_version_and_ip(client, fin, db_session):
    app = submit(client, fin.headers["shopper"], body(fin.quote)).json()
    db_session.expire_all()
    rows = db_session.scalars(select(Consent).order_by(Consent.purpose)).all()
    assert [c.purpose for c in rows] == ["credit_check", "prequalification", "share_with_provider"]
    row = db_session.scalars(select(CreditApplication)).one()
    assert all(c.granted and c.text_version == "2026-12" and c.ip and c.application_id == row.id for c in rows)
    assert app["reference"] == row.reference


def test_outdated_consent_wording_is_refused(client, fin):
    payload = {**body(fin.quote), "consent_text_version": "2025-01"}
    response = submit(client, fin.headers["shopper"], payload)
    assert response.status_code == 422 and response.json()["code"] == "consent_text_outdated"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"id_number": "440106199003071232"}, "id_number"),  # wrong check character
        ({"date_of_birth": "1990-03-08"}, "date_of_birth"),  # not the ID's birth date
        ({"full_name": "Z"}, "full_name"),
        ({"address": ""}, "address"),
        ({"id_type": "passport", "id_number": "E1"}, "id_number"),
    ],
)
def test_applicant_errors_name_the_field(client, fin, changes, field):
    payload = body(fin.quote)
    payload["applicant"].update(changes)
    response = submit(client, fin.headers["shopper"], payload)
    assert response.status_code == 422, response.text
    assert field in [e["field"] for e in response.json()["errors"]]
    assert "440106199003071232" not in response.text and INCOME not in response.text


def test_a_passport_holder_can_apply(client, fin):
    payload = body(fin.quote)
    payload["applicant"].update(id_type="passport", id_number="E12345678", date_of_birth="1980-05-05")
    response = submit(client, fin.headers["shopper"], payload)
    assert response.status_code == 201, response.text
    assert response.json()["applicant"]["id_number"] == "E*****678"


@pytest.mark.parametrize(
    ("quote", "status", "code"),
    [
        ("cash", 422, "quote_not_financed"),
        ("QNOSUCHONE", 404, "quote_not_found"),
    ],
)
def test_quote_must_be_a_finance_quote(client, fin, quote, status, code):
    reference = fin.cash_quote if quote == "cash" else quote
    response = submit(client, fin.headers["shopper"], body(reference))
    assert response.status_code == status and response.json()["code"] == code


def test_someone_elses_quote_is_not_found(client, fin):
    response = submit(client, fin.headers["other_shopper"], body(fin.quote))
    assert response.status_code == 404 and response.json()["code"] == "quote_not_found"


def test_idempotency_key_required_and_replayed(client, fin, db_session):
    payload = body(fin.quote)
    missing = client.post(APPLY, json=payload, headers=fin.headers["shopper"])
    assert missing.status_code == 422 and missing.json()["code"] == "idempotency_key_missing"
    headers = {**fin.headers["shopper"], **key()}
    first, second = client.post(APPLY, json=payload, headers=headers), client.post(APPLY, json=payload, headers=headers)
    assert first.status_code == second.status_code == 201
    assert second.headers["Idempotent-Replayed"] == "true" and _count(db_session, CreditApplication) == 1
    # The stored replay is clear JSON, so it carries the masked decision: the same answer without PTI and DTI.
    original, replayed = first.json(), second.json()
    assert original["decision"]["pti"] is not None and not original["decision"]["masked"]
    assert replayed["decision"] == {**original["decision"], "pti": None, "dti": None, "masked": True}
    assert {k: v for k, v in replayed.items() if k != "decision"} == {
        k: v for k, v in original.items() if k != "decision"
    }


# --- reading and store scope -------------------------------------------------------------------------------------


def _three_applications(client, fin) -> dict[str, str]:
    """An approved one and one in manual review at gz-tianhe, one in manual review at sh-pudong."""
    shopper = fin.headers["shopper"]
    return {
        "approved_a": submit(client, shopper, body(fin.quote)).json()["reference"],
        "review_a": submit(client, shopper, body(fin.quote, id_number=NO_FILE_ID)).json()["reference"],
        "review_b": submit(client, shopper, body(fin.other_store_quote, id_number=NO_FILE_ID)).json()["reference"],
    }


def test_applicant_sees_only_their_own(client, fin):
    refs = _three_applications(client, fin)
    mine = client.get(APPLY, headers=fin.headers["shopper"]).json()
    assert sorted(a["reference"] for a in mine) == sorted(refs.values())
    assert client.get(APPLY, headers=fin.headers["other_shopper"]).json() == []
    other = client.get(f"{APPLY}/{refs['approved_a']}", headers=fin.headers["other_shopper"])
    assert other.status_code == 404 and other.json()["code"] == "application_not_found"
    assert client.get(f"{APPLY}/{refs['approved_a']}", headers=fin.headers["shopper"]).status_code == 200


@pytest.mark.parametrize(
    ("who", "sees"),
    [
        ("officer", {"review_a", "review_b"}),
        ("officer_a", {"review_a"}),
        ("officer_b", {"review_b"}),
        ("staff_a", {"review_a"}),
        ("staff_b", {"review_b"}),
        ("admin", {"review_a", "review_b"}),
    ],
)
def test_review_queue_is_scoped_to_the_callers_stores(client, fin, who, sees):
    refs = _three_applications(client, fin)
    queue = client.get(REVIEW, headers=fin.headers[who])
    assert queue.status_code == 200, queue.text
    assert {a["reference"] for a in queue.json()} == {refs[name] for name in sees}
    assert all(a["applicant"]["id_number"] == "1****************4" for a in queue.json())
    everything = client.get(
        REVIEW, params=[("status", "approved"), ("status", "manual_review")], headers=fin.headers[who]
    )
    assert ({refs["approved_a"]} <= {a["reference"] for a in everything.json()}) == ("review_a" in sees)


def test_review_queue_refuses_shoppers_and_unknown_statuses(client, fin):
    assert client.get(REVIEW, headers=fin.headers["shopper"]).status_code == 403
    bad = client.get(REVIEW, params={"status": "lost"}, headers=fin.headers["officer"])
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_status"


@pytest.mark.parametrize("who", ["staff_b", "officer_b", "other_shopper"])
def test_another_stores_people_cannot_open_an_application(client, fin, db_session, who):
    reference = _three_applications(client, fin)["review_a"]
    for url in (f"{APPLY}/{reference}", f"{REVIEW}/{reference}", f"{APPLY}/{reference}/adverse-action-notice"):
        assert client.get(url, headers=fin.headers[who]).status_code in (403, 404), url
    decided = client.post(
        f"{REVIEW}/{reference}/decision",
        json={"outcome": "approved", "reason": "known customer"},
        headers=fin.headers[who],
    )
    assert decided.status_code in (403, 404)
    assert events(db_session, "credit_application.viewed") == []
    assert events(db_session, "credit_application.overridden") == []


def test_store_staff_see_the_masked_record_only(client, fin, db_session):
    reference = _three_applications(client, fin)["review_a"]
    detail = client.get(f"{REVIEW}/{reference}", headers=fin.headers["staff_a"])
    assert detail.status_code == 200
    assert detail.json()["full_record"] is False and detail.json()["monthly_income"] is None
    assert INCOME not in detail.text and "Zhang Wei" not in detail.text
    assert events(db_session, "credit_application.viewed") == []
    decided = client.post(
        f"{REVIEW}/{reference}/decision",
        json={"outcome": "approved", "reason": "known customer"},
        headers=fin.headers["staff_a"],
    )
    assert decided.status_code == 403


def test_officer_full_record_is_audited_and_the_id_revealed_only_on_request(client, fin, db_session):
    reference = _three_applications(client, fin)["review_a"]
    detail = client.get(f"{REVIEW}/{reference}", headers=fin.headers["officer_a"])
    assert detail.status_code == 200, detail.text
    record = detail.json()
    assert record["full_record"] and record["full_name_plain"] == "Zhang Wei" and record["monthly_income"] == INCOME
    assert record["address"] == "88 Tianhe Road, Guangzhou" and record["date_of_birth"] == "1985-06-15"
    assert record["id_number_shown"] == "1****************4" and NO_FILE_ID not in detail.text
    [viewed] = events(db_session, "credit_application.viewed")
    assert viewed.actor_user_id == fin.users["officer_a"].id and viewed.object_id == reference
    assert "monthly_income" in viewed.details["fields"] and "id_number" not in viewed.details["fields"]
    assert viewed.details["id_number_revealed"] is False

    revealed = client.get(f"{REVIEW}/{reference}", params={"reveal": "id_number"}, headers=fin.headers["officer_a"])
    assert revealed.json()["id_number_shown"] == NO_FILE_ID and revealed.json()["id_number_revealed"]
    last = events(db_session, "credit_application.viewed")[-1]
    assert "id_number" in last.details["fields"] and last.details["id_number_revealed"] is True


# --- manual override --------------------------------------------------------------------------------------------


def test_officer_override_is_audited_with_before_and_after(client, fin, db_session):
    reference = _three_applications(client, fin)["review_a"]
    missing_reason = client.post(
        f"{REVIEW}/{reference}/decision", json={"outcome": "approved"}, headers=fin.headers["officer_a"]
    )
    assert missing_reason.status_code == 422
    decided = client.post(
        f"{REVIEW}/{reference}/decision",
        json={"outcome": "approved", "reason": "Payslips and bank statements verified"},
        headers=fin.headers["officer_a"],
    )
    assert decided.status_code == 200, decided.text
    assert decided.json()["status"] == "approved" and decided.json()["decision"]["decided_by_officer"]
    [event] = events(db_session, "credit_application.overridden")
    assert event.actor_user_id == fin.users["officer_a"].id
    assert event.details["before"]["status"] == "manual_review" and event.details["after"]["status"] == "approved"
    assert event.details["reason"] == "Payslips and bank statements verified"
    assert client.get(f"{APPLY}/{reference}", headers=fin.headers["shopper"]).json()["status"] == "approved"
    assert client.get(REVIEW, headers=fin.headers["officer_a"]).json() == []


def test_override_to_decline_writes_a_notice(client, fin):
    reference = _three_applications(client, fin)["review_a"]
    decided = client.post(
        f"{REVIEW}/{reference}/decision",
        json={"outcome": "declined", "reason": "Income could not be verified"},
        headers=fin.headers["admin"],
    )
    assert decided.json()["status"] == "declined" and decided.json()["has_adverse_action_notice"]
    notice = client.get(f"{APPLY}/{reference}/adverse-action-notice", headers=fin.headers["shopper"])
    assert notice.status_code == 200 and "Zhang Wei" in notice.text and "no credit history" in notice.text


def test_a_prequalification_cannot_be_decided_by_hand(client, fin):
    reference = submit(client, fin.headers["shopper"], body(fin.quote, id_number=NO_FILE_ID), url=PREQUALIFY).json()[
        "reference"
    ]
    decided = client.post(
        f"{REVIEW}/{reference}/decision",
        json={"outcome": "approved", "reason": "looks fine"},
        headers=fin.headers["officer"],
    )
    assert decided.status_code == 409 and decided.json()["code"] == "not_an_application"


def test_the_approved_application_has_no_notice(client, fin):
    reference = submit(client, fin.headers["shopper"], body(fin.quote)).json()["reference"]
    notice = client.get(f"{APPLY}/{reference}/adverse-action-notice", headers=fin.headers["shopper"])
    assert notice.status_code == 404 and notice.json()["code"] == "no_adverse_action_notice"


def test_consent_texts_are_published(client):
    texts = client.get("/api/v1/finance/consent-texts").json()
    assert {t["purpose"] for t in texts} == {"prequalification", "credit_check", "share_with_provider"}
    assert all(t["version"] == "2026-12" and t["text_en"] and t["text_zh"] for t in texts)


def test_good_id_is_the_demo_high_score():
    assert GOOD_ID == "440106199003071231"
