"""The simulated fleet publishes what the contract accepts, and its drives are internally consistent."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from forecourt.telematics.geo import distance_m
from forecourt.telematics.signals import parse_sample
from forecourt.telematics.simulation import OCCASIONAL_CODES, SimCar, drive
from forecourt.telematics.trips import derive_trips

START = datetime(2026, 12, 7, 1, 0, tzinfo=UTC)
HOME = (23.1291, 113.2644)


def parsed(samples: list[dict]) -> list:
    return [parse_sample(sample, START + timedelta(days=1)) for sample in samples]


@pytest.mark.parametrize("seed", range(8))
def test_a_drive_is_one_trip_home_and_back_with_an_odometer_the_gps_confirms(seed: int) -> None:
    car = SimCar("LVSHFFAL6JS123456", HOME, odometer_m=1_000_000, level_pct=70, seq=41)
    result = drive(car, START, random.Random(seed))
    samples = parsed(result.samples)
    (trip,) = derive_trips(samples)
    assert trip.odometer_distance_m == round(result.distance_m) == result.car.odometer_m - 1_000_000
    assert trip.gps_agrees is True
    assert 6_000 <= result.distance_m <= 80_000  # out 3–25 km along streets, and back
    assert distance_m(trip.track[-1], HOME) < 1  # back home
    assert [s.seq for s in samples] == list(range(42, 42 + len(samples)))
    assert samples[0].ignition == "ON" and samples[-1].ignition == "LOCK"
    levels = [s.fuel_pct for s in samples]
    assert levels == sorted(levels, reverse=True) and levels[-1] < 70
    assert all(0 <= (s.speed_kmh or 0) <= 100 for s in samples)
    assert result.car.seq == samples[-1].seq


def test_drives_are_deterministic_per_seed_and_differ_between_seeds() -> None:
    car = SimCar("LVSHFFAL6JS123456", HOME)
    assert drive(car, START, random.Random(3)).samples == drive(car, START, random.Random(3)).samples
    assert drive(car, START, random.Random(3)).samples != drive(car, START, random.Random(4)).samples


def test_electric_cars_report_charge_and_fault_codes_appear_now_and_then() -> None:
    ev = SimCar("LVSHFFAL6JS123456", HOME, electric=True, level_pct=90)
    samples = parsed(drive(ev, START, random.Random(1)).samples)
    assert all(s.fuel_pct is None and s.charge_pct is not None for s in samples)
    codes = set()
    for seed in range(60):
        codes |= set(drive(SimCar("LVSHFFAL6JS123456", HOME), START, random.Random(seed)).car.dtcs)
    assert codes and codes <= set(OCCASIONAL_CODES)
