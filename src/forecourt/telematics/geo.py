"""Distances and areas on the WGS-84 globe, good to a few metres at a city's scale.

Haversine on a sphere of the mean Earth radius: its error against the ellipsoid (≤ 0.5 %) is far below what
a geofence or a trip's length needs, and it needs no projection library. Polygons are tested in plain
longitude/latitude, which is exact enough for areas of tens of kilometres away from the poles and the
antimeridian (a store's geofence).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

EARTH_RADIUS_M = 6_371_008.8  # IUGG mean radius

Point = tuple[float, float]  # (latitude, longitude) in degrees


def distance_m(a: Point, b: Point) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def track_length_m(points: Iterable[Point]) -> float:
    total, previous = 0.0, None
    for point in points:
        if previous is not None:
            total += distance_m(previous, point)
        previous = point
    return total


def inside_polygon(point: Point, polygon: Sequence[Point]) -> bool:
    """Ray casting; a point on an edge counts as inside (a car parked on the line has not left)."""
    lat, lon = point
    inside = False
    for (lat1, lon1), (lat2, lon2) in zip(polygon, [*polygon[1:], polygon[0]], strict=True):
        if _on_segment(lat, lon, lat1, lon1, lat2, lon2):
            return True
        if (lat1 > lat) != (lat2 > lat):
            crossing_lon = lon1 + (lat - lat1) * (lon2 - lon1) / (lat2 - lat1)
            if lon < crossing_lon:
                inside = not inside
    return inside


def _on_segment(lat: float, lon: float, lat1: float, lon1: float, lat2: float, lon2: float) -> bool:
    cross = (lat2 - lat1) * (lon - lon1) - (lon2 - lon1) * (lat - lat1)
    if abs(cross) > 1e-12:
        return False
    return min(lat1, lat2) <= lat <= max(lat1, lat2) and min(lon1, lon2) <= lon <= max(lon1, lon2)
