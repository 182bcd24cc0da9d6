"""Rental and subscription billing: hand-worked cases to the cent and every refusal (properties: test_billing_properties)."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from forecourt.mobility.billing import (
    ClassTerms,
    LineCode,
    Segment,
    TimeCharge,
    cancellation_refund,
    period_invoice,
    purchase_credit,
    time_charge,
)
from tests.mobility.helpers import APRIL, DUE, FOCUS, KUGA, RATES, START, D, bill, invoice

# Rates whose products land on an exact half cent with an even digit before it: half-even would round down.
HALVES = dataclasses.replace(
    RATES, hourly=D("10.005"), per_km_over=D("0.125"), late_per_hour=D("10.125"), energy_per_percent=D("0.405")
)


def hours(n: float) -> timedelta:
    return timedelta(hours=n)


@pytest.mark.parametrize(
    ("rates", "length", "expected"),
    [
        (RATES, hours(3), TimeCharge(0, 3, D("90.00"), 60)),
        (RATES, hours(3) + timedelta(seconds=1), TimeCharge(0, 4, D("120.00"), 80)),  # a started hour
        (RATES, timedelta(minutes=20), TimeCharge(0, 1, D("30.00"), 20)),  # under an hour bills one
        (RATES, hours(6), TimeCharge(0, 6, D("180.00"), 120)),  # 180 <= 200: hours
        (RATES, hours(7), TimeCharge(1, 0, D("200.00"), 300)),  # 210 > 200: a day
        (RATES, hours(23), TimeCharge(1, 0, D("200.00"), 300)),
        (RATES, hours(24), TimeCharge(1, 0, D("200.00"), 300)),
        (RATES, hours(25), TimeCharge(1, 1, D("230.00"), 320)),
        (RATES, hours(51), TimeCharge(2, 3, D("490.00"), 660)),
        (RATES, hours(55), TimeCharge(3, 0, D("600.00"), 900)),  # 2 days + 7 h capped
        (dataclasses.replace(RATES, hourly=D("25.00")), hours(8), TimeCharge(0, 8, D("200.00"), 160)),  # = a day
        (dataclasses.replace(RATES, hourly=D("25.00")), hours(9), TimeCharge(1, 0, D("200.00"), 300)),
        (HALVES, hours(1), TimeCharge(0, 1, D("10.01"), 20)),  # 10.005 half up, not 10.00
    ],
)
def test_time_charge(rates, length, expected):
    assert time_charge(rates, START, START + length) == expected


def test_time_charge_counts_real_hours_across_a_daylight_saving_change():
    berlin = ZoneInfo("Europe/Berlin")  # clocks go from 02:00 to 03:00 on 29 March 2026
    start = datetime(2026, 3, 29, 0, 0, tzinfo=berlin)
    assert time_charge(RATES, start, datetime(2026, 3, 29, 4, 0, tzinfo=berlin)).hours == 3


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        (START, START, "end after it starts"),
        (START, START - timedelta(seconds=1), "end after it starts"),
        (START.replace(tzinfo=None), START + hours(1), "timezone-aware"),
        (START, (START + hours(1)).replace(tzinfo=None), "timezone-aware"),
    ],
)
def test_time_charge_refuses(start, end, message):
    with pytest.raises(ValueError, match=message):
        time_charge(RATES, start, end)


def summary(result):
    return {line.code.value: (line.quantity, line.amount) for line in result.lines if line.code != LineCode.TIME}


NOTHING = (0, D("0.00"))


@pytest.mark.parametrize(
    ("rates", "changes", "extras"),
    [
        (RATES, {}, {}),
        (RATES, {"odometer_in_km": 10_660}, {}),  # exactly the included 660 km
        (RATES, {"odometer_in_km": 10_661}, {"km_over": (1, D("1.20"))}),
        (RATES, {"odometer_in_km": 10_760}, {"km_over": (100, D("120.00"))}),
        (RATES, {"returned_at": DUE + timedelta(minutes=29)}, {}),
        (RATES, {"returned_at": DUE + timedelta(minutes=30)}, {}),  # exactly at the grace: free
        (RATES, {"returned_at": DUE + timedelta(minutes=31)}, {"late": (1, D("50.00"))}),  # counted from due
        (RATES, {"returned_at": DUE + hours(1)}, {"late": (1, D("50.00"))}),
        (RATES, {"returned_at": DUE + timedelta(minutes=61)}, {"late": (2, D("100.00"))}),
        (RATES, {"returned_at": DUE - hours(30)}, {}),  # early: no time refunded
        (RATES, {"energy_in_percent": 65}, {"energy": (15, D("45.00"))}),
        (RATES, {"energy_in_percent": 95}, {}),  # fuller earns nothing
        (RATES, {"damage_charge": D("1234.56")}, {"damage": (1, D("1234.56"))}),
        (HALVES, {"odometer_in_km": 10_661}, {"km_over": (1, D("0.13"))}),  # 0.125
        (HALVES, {"returned_at": DUE + hours(1)}, {"late": (1, D("10.13"))}),  # 10.125
        (HALVES, {"energy_in_percent": 75}, {"energy": (5, D("2.03"))}),  # 2.025
        (HALVES, {"damage_charge": D("10.005")}, {"damage": (1, D("10.01"))}),
    ],
)
def test_rental_bill_lines(rates, changes, extras):
    result = bill(rates, **changes)
    expected = {"km_over": NOTHING, "late": NOTHING, "energy": NOTHING, "damage": NOTHING} | extras
    assert summary(result) == expected
    assert result.line(LineCode.TIME).amount == time_charge(rates, START, DUE).amount
    assert result.extras == sum((amount for _, amount in expected.values()), D("0"))


def test_rental_bill_with_everything_at_once():
    result = bill(
        odometer_in_km=10_700,
        returned_at=DUE + hours(2),
        energy_in_percent=70,
        damage_charge=D("300.00"),
    )
    assert [(line.code, line.quantity, line.amount) for line in result.lines] == [
        ("time", 51, D("490.00")),
        ("km_over", 40, D("48.00")),
        ("late", 2, D("100.00")),
        ("energy", 10, D("30.00")),
        ("damage", 1, D("300.00")),
    ]
    assert (result.total, result.extras) == (D("968.00"), D("478.00"))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"odometer_in_km": 9_999}, "below the pick-up reading"),
        ({"energy_in_percent": -1}, "energy_in_percent must be between 0 and 100"),
        ({"energy_out_percent": 101}, "energy_out_percent must be between 0 and 100"),
        ({"damage_charge": D("-0.01")}, "damage_charge must not be negative"),
        ({"returned_at": START - timedelta(seconds=1)}, "before the rental starts"),
        ({"due": START}, "end after it starts"),
    ],
)
def test_rental_bill_refuses(changes, message):
    with pytest.raises(ValueError, match=message):
        bill(**changes)


def test_rental_bill_accepts_the_edges_of_its_checks():
    result = bill(odometer_in_km=10_000, energy_out_percent=100, energy_in_percent=0, returned_at=START)
    assert result.line(LineCode.ENERGY).amount == D("300.00")


@pytest.mark.parametrize(
    ("field", "value"),
    [("hourly", D("-1")), ("km_per_day", -1), ("late_grace_minutes", -1), ("late_cancel_keep_percent", 101)],
)
def test_rental_rates_refuse_nonsense(field, value):
    with pytest.raises(ValueError, match=field):
        dataclasses.replace(RATES, **{field: value})


@pytest.mark.parametrize(
    ("before_start", "paid", "refund"),
    [
        (hours(48), D("490.00"), D("490.00")),
        (hours(24), D("490.00"), D("490.00")),  # exactly free_cancel_hours before: all back
        (hours(24) - timedelta(seconds=1), D("490.00"), D("343.00")),  # 70 % back
        (timedelta(seconds=1), D("490.00"), D("343.00")),
        (timedelta(0), D("490.00"), D("0.00")),  # at the start
        (-hours(1), D("490.00"), D("0.00")),
        (hours(1), D("100.05"), D("70.04")),  # 70.035 half up
    ],
)
def test_cancellation_refund(before_start, paid, refund):
    assert cancellation_refund(RATES, paid_time_charge=paid, start=START, cancelled_at=START - before_start) == refund


def test_cancellation_refund_rounds_an_exact_half_up():
    rates = dataclasses.replace(RATES, late_cancel_keep_percent=25)  # 100.06 × 75 % = 75.045
    assert cancellation_refund(rates, paid_time_charge=D("100.06"), start=START, cancelled_at=START) == D("0.00")
    refund = cancellation_refund(rates, paid_time_charge=D("100.06"), start=START, cancelled_at=START - hours(2))
    assert refund == D("75.05")


def test_cancellation_refund_refuses_a_negative_charge():
    with pytest.raises(ValueError, match="paid_time_charge"):
        cancellation_refund(RATES, paid_time_charge=D("-1"), start=START, cancelled_at=START)


# --- subscription -----------------------------------------------------------------------------------------------

MAY = (date(2026, 5, 1), date(2026, 5, 31))


def april(day: int) -> date:
    return date(2026, 4, day)


def rows(result):
    return [(line.code.value, line.class_code, line.quantity, line.amount) for line in result.lines]


def km(result):
    return (result.km_earned, result.km_available, result.km_over, result.km_unused, result.km_carried_out)


def test_a_full_month_with_rollover_not_capped():
    result = invoice(km_driven=1200)
    assert rows(result) == [("subscription", "focus", 30, D("3000.00")), ("km_over", None, 0, D("0.00"))]
    assert km(result) == (1500, 1500, 0, 300, 300)
    assert result.total == D("3000.00")


def test_rollover_is_capped():
    assert km(invoice(km_driven=800)) == (1500, 1500, 0, 700, 500)
    assert km(invoice(km_driven=1000)) == (1500, 1500, 0, 500, 500)  # exactly the cap


def test_a_swap_mid_month_with_carried_km_and_km_over():
    segments = [Segment(FOCUS, april(1), april(14)), Segment(KUGA, april(15), april(30))]
    result = invoice(segments=segments, km_driven=2000, km_carried_in=100, swap_fees=["199.00"])
    assert rows(result) == [
        ("subscription", "focus", 14, D("1400.00")),  # 3000 × 14 / 30
        ("subscription", "kuga", 16, D("2240.00")),  # 4200 × 16 / 30
        ("km_over", None, 133, D("133.00")),  # at the Kuga's 1.00, the class driven when the bill is made
        ("swap_fee", None, 1, D("199.00")),
    ]
    assert km(result) == (700 + 1067, 1867, 133, 0, 0)  # 2000 × 16 / 30 = 1066.67 → 1067
    assert result.total == D("3972.00")


def test_km_over_is_billed_at_the_last_active_class_even_before_a_pause():
    segments = [
        Segment(KUGA, april(1), april(10)),
        Segment(FOCUS, april(11), april(20)),
        Segment(KUGA, april(21), april(30), paused=True),
    ]
    result = invoice(segments=segments, km_driven=1500)
    assert km(result) == (667 + 500, 1167, 333, 0, 0)
    assert result.lines[3].amount == D("266.40")  # 333 × Focus's 0.80
    assert rows(result)[2] == ("pause", "kuga", 10, D("200.00"))


def test_a_pause_charges_per_day_and_earns_no_allowance():
    segments = [Segment(FOCUS, date(2026, 5, 1), date(2026, 5, 10)), Segment(FOCUS, date(2026, 5, 11), MAY[1], True)]
    result = invoice(MAY, segments, km_driven=300)
    assert rows(result) == [
        ("subscription", "focus", 10, D("967.74")),  # 3000 × 10 / 31 = 967.7419…
        ("pause", "focus", 21, D("420.00")),
        ("km_over", None, 0, D("0.00")),
    ]
    assert km(result) == (484, 484, 0, 184, 184)  # 1500 × 10 / 31 = 483.87 → 484


def test_a_period_paused_throughout_bills_km_at_the_class_held():
    result = invoice(segments=[Segment(KUGA, *APRIL, paused=True)], km_driven=10, km_carried_in=4)
    assert rows(result)[1:] == [("km_over", None, 6, D("6.00"))]


def test_exact_halves_round_up_in_money_and_km():
    terms = ClassTerms("focus", D("100.09"), 1001, D("0.125"))
    segments = [Segment(terms, april(1), april(15)), Segment(terms, april(16), april(30))]
    result = invoice(segments=segments, km_driven=1003)
    assert [line.amount for line in result.lines] == [D("50.05"), D("50.05"), D("0.13")]  # 50.045, 0.125
    assert km(result) == (1002, 1002, 1, 0, 0)  # 500.5 → 501 twice


@pytest.mark.parametrize(
    ("segments", "message"),
    [
        ([Segment(FOCUS, april(1), april(14)), Segment(KUGA, april(16), april(30))], "a gap"),
        ([Segment(FOCUS, april(1), april(15)), Segment(KUGA, april(15), april(30))], "an overlap"),
        ([Segment(KUGA, april(15), april(30)), Segment(FOCUS, april(1), april(14))], "not 2026-04-01: a gap"),
        ([Segment(FOCUS, april(2), april(30))], "a gap"),
        ([Segment(FOCUS, april(1), april(29))], "not on the period's last day"),
        ([Segment(FOCUS, april(1), date(2026, 5, 1))], "not on the period's last day"),
        ([Segment(FOCUS, april(1), april(20)), Segment(FOCUS, april(21), april(19))], "ends .* before it starts"),
        ([], "at least one segment"),
    ],
)
def test_segments_must_tile_the_period(segments, message):
    with pytest.raises(ValueError, match=message):
        invoice(segments=segments, km_driven=0)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"period": (april(30), april(1))}, "ends before it starts"),
        ({"km_driven": -1}, "km_driven"),
        ({"km_carried_in": -1}, "km_carried_in"),
        ({"cap": -1}, "rollover_cap_km"),
        ({"swap_fees": ["-0.01"]}, "fees"),
        ({"pause_fee": "-1"}, "fees"),
    ],
)
def test_period_invoice_refuses(changes, message):
    arguments = {"km_driven": 0} | changes
    period = arguments.pop("period", APRIL)
    with pytest.raises(ValueError, match=message):
        invoice(period, [Segment(FOCUS, *APRIL)], **arguments)


@pytest.mark.parametrize(
    ("last_day", "amount", "km_earned"),
    [
        (april(9), D("900.00"), 450),  # 9 of 30 days: 3,000.00 × 9/30; 1,500 × 9/30 km
        (april(1), D("100.00"), 50),  # the first day alone
        (april(7), D("700.00"), 350),
        (april(29), D("2900.00"), 1450),  # one day short of the period
    ],
)
def test_a_period_cut_short_bills_its_days_at_the_full_periods_rate(last_day, amount, km_earned):
    """A subscription bought inside a period is billed for the days it ran, each at price ÷ the period's days."""
    cut = period_invoice(
        period_first_day=april(1),
        period_last_day=last_day,
        segments=[Segment(FOCUS, april(1), last_day)],
        km_driven=0,
        km_carried_in=0,
        rollover_cap_km=500,
        swap_fees=[],
        pause_fee_per_day=D("20.00"),
        full_period_days=30,
    )
    assert (cut.lines[0].amount, cut.km_earned, cut.days_in_period, cut.total) == (amount, km_earned, 30, amount)


