"""The ways-to-drive comparison as JSON: GET /api/v1/models/{code}/ways-to-drive (public, nothing stored)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from forecourt.core.clock import utcnow
from forecourt.core.http import DbSession
from forecourt.mobility.ways_to_drive import compare, service
from forecourt.mobility.ways_to_drive.schemas import UnavailableOut, WayOut, WaysToDriveOut

router = APIRouter(prefix="/api/v1", tags=["ways to drive"])
CodePath = Annotated[str, Path(min_length=1, max_length=60, pattern=r"^[a-z0-9][a-z0-9\-]*$")]


def ways_out(found: service.WaysToDrive) -> WaysToDriveOut:
    ways = []
    for column in found.columns:
        cost, missing = column.cost, column.unavailable
        ways.append(
            WayOut(
                way=column.way.value,
                available=cost is not None,
                months=cost.months if cost else None,
                up_front=cost.up_front if cost else None,
                monthly=cost.monthly if cost else None,
                km_charges=cost.km_charges if cost else None,
                total=cost.total if cost else None,
                value_kept=cost.value_kept if cost else None,
                net_cost=cost.net_cost if cost else None,
                per_km=cost.per_km if cost else None,
                included=service.included(column),
                unavailable=None
                if missing is None
                else UnavailableOut(
                    code=missing.code,
                    message=missing.message,
                    stores=[s.code for s in missing.stores],
                    details=missing.details,
                ),
            )
        )
    cheapest = found.cheapest
    return WaysToDriveOut(
        model=found.model.code,
        store=found.store.code,
        currency="CNY",
        months=found.horizon.months,
        km_per_month=found.horizon.km_per_month,
        rental_days=found.horizon.rental_days_per_month,
        vin=found.vehicle.vin if found.vehicle else None,
        mobility_class=found.mobility_class.code if found.mobility_class else None,
        cheapest=cheapest.value if cheapest else None,
        ways=ways,
    )


@router.get(
    "/models/{code}/ways-to-drive",
    response_model=WaysToDriveOut,
    summary="Buy, lease, subscribe or rent a model at a store: each way's cost over the same months and km",
)
def ways_to_drive(
    session: DbSession,
    code: CodePath,
    store: Annotated[str | None, Query(min_length=1, max_length=40, pattern=r"^[a-z0-9][a-z0-9\-]*$")] = None,
    months: Annotated[
        int,
        Query(
            ge=min(compare.HORIZONS),
            le=max(compare.HORIZONS),
            description="The horizon: the loan's and the lease's term",
            json_schema_extra={"enum": list(compare.HORIZONS)},
        ),
    ] = 36,
    km_per_month: Annotated[int, Query(ge=0, le=compare.MAX_KM_PER_MONTH)] = 1_500,
    rental_days: Annotated[int, Query(ge=1, le=compare.MAX_RENTAL_DAYS, description="Days a month you rent")] = 8,
) -> WaysToDriveOut:
    horizon = service.horizon_of(months, km_per_month, rental_days)
    return ways_out(service.ways_to_drive(session, code, store, horizon, utcnow()))
