"""Trips against hand-computed tracks, and every watch rule at both sides of its boundary."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from forecourt.telematics.geo import EARTH_RADIUS_M, distance_m, inside_polygon, track_length_m
from forecourt.telematics.signals import Sample
from forecourt.telematics.trips import MAX_GAP, derive_trips
from forecourt.telematics.watching.rules import AlertKind, Circle, Polygon, WatchRules, check_overdue, check_sample

T0 = datetime(2026, 12, 7, 1, 0, tzinfo=UTC)
STORE = (23.1291, 113.2644)  # Guangzhou Tianhe
METRES_PER_DEGREE = math.pi * EARTH_RADIUS_M / 180  # along a meridian


def at(minutes: float, seq: int | None = None, **fields: object) -> Sample:
    return Sample(
        seq=seq if seq is not None else int(minutes * 10), ts=T0 + timedelta(minutes=minutes), signals={}, **fields
    )  # type: ignore[arg-type]


def north_of_store(metres: float) -> tuple[float, float]:
    return (STORE[0] + metres / METRES_PER_DEGREE, STORE[1])


# --- geometry ---------------------------------------------------------------------------------------------


def test_a_degree_of_latitude_is_111_km_and_distance_is_symmetric() -> None:
    assert distance_m((0, 0), (1, 0)) == pytest.approx(111_195, abs=1)
    assert distance_m(STORE, (22.5431, 114.0579)) == pytest.approx(distance_m((22.5431, 114.0579), STORE))
    # Guangzhou Tianhe to Shenzhen Futian: about 104 km as the crow flies
    assert distance_m(STORE, (22.5431, 114.0579)) == pytest.approx(104_000, rel=0.02)
    assert distance_m(STORE, STORE) == 0


def test_track_length_adds_its_legs() -> None:
    points = [north_of_store(0), north_of_store(1_000), north_of_store(500)]
    assert track_length_m(points) == pytest.approx(1_500, abs=0.01)
    assert track_length_m([]) == 0 and track_length_m([STORE]) == 0


@pytest.mark.parametrize(
    ("point", "inside"),
    [((0.5, 0.5), True), ((0, 0.5), True), ((1, 1), True), ((1.0001, 0.5), False), ((0.5, -0.0001), False)],
)
def test_polygon_edges_count_as_inside(point: tuple[float, float], inside: bool) -> None:
    square = [(0.0, 0.0), (0.0, 1.0), (1.0, 1.0), (1.0, 0.0)]
    assert inside_polygon(point, square) is inside


# --- trips ------------------------------------------------------------------------------------------------


def test_a_drive_from_ignition_on_to_off_with_its_odometer_and_track() -> None:
    samples = [
        at(0, ignition="OFF", odometer_m=10_000, latitude=STORE[0], longitude=STORE[1]),
        at(1, ignition="ON", odometer_m=10_000, latitude=STORE[0], longitude=STORE[1], speed_kmh=0),
        at(2, odometer_m=11_000, latitude=north_of_store(1_000)[0], longitude=STORE[1], speed_kmh=60),
        at(3, odometer_m=12_000, latitude=north_of_store(2_000)[0], longitude=STORE[1], speed_kmh=72.5),
        at(4, ignition="LOCK", odometer_m=12_050, latitude=north_of_store(2_050)[0], longitude=STORE[1]),
        at(5, ignition="LOCK", odometer_m=12_050),
    ]
    (trip,) = derive_trips(samples)
    assert (trip.started_at, trip.ended_at) == (T0 + timedelta(minutes=1), T0 + timedelta(minutes=4))
    assert trip.samples == 4
    assert (trip.start_odometer_m, trip.end_odometer_m, trip.odometer_distance_m) == (10_000, 12_050, 2_050)
    assert trip.gps_distance_m == pytest.approx(2_050, abs=0.01)
    assert trip.distance_m == 2_050 and trip.gps_agrees is True
    assert trip.max_speed_kmh == 72.5 and trip.duration == timedelta(minutes=3)


def test_late_and_out_of_order_samples_land_where_they_belong() -> None:
    drive = [
        at(1, ignition="ON", odometer_m=0),
        at(2, odometer_m=500),
        at(3, odometer_m=900),
        at(4, ignition="OFF", odometer_m=1_000),
    ]
    shuffled = [drive[3], drive[1], drive[0], drive[2]]
    assert derive_trips(shuffled) == derive_trips(drive)
    assert derive_trips(drive)[0].odometer_distance_m == 1_000


def test_a_silence_longer_than_the_gap_ends_a_trip_and_exactly_the_gap_does_not() -> None:
    gap = MAX_GAP.total_seconds() / 60
    one = [at(0, ignition="ON", odometer_m=0), at(gap, odometer_m=100), at(gap + 1, ignition="OFF", odometer_m=150)]
    assert len(derive_trips(one)) == 1
    two = [at(0, ignition="ON", odometer_m=0), at(gap + 0.01, odometer_m=100), at(gap + 1, ignition="OFF")]
    first, second = derive_trips(two)
    assert first.samples == 1 and second.started_at == T0 + timedelta(minutes=gap + 0.01)


def test_without_an_ignition_signal_speed_decides() -> None:
    samples = [
        at(0, speed_kmh=0),
        at(1, speed_kmh=30, odometer_m=0),
        at(2, speed_kmh=40, odometer_m=600),
        at(3, speed_kmh=0, odometer_m=1_100),
    ]
    (trip,) = derive_trips(samples)
    assert trip.odometer_distance_m == 1_100 and trip.samples == 3


def test_gps_disagreement_is_flagged_beyond_ten_percent_or_200_metres() -> None:
    def trip(odometer_end: int, gps_end_m: float) -> bool | None:
        return derive_trips(
            [
                at(0, ignition="ON", odometer_m=0, latitude=STORE[0], longitude=STORE[1]),
                at(
                    5,
                    ignition="OFF",
                    odometer_m=odometer_end,
                    latitude=north_of_store(gps_end_m)[0],
                    longitude=STORE[1],
                ),
            ]
        )[0].gps_agrees

    assert trip(10_000, 9_000.5) is True  # 999.5 m apart: within 10 %
    assert trip(10_000, 8_999) is False  # 1,001 m apart
    assert trip(1_000, 800.5) is True  # small trips: 200 m of slack
    assert trip(1_000, 799) is False
    no_track = derive_trips([at(0, ignition="ON", odometer_m=0), at(1, ignition="OFF", odometer_m=10)])[0]
    assert no_track.gps_agrees is None and no_track.distance_m == 10


@given(st.lists(st.integers(min_value=0, max_value=2_000), min_size=2, max_size=30))
def test_trip_distances_add_up_to_the_odometer(steps: list[int]) -> None:
    odometer, samples = 0, []
    for minute, step in enumerate(steps):
        odometer += step
        ignition = "ON" if minute % 7 != 6 else "OFF"
        samples.append(at(minute, ignition=ignition, odometer_m=odometer))
    trips = derive_trips(samples)
    covered = sum(t.odometer_distance_m or 0 for t in trips)
    # every metre driven while the ignition was on, between consecutive samples, belongs to exactly one trip
    expected = sum(b.odometer_m - a.odometer_m for a, b in pairwise(samples) if a.ignition == "ON")
    assert covered == expected


# --- watch rules --------------------------------------------------------------------------------------------


def rules(**overrides: object) -> WatchRules:
    return WatchRules(**{"geofence": Circle(STORE, 50_000.0), **overrides})  # type: ignore[arg-type]


def kinds(
    sample: Sample, watch: WatchRules, codes: frozenset[str] = frozenset(), raised: frozenset[str] = frozenset()
) -> list[str]:
    return [alert.key for alert in check_sample(watch, sample, codes, raised)]


def test_geofence_edge_is_inside_and_a_metre_past_it_is_outside() -> None:
    edge = north_of_store(50_000)
    assert distance_m(STORE, edge) == pytest.approx(50_000, abs=0.001)
    inside = at(1, latitude=north_of_store(49_999.99)[0], longitude=STORE[1])
    outside = at(1, latitude=north_of_store(50_001)[0], longitude=STORE[1])
    assert kinds(inside, rules()) == []
    (alert,) = check_sample(rules(), outside, frozenset(), frozenset())
    assert alert.kind == AlertKind.GEOFENCE_EXIT and alert.details["distance_m"] == 50_001
    assert kinds(outside, rules(), raised=frozenset({"geofence_exit"})) == []  # once per drive
    assert kinds(at(1), rules()) == []  # no position, no verdict


def test_polygon_geofence() -> None:
    fence = Polygon(((23.0, 113.0), (23.0, 113.5), (23.5, 113.5), (23.5, 113.0)))
    assert kinds(at(1, latitude=23.2, longitude=113.2), rules(geofence=fence)) == []
    assert kinds(at(1, latitude=23.6, longitude=113.2), rules(geofence=fence)) == ["geofence_exit"]
    with pytest.raises(ValueError, match="three corners"):
        Polygon(((0, 0), (1, 1)))


@pytest.mark.parametrize(("speed", "alerts"), [(120.0, []), (120.01, ["overspeed"]), (None, [])])
def test_speed_limit_is_exceeded_only_above_it(speed: float | None, alerts: list[str]) -> None:
    assert kinds(at(1, speed_kmh=speed), rules(geofence=None, speed_limit_kmh=120)) == alerts


@pytest.mark.parametrize(("level", "alerts"), [(15.0, []), (14.99, ["low_fuel"]), (0.0, ["low_fuel"])])
def test_low_fuel_below_the_threshold(level: float, alerts: list[str]) -> None:
    assert kinds(at(1, fuel_pct=level), rules(geofence=None, low_fuel_pct=15)) == alerts


def test_low_charge_is_its_own_rule() -> None:
    watch = rules(geofence=None, low_fuel_pct=15, low_charge_pct=20)
    assert kinds(at(1, charge_pct=19.9, fuel_pct=50), watch) == ["low_charge"]


def test_only_fault_codes_new_since_checkout_alert_each_once() -> None:
    sample = at(1, dtcs=("P0301", "P0420"))
    assert kinds(sample, rules(), codes=frozenset({"P0420"})) == ["fault_code:P0301"]
    assert kinds(sample, rules(), codes=frozenset({"P0420"}), raised=frozenset({"fault_code:P0301"})) == []
    assert kinds(sample, rules(new_fault_codes=False)) == []


def test_overdue_only_after_the_return_time_and_not_once_returned() -> None:
    due = T0 + timedelta(days=1)
    watch = rules(return_due_at=due)
    assert check_overdue(watch, due, returned=False, raised=()) is None
    alert = check_overdue(watch, due + timedelta(seconds=1), returned=False, raised=())
    assert alert is not None and alert.kind == AlertKind.OVERDUE
    assert check_overdue(watch, due + timedelta(hours=1), returned=True, raised=()) is None
    assert check_overdue(watch, due + timedelta(hours=1), returned=False, raised=("overdue",)) is None
    assert check_overdue(rules(), due + timedelta(days=9), returned=False, raised=()) is None


def test_one_sample_can_trip_several_rules_at_once() -> None:
    far_fast_empty = at(
        1, latitude=north_of_store(80_000)[0], longitude=STORE[1], speed_kmh=150, fuel_pct=5, dtcs=("U0100",)
    )
    watch = rules(speed_limit_kmh=120, low_fuel_pct=10)
    assert kinds(far_fast_empty, watch) == ["geofence_exit", "overspeed", "low_fuel", "fault_code:U0100"]
