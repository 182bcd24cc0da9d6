"""Fleet API for store staff: move a car to another fleet pool, and a store's fleet utilisation report."""

from __future__ import annotations

from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query

from forecourt.accounts.security import StaffUser, managed_store_ids
from forecourt.catalog import service as catalog
from forecourt.core.clock import utcnow
from forecourt.core.errors import FieldError, InvalidInput
from forecourt.core.http import DbSession, WriteSession
from forecourt.core.params import Day
from forecourt.mobility.fleet import service as fleet
from forecourt.mobility.fleet import utilisation
from forecourt.mobility.fleet.schemas import CarUseOut, FleetReportOut, OutNowOut, PoolMoveIn, PoolMoveOut
from forecourt.testdrive.reservations import Use

router = APIRouter(prefix="/api/v1", tags=["fleet"])


@router.post("/staff/vehicles/{vin}/pool", response_model=PoolMoveOut, summary="Move a car to another fleet pool")
def move_to_pool(session: WriteSession, user: StaffUser, vin: str, body: PoolMoveIn) -> PoolMoveOut:
    moved = fleet.move_car(
        session, vin, body.pool, actor=user.user_id, allowed_store_ids=managed_store_ids(user), now=utcnow()
    )
    return PoolMoveOut(vin=moved.vin, before=moved.before, after=moved.after, promises_kept=list(moved.promises_kept))


def _car_out(car: fleet.CarReport) -> CarUseOut:
    return CarUseOut(
        vin=car.vehicle.vin,
        model=car.vehicle.model.code,
        pool=car.vehicle.fleet_pool,
        hours_out=car.use.hours,
        share=car.use.share,
        hours_by_use=car.use.by_purpose,
        hours_by_day={day.isoformat(): hours for day, hours in car.use.by_day.items()},
        revenue=car.revenue,
    )


@router.get("/staff/stores/{code}/fleet", response_model=FleetReportOut, summary="A store's fleet utilisation")
def fleet_utilisation(
    session: DbSession,
    user: StaffUser,
    code: str,
    first_day: Annotated[Day | None, Query(alias="from")] = None,
    last_day: Annotated[Day | None, Query(alias="to")] = None,
) -> FleetReportOut:
    """Hours out per car across test drives, courtesy loans, rentals and subscriptions, per use and per local day
    (from and to are local days, both included; the last 30 days by default), rental revenue, returns due today
    and overdue cars."""
    store = catalog.get_store_for_staff(session, code, allowed_store_ids=managed_store_ids(user))
    zone = ZoneInfo(store.time_zone)
    now = utcnow()
    first, last = utilisation.report_days(first_day, last_day, now.astimezone(zone).date())
    if not utilisation.days_allowed(first, last):
        raise InvalidInput(
            "Give a range of at most 93 days, from before to",
            code="invalid_range",
            errors=[FieldError("to", "on or after from, at most 92 days later")],
        )
    start, end = utilisation.local_window(first, last, zone)
    report = fleet.fleet_report(session, store.id, start, end, now=now)
    vins = {car.vehicle.id: car.vehicle.vin for car in report.cars}

    def out_now(uses: list[Use]) -> list[OutNowOut]:
        return [OutNowOut(reference=u.reference, purpose=u.purpose, vin=vins[u.vehicle_id], due=u.due) for u in uses]

    return FleetReportOut(
        store=store.code,
        start=start,
        end=end,
        cars=[_car_out(car) for car in report.cars],
        due_today=out_now(report.due_today),
        overdue=out_now(report.overdue),
    )
