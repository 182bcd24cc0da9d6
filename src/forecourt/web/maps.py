"""Links to a store on a map. Coordinates are assumed to be WGS-84 (GPS, OpenStreetMap)."""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import urlencode


def amap_url(latitude: Decimal, longitude: Decimal, name: str) -> str:
    """AMap (高德地图), the map Chinese shoppers use. AMap itself works in GCJ-02, so we say that our
    coordinates are WGS-84 (`coordinate=wgs84`) and let it shift them; `callnative=0` keeps a phone in
    the browser rather than forcing the app open."""
    query = urlencode(
        {
            "position": f"{longitude},{latitude}",
            "name": name,
            "src": "forecourt",
            "coordinate": "wgs84",
            "callnative": "0",
        }
    )
    return f"https://uri.amap.com/marker?{query}"


def osm_url(latitude: Decimal, longitude: Decimal) -> str:
    return f"https://www.openstreetmap.org/?mlat={latitude}&mlon={longitude}#map=17/{latitude}/{longitude}"
