"""Lease mileage projection: the FIELD-NOTES worked case, hand-computed dated cases, boundaries and properties."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from math import gcd

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from forecourt.core.money import MoneyError
from forecourt.ownership.leases.mileage import (
    HiddenBecause,
    LeaseMileageTerms,
    StepKind,
    allowance_km,
    excess_charge,
    half_up,
    lease_mileage,
    linear_projection,
)
from forecourt.ownership.odometer import IgnoredBecause, OdometerReading

D = Decimal
DELIVERY = OdometerReading(date(2024, 1, 15), 10)
TERMS = LeaseMileageTerms(DELIVERY, term_months=24, annual_allowance_km=8_000, excess_km_rate=D("0.20"))


def on(days: int, driven: int, start: OdometerReading = DELIVERY) -> OdometerReading:
    return OdometerReading(start.day + timedelta(days=days), start.km + driven)


def test_field_notes_worked_case():
    # T = 24, t = 6, s = 15,000, A = 8,000: s + s·t/(T − t) − A·T/12 = 15,000 + 5,000 − 16,000 = 4,000 km.
    projected = linear_projection(driven=15_000, window_km=15_000, window_time=24 - 6, time_left=6)
    assert projected == 20_000
    excess = int(projected) - allowance_km(8_000, 24)
    assert excess == 4_000
    assert excess_charge(excess, D("0.20")) == D("800.00")


def test_the_worked_case_on_real_dates_counts_days():
    # Delivered 2024-01-15, 15,000 km by 2025-07-15 (18 months = 547 days, 2024 being a leap year); the lease ends
    # 2026-01-15, 184 days on. 15,000 + 15,000 × 184 / 547 = 20,045.70… → 20,046 km; 4,046 km over 16,000 → 809.20.
    mileage = lease_mileage(TERMS, [on(547, 15_000)], today=date(2025, 7, 20))
    p = mileage.projection
    assert p is not None and mileage.hidden_because is None
    assert (p.as_of, p.end_day, p.days_left) == (date(2025, 7, 15), date(2026, 1, 15), 184)
    assert (p.months_left.months, p.months_left.days) == (6, 0)
    assert (p.driven_km, p.projected_km, p.excess_km, p.excess_charge) == (15_000, 20_046, 4_046, D("809.20"))
    assert p.percent_over == D("25.3")  # 4,046 / 16,000 = 25.2875 %
    assert [s.kind for s in mileage.steps] == list(StepKind)
    steps = {s.kind: s for s in mileage.steps}
    assert steps[StepKind.ALLOWANCE].inputs == (("annual_km", 8_000), ("term_months", 24))
    assert steps[StepKind.ALLOWANCE].result == 16_000
    assert steps[StepKind.DRIVEN].result == 15_000
    assert steps[StepKind.DAILY_RATE].result == D("27.42")
    assert steps[StepKind.PROJECTED].value("window_days") == 547
    assert steps[StepKind.PROJECTED].value("days_left") == 184
    assert steps[StepKind.CHARGE].value("rate_per_km") == D("0.20")
    assert steps[StepKind.CHARGE].result == D("809.20")


@pytest.mark.parametrize(("days", "hidden"), [(13, True), (14, False)])
def test_the_projection_is_hidden_below_14_days_of_readings(days, hidden):
    mileage = lease_mileage(TERMS, [on(days, 40 * days)], today=DELIVERY.day + timedelta(days=20))
    assert (mileage.projection is None) is hidden
    assert mileage.hidden_because is (HiddenBecause.NOT_ENOUGH_READINGS if hidden else None)
    assert mileage.days_of_readings_needed == (1 if hidden else 0)
    # What is known is shown either way: the allowance and the distance driven.
    assert [s.kind for s in mileage.steps][:2] == [StepKind.ALLOWANCE, StepKind.DRIVEN]
    assert mileage.driven_km == 40 * days


def test_no_readings_yet_hides_the_projection_with_14_days_to_go():
    mileage = lease_mileage(TERMS, [], today=DELIVERY.day)
    assert mileage.hidden_because is HiddenBecause.NOT_ENOUGH_READINGS
    assert (mileage.driven_km, mileage.days_of_readings_needed) == (0, 14)


def test_zero_driving_projects_zero_and_charges_nothing():
    mileage = lease_mileage(TERMS, [on(30, 0)], today=DELIVERY.day + timedelta(days=30))
    p = mileage.projection
    assert p is not None
    assert (p.projected_km, p.excess_km, p.excess_charge, p.percent_over) == (0, 0, D("0.00"), D("-100.0"))


def test_the_rate_is_the_last_90_days_once_there_are_more():
    # 60 km a day for 200 days, then 20 km a day for 100: at the recent rate the lease ends under its allowance.
    readings = [on(d, 60 * d) for d in range(1, 201)] + [on(200 + d, 12_000 + 20 * d) for d in range(1, 101)]
    p = lease_mileage(TERMS, readings, today=on(300, 0).day).projection
    assert p is not None and not p.window.since_start
    assert (p.window.days, p.window.km, p.driven_km) == (90, 1_800, 14_000)
    assert p.days_left == 731 - 300
    assert p.projected_km == 14_000 + 20 * 431


def test_a_lease_past_its_end_counts_readings_up_to_its_end_day_only():
    end = TERMS.end_day
    readings = [on(300, 9_000), OdometerReading(end, DELIVERY.km + 17_000), on(760, 18_000)]
    mileage = lease_mileage(TERMS, readings, today=end + timedelta(days=40))
    p = mileage.projection
    assert mileage.ended and p is not None
    assert (p.days_left, p.projected_km, p.excess_km, p.excess_charge) == (0, 17_000, 1_000, D("200.00"))
    assert [(i.reading.day, i.because) for i in mileage.readings.ignored] == [
        (on(760, 0).day, IgnoredBecause.AFTER_PERIOD)
    ]


def test_a_lease_past_its_end_without_a_reading_on_the_end_day_projects_to_it():
    mileage = lease_mileage(TERMS, [on(721, 16_000)], today=TERMS.end_day + timedelta(days=3))
    p = mileage.projection
    assert mileage.ended and p is not None
    assert (p.days_left, p.projected_km) == (10, 16_000 + round(16_000 * 10 / 721))


def test_money_is_rounded_half_up_at_an_exact_half():
    # 12,000 km a year for 12 months; a reading of 12,001 km driven on the end day: 1 km × 0.125 = 0.125 → 0.13.
    terms = LeaseMileageTerms(DELIVERY, 12, 12_000, D("0.125"))
    p = lease_mileage(terms, [OdometerReading(terms.end_day, DELIVERY.km + 12_001)], terms.end_day).projection
    assert p is not None and (p.excess_km, p.excess_charge) == (1, D("0.13"))
    assert excess_charge(3, D("0.005")) == D("0.02")  # 0.015
    assert excess_charge(1, D("0.124999")) == D("0.12")


def test_projected_km_is_rounded_half_up_to_whole_km():
    # 1-month lease of 31 days; 10 km in 20 days projects 10 + 10 × 11 / 20 = 15.5 → 16.
    terms = LeaseMileageTerms(OdometerReading(date(2025, 1, 1), 0), 1, 12_000, D("0.50"))
    p = lease_mileage(terms, [OdometerReading(date(2025, 1, 21), 10)], date(2025, 1, 21)).projection
    assert p is not None and p.projected_km == 16
    assert half_up(linear_projection(10, 10, 20, 11), 0) == D(16)
    assert half_up(-linear_projection(10, 10, 20, 11), 0) == D(-16)


def test_the_allowance_is_rounded_down_to_whole_km_as_finance_calc_discloses_it():
    assert allowance_km(10_000, 13) == 10_833
    assert LeaseMileageTerms(DELIVERY, 13, 10_000, D("0.5")).allowance_km == 10_833


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"excess_km_rate": 0.2}, ValueError),
        ({"excess_km_rate": D("-0.1")}, ValueError),
        ({"excess_km_rate": D("NaN")}, ValueError),
        ({"term_months": 0}, ValueError),
        ({"annual_allowance_km": 0}, ValueError),
        ({"annual_allowance_km": 11, "term_months": 1}, ValueError),  # 11 × 1 ÷ 12 rounds down to 0 km
        ({"currency": "XYZ"}, MoneyError),
    ],
)
def test_contract_terms_are_checked(change, error):
    with pytest.raises(error):
        replace(TERMS, **change)


# --- properties -----------------------------------------------------------------------------------------------------


@st.composite
def leases(draw):
    delivery = OdometerReading(draw(st.dates(date(2020, 1, 1), date(2030, 12, 31))), draw(st.integers(0, 500)))
    return LeaseMileageTerms(
        delivery,
        term_months=draw(st.integers(6, 60)),
        annual_allowance_km=draw(st.integers(5_000, 60_000)),
        excess_km_rate=D(draw(st.integers(0, 2_000))) / 1_000,
    )


@settings(max_examples=150, deadline=None)
@given(
    terms=leases(),
    daily=st.lists(st.integers(0, 400), min_size=14, max_size=400),
    extra_day=st.integers(0, 399),
    extra_km=st.integers(1, 1_500),
)
def test_more_km_never_lowers_the_projection_or_the_charge(terms, daily, extra_day, extra_km):
    def readings(bonus_from: int | None) -> list[OdometerReading]:
        total, out = terms.delivery.km, []
        for index, km in enumerate(daily, start=1):
            total += km + (extra_km if index - 1 == bonus_from else 0)
            out.append(OdometerReading(terms.delivery.day + timedelta(days=index), total))
        return out

    today = terms.delivery.day + timedelta(days=len(daily))
    base = lease_mileage(terms, readings(None), today).projection
    more = lease_mileage(terms, readings(extra_day % len(daily)), today).projection
    assert base is not None and more is not None
    assert more.driven_km > base.driven_km
    assert more.projected_km >= base.projected_km
    assert more.excess_km >= base.excess_km
    assert more.excess_charge >= base.excess_charge


@settings(max_examples=200, deadline=None)
@given(terms=leases(), data=st.data())
def test_on_pace_driving_projects_the_allowance_exactly(terms, data):
    lease_days = (terms.end_day - terms.delivery.day).days
    allowance = terms.allowance_km
    # Readings on the days where the allowance's pace is a whole number of km: multiples of `step` days.
    step = lease_days // gcd(allowance, lease_days)
    last = data.draw(st.integers(1, lease_days // step))
    assume(last * step >= 14)
    stride = data.draw(st.integers(1, last))
    multiples = sorted({*range(stride, last + 1, stride), last})
    readings = [
        OdometerReading(
            terms.delivery.day + timedelta(days=k * step), terms.delivery.km + allowance * k * step // lease_days
        )
        for k in multiples
    ]
    mileage = lease_mileage(terms, readings, today=readings[-1].day)
    p = mileage.projection
    assert p is not None and not mileage.readings.ignored
    assert (p.projected_km, p.excess_km, p.excess_charge) == (allowance, 0, D("0.00"))
