"""The offline route map: the track, the store and the geofence fit the frame; labels are escaped; tiles align."""

from __future__ import annotations

import re

import pytest

from forecourt.telematics.geo import distance_m
from forecourt.telematics.route_map import MapLabels, _metres_per_pixel, render

STORE = (23.1291, 113.2644)
TRACK = [STORE, (23.14, 113.27), (23.16, 113.29), (23.18, 113.30)]
LABELS = MapLabels("Route of LVSH…", "Store <Tianhe>", "Start", "Now")


def numbers(svg: str, pattern: str) -> list[float]:
    return [float(v) for v in re.findall(pattern, svg)]


def test_everything_is_inside_the_frame() -> None:
    svg = render(TRACK, STORE, LABELS, width=640, height=400)
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    points = re.search(r'points="([^"]+)"', svg).group(1).split()
    for point in points:
        x, y = map(float, point.split(","))
        assert 0 <= x <= 640 and 0 <= y <= 400
    assert "Store &lt;Tianhe&gt;" in svg and "<Tianhe>" not in svg


def test_the_geofence_is_drawn_to_scale_and_fits() -> None:
    svg = render(TRACK, STORE, LABELS, geofence_radius_m=50_000)
    (cx,), (cy,), (r,) = (
        numbers(svg, rf'class="route-map-fence" [^>]*{name}="([\d.]+)"') for name in ["cx", "cy", "r"]
    )
    assert r > 0 and cx - r >= -1 and cx + r <= 641 and cy - r >= -1 and cy + r <= 401


def test_the_scale_bar_measures_what_it_says() -> None:
    svg = render(TRACK, STORE, LABELS)
    bar = re.search(r'<line class="route-map-scale" x1="([\d.]+)" y1="[\d.]+" x2="([\d.]+)"', svg)
    x1, x2 = float(bar.group(1)), float(bar.group(2))
    label = re.search(r'class="route-map-scale-text"[^>]*>([^<]+)<', svg).group(1)
    metres = int(label.split()[0]) * (1000 if label.endswith("km") else 1)
    first, *_, last = (tuple(map(float, p.split(","))) for p in re.search(r'points="([^"]+)"', svg).group(1).split())
    metres_per_pixel = distance_m(TRACK[0], TRACK[-1]) / ((last[0] - first[0]) ** 2 + (last[1] - first[1]) ** 2) ** 0.5
    assert (x2 - x1) * metres_per_pixel == pytest.approx(metres, rel=0.02)


def test_tiles_cover_the_frame_when_configured() -> None:
    svg = render(TRACK, STORE, LABELS, tile_url="https://tiles.example/{z}/{x}/{y}.png?a=1&b=2")
    hrefs = re.findall(r'<image href="([^"]+)"', svg)
    assert hrefs and all(re.fullmatch(r"https://tiles\.example/\d+/\d+/\d+\.png\?a=1&amp;b=2", h) for h in hrefs)
    assert "<image" not in render(TRACK, STORE, LABELS)


@pytest.mark.parametrize("track", [[], [STORE]])
def test_no_track_draws_the_store_alone(track: list) -> None:
    svg = render(track, STORE, LABELS)
    assert "route-map-store" in svg and "polyline" not in svg


def test_metres_per_pixel_at_the_equator_and_zoom_0() -> None:
    assert _metres_per_pixel(0, 0) == pytest.approx(156_543.03, abs=0.01)
    assert distance_m((0, 0), (0, 360 / 256)) == pytest.approx(_metres_per_pixel(0, 0), rel=0.003)
