"""Distance from a lead's city to its store (pure).

Honest and simple: we know a lead's city, not their address, so the distance is from the city's centre (a small
table of city-centre coordinates; for a city not in it, the mean position of that city's stores) to the store,
great-circle, in km. An unknown city gives None, and the scoring imputes the training mean for it.
"""

from __future__ import annotations

import math

EARTH_RADIUS_KM = 6371.0
# City centres (city hall / people's square), degrees.
CITY_CENTRES: dict[str, tuple[float, float]] = {
    "beijing": (39.9042, 116.4074),
    "shanghai": (31.2304, 121.4737),
    "guangzhou": (23.1291, 113.2644),
    "shenzhen": (22.5431, 114.0579),
    "hangzhou": (30.2741, 120.1551),
    "chengdu": (30.5728, 104.0668),
    "wuhan": (30.5928, 114.3055),
    "nanjing": (32.0603, 118.7969),
    "chongqing": (29.5630, 106.5516),
    "tianjin": (39.3434, 117.3616),
    "xian": (34.3416, 108.9398),
    "suzhou": (31.2989, 120.5853),
}


def haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def city_centre(city_code: str, store_positions: list[tuple[float, float]]) -> tuple[float, float] | None:
    if city_code in CITY_CENTRES:
        return CITY_CENTRES[city_code]
    if not store_positions:
        return None
    return (
        sum(p[0] for p in store_positions) / len(store_positions),
        sum(p[1] for p in store_positions) / len(store_positions),
    )
