"""What the telematics templates show, as small view-models built here so that every page that includes a partial
(`telematics/_live_panel.html`, `telematics/_route.html`) hands it the same shape whatever its own context is.

No database, no web framework: figures and points in, frozen dataclasses out. The texts inside the SVG (its title
and the markers' tooltips) come translated from the page, because only the page knows the reader's language.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Protocol

from forecourt.telematics import route_map
from forecourt.telematics.fault_codes import Description, describe
from forecourt.telematics.geo import Point, track_length_m
from forecourt.telematics.route_map import MapLabels
from forecourt.telematics.signals import IGNITION_ON
from forecourt.telematics.trips import Trip

TENTH = Decimal("0.1")


class StateLike(Protocol):
    """The fields of `models.VehicleState` the panel reads (a protocol, so this module needs no ORM)."""

    ts: datetime
    odometer_m: int | None
    latitude: float | None
    longitude: float | None
    position_at: datetime | None
    speed_kmh: float | None
    fuel_pct: float | None
    charge_pct: float | None
    ignition: str | None


class AlertLike(Protocol):
    """An alert shown in the panel: `watching.rules.Alert` fits as it is. `kind` is a stable code the partial translates
    (geofence_exit, overspeed, low_fuel, low_charge, fault_code, overdue; any other is shown as written)."""

    @property
    def kind(self) -> str: ...

    @property
    def at(self) -> datetime: ...

    @property
    def details(self) -> Mapping[str, object]: ...


@dataclass(frozen=True)
class LivePanel:
    """The inputs of `telematics/_live_panel.html`. Figures are None where the car never reported them."""

    reported: bool  # False: the car has sent nothing yet (the partial says so and draws the store only)
    reported_at: datetime | None
    odometer_km: Decimal | None  # one decimal
    speed_kmh: Decimal | None
    fuel_pct: Decimal | None
    charge_pct: Decimal | None
    ignition: bool | None  # on (ON/START), off (LOCK/OFF/ACC/UNDEFINED), or never reported
    position: Point | None
    position_at: datetime | None  # when the position was measured (it may be older than reported_at)
    map_svg: str  # route_map's SVG, every value escaped: safe to insert as markup
    map_caption: str  # what the map shows, in the reader's language ("" for none)
    time_zone: str  # the store's: every time in the panel is shown in it
    alerts: tuple[AlertLike, ...] = field(default_factory=tuple)  # newest first, as given


@dataclass(frozen=True)
class RouteView:
    """The inputs of `telematics/_route.html`: one drive's track on a map and how far it went."""

    map_svg: str
    fixes: int  # positions on the track
    gps_distance_km: Decimal  # length of the GPS track, one decimal


@dataclass(frozen=True)
class TripRow:
    """One line of a trips table. Trips are numbered from 1, oldest first, as `?trip=N` selects them."""

    number: int
    started_at: datetime
    ended_at: datetime
    minutes: int
    odometer_km: Decimal | None  # None: the car reported no odometer during the trip
    gps_km: Decimal
    fixes: int
    gps_agrees: bool | None  # None: not both distances, or fewer than two fixes (nothing to compare)
    selected: bool


@dataclass(frozen=True)
class FaultRow:
    code: str
    words: Description  # .en and .zh: the template picks the reader's language
    opened_at: datetime


class IntervalLike(Protocol):
    code: str
    opened_at: datetime


def trip_rows(trips: Sequence[Trip], selected: int | None) -> list[TripRow]:
    return [
        TripRow(
            number=number,
            started_at=trip.started_at,
            ended_at=trip.ended_at,
            minutes=round(trip.duration.total_seconds() / 60),
            odometer_km=None if trip.odometer_distance_m is None else one_decimal(trip.odometer_distance_m / 1000),
            gps_km=one_decimal(trip.gps_distance_m / 1000) or Decimal("0.0"),
            fixes=len(trip.track),
            gps_agrees=trip.gps_agrees,
            selected=number == selected,
        )
        for number, trip in enumerate(trips, start=1)
    ]


def fault_rows(intervals: Sequence[IntervalLike]) -> list[FaultRow]:
    """Open fault codes, the severe ones first (they mean the car should not be driven before a check)."""
    rows = [FaultRow(i.code, describe(i.code), i.opened_at) for i in intervals]
    return sorted(rows, key=lambda row: (not row.words.severe, row.code))


def one_decimal(value: float | int | Decimal | None) -> Decimal | None:
    return None if value is None else Decimal(str(value)).quantize(TENTH, rounding=ROUND_HALF_UP)


def whole_number(value: float | int | Decimal) -> int:
    """Rounded half up as a person writes a reading down (a float through its shortest text: 80.5 → 81)."""
    return int(Decimal(str(value)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def live_panel(
    state: StateLike | None,
    track: Sequence[Point],
    store: Point,
    labels: MapLabels,
    *,
    time_zone: str,
    caption: str = "",
    tile_url: str | None = None,
    geofence_radius_m: float | None = None,
    alerts: Sequence[AlertLike] = (),
) -> LivePanel:
    """The panel of a car's newest state over `track` (a trip, or a drive so far). Where the car has a position
    but the track is empty, the position is drawn as the track's only point, so the map still shows the car."""
    position = None
    if state is not None and state.latitude is not None and state.longitude is not None:
        position = (state.latitude, state.longitude)
    drawn = track if track else ([position] if position else [])
    svg = route_map.render(
        drawn, store, labels, geofence_radius_m=geofence_radius_m, tile_url=tile_url or None, width=640, height=400
    )
    if state is None:
        return LivePanel(False, None, None, None, None, None, None, None, None, svg, caption, time_zone, tuple(alerts))
    return LivePanel(
        reported=True,
        reported_at=state.ts,
        odometer_km=None if state.odometer_m is None else one_decimal(state.odometer_m / 1000),
        speed_kmh=one_decimal(state.speed_kmh),
        fuel_pct=one_decimal(state.fuel_pct),
        charge_pct=one_decimal(state.charge_pct),
        ignition=None if state.ignition is None else state.ignition in IGNITION_ON,
        position=position,
        position_at=state.position_at if position else None,
        map_svg=svg,
        map_caption=caption,
        time_zone=time_zone,
        alerts=tuple(alerts),
    )


def route_view(track: Sequence[Point], store: Point, labels: MapLabels, *, tile_url: str | None = None) -> RouteView:
    svg = route_map.render(track, store, labels, tile_url=tile_url or None, width=640, height=400)
    return RouteView(svg, len(track), one_decimal(track_length_m(track) / 1000) or Decimal("0.0"))
