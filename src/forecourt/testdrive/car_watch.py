"""A self-service drive watched from the car: the store's rules become a telematics watch at check-out, and the
watch ends at check-in. Accompanied drives are not watched: a salesperson rides along."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from forecourt.catalog.models import Store
from forecourt.telematics import query_service as telemetry
from forecourt.telematics import views
from forecourt.telematics.geo import track_length_m
from forecourt.telematics.query_service import CarReading
from forecourt.telematics.route_map import MapLabels
from forecourt.telematics.views import LivePanel
from forecourt.telematics.watching import service as watching
from forecourt.telematics.watching import wording
from forecourt.telematics.watching.rules import Circle, Polygon, WatchRules
from forecourt.telematics.watching.wording import Words
from forecourt.testdrive.availability import DriveKind
from forecourt.testdrive.models import BookingStatus, TestDriveBooking
from forecourt.testdrive.rules import StorePolicy, geofence_polygon


def subject_of(reference: str) -> str:
    return f"test_drive:{reference}"


def watch_rules(policy: StorePolicy, store: Store, return_due_at: datetime) -> WatchRules:
    """The store's rules for one drive; a zero in the settings turns that rule off."""
    corners = geofence_polygon(policy.watch_geofence_polygon)
    geofence: Circle | Polygon | None = None
    if corners:
        geofence = Polygon(corners)
    elif policy.watch_geofence_km:
        geofence = Circle((float(store.latitude), float(store.longitude)), policy.watch_geofence_km * 1000.0)
    low = float(policy.watch_low_level_percent) or None
    return WatchRules(
        geofence=geofence,
        speed_limit_kmh=float(policy.watch_speed_limit_kmh) or None,
        low_fuel_pct=low,
        low_charge_pct=low,
        new_fault_codes=policy.watch_fault_codes,
        return_due_at=return_due_at,
    )


def start(
    session: Session,
    booking: TestDriveBooking,
    store: Store,
    policy: StorePolicy,
    notify: Sequence[str],
    now: datetime,
) -> None:
    if booking.kind != DriveKind.SELF_SERVICE.value:
        return
    # Overdue when late fees start: the return deadline plus the store's grace.
    due = booking.ends_at + timedelta(minutes=policy.return_grace_minutes)
    watching.start_watch(
        session,
        watching.WatchStart(
            subject=subject_of(booking.reference),
            vehicle_id=booking.vehicle_id,
            store_id=booking.store_id,
            rules=watch_rules(policy, store, due),
            notify=tuple(notify),
            link=f"/backoffice/test-drives/{booking.reference}",
        ),
        now,
    )


def end(session: Session, booking: TestDriveBooking, now: datetime) -> None:
    watching.end_watch(session, subject_of(booking.reference), now)


def alert_counts(session: Session, references: Collection[str]) -> dict[str, int]:
    """{booking reference: alerts its drive raised}, for drives that were watched."""
    counts = watching.alert_counts(session, [subject_of(reference) for reference in references])
    return {subject.split(":", 1)[1]: count for subject, count in counts.items()}


@dataclass(frozen=True)
class AlertLine:
    at: datetime
    kind: str
    title: Words
    sentence: Words


@dataclass(frozen=True)
class DriveWatch:
    """What the staff drive page shows of the watch: its rules and the alerts raised so far, oldest first."""

    rules: WatchRules
    closed: bool
    alerts: tuple[AlertLine, ...]


def drive_watch(session: Session, booking: TestDriveBooking, store: Store) -> DriveWatch | None:
    view = watching.watch_views(session, [subject_of(booking.reference)]).get(subject_of(booking.reference))
    if view is None:
        return None
    zone = ZoneInfo(store.time_zone)
    lines = [
        AlertLine(
            alert.raised_at,
            alert.kind,
            wording.title(alert.kind),
            wording.sentence(alert.kind, wording.for_people(alert.kind, alert.details, zone)),
        )
        for alert in view.alerts
    ]
    return DriveWatch(view.rules, view.closed_at is not None, tuple(lines))


def hand_over_reading(session: Session, booking: TestDriveBooking) -> CarReading | None:
    """The car's own odometer and level to pre-fill the hand-over form with (staff confirm): at check-in only what
    it reported since it left."""
    since = booking.checked_out_at if booking.status == BookingStatus.IN_PROGRESS.value else None
    return telemetry.car_reading(session, booking.vehicle_id, since=since)


@dataclass(frozen=True)
class DriveLive:
    """A drive that is out, as the car reports it: the panel (state and route since check-out) and how far it went."""

    panel: LivePanel
    odometer_km: Decimal | None  # by the car's odometer since the check-out reading
    gps_km: Decimal  # along the reported track


def drive_live(
    session: Session,
    booking: TestDriveBooking,
    store: Store,
    watch: DriveWatch,
    labels: MapLabels,
    *,
    actor: int,
    tile_url: str | None,
    now: datetime,
) -> DriveLive | None:
    """What staff see of a drive that is out; the view of the car's positions is audited. None when not out."""
    if booking.status != BookingStatus.IN_PROGRESS.value or booking.checked_out_at is None:
        return None
    track = telemetry.track_between(session, booking.vehicle_id, booking.checked_out_at, now + timedelta(seconds=1))
    fence = watch.rules.geofence
    panel = telemetry.live_panel(
        session,
        booking.vehicle_id,
        track,
        (float(store.latitude), float(store.longitude)),
        labels,
        time_zone=store.time_zone,
        tile_url=tile_url,
        geofence_radius_m=fence.radius_m if isinstance(fence, Circle) else None,
    )
    telemetry.record_position_view(session, actor, booking.vehicle_id, f"test_drive:{booking.reference}")
    reading = telemetry.car_reading(session, booking.vehicle_id, since=booking.checked_out_at)
    odometer_km = None
    if reading is not None and reading.odometer_km is not None and booking.odometer_out_km is not None:
        odometer_km = Decimal(max(0, reading.odometer_km - booking.odometer_out_km))
    gps_km = views.one_decimal(track_length_m(track) / 1000) or Decimal(0)
    return DriveLive(panel, odometer_km, gps_km)
