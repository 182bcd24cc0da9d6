"""Back-office telemetry page (/backoffice/vehicles/{vin}/telemetry): a car's newest state, its open fault codes,
the trips of the last 7 days and the route of one of them on a map.

Positions are personal data of whoever drove the car, so the page has the API's scope and more: staff of the car's
store and admins only, another store's car answered as unknown (404: a VIN typed at one store does not reveal that
another store has it), and every view written to the audit log. That makes this GET a write: `WriteSession` comes
first, before the dependencies that read who is signed in.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse

from forecourt.backoffice.access import StaffUser, store_scope
from forecourt.core.clock import utcnow
from forecourt.core.errors import Forbidden, NotFound
from forecourt.core.http import WriteSession
from forecourt.telematics import query_service as queries
from forecourt.telematics import views
from forecourt.telematics.route_map import MapLabels
from forecourt.web import i18n
from forecourt.web.errors import PAGES_TAG
from forecourt.web.i18n import N_
from forecourt.web.page_helpers import allow_map_tiles
from forecourt.web.templating import Page, PageContext

router = APIRouter(tags=[PAGES_TAG], include_in_schema=False, default_response_class=HTMLResponse)
# Trips are numbered 1, 2, ... oldest first within the 7 days shown; a week of driving stays far below this bound.
TripNumber = Annotated[int | None, Query(ge=1, le=10_000, description="Trip number on the page; default the latest")]


def map_labels(page: Page, title: str) -> MapLabels:
    """The texts inside a route map's SVG, in the reader's language."""
    return MapLabels(
        title=title,
        store=page.gettext(N_("The store")),
        start=page.gettext(N_("Start of the route")),
        latest=page.gettext(N_("End of the route (latest position)")),
        metres=page.gettext(N_("%(n)s m")),
        kilometres=page.gettext(N_("%(n)s km")),
    )


def tile_url(page: Page) -> str | None:
    return page.request.app.state.settings.map_tile_url or None


@router.get("/backoffice/vehicles/{vin}/telemetry")
def vehicle_telemetry(
    session: WriteSession, page: PageContext, user: StaffUser, vin: str, trip: TripNumber = None
) -> HTMLResponse:
    try:
        seen = queries.telemetry_for_staff(session, vin, store_scope(user), user.user_id, utcnow())
    except Forbidden as exc:
        raise NotFound(f"No vehicle {vin}", code="vehicle_not_found") from exc
    vehicle, trips = seen.vehicle, seen.trips
    zone = vehicle.store.time_zone
    missing = trip if trip is not None and trip > len(trips) else None
    chosen = len(trips) if trip is None or missing else trip  # the latest unless another one exists and was asked for
    selected = trips[chosen - 1] if trips else None
    caption = ""
    if selected is not None:
        caption = page.gettext(
            N_("Trip %(number)d: %(start)s to %(end)s"),
            number=chosen,
            start=i18n.format_moment(selected.started_at, page.lang, zone),
            end=i18n.format_moment(selected.ended_at, page.lang, zone),
        )
    title = page.gettext(N_("Route of trip %(number)d and the store"), number=chosen) if selected else ""
    panel = views.live_panel(
        seen.state,
        selected.track if selected else (),
        (float(vehicle.store.latitude), float(vehicle.store.longitude)),
        map_labels(page, title or page.gettext(N_("The store and the car's latest position"))),
        time_zone=zone,
        caption=caption,
        tile_url=tile_url(page),
    )
    response = page.render(
        "telematics/vehicle.html",
        status_code=404 if missing else 200,
        user=user,
        csrf_token=user.csrf_token or "",
        vehicle=vehicle,
        panel=panel,
        faults=views.fault_rows(seen.open_fault_codes),
        trips=views.trip_rows(trips, chosen if selected else None),
        missing_trip=missing,
        window_days=queries.DEFAULT_TRIPS_WINDOW.days,
    )
    response.headers["Cache-Control"] = "no-store"  # positions of whoever drove: not for shared caches
    allow_map_tiles(page.request, response)
    return response
