"""The back office's fleet page (/backoffice/fleet): each service car of a store, how many hours it was out across
test drives, courtesy loans, rentals and subscriptions, its rental revenue, and the cars due back today or overdue.
Thin: the figures are `fleet.fleet_report`."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from forecourt.backoffice.access import StaffUser, store_scope
from forecourt.catalog import service as catalog
from forecourt.core import dates
from forecourt.core.clock import utcnow
from forecourt.core.http import DbSession
from forecourt.mobility.fleet import service as fleet
from forecourt.mobility.fleet import utilisation
from forecourt.testdrive.page_support import Problem, local_today, render
from forecourt.web.errors import PAGES_TAG
from forecourt.web.templating import PageContext

router = APIRouter(tags=[PAGES_TAG], include_in_schema=False, default_response_class=HTMLResponse)
USES = ("test_drive", "courtesy", "rental", "subscription")
POOL_ORDER = ("test_drive", "rental", "subscription")


@dataclass(frozen=True)
class PoolSummary:
    pool: str
    cars: int
    hours: Decimal
    share: Decimal  # of the pool's car-hours in the window
    revenue: Decimal


def _summaries(report: fleet.FleetReport) -> list[PoolSummary]:
    window_hours = Decimal((report.end - report.start).total_seconds()) / 3600
    found = []
    for pool in POOL_ORDER:
        cars = [car for car in report.cars if car.vehicle.fleet_pool == pool]
        if not cars:
            continue
        hours = sum((car.use.hours for car in cars), Decimal("0.00"))
        share = (hours / (window_hours * len(cars))).quantize(Decimal("0.001"))
        found.append(PoolSummary(pool, len(cars), hours, share, sum((c.revenue for c in cars), Decimal("0.00"))))
    return found


@router.get("/backoffice/fleet")
def fleet_page(session: DbSession, page: PageContext, user: StaffUser) -> HTMLResponse:
    scope = store_scope(user)
    stores = [s for s in catalog.list_stores(session) if scope is None or s.id in scope]
    params = page.request.query_params
    store = next((s for s in stores if s.code == params.get("store")), None)
    store = store or next((s for s in stores if s.kind == "self_service"), stores[0] if stores else None)
    if store is None:
        return render(page, "mobility/bo_fleet.html", store=None, stores=[], section="fleet")
    today = local_today(page.request, store.time_zone)
    first, last = utilisation.report_days(dates.parse_day(params.get("from")), dates.parse_day(params.get("to")), today)
    problem = None
    if not utilisation.days_allowed(first, last):
        problem = Problem("invalid_range", 422, "Pick a start on or before the end, at most 93 days apart")
        first, last = utilisation.report_days(None, None, today)
    start, end = utilisation.local_window(first, last, ZoneInfo(store.time_zone))
    report = fleet.fleet_report(session, store.id, start, end, now=utcnow())
    vehicles = {car.vehicle.id: car.vehicle for car in report.cars}
    return render(
        page,
        "mobility/bo_fleet.html",
        status_code=422 if problem else 200,
        store=store,
        stores=stores,
        first=first,
        last=last,
        problem=problem,
        report=report,
        summaries=_summaries(report),
        vehicles=vehicles,
        uses=USES,
        section="fleet",
    )
