"""Test-drive rules: eligibility, fairness, deposits, refunds, late fees and the per-store policy itself."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from forecourt.testdrive.rules import (
    ACTIVE_STATUSES,
    COUNTED_STATUSES,
    DepositDecision,
    DriverRecord,
    ShopperDrive,
    StorePolicy,
    cancellation_refund,
    completion_refund,
    deposit_decision,
    driver_refusals,
    fairness_refusals,
    late_return_fee,
    licence_refusal,
    pickup_window,
)

POLICY = StorePolicy()
DRIVE_DAY = date(2026, 12, 2)
START = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)
END = START + timedelta(hours=1)
D = Decimal


def codes(refusals) -> list[str]:
    return [r.code for r in refusals]


# --- driver eligibility ------------------------------------------------------------------------------------


def driver(born: date = date(1990, 3, 7), expiry: date = date(2030, 1, 1), verified: bool = True) -> DriverRecord:
    return DriverRecord(verified, born, expiry)


@pytest.mark.parametrize(
    ("record", "kind", "expected"),
    [
        (None, "accompanied", ["licence_not_verified"]),
        (driver(verified=False), "accompanied", ["licence_not_verified"]),
        (DriverRecord(True, None, date(2030, 1, 1)), "accompanied", ["licence_not_verified"]),
        (DriverRecord(True, date(1990, 1, 1), None), "accompanied", ["licence_not_verified"]),
        (driver(), "accompanied", []),
        (driver(), "self_service", []),
        (driver(expiry=DRIVE_DAY), "self_service", []),  # valid through its expiry date
        (driver(expiry=DRIVE_DAY - timedelta(days=1)), "accompanied", ["licence_expires_before_drive"]),
        (driver(born=date(2008, 12, 2)), "accompanied", []),  # 18 on the day of the drive
        (driver(born=date(2008, 12, 3)), "accompanied", ["under_minimum_age"]),
        (driver(born=date(2004, 12, 2)), "self_service", []),  # 22 on the day
        (driver(born=date(2004, 12, 3)), "self_service", ["under_minimum_age"]),
        (driver(born=date(2004, 12, 3)), "accompanied", []),
        (
            driver(born=date(2010, 1, 1), expiry=date(2020, 1, 1)),
            "accompanied",
            ["licence_expires_before_drive", "under_minimum_age"],
        ),
    ],
)
def test_driver_refusals(record, kind, expected):
    refusals = driver_refusals(record, kind, DRIVE_DAY, POLICY)
    assert codes(refusals) == expected
    assert all(r.message and r.message[0].isupper() for r in refusals)


@pytest.mark.parametrize(
    ("day", "ok"),
    [(date(2026, 2, 28), False), (date(2026, 3, 1), True), (date(2028, 2, 28), False), (date(2028, 2, 29), True)],
)
def test_a_leap_day_birthday_comes_round_on_1_march_in_other_years(day, ok):
    policy = StorePolicy(minimum_age=day.year - 2008, self_service_minimum_age=30)  # the birthday falls this year
    assert (driver_refusals(driver(born=date(2008, 2, 29)), "accompanied", day, policy) == []) is ok


@pytest.mark.parametrize(("days_after", "refused"), [(-1, True), (0, False), (1, False)])
def test_a_licence_must_be_valid_on_the_drives_last_day(days_after, refused):
    expiry = DRIVE_DAY + timedelta(days=days_after)
    refusal = licence_refusal(expiry, DRIVE_DAY)
    assert (refusal.code if refusal else None) == ("licence_expires_before_drive" if refused else None)
    # The verify step and confirm apply the one rule.
    at_confirm = codes(driver_refusals(driver(expiry=expiry), "accompanied", DRIVE_DAY, StorePolicy()))
    assert ("licence_expires_before_drive" in at_confirm) is refused


def test_the_minimum_ages_are_the_stores():
    young = driver(born=date(2006, 1, 1))  # 20 on the drive day
    assert codes(driver_refusals(young, "accompanied", DRIVE_DAY, StorePolicy(minimum_age=21))) == ["under_minimum_age"]
    assert codes(driver_refusals(young, "self_service", DRIVE_DAY, StorePolicy(self_service_minimum_age=20))) == []


# --- fairness ----------------------------------------------------------------------------------------------


def drive(
    booking_id: int,
    start: datetime,
    *,
    kind: str = "self_service",
    model_id: int = 7,
    status: str = "completed",
    hours: int = 24,
) -> ShopperDrive:
    return ShopperDrive(booking_id, kind, model_id, status, start, start + timedelta(hours=hours))


SS_END = START + timedelta(days=1)
DAY = timedelta(days=1)


@pytest.mark.parametrize(
    ("kind", "history", "expected"),
    [
        ("accompanied", [], []),
        ("self_service", [], []),
        # one car at a time, whatever the kind; [start, end) so back-to-back is fine
        (
            "accompanied",
            [drive(1, START - timedelta(minutes=30), kind="accompanied", status="confirmed", hours=1)],
            ["overlapping_drive"],
        ),
        ("accompanied", [drive(1, START - timedelta(hours=1), kind="accompanied", status="confirmed", hours=1)], []),
        ("accompanied", [drive(1, END, kind="accompanied", status="held", hours=1)], []),
        ("accompanied", [drive(1, START, kind="accompanied", status="cancelled", hours=1)], []),
        ("accompanied", [drive(1, START, kind="accompanied", status="completed", hours=1)], []),
        # active self-service limit (other model, far away in time, so only this rule fires)
        ("self_service", [drive(1, START + 40 * DAY, model_id=8, status="confirmed")], ["self_service_active_limit"]),
        ("self_service", [drive(1, START + 40 * DAY, model_id=8, status="in_progress")], ["self_service_active_limit"]),
        ("accompanied", [drive(1, START + 40 * DAY, model_id=8, status="confirmed")], []),
        ("self_service", [drive(1, START + 40 * DAY, kind="accompanied", status="confirmed", hours=1)], []),
        # 30-day count: two counted self-service drives of other models within 30 days either side
        (
            "self_service",
            [drive(1, START - 10 * DAY, model_id=8), drive(2, START - 20 * DAY, model_id=9)],
            ["self_service_monthly_limit"],
        ),
        ("self_service", [drive(1, START - 10 * DAY, model_id=8), drive(2, START - 30 * DAY, model_id=9)], []),
        (
            "self_service",
            [drive(1, START - 10 * DAY, model_id=8), drive(2, START - 30 * DAY + timedelta(seconds=1), model_id=9)],
            ["self_service_monthly_limit"],
        ),
        (
            "self_service",
            [drive(1, START - 10 * DAY, model_id=8), drive(2, START - 5 * DAY, model_id=9, status="no_show")],
            ["self_service_monthly_limit"],
        ),
        (
            "self_service",
            [drive(1, START - 10 * DAY, model_id=8), drive(2, START - 5 * DAY, model_id=9, status="cancelled")],
            [],
        ),
        (
            "self_service",
            [
                drive(1, START - 10 * DAY, model_id=8),
                drive(2, START - 5 * DAY, model_id=9, kind="accompanied", hours=1),
            ],
            [],
        ),
        # same model within 30 days, either side
        ("self_service", [drive(1, START - 29 * DAY)], ["self_service_same_model"]),
        ("self_service", [drive(1, START - 30 * DAY)], []),
        ("self_service", [drive(1, START + 30 * DAY, status="held")], ["self_service_active_limit"]),
        ("self_service", [drive(1, START - 5 * DAY, status="cancelled")], []),
        ("self_service", [drive(1, START - 5 * DAY, kind="accompanied", hours=1)], []),
    ],
)
def test_fairness_refusals(kind, history, expected):
    end = SS_END if kind == "self_service" else END
    refusals = fairness_refusals(kind, 7, START, end, history, POLICY)
    assert codes(refusals) == expected
    assert all(r.message for r in refusals)


def test_a_rescheduled_booking_does_not_count_against_itself():
    own = drive(5, START + timedelta(hours=12), status="confirmed")
    assert codes(fairness_refusals("self_service", 7, START, SS_END, [own], POLICY)) == [
        "overlapping_drive",
        "self_service_active_limit",
        "self_service_same_model",
    ]
    assert fairness_refusals("self_service", 7, START, SS_END, [own], POLICY, ignore_booking_id=5) == []


def test_the_limits_are_the_stores():
    history = [drive(1, START - 40 * DAY, status="confirmed"), drive(2, START - 10 * DAY, model_id=8)]
    generous = StorePolicy(max_active_self_service=2, max_self_service_per_30_days=2)
    assert fairness_refusals("self_service", 7, START, SS_END, history, generous) == []
    strict = StorePolicy(max_self_service_per_30_days=1, max_active_self_service=2)
    assert codes(fairness_refusals("self_service", 7, START, SS_END, history, strict)) == ["self_service_monthly_limit"]


def test_status_sets():
    assert ACTIVE_STATUSES == {"held", "confirmed", "in_progress"}
    assert COUNTED_STATUSES == ACTIVE_STATUSES | {"completed", "no_show"}


# --- deposits ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("score", "premium_member", "price", "expected"),
    [
        (700, False, D("150000.00"), DepositDecision("waived", D("0.00"), "credit_score")),
        (950, True, D("500000.00"), DepositDecision("waived", D("0.00"), "credit_score")),
        (699, False, D("150000.00"), DepositDecision("deposit", D("99.00"), "score_below_threshold")),
        (None, False, D("150000.00"), DepositDecision("deposit", D("99.00"), "no_score")),
        (699, True, D("150000.00"), DepositDecision("waived", D("0.00"), "premium_membership")),
        (None, True, D("400000.00"), DepositDecision("waived", D("0.00"), "premium_membership")),
        (None, False, D("300000.00"), DepositDecision("deposit", D("198.00"), "no_score")),
        (600, False, D("299999.99"), DepositDecision("deposit", D("99.00"), "score_below_threshold")),
    ],
)
def test_deposit_decision(score, premium_member, price, expected):
    assert deposit_decision(score, premium_member, price, POLICY) == expected


def test_deposit_follows_the_stores_threshold_and_amounts():
    policy = StorePolicy(waiver_score_threshold=650, deposit_standard=D("50.00"))
    assert deposit_decision(650, False, D("1.00"), policy).kind == "waived"
    assert deposit_decision(649, False, D("1.00"), policy).amount == D("50.00")


# --- refunds and fees --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("paid", "notice", "by_store", "refund"),
    [
        (D("99.00"), timedelta(hours=24), False, D("99.00")),
        (D("99.00"), timedelta(hours=48), False, D("99.00")),
        (D("99.00"), timedelta(hours=24) - timedelta(seconds=1), False, D("49.50")),
        (D("198.00"), timedelta(hours=1), False, D("99.00")),
        (D("99.01"), timedelta(hours=1), False, D("49.51")),  # 49.505 rounds half up
        (D("0.01"), timedelta(hours=1), False, D("0.01")),  # 0.005 rounds half up
        (D("99.00"), timedelta(hours=1), True, D("99.00")),
        (D("99.00"), -timedelta(hours=1), True, D("99.00")),
        (D("0.00"), timedelta(hours=48), False, D("0.00")),
        (D("0.00"), timedelta(hours=1), True, D("0.00")),
    ],
)
def test_cancellation_refund(paid, notice, by_store, refund):
    result = cancellation_refund(paid, START, START - notice, POLICY, by_store=by_store)
    assert result == refund
    assert result.as_tuple().exponent == -2


def test_cancellation_refund_uses_the_stores_terms():
    policy = StorePolicy(free_cancellation_hours=2, late_cancellation_refund_percent=0)
    assert cancellation_refund(D("99.00"), START, START - timedelta(hours=2), policy) == D("99.00")
    assert cancellation_refund(D("99.00"), START, START - timedelta(hours=1), policy) == D("0.00")


@pytest.mark.parametrize(
    ("late", "fee"),
    [
        (-timedelta(hours=2), D("0.00")),
        (timedelta(0), D("0.00")),
        (timedelta(minutes=15), D("0.00")),  # the last moment of grace
        (timedelta(minutes=15, seconds=1), D("50.00")),
        (timedelta(hours=1), D("50.00")),
        (timedelta(hours=1, seconds=1), D("100.00")),  # hours started since due, not since grace ended
        (timedelta(hours=9, minutes=59), D("500.00")),
        (timedelta(hours=10, minutes=1), D("500.00")),  # 11 started hours, capped at one day's 500
        (timedelta(hours=24), D("500.00")),
        (timedelta(hours=24, minutes=1), D("1000.00")),  # 25 hours = 1250, capped at two days' 1000
        (timedelta(hours=50), D("1500.00")),
    ],
)
def test_late_return_fee(late, fee):
    assert late_return_fee(START, START + late, POLICY) == fee


def test_late_return_fee_uses_the_stores_terms():
    policy = StorePolicy(return_grace_minutes=0, late_fee_per_hour=D("12.50"), late_fee_cap_per_day=D("100.00"))
    assert late_return_fee(START, START + timedelta(seconds=1), policy) == D("12.50")
    assert late_return_fee(START, START + timedelta(hours=9), policy) == D("100.00")


@pytest.mark.parametrize(
    ("paid", "fee", "refund"),
    [
        (D("198.00"), D("0.00"), D("198.00")),
        (D("198.00"), D("50.00"), D("148.00")),
        (D("99.00"), D("500.00"), D("0.00")),
        (D("0.00"), D("0.00"), D("0.00")),
    ],
)
def test_completion_refund(paid, fee, refund):
    assert completion_refund(paid, fee) == refund


def test_pickup_window():
    assert pickup_window(START, POLICY) == (START - timedelta(minutes=15), START + timedelta(minutes=60))
    assert pickup_window(START, StorePolicy(pickup_early_minutes=0, pickup_late_minutes=5)) == (
        START,
        START + timedelta(minutes=5),
    )


# --- the policy itself -------------------------------------------------------------------------------------


def test_the_defaults_are_valid():
    assert POLICY.validate() == []


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"hold_minutes": 0}, "hold_minutes"),
        ({"horizon_days": -1}, "horizon_days"),
        ({"max_holds_per_ip_per_hour": 0}, "max_holds_per_ip_per_hour"),
        ({"buffer_minutes": -5}, "buffer_minutes"),
        ({"self_service_max_days": 0}, "self_service_max_days"),
        ({"self_service_max_days": 4}, "self_service_max_days"),
        ({"accompanied_minutes": ()}, "accompanied_minutes"),
        ({"accompanied_minutes": (30, 40)}, "accompanied_minutes"),
        ({"late_cancellation_refund_percent": 101}, "late_cancellation_refund_percent"),
        ({"late_cancellation_refund_percent": -1}, "late_cancellation_refund_percent"),
        ({"waiver_score_threshold": 349}, "waiver_score_threshold"),
        ({"waiver_score_threshold": 951}, "waiver_score_threshold"),
        ({"deposit_standard": D("-1.00")}, "deposit_standard"),
        ({"late_fee_per_hour": D("0.001")}, "late_fee_per_hour"),
        ({"self_service_minimum_age": 17}, "self_service_minimum_age"),
    ],
)
def test_validate_names_each_problem(changes, field):
    problems = dataclasses.replace(POLICY, **changes).validate()
    assert [f for f, _ in problems] == [field]
    assert all(message for _, message in problems)


@pytest.mark.parametrize(
    "changes",
    [
        {"buffer_minutes": 0, "lead_time_minutes": 0, "return_grace_minutes": 0, "free_cancellation_hours": 0},
        {"late_cancellation_refund_percent": 0},
        {"late_cancellation_refund_percent": 100},
        {"waiver_score_threshold": 350},
        {"waiver_score_threshold": 950},
        {"deposit_standard": D("0.00")},
        {"accompanied_minutes": (30, 45, 60, 90, 120)},
        {"self_service_max_days": 1},
    ],
)
def test_validate_accepts_the_edges(changes):
    assert dataclasses.replace(POLICY, **changes).validate() == []


def test_from_mapping_fills_defaults_and_converts():
    policy = StorePolicy.from_mapping(
        {
            "self_service_enabled": True,
            "accompanied_minutes": [45, 90],
            "deposit_standard": "120",
            "late_fee_per_hour": 30,
            "hold_minutes": "15",
        }
    )
    assert policy == dataclasses.replace(
        POLICY,
        self_service_enabled=True,
        accompanied_minutes=(45, 90),
        deposit_standard=D("120.00"),
        late_fee_per_hour=D("30.00"),
        hold_minutes=15,
    )
    assert str(policy.deposit_standard) == "120.00"
    assert StorePolicy.from_mapping({}) == POLICY


@pytest.mark.parametrize(
    "data",
    [
        {"colour": "red"},
        {"hold_minutes": 1.5},
        {"hold_minutes": True},
        {"hold_minutes": "ten"},
        {"accompanied_minutes": 30},
        {"self_service_enabled": "maybe"},
        {"deposit_standard": "ninety"},
        {"deposit_standard": "NaN"},
        {"deposit_standard": None},
    ],
)
def test_from_mapping_refuses_unknown_keys_and_wrong_types(data):
    with pytest.raises(ValueError):
        StorePolicy.from_mapping(data)


def test_from_mapping_keeps_extra_decimals_for_validate_to_report():
    policy = StorePolicy.from_mapping({"deposit_standard": "99.999"})
    assert [f for f, _ in policy.validate()] == ["deposit_standard"]


def test_to_mapping_is_json_safe():
    mapping = POLICY.to_mapping()
    assert mapping["deposit_standard"] == "99.00"
    assert mapping["accompanied_minutes"] == [30, 60]
    assert json.loads(json.dumps(mapping)) == mapping


money = st.decimals(min_value=0, max_value=1_000_000, places=2, allow_nan=False, allow_infinity=False)
policies = st.builds(
    StorePolicy,
    accompanied_enabled=st.booleans(),
    accompanied_minutes=st.lists(st.sampled_from([30, 45, 60, 90, 120]), min_size=1, max_size=5, unique=True).map(
        tuple
    ),
    self_service_max_days=st.integers(1, 3),
    buffer_minutes=st.integers(0, 240),
    horizon_days=st.integers(1, 90),
    minimum_age=st.integers(16, 21),
    self_service_minimum_age=st.integers(21, 30),
    waiver_score_threshold=st.integers(350, 950),
    late_cancellation_refund_percent=st.integers(0, 100),
    deposit_standard=money,
    deposit_premium=money,
    late_fee_per_hour=money,
    late_fee_cap_per_day=money,
)


@given(policies)
def test_policies_round_trip_through_json(policy):
    assert policy.validate() == []
    assert StorePolicy.from_mapping(json.loads(json.dumps(policy.to_mapping()))) == policy


@given(money, st.integers(0, 100), st.integers(0, 72 * 60))
def test_a_refund_never_exceeds_what_was_paid(paid, percent, minutes_notice):
    policy = StorePolicy(late_cancellation_refund_percent=percent)
    refund = cancellation_refund(paid, START, START - timedelta(minutes=minutes_notice), policy)
    assert D("0.00") <= refund <= paid
