"""A route map that works without internet: the track as server-rendered SVG over the store's position.

Points are projected with Web Mercator at the zoom level that fits the track, the store and the geofence into
the frame, so that map tiles (an optional layer, from `FORECOURT_MAP_TILE_URL` such as
`https://tile.openstreetmap.org/{z}/{x}/{y}.png`) line up with the track exactly when a deployment has them.
Pure: numbers in, SVG text out, every value escaped.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from forecourt.telematics.geo import Point

TILE = 256
MAX_ZOOM = 17
NICE_DISTANCES_M = (50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000, 200_000)


@dataclass(frozen=True)
class MapLabels:
    title: str
    store: str
    start: str
    latest: str
    metres: str = "%(n)s m"  # the scale bar's length, with the reader's unit names
    kilometres: str = "%(n)s km"


def _world(point: Point, zoom: int) -> tuple[float, float]:
    lat = max(min(point[0], 85.0511), -85.0511)
    scale = TILE * 2**zoom
    x = (point[1] + 180.0) / 360.0 * scale
    y = (1 - math.log(math.tan(math.radians(lat)) + 1 / math.cos(math.radians(lat))) / math.pi) / 2 * scale
    return x, y


def _metres_per_pixel(lat: float, zoom: int) -> float:
    return 156_543.033_92 * math.cos(math.radians(lat)) / 2**zoom


def render(
    track: Sequence[Point],
    store: Point,
    labels: MapLabels,
    *,
    geofence_radius_m: float | None = None,
    width: int = 640,
    height: int = 400,
    tile_url: str | None = None,
) -> str:
    """The SVG of a route; `track` may be empty (only the store is drawn)."""
    points = [store, *track]
    lats = [p[0] for p in points]
    lons = [p[1] for p in points]
    if geofence_radius_m:
        dlat = math.degrees(geofence_radius_m / 6_371_008.8)
        dlon = dlat / max(math.cos(math.radians(store[0])), 1e-6)
        lats += [store[0] - dlat, store[0] + dlat]
        lons += [store[1] - dlon, store[1] + dlon]
    zoom = _fitting_zoom((min(lats), min(lons)), (max(lats), max(lons)), width * 0.85, height * 0.85)
    (x0, y0), (x1, y1) = _world((max(lats), min(lons)), zoom), _world((min(lats), max(lons)), zoom)
    origin = ((x0 + x1) / 2 - width / 2, (y0 + y1) / 2 - height / 2)

    def screen(point: Point) -> tuple[float, float]:
        x, y = _world(point, zoom)
        return round(x - origin[0], 1), round(y - origin[1], 1)

    parts = [
        (
            f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" class="route-map" role="img" '
            f'aria-label="{escape(labels.title)}">'
        ),
        f"<title>{escape(labels.title)}</title>",
        f'<rect class="route-map-ground" x="0" y="0" width="{width}" height="{height}"/>',
    ]
    if tile_url:
        parts += _tiles(tile_url, zoom, origin, width, height)
    sx, sy = screen(store)
    if geofence_radius_m:
        radius = geofence_radius_m / _metres_per_pixel(store[0], zoom)
        parts.append(f'<circle class="route-map-fence" cx="{sx}" cy="{sy}" r="{radius:.1f}"/>')
    # The store goes under the route: a drive usually starts and ends there, and its start and end markers must
    # stay visible on top (the square is larger than the markers, so its corners still show).
    parts.append(
        f'<rect class="route-map-store" x="{sx - 8}" y="{sy - 8}" width="16" height="16">'
        f"<title>{escape(labels.store)}</title></rect>"
    )
    if len(track) >= 2:
        coordinates = " ".join(f"{x},{y}" for x, y in map(screen, track))
        parts.append(f'<polyline class="route-map-track" points="{coordinates}"/>')
    if track:
        (ax, ay), (bx, by) = screen(track[0]), screen(track[-1])
        parts.append(
            f'<circle class="route-map-start" cx="{ax}" cy="{ay}" r="5"><title>{escape(labels.start)}</title></circle>'
        )
        parts.append(
            f'<circle class="route-map-latest" cx="{bx}" cy="{by}" r="7"><title>{escape(labels.latest)}</title></circle>'
        )
    parts += _scale_bar(store[0], zoom, height, labels)
    parts.append("</svg>")
    return "".join(parts)


def _fitting_zoom(south_west: Point, north_east: Point, width: float, height: float) -> int:
    for zoom in range(MAX_ZOOM, 0, -1):
        (x0, y0), (x1, y1) = _world((north_east[0], south_west[1]), zoom), _world((south_west[0], north_east[1]), zoom)
        if x1 - x0 <= width and y1 - y0 <= height:
            return zoom
    return 1


def _scale_bar(lat: float, zoom: int, height: int, labels: MapLabels) -> list[str]:
    per_pixel = _metres_per_pixel(lat, zoom)
    metres = max((d for d in NICE_DISTANCES_M if d / per_pixel <= 160), default=NICE_DISTANCES_M[0])
    length = metres / per_pixel
    text = escape(labels.kilometres % {"n": metres // 1000} if metres >= 1000 else labels.metres % {"n": metres})
    y = height - 16
    return [
        f'<line class="route-map-scale" x1="16" y1="{y}" x2="{16 + length:.1f}" y2="{y}"/>',
        f'<text class="route-map-scale-text" x="16" y="{y - 6}">{text}</text>',
    ]


def _tiles(url: str, zoom: int, origin: tuple[float, float], width: int, height: int) -> list[str]:
    first_x, first_y = int(origin[0] // TILE), int(origin[1] // TILE)
    last_x, last_y = int((origin[0] + width) // TILE), int((origin[1] + height) // TILE)
    count = 2**zoom
    images = []
    for tx in range(first_x, last_x + 1):
        for ty in range(max(first_y, 0), min(last_y, count - 1) + 1):
            href = url.format(z=zoom, x=tx % count, y=ty)
            x, y = tx * TILE - origin[0], ty * TILE - origin[1]
            images.append(f'<image href="{escape(href)}" x="{x:.1f}" y="{y:.1f}" width="{TILE}" height="{TILE}"/>')
    return images
