"""REST API of the telematics context: what a car reported, for the staff of its store (and admins).

Positions are personal data of whoever drives the car: only staff of the car's store and admins read them, and
every read is recorded in the audit log (so these GETs write, and take `WriteSession`)."""

from __future__ import annotations

import math
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from forecourt.accounts.principal import Principal, managed_store_ids
from forecourt.accounts.security import require_roles
from forecourt.core.clock import utcnow
from forecourt.core.http import WriteSession
from forecourt.core.params import Moment
from forecourt.telematics import query_service as queries
from forecourt.telematics.fault_codes import describe
from forecourt.telematics.models import FaultCodeInterval
from forecourt.telematics.query_service import Window
from forecourt.telematics.schemas import (
    AlertsOut,
    FaultCodeOut,
    LatestOut,
    SampleOut,
    SamplesPage,
    TripOut,
    TripsOut,
)
from forecourt.telematics.trips import Trip

router = APIRouter(prefix="/api/v1/vehicles/{vin}", tags=["telematics"])
_PROBLEM = {"content": {"application/problem+json": {}}}
_RESPONSES = {
    401: {"description": "Not signed in", **_PROBLEM},
    403: {"description": "Not staff of this car's store", **_PROBLEM},
    404: {"description": "No such vehicle", **_PROBLEM},
    422: {"description": "Invalid VIN or window", **_PROBLEM},
}
StoreStaff = Annotated[Principal, Depends(require_roles("store_staff"))]
VinPath = Annotated[str, Path(min_length=1, max_length=40, examples=["LVSHCAMB9JZ000123"])]
From = Annotated[
    Moment | None, Query(alias="from", description="Start (RFC 3339 with an offset); default: the window's length ago")
]
To = Annotated[Moment | None, Query(alias="to", description="End (RFC 3339 with an offset, exclusive); default: now")]


def _fault_code(interval: FaultCodeInterval) -> FaultCodeOut:
    words = describe(interval.code)
    return FaultCodeOut(
        code=interval.code,
        description_en=words.en,
        description_zh=words.zh,
        severe=words.severe,
        opened_at=interval.opened_at,
        closed_at=interval.closed_at,
    )


@router.get("/telemetry/latest", response_model=LatestOut, summary="The car's newest state", responses=_RESPONSES)
def latest(session: WriteSession, user: StoreStaff, vin: VinPath) -> LatestOut:
    vehicle = queries.vehicle_for_staff(session, vin, managed_store_ids(user), user.user_id, "latest")
    state, open_codes = queries.latest_state(session, vehicle.id)
    fields = (
        {}
        if state is None
        else {
            name: getattr(state, name)
            for name in (
                "ts",
                "seq",
                "odometer_m",
                "latitude",
                "longitude",
                "position_at",
                "speed_kmh",
                "fuel_pct",
                "charge_pct",
                "ignition",
            )
        }
    )
    return LatestOut(
        vin=vehicle.vin, reported=state is not None, **fields, open_fault_codes=[_fault_code(i) for i in open_codes]
    )


@router.get(
    "/telemetry/samples", response_model=SamplesPage, summary="Samples in a window, oldest first", responses=_RESPONSES
)
def samples(
    session: WriteSession,
    user: StoreStaff,
    vin: VinPath,
    start: From = None,
    end: To = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=1_000)] = 100,
) -> SamplesPage:
    span = queries.window(start, end, utcnow(), default=queries.DEFAULT_SAMPLES_WINDOW)
    vehicle = queries.vehicle_for_staff(session, vin, managed_store_ids(user), user.user_id, "samples")
    rows, total = queries.samples_page(session, vehicle.id, span, page, page_size)
    return SamplesPage(
        items=[SampleOut.model_validate(row) for row in rows],
        total=total,
        page=page,
        page_size=page_size,
        pages=max(1, math.ceil(total / page_size)),
        window_from=span.start,
        window_to=span.end,
    )


def _trip(trip: Trip) -> TripOut:
    return TripOut(
        started_at=trip.started_at,
        ended_at=trip.ended_at,
        samples=trip.samples,
        distance_m=round(trip.distance_m, 1),
        odometer_distance_m=trip.odometer_distance_m,
        gps_distance_m=round(trip.gps_distance_m, 1),
        gps_agrees=trip.gps_agrees,
        max_speed_kmh=trip.max_speed_kmh,
        start=trip.track[0] if trip.track else None,
        end=trip.track[-1] if trip.track else None,
    )


@router.get("/trips", response_model=TripsOut, summary="Trips derived from the samples", responses=_RESPONSES)
def trips(session: WriteSession, user: StoreStaff, vin: VinPath, start: From = None, end: To = None) -> TripsOut:
    span: Window = queries.window(start, end, utcnow(), default=queries.DEFAULT_TRIPS_WINDOW)
    vehicle = queries.vehicle_for_staff(session, vin, managed_store_ids(user), user.user_id, "trips")
    found = queries.trips_between(session, vehicle.id, span)
    return TripsOut(vin=vehicle.vin, window_from=span.start, window_to=span.end, trips=[_trip(t) for t in found])


@router.get("/alerts", response_model=AlertsOut, summary="Fault codes the car reported", responses=_RESPONSES)
def alerts(session: WriteSession, user: StoreStaff, vin: VinPath) -> AlertsOut:
    vehicle = queries.vehicle_for_staff(session, vin, managed_store_ids(user), user.user_id, "alerts")
    return AlertsOut(vin=vehicle.vin, fault_codes=[_fault_code(i) for i in queries.fault_history(session, vehicle.id)])
