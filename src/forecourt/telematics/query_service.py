"""Reading what cars said, for the people who may see it: time windows, the staff scope and its audit, the latest
state and a hand-over reading, samples, trips, a drive's route and the live panel.

The write side — storing batches exactly once, provisioning identities — is `telematics.service`; this module only
reads (and records who viewed positions, which are personal data of whoever drove).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from forecourt.audit import service as audit
from forecourt.catalog import service as catalog
from forecourt.catalog.models import Vehicle
from forecourt.core.errors import FieldError, InvalidInput
from forecourt.telematics import repository, views
from forecourt.telematics.geo import Point
from forecourt.telematics.models import FaultCodeInterval, TelemetrySample, VehicleState
from forecourt.telematics.route_map import MapLabels
from forecourt.telematics.signals import Sample
from forecourt.telematics.trips import Trip, derive_trips

MAX_WINDOW = timedelta(days=31)
DEFAULT_SAMPLES_WINDOW = timedelta(days=1)
DEFAULT_TRIPS_WINDOW = timedelta(days=7)


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime


def window(start: datetime | None, end: datetime | None, now: datetime, default: timedelta) -> Window:
    """A time window for reading telemetry: defaults to the last `default`, at most 31 days, start before end."""
    end = end or now
    start = start or end - default
    if start >= end:
        raise InvalidInput("'from' must be before 'to'", code="invalid_window", errors=[FieldError("from", "after to")])
    if end - start > MAX_WINDOW:
        raise InvalidInput(
            "Ask for at most 31 days at a time", code="window_too_long", errors=[FieldError("to", "at most 31 days")]
        )
    return Window(start, end)


def vehicle_for_staff(
    session: Session, vin: str, allowed_store_ids: Collection[int] | None, actor: int, what: str
) -> Vehicle:
    """The car, if the caller works at its store (or is an admin); the view of its telemetry is audited, because
    positions are personal data of whoever is driving."""
    vehicle = catalog.get_vehicle_for_staff(session, vin, allowed_store_ids=allowed_store_ids)
    audit.record(session, actor, "telemetry.viewed", "vehicle", vehicle.vin, vehicle.store_id, view=what)
    return vehicle


def record_position_view(session: Session, actor: int, vehicle_id: int, what: str) -> None:
    """Audit a view of a car's positions that another context shows (a test drive's page) after its own scope check."""
    vehicle = catalog.get_vehicle_by_id(session, vehicle_id)
    audit.record(session, actor, "telemetry.viewed", "vehicle", vehicle.vin, vehicle.store_id, view=what)


def latest_state(session: Session, vehicle_id: int) -> tuple[VehicleState | None, list[FaultCodeInterval]]:
    return repository.get_state(session, vehicle_id), list(
        repository.fault_code_intervals(session, vehicle_id, open_only=True)
    )


@dataclass(frozen=True)
class CarReading:
    """What the car last said its odometer and fuel or charge were, rounded as staff write them down."""

    odometer_km: int | None
    level_percent: int | None
    at: datetime


def car_reading(session: Session, vehicle_id: int, since: datetime | None = None) -> CarReading | None:
    """The car's own reading for a hand-over form, if it reported one (after `since`, when given)."""
    state = repository.get_state(session, vehicle_id)
    if state is None or (since is not None and state.ts < since):
        return None
    level = state.charge_pct if state.charge_pct is not None else state.fuel_pct
    odometer_km = None if state.odometer_m is None else views.whole_number(Decimal(state.odometer_m) / 1000)
    level_percent = None if level is None else views.whole_number(level)
    if odometer_km is None and level_percent is None:
        return None
    return CarReading(odometer_km, level_percent, state.ts)


@dataclass(frozen=True)
class DailyOdometer:
    day: date  # the local day
    km: int  # the highest reading of the day, whole km as the car's display shows them (rounded down)


