"""Rules that watch a self-service drive from the car: geofence, speed, fuel or charge, fault codes, return time.

Each rule raises its alert once per drive: an alert has a key (`overspeed`, `fault_code:P0301`, …), the caller
passes the keys already raised, and storage keeps a unique (drive, key) so that two ingest workers seeing the
same sample cannot raise it twice. Boundaries are stated and tested: a car exactly on the geofence's edge is
inside, exactly at the limit is not speeding, exactly at the low-fuel threshold is not yet low, and a car is
overdue only after its return time has passed.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from forecourt.telematics.geo import Point, distance_m, inside_polygon
from forecourt.telematics.signals import Sample

DEFAULT_RADIUS_M = 50_000.0


class AlertKind(StrEnum):
    GEOFENCE_EXIT = "geofence_exit"
    OVERSPEED = "overspeed"
    LOW_FUEL = "low_fuel"
    LOW_CHARGE = "low_charge"
    FAULT_CODE = "fault_code"
    OVERDUE = "overdue"


@dataclass(frozen=True)
class Circle:
    center: Point
    radius_m: float = DEFAULT_RADIUS_M

    def contains(self, point: Point) -> bool:
        return distance_m(self.center, point) <= self.radius_m


@dataclass(frozen=True)
class Polygon:
    vertices: tuple[Point, ...]

    def __post_init__(self) -> None:
        if len(self.vertices) < 3:
            raise ValueError("a polygon geofence needs at least three corners")

    def contains(self, point: Point) -> bool:
        return inside_polygon(point, self.vertices)


@dataclass(frozen=True)
class WatchRules:
    geofence: Circle | Polygon | None = None
    speed_limit_kmh: float | None = None
    low_fuel_pct: float | None = None
    low_charge_pct: float | None = None
    new_fault_codes: bool = True
    return_due_at: datetime | None = None


def rules_to_json(rules: WatchRules) -> dict[str, object]:
    geofence: dict[str, object] | None = None
    if isinstance(rules.geofence, Circle):
        geofence = {"center": list(rules.geofence.center), "radius_m": rules.geofence.radius_m}
    elif isinstance(rules.geofence, Polygon):
        geofence = {"polygon": [list(vertex) for vertex in rules.geofence.vertices]}
    return {
        "geofence": geofence,
        "speed_limit_kmh": rules.speed_limit_kmh,
        "low_fuel_pct": rules.low_fuel_pct,
        "low_charge_pct": rules.low_charge_pct,
        "new_fault_codes": rules.new_fault_codes,
        "return_due_at": rules.return_due_at.isoformat() if rules.return_due_at else None,
    }


def rules_from_json(data: dict[str, Any]) -> WatchRules:
    """The inverse of `rules_to_json` (stored by Forecourt itself, so a malformed value is a bug and raises)."""
    fence = data.get("geofence")
    geofence: Circle | Polygon | None = None
    if fence and "polygon" in fence:
        geofence = Polygon(tuple((float(lat), float(lon)) for lat, lon in fence["polygon"]))
    elif fence:
        geofence = Circle((float(fence["center"][0]), float(fence["center"][1])), float(fence["radius_m"]))
    due = data.get("return_due_at")
    return WatchRules(
        geofence=geofence,
        speed_limit_kmh=data.get("speed_limit_kmh"),
        low_fuel_pct=data.get("low_fuel_pct"),
        low_charge_pct=data.get("low_charge_pct"),
        new_fault_codes=bool(data.get("new_fault_codes", True)),
        return_due_at=datetime.fromisoformat(due) if due else None,
    )


@dataclass(frozen=True)
class Alert:
    kind: AlertKind
    key: str
    at: datetime
    details: dict[str, object] = field(default_factory=dict)


def check_sample(
    rules: WatchRules, sample: Sample, codes_at_checkout: Collection[str], raised: Collection[str]
) -> list[Alert]:
    """The alerts this sample raises that have not been raised before in this drive."""
    return [
        alert
        for alert in (
            _geofence(rules, sample),
            _overspeed(rules, sample),
            _low(AlertKind.LOW_FUEL, rules.low_fuel_pct, sample.fuel_pct, sample),
            _low(AlertKind.LOW_CHARGE, rules.low_charge_pct, sample.charge_pct, sample),
            *_fault_codes(rules, sample, codes_at_checkout),
        )
        if alert is not None and alert.key not in raised
    ]


def check_overdue(rules: WatchRules, now: datetime, returned: bool, raised: Collection[str]) -> Alert | None:
    if rules.return_due_at is None or returned or AlertKind.OVERDUE.value in raised:
        return None
    if now <= rules.return_due_at:
        return None
    return Alert(AlertKind.OVERDUE, AlertKind.OVERDUE.value, now, {"due_at": rules.return_due_at.isoformat()})


def _geofence(rules: WatchRules, sample: Sample) -> Alert | None:
    if rules.geofence is None or sample.latitude is None or sample.longitude is None:
        return None
    point = (sample.latitude, sample.longitude)
    if rules.geofence.contains(point):
        return None
    details: dict[str, object] = {"latitude": sample.latitude, "longitude": sample.longitude}
    if isinstance(rules.geofence, Circle):
        details["distance_m"] = round(distance_m(rules.geofence.center, point))
        details["radius_m"] = rules.geofence.radius_m
    return Alert(AlertKind.GEOFENCE_EXIT, AlertKind.GEOFENCE_EXIT.value, sample.ts, details)


def _overspeed(rules: WatchRules, sample: Sample) -> Alert | None:
    if rules.speed_limit_kmh is None or sample.speed_kmh is None or sample.speed_kmh <= rules.speed_limit_kmh:
        return None
    details = {"speed_kmh": sample.speed_kmh, "limit_kmh": rules.speed_limit_kmh}
    return Alert(AlertKind.OVERSPEED, AlertKind.OVERSPEED.value, sample.ts, details)


def _low(kind: AlertKind, threshold: float | None, level: float | None, sample: Sample) -> Alert | None:
    if threshold is None or level is None or level >= threshold:
        return None
    return Alert(kind, kind.value, sample.ts, {"level_pct": level, "threshold_pct": threshold})


def _fault_codes(rules: WatchRules, sample: Sample, codes_at_checkout: Collection[str]) -> list[Alert]:
    if not rules.new_fault_codes or not sample.dtcs:
        return []
    return [
        Alert(AlertKind.FAULT_CODE, f"{AlertKind.FAULT_CODE.value}:{code}", sample.ts, {"code": code})
        for code in sample.dtcs
        if code not in codes_at_checkout
    ]
