"""Billing properties over random rates, periods and distances: monotone in km and in lateness, lines add up,
rollover within its cap and the unused km."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from forecourt.mobility.billing import ClassTerms, LineCode, RentalRates, Segment, time_charge
from tests.mobility.helpers import START, bill, invoice

D = Decimal


money = st.decimals(min_value=0, max_value=1000, places=2)
rental_rates = st.builds(
    RentalRates,
    hourly=money,
    daily=money,
    km_per_hour=st.integers(0, 50),
    km_per_day=st.integers(0, 500),
    per_km_over=money,
    late_per_hour=money,
    late_grace_minutes=st.integers(0, 120),
    energy_per_percent=money,
    free_cancel_hours=st.integers(0, 72),
    late_cancel_keep_percent=st.integers(0, 100),
)
minutes = st.integers(1, 60 * 24 * 10)


@settings(max_examples=200, deadline=None)
@given(rates=rental_rates, booked=minutes, returned=st.integers(-60 * 24 * 10, 60 * 24 * 10), more=st.integers(0, 5000))
def test_rental_more_km_or_a_later_return_never_costs_less_and_lines_add_up(rates, booked, returned, more):
    due = START + timedelta(minutes=booked)
    returned_at = max(START, due + timedelta(minutes=returned))
    base = bill(rates, due=due, returned_at=returned_at, energy_in_percent=40, damage_charge=D("5.00"))
    assert base.total == sum(line.amount for line in base.lines)
    assert base.extras == base.total - base.line(LineCode.TIME).amount
    common = {"due": due, "energy_in_percent": 40, "damage_charge": D("5.00")}
    assert bill(rates, returned_at=returned_at, odometer_in_km=10_500 + more, **common).total >= base.total
    later = bill(rates, returned_at=returned_at + timedelta(minutes=more), **common)
    assert later.total >= base.total


@settings(max_examples=200, deadline=None)
@given(rates=rental_rates, length=minutes, more=minutes)
def test_a_longer_booking_never_costs_less(rates, length, more):
    shorter = time_charge(rates, START, START + timedelta(minutes=length))
    assert time_charge(rates, START, START + timedelta(minutes=length + more)).amount >= shorter.amount


class_terms = st.builds(
    ClassTerms,
    class_code=st.sampled_from(["focus", "kuga"]),
    monthly_price=money,
    km_per_month=st.integers(0, 5000),
    per_km_over=money,
)


@st.composite
def tiled_periods(draw):
    first = draw(st.dates(date(2024, 1, 1), date(2030, 12, 1)))
    length = draw(st.integers(28, 31))
    cuts = sorted(draw(st.sets(st.integers(1, length - 1), max_size=3)))
    bounds = [0, *cuts, length]
    segments = [
        Segment(draw(class_terms), first + timedelta(days=a), first + timedelta(days=b - 1), draw(st.booleans()))
        for a, b in itertools.pairwise(bounds)
    ]
    return (first, first + timedelta(days=length - 1)), segments


@settings(max_examples=200, deadline=None)
@given(
    period=tiled_periods(),
    driven=st.integers(0, 10_000),
    more=st.integers(0, 5000),
    carried=st.integers(0, 3000),
    cap=st.integers(0, 3000),
)
def test_subscription_more_km_never_costs_less_and_rollover_stays_within_cap_and_unused(
    period, driven, more, carried, cap
):
    bounds, segments = period
    result = invoice(bounds, segments, km_driven=driven, km_carried_in=carried, cap=cap, swap_fees=["99.00"])
    assert result.km_carried_out <= cap
    assert result.km_carried_out <= result.km_unused
    assert result.km_unused - result.km_over == result.km_available - driven
    assert result.total == sum(line.amount for line in result.lines)
    farther = invoice(bounds, segments, km_driven=driven + more, km_carried_in=carried, cap=cap, swap_fees=["99.00"])
    assert farther.total >= result.total
