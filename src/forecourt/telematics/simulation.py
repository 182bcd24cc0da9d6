"""A fleet that drives itself: realistic drives as the samples a car would publish (pure, seeded).

A drive leaves the car's home (its store), follows a road-like path to a destination 3–25 km away and comes
back: the path runs along a jittered street grid (legs north–south, then east–west, with a few turns), the speed
rises and falls with traffic and stops at lights, the odometer counts exactly the metres driven along the path,
fuel (or charge) falls with the trim's consumption, and now and then a fault code appears. Samples come every
`interval` seconds while driving, with the ignition state (`Vehicle.LowVoltageSystemState`) on the first and last.
"""

from __future__ import annotations

import math
import random
from bisect import bisect_right
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from itertools import pairwise

from forecourt.telematics.geo import EARTH_RADIUS_M, Point, distance_m
from forecourt.telematics.signals import (
    DTC_LIST,
    FUEL_LEVEL,
    IGNITION,
    LATITUDE,
    LONGITUDE,
    ODOMETER,
    SPEED,
    STATE_OF_CHARGE,
)

TANK_LITRES = 60.0
BATTERY_KWH = 60.0
EV_KWH_PER_100KM = 16.0
# Generic codes a fleet car might raise on a drive: misfire, catalyst, evap leak, lost communication, ABS sensor.
OCCASIONAL_CODES = ("P0301", "P0420", "P0455", "U0100", "C0035")


@dataclass(frozen=True)
class SimCar:
    vin: str
    home: Point
    electric: bool = False
    consumption_l_100km: float = 8.0
    odometer_m: int = 5_000_000
    level_pct: float = 80.0  # fuel or charge
    seq: int = 0
    dtcs: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Drive:
    car: SimCar  # the car as it is after the drive
    samples: list[dict]  # in the contract's shape: {"seq", "ts", "signals"}
    distance_m: float


def _offset(origin: Point, north_m: float, east_m: float) -> Point:
    lat = origin[0] + math.degrees(north_m / EARTH_RADIUS_M)
    lon = origin[1] + math.degrees(east_m / (EARTH_RADIUS_M * math.cos(math.radians(origin[0]))))
    return lat, lon


def road_path(start: Point, end: Point, rng: random.Random) -> list[Point]:
    """Waypoints along a jittered street grid from `start` to `end`: alternating north–south and east–west legs."""
    turns = rng.randint(1, 3)
    points = [start]
    lat, lon = start
    for turn in range(turns):
        share = (turn + 1) / (turns + 1) + rng.uniform(-0.1, 0.1)
        lat = start[0] + (end[0] - start[0]) * min(max(share, 0.05), 0.95)
        points.append((lat, lon))
        lon = start[1] + (end[1] - start[1]) * min(max(share + rng.uniform(-0.05, 0.05), 0.05), 0.95)
        points.append((lat, lon))
    points.extend([(end[0], lon), end])
    return points


class _Route:
    """A polyline with its cumulative length, so a position can be read at any distance along it."""

    def __init__(self, points: list[Point]) -> None:
        self.points = points
        self.cumulative = [0.0]
        for a, b in pairwise(points):
            self.cumulative.append(self.cumulative[-1] + distance_m(a, b))
        self.length = self.cumulative[-1]

    def at(self, along: float) -> Point:
        along = min(max(along, 0.0), self.length)
        leg = min(bisect_right(self.cumulative, along), len(self.points) - 1) - 1
        leg_length = self.cumulative[leg + 1] - self.cumulative[leg]
        share = (along - self.cumulative[leg]) / leg_length if leg_length else 0.0
        (lat1, lon1), (lat2, lon2) = self.points[leg], self.points[leg + 1]
        return lat1 + (lat2 - lat1) * share, lon1 + (lon2 - lon1) * share


def drive(
    car: SimCar,
    start: datetime,
    rng: random.Random,
    *,
    interval_s: int = 10,
    reach_m: float | None = None,
    until: datetime | None = None,
) -> Drive:
    """One round trip from home (to a random point 3–25 km away, or `reach_m` away); returns the samples and the
    car as it stands afterwards — or, with `until`, as it stands then, still out. The odometer counts the metres
    along the route (the haversine length of the path between fixes), so odometer and GPS agree."""
    bearing = rng.uniform(0, 2 * math.pi)
    reach = reach_m if reach_m is not None else rng.uniform(3_000, 25_000)
    destination = _offset(car.home, reach * math.cos(bearing), reach * math.sin(bearing))
    route = _Route(road_path(car.home, destination, rng) + road_path(destination, car.home, rng)[1:])
    fault_at = rng.uniform(0.2, 0.8) * route.length if rng.random() < 0.08 else None
    now, seq, level, dtcs = start, car.seq + 1, car.level_pct, car.dtcs
    samples = [_sample(seq, now, car, car.home, 0.0, car.odometer_m, level, dtcs, "ON")]
    along, speed = 0.0, 0.0
    while along < route.length and (until is None or now + timedelta(seconds=interval_s) <= until):
        speed = _next_speed(speed, rng)
        step = min(speed / 3.6 * interval_s, route.length - along)
        along += step
        now += timedelta(seconds=interval_s)
        level = max(0.0, level - _used_pct(car, step))
        if fault_at is not None and along >= fault_at:
            dtcs, fault_at = tuple(sorted({*dtcs, rng.choice(OCCASIONAL_CODES)})), None
        arrived = along >= route.length
        seq += 1
        odometer = car.odometer_m + round(along)
        position = route.at(along)
        samples.append(
            _sample(
                seq, now, car, position, 0.0 if arrived else speed, odometer, level, dtcs, "LOCK" if arrived else None
            )
        )
    after = replace(car, odometer_m=car.odometer_m + round(along), level_pct=level, seq=seq, dtcs=dtcs)
    return Drive(after, samples, along)


def _next_speed(speed: float, rng: random.Random) -> float:
    if speed > 10 and rng.random() < 0.08:
        return 0.0  # a red light
    target = rng.choice((35.0, 50.0, 60.0, 80.0))
    return max(0.0, min(100.0, speed + (target - speed) * rng.uniform(0.2, 0.6) + rng.gauss(0, 3)))


def _used_pct(car: SimCar, metres: float) -> float:
    if car.electric:
        return metres / 100_000 * EV_KWH_PER_100KM / BATTERY_KWH * 100
    return metres / 100_000 * car.consumption_l_100km / TANK_LITRES * 100


def _sample(
    seq: int,
    ts: datetime,
    car: SimCar,
    position: Point,
    speed: float,
    odometer: int,
    level: float,
    dtcs: tuple[str, ...],
    ignition: str | None,
) -> dict:
    signals: dict[str, object] = {
        ODOMETER: odometer,
        LATITUDE: round(position[0], 6),
        LONGITUDE: round(position[1], 6),
        SPEED: round(speed, 1),
        (STATE_OF_CHARGE if car.electric else FUEL_LEVEL): round(level, 1),
        DTC_LIST: sorted(set(dtcs)),
    }
    if ignition is not None:
        signals[IGNITION] = ignition
    return {"seq": seq, "ts": ts.isoformat(), "signals": signals}