def test_a_period_cut_short_is_rounded_per_line_half_up():
    # 1-9 January of a 31-day period at 3,000.00: 870.967… → 870.97; 1,500 × 9/31 = 435.48 → 435 km.
    sedan = ClassTerms("sedan", D("3000.00"), 1500, D("0.80"))
    january = (date(2027, 1, 1), date(2027, 1, 9))
    cut = period_invoice(
        period_first_day=january[0],
        period_last_day=january[1],
        segments=[Segment(sedan, *january)],
        km_driven=500,
        km_carried_in=0,
        rollover_cap_km=1000,
        swap_fees=[],
        pause_fee_per_day=D("30.00"),
        full_period_days=31,
    )
    assert [line.amount for line in cut.lines] == [D("870.97"), D("52.00")]  # 65 km over × 0.80
    assert (cut.km_earned, cut.km_over, cut.total) == (435, 65, D("922.97"))


def test_a_period_cut_short_cannot_have_fewer_days_than_it_bills():
    with pytest.raises(ValueError, match="full_period_days"):
        period_invoice(
            period_first_day=april(1),
            period_last_day=april(30),
            segments=[Segment(FOCUS, *APRIL)],
            km_driven=0,
            km_carried_in=0,
            rollover_cap_km=500,
            swap_fees=[],
            pause_fee_per_day=D("20.00"),
            full_period_days=29,
        )


@pytest.mark.parametrize(
    ("fees", "share", "cap", "credit"),
    [
        (D("36000.00"), 50, D("20000.00"), D("18000.00")),
        (D("40000.00"), 50, D("20000.00"), D("20000.00")),  # exactly the cap
        (D("50000.00"), 50, D("20000.00"), D("20000.00")),  # capped
        (D("100.09"), 50, D("1000.00"), D("50.05")),  # 50.045 half up
        (D("100.00"), D("12.5"), D("1000.00"), D("12.50")),
        (D("100.00"), 0, D("1000.00"), D("0.00")),
    ],
)
def test_purchase_credit(fees, share, cap, credit):
    assert purchase_credit(fees, share_percent=share, cap=cap) == credit


@pytest.mark.parametrize(
    ("fees", "share", "cap"),
    [(D("-1"), 50, D("1")), (D("1"), 101, D("1")), (D("1"), -1, D("1")), (D("1"), 50, D("-1"))],
)
def test_purchase_credit_refuses(fees, share, cap):
    with pytest.raises(ValueError):
        purchase_credit(fees, share_percent=share, cap=cap)
