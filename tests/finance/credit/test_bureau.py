"""The DEMO credit bureau: deterministic per ID number, pinned demo profiles, soft and hard inquiries."""

from __future__ import annotations

from decimal import Decimal

import pytest

from forecourt.finance.credit.bureau import (
    DEMO_ID_FAIR,
    DEMO_ID_GOOD,
    DEMO_ID_LATE_PAYER,
    DEMO_ID_NO_FILE,
    DemoCreditBureau,
    DemoProfile,
    bureau_for,
)
from forecourt.identity.id_number import parse_resident_id


@pytest.mark.parametrize("number", [DEMO_ID_GOOD, DEMO_ID_FAIR, DEMO_ID_NO_FILE, DEMO_ID_LATE_PAYER])
def test_demo_ids_are_valid_resident_ids(number):
    assert parse_resident_id(number).number == number


@pytest.mark.parametrize(
    ("number", "score", "late"),
    [
        (DEMO_ID_GOOD, 780, 0),
        (DEMO_ID_FAIR, 610, 1),
        (DEMO_ID_NO_FILE, None, 0),
        (DEMO_ID_LATE_PAYER, 700, 4),
    ],
)
def test_pinned_profiles(number, score, late):
    report = DemoCreditBureau().pull(id_type="resident_id", id_number=number, inquiry="hard")
    assert (report.score, report.delinquencies_24m) == (score, late)
    assert report.bureau == "demo-bureau" and "Demo" in report.bureau_name


def test_same_person_same_report_and_different_people_differ():
    bureau = DemoCreditBureau()
    numbers = [f"E{n:08d}" for n in range(200)]
    reports = [bureau.pull(id_type="passport", id_number=n, inquiry="soft") for n in numbers]
    again = [bureau.pull(id_type="passport", id_number=n.lower(), inquiry="hard") for n in numbers]
    assert [(r.score, r.delinquencies_24m, r.monthly_debt_payments) for r in reports] == [
        (r.score, r.delinquencies_24m, r.monthly_debt_payments) for r in again
    ]
    scores = [r.score for r in reports if r.score is not None]
    assert len(set(scores)) > 50 and all(350 <= s <= 950 for s in scores)
    assert 0 < sum(r.score is None for r in reports) < 40  # some people have no credit file
    assert all(Decimal(0) <= r.monthly_debt_payments <= Decimal(3000) for r in reports)


def test_inquiry_kind_is_reported_and_logged_without_the_id():
    bureau = DemoCreditBureau()
    soft = bureau.pull(id_type="resident_id", id_number=DEMO_ID_GOOD, inquiry="soft")
    hard = bureau.pull(id_type="resident_id", id_number=DEMO_ID_GOOD, inquiry="hard")
    assert (soft.inquiry, hard.inquiry) == ("soft", "hard") and soft.reference != hard.reference
    assert [kind for _, kind in bureau.inquiries] == ["soft", "hard"]
    assert DEMO_ID_GOOD not in repr(bureau.inquiries)
    with pytest.raises(ValueError, match="inquiry"):
        bureau.pull(id_type="resident_id", id_number=DEMO_ID_GOOD, inquiry="medium")  # type: ignore[arg-type]


def test_profiles_can_be_pinned_and_the_adapter_chosen():
    bureau = DemoCreditBureau(profiles={"E1234567": DemoProfile(900, 0, Decimal("10.00"))})
    assert bureau.pull(id_type="passport", id_number="e1234567", inquiry="soft").score == 900
    assert bureau_for("demo-bureau").code == "demo-bureau"
    assert bureau_for("anything", bureau) is bureau
    with pytest.raises(LookupError):
        bureau_for("pboc-crc")
