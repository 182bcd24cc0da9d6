"""Trips from a car's samples: when it was driven, how far, and whether the odometer and the GPS agree.

A trip runs from the first sample with the ignition on to the first sample after it with the ignition off
(that sample closes the trip: its odometer is the final reading), or to the last sample before a silence
longer than `MAX_GAP`. A sample that does not report the ignition inherits the last state reported; a car
that never reports it is taken to be driving while its speed is above zero. Samples may arrive late and out
of order: trips are always derived from the samples sorted by time, so a late sample lands where it belongs.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from forecourt.telematics.geo import Point, track_length_m
from forecourt.telematics.signals import Sample

MAX_GAP = timedelta(minutes=10)
# The odometer and the GPS track agree when they differ by at most this share or this many metres (GPS fixes
# a minute apart cut corners; odometers count in whole metres or tenths of a km).
AGREEMENT_SHARE = 0.10
AGREEMENT_FLOOR_M = 200.0


@dataclass(frozen=True)
class Trip:
    started_at: datetime
    ended_at: datetime
    samples: int
    start_odometer_m: int | None
    end_odometer_m: int | None
    gps_distance_m: float
    max_speed_kmh: float | None
    track: tuple[Point, ...]

    @property
    def odometer_distance_m(self) -> int | None:
        if self.start_odometer_m is None or self.end_odometer_m is None:
            return None
        return self.end_odometer_m - self.start_odometer_m

    @property
    def distance_m(self) -> float:
        """The odometer's distance where the car reported it, else the GPS track's."""
        odometer = self.odometer_distance_m
        return float(odometer) if odometer is not None else self.gps_distance_m

    @property
    def gps_agrees(self) -> bool | None:
        """Whether the GPS track confirms the odometer; None without both or with fewer than two fixes."""
        odometer = self.odometer_distance_m
        if odometer is None or len(self.track) < 2:
            return None
        return abs(odometer - self.gps_distance_m) <= max(AGREEMENT_FLOOR_M, AGREEMENT_SHARE * odometer)

    @property
    def duration(self) -> timedelta:
        return self.ended_at - self.started_at


def derive_trips(samples: Iterable[Sample]) -> list[Trip]:
    ordered = sorted(samples, key=lambda sample: (sample.ts, sample.seq))
    trips: list[Trip] = []
    current: list[Sample] = []
    ignition: bool | None = None
    previous: Sample | None = None
    for sample in ordered:
        if current and previous is not None and sample.ts - previous.ts > MAX_GAP:
            trips.append(_summarise(current))
            current = []
        if sample.ignition is not None:
            ignition = sample.ignition_on
        driving = ignition if ignition is not None else (sample.speed_kmh or 0) > 0
        if driving:
            current.append(sample)
        elif current:
            current.append(sample)  # the sample that closes the trip carries its final odometer and position
            trips.append(_summarise(current))
            current = []
        previous = sample
    if current:
        trips.append(_summarise(current))
    return trips


def _summarise(samples: Sequence[Sample]) -> Trip:
    odometers = [s.odometer_m for s in samples if s.odometer_m is not None]
    speeds = [s.speed_kmh for s in samples if s.speed_kmh is not None]
    track = tuple((s.latitude, s.longitude) for s in samples if s.latitude is not None and s.longitude is not None)
    return Trip(
        started_at=samples[0].ts,
        ended_at=samples[-1].ts,
        samples=len(samples),
        start_odometer_m=odometers[0] if odometers else None,
        end_odometer_m=odometers[-1] if odometers else None,
        gps_distance_m=track_length_m(track),
        max_speed_kmh=max(speeds) if speeds else None,
        track=track,
    )