def daily_odometer(
    session: Session, vehicle_id: int, start: datetime, end: datetime, time_zone: str
) -> list[DailyOdometer]:
    """The car's highest odometer reading of each local day from `start` to `end`: what another context (an owner's
    lease mileage) measures driving with. Reads only; the owner's own car, so nothing is audited here."""
    offset = end.astimezone(ZoneInfo(time_zone)).utcoffset() or timedelta(0)
    rows = repository.daily_max_odometer(session, vehicle_id, start, end, int(offset.total_seconds() // 60))
    return [DailyOdometer(date.fromisoformat(day), metres // 1000) for day, metres in rows]


def samples_page(
    session: Session, vehicle_id: int, span: Window, page: int, page_size: int
) -> tuple[list[TelemetrySample], int]:
    total = repository.count_samples_between(session, vehicle_id, span.start, span.end)
    rows = repository.samples_between(
        session, vehicle_id, span.start, span.end, limit=page_size, offset=(page - 1) * page_size
    )
    return list(rows), total


def trips_between(session: Session, vehicle_id: int, span: Window) -> list[Trip]:
    return derive_trips(
        _as_sample(row) for row in repository.samples_between(session, vehicle_id, span.start, span.end)
    )


@dataclass(frozen=True)
class VehicleTelemetry:
    """What the back-office telemetry page shows of one car."""

    vehicle: Vehicle
    state: VehicleState | None  # None: the car never reported
    open_fault_codes: list[FaultCodeInterval]
    trips: list[Trip]  # of the window, oldest first
    span: Window


def telemetry_for_staff(
    session: Session, vin: str, allowed_store_ids: Collection[int] | None, actor: int, now: datetime
) -> VehicleTelemetry:
    """The car's newest state, open fault codes and the trips of the last 7 days, for staff of its store; the view
    is audited like the API's (`vehicle_for_staff`)."""
    vehicle = vehicle_for_staff(session, vin, allowed_store_ids, actor, "page")
    state, open_codes = latest_state(session, vehicle.id)
    span = window(None, None, now, DEFAULT_TRIPS_WINDOW)
    return VehicleTelemetry(vehicle, state, open_codes, trips_between(session, vehicle.id, span), span)


def track_between(session: Session, vehicle_id: int, start: datetime, end: datetime) -> tuple[Point, ...]:
    """The positions a car reported from `start` (inclusive) to `end` (exclusive), in time order: a drive's route,
    for another context that knows the car and the drive's times (test drives) but not these tables."""
    return tuple(repository.positions_between(session, vehicle_id, start, end))


def drive_route(
    session: Session,
    vehicle_id: int,
    start: datetime,
    end: datetime,
    store: Point,
    labels: MapLabels,
    *,
    tile_url: str | None = None,
) -> views.RouteView | None:
    """The route a car reported between two moments (a test drive's check-out and check-in) on a map over the
    store, with the GPS track's length; None when it reported no position then (no map to draw)."""
    track = track_between(session, vehicle_id, start, end)
    return views.route_view(track, store, labels, tile_url=tile_url) if track else None


def live_panel(
    session: Session,
    vehicle_id: int,
    track: Sequence[Point],
    store: Point,
    labels: MapLabels,
    *,
    time_zone: str,
    caption: str = "",
    tile_url: str | None = None,
    geofence_radius_m: float | None = None,
    alerts: Sequence[views.AlertLike] = (),
) -> views.LivePanel:
    """The view-model of `telematics/_live_panel.html` for a car: its newest state over `track` (e.g. a drive's
    `track_between` check-out and now), with the alerts the caller raised. Reads the state; audits nothing (the
    caller decides whether its view needs an audit row)."""
    return views.live_panel(
        repository.get_state(session, vehicle_id),
        track,
        store,
        labels,
        time_zone=time_zone,
        caption=caption,
        tile_url=tile_url,
        geofence_radius_m=geofence_radius_m,
        alerts=alerts,
    )


def fault_history(session: Session, vehicle_id: int) -> list[FaultCodeInterval]:
    return list(repository.fault_code_intervals(session, vehicle_id))


def _as_sample(row: TelemetrySample) -> Sample:
    return Sample(
        seq=row.seq,
        ts=row.ts,
        signals={},
        odometer_m=row.odometer_m,
        latitude=row.latitude,
        longitude=row.longitude,
        speed_kmh=row.speed_kmh,
        fuel_pct=row.fuel_pct,
        charge_pct=row.charge_pct,
        dtcs=tuple(row.dtcs) if row.dtcs is not None else None,
        ignition=row.ignition,
    )
