"""Back-office test-drive pages (/backoffice/test-drives..., /backoffice/stores/{code}/test-drives): the store
index, a store's day and week calendar, one drive with its handover (check-out, check-in, no-show), and figures.

Thin like the other page modules: check the staff member's store scope, call one testdrive service function,
render; every text is in the templates. Handover writes take `WriteSession` first (BEGIN IMMEDIATE on SQLite) and
run in a savepoint, except a check-out: a wrong pick-up code's failure count must be kept, as in the API.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from forecourt.accounts import service as accounts
from forecourt.backoffice.access import NotAllowed, PostedForm, StaffUser, store_scope
from forecourt.catalog import service as catalog
from forecourt.catalog.models import Store, Vehicle
from forecourt.core.clock import utcnow
from forecourt.core.errors import DomainError, Forbidden
from forecourt.core.http import DbSession, WriteSession
from forecourt.telematics.pages import map_labels, tile_url
from forecourt.testdrive import car_watch, figures, handover
from forecourt.testdrive import service as bookings
from forecourt.testdrive.models import BookingStatus, TestDriveBooking
from forecourt.testdrive.page_support import (
    Drive,
    Problem,
    T,
    app_secret,
    attempt,
    form_text,
    load_drive,
    local_today,
    parse_day,
    redirect,
    render,
    to_int,
    to_local,
)
from forecourt.web import calendar_grid
from forecourt.web.errors import PAGES_TAG
from forecourt.web.i18n import N_
from forecourt.web.page_helpers import allow_map_tiles
from forecourt.web.templating import Page, PageContext

router = APIRouter(tags=[PAGES_TAG], include_in_schema=False, default_response_class=HTMLResponse)

FIGURES_MAX_DAYS = 366


# --- back office: index, calendar ----------------------------------------------------------------------------------


def _scoped(call: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    try:
        return call(*args, **kwargs)
    except Forbidden as exc:
        if exc.code == "pickup_code_wrong":
            raise
        raise NotAllowed() from exc


@router.get("/backoffice/test-drives")
def backoffice_index(session: DbSession, page: PageContext, user: StaffUser) -> HTMLResponse:
    stores = catalog.list_managed_stores(session, store_scope(user))
    return render(page, "testdrive/bo_index.html", stores=stores, section="test-drives")


@dataclass(frozen=True)
class CalendarRow:
    vehicle: Vehicle
    cells: list[Any]  # day view: calendar_grid.Cells; week view: a list of Drives per day


def _span(drive: Drive) -> tuple[datetime, datetime]:
    return drive.booking.starts_at, drive.booking.ends_at


def _on_day(drive: Drive, day: date, zone: str) -> bool:
    """A drive is listed on each local day it spans (a self-service drive can last days)."""
    return (
        to_local(drive.booking.starts_at, zone).date()
        <= day
        <= to_local(drive.booking.ends_at - timedelta(microseconds=1), zone).date()
    )


@router.get("/backoffice/stores/{code}/test-drives")
def calendar(session: DbSession, page: PageContext, user: StaffUser, code: str) -> HTMLResponse:
    store = _scoped(catalog.get_store_for_staff, session, code, allowed_store_ids=store_scope(user))
    zone = ZoneInfo(store.time_zone)
    params = page.request.query_params
    shown_days = calendar_grid.window(
        parse_day(params.get("date"), local_today(page.request, store.time_zone)), params.get("view")
    )
    day, view, days = shown_days.day, shown_days.view, shown_days.days
    drives = [load_drive(session, b) for b in bookings.store_calendar(session, store, days[0], len(days))]
    shown = [d for d in drives if d.booking.status not in (BookingStatus.CANCELLED.value, BookingStatus.EXPIRED.value)]
    vehicles = {v.id: v for v in catalog.list_test_drive_fleet(session, store_code=store.code)}
    for drive in drives:
        vehicles.setdefault(drive.vehicle.id, drive.vehicle)
    cars = sorted(vehicles.values(), key=lambda v: (v.model.code, v.vin))
    hours: list[int] = []
    rows = []
    if view == "day":
        first_hour, last_hour = calendar_grid.grid_hours(
            store.opening_hours, day, map(_span, shown), zone, closed=(8, 20)
        )
        hours = list(range(first_hour, last_hour))
        start, steps = calendar_grid.grid_start(day, first_hour, zone), (last_hour - first_hour) * 2
        for car in cars:
            mine = [d for d in shown if d.vehicle.id == car.id]
            rows.append(CalendarRow(car, calendar_grid.day_cells(mine, _span, start, steps)))
    else:
        for car in cars:
            mine = [d for d in shown if d.vehicle.id == car.id]
            rows.append(CalendarRow(car, [[d for d in mine if _on_day(d, one, store.time_zone)] for one in days]))
    drawn = {c.item.booking.id for row in rows if view == "day" for c in row.cells if c.item}
    others = [d for d in drives if view == "day" and d.booking.id not in drawn]
    return render(
        page,
        "testdrive/bo_calendar.html",
        store=store,
        view=view,
        day=day,
        days=days,
        hours=hours,
        rows=rows,
        others=others,
        previous=shown_days.previous.isoformat(),
        next=shown_days.next.isoformat(),
        today=local_today(page.request, store.time_zone).isoformat(),
        drives=drives,
        alerts=car_watch.alert_counts(session, [d.booking.reference for d in shown]),
        section="test-drives",
    )


# --- back office: figures -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StoreRate:
    store: Store | None
    code: str
    completed: int
    no_shows: int
    rate: Decimal | None
    bar: int  # bar length in the chart, 0–300


@router.get("/backoffice/test-drives/figures")
def figures_page(session: DbSession, page: PageContext, user: StaffUser) -> HTMLResponse:
    params = page.request.query_params
    today = local_today(page.request)
    last = parse_day(params.get("to"), today)
    first = parse_day(params.get("from"), last - timedelta(days=29))
    problem = None
    if first > last or (last - first).days >= FIGURES_MAX_DAYS:
        problem = Problem("invalid_range", 422, "Pick a start on or before the end, at most a year apart")
        first, last = today - timedelta(days=29), today
    rows = figures.figures_table(session, first, last, store_scope(user))
    stores = {s.code: s for s in catalog.list_stores(session)}
    models = {m.code: m for m in catalog.list_models(session)}
    totals: dict[str, list[int]] = {}
    for row in rows:
        total = totals.setdefault(row["store"], [0, 0])
        total[0] += row["completed"]
        total[1] += row["no_shows"]
    rates = []
    for code, (completed, no_shows) in sorted(totals.items()):
        due = completed + no_shows
        rate = (Decimal(completed) / due).quantize(Decimal("0.001")) if due else None
        rates.append(StoreRate(stores.get(code), code, completed, no_shows, rate, int((rate or 0) * 300)))
    return render(
        page,
        "testdrive/bo_figures.html",
        status_code=422 if problem else 200,
        rows=rows,
        rates=rates,
        stores=stores,
        models=models,
        first=first,
        last=last,
        problem=problem,
        section="figures",
    )


# --- back office: one drive, handover -----------------------------------------------------------------------------


def _no_show_allowed(session: Session, booking: TestDriveBooking) -> bool:
    if booking.status != BookingStatus.CONFIRMED.value:
        return False
    return utcnow() >= handover.no_show_allowed_from(session, booking)


def _render_drive(
    session: Session,
    page: Page,
    reference: str,
    *,
    status_code: int = 200,
    problem: Problem | None = None,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
    which: str = "",
) -> HTMLResponse:
    assert page.user is not None
    drive = load_drive(session, _staff_booking(session, page.user, reference))
    watch = car_watch.drive_watch(session, drive.booking, drive.store)
    live = None
    if watch is not None:
        title = page.gettext(N_("Route since the check-out and the store"))
        live = car_watch.drive_live(
            session,
            drive.booking,
            drive.store,
            watch,
            map_labels(page, title),
            actor=page.user.user_id,
            tile_url=tile_url(page),
            now=utcnow(),
        )
    response = render(
        page,
        "testdrive/bo_drive.html",
        status_code=status_code,
        drive=drive,
        watch=watch,
        live=live,
        car_reading=car_watch.hand_over_reading(session, drive.booking),
        problem=problem,
        errors=errors or {},
        form=form or {},
        which=which,
        no_show=_no_show_allowed(session, drive.booking),
        done=page.request.query_params.get("done", "")[:20],
        section="test-drives",
    )
    return allow_map_tiles(page.request, response) if live else response


# A drive that is out shows where the car is: the view is audited, so this GET writes (WriteSession first).
@router.get("/backoffice/test-drives/{reference}")
def drive_page(session: WriteSession, page: PageContext, user: StaffUser, reference: str) -> HTMLResponse:
    return _render_drive(session, page, reference)


def _reading(posted: Any) -> tuple[handover.Reading | None, dict[str, str], dict[str, str]]:
    form = {
        name: form_text(posted, name, 2000) for name in ("odometer_km", "energy_percent", "damage_notes", "pickup_code")
    }
    errors = {}
    odometer = to_int(form["odometer_km"])
    if odometer is None or not 0 <= odometer <= 2_000_000:
        errors["odometer_km"] = "odometer"
    energy = to_int(form["energy_percent"])
    if energy is None or not 0 <= energy <= 100:
        errors["energy_percent"] = "energy"
    if errors:
        return None, errors, form
    assert odometer is not None and energy is not None
    return handover.Reading(odometer, energy, form["damage_notes"]), errors, form


def _staff_booking(session: Session, user: Any, reference: str) -> TestDriveBooking:
    booking = _scoped(bookings.get_booking, session, reference)
    _scoped(bookings.check_store_access, booking, store_scope(user))
    return booking


@router.post("/backoffice/test-drives/{reference}/check-out", response_model=None)
def check_out(
    session: WriteSession, page: PageContext, user: StaffUser, reference: str, posted: PostedForm
) -> Response:
    booking = _staff_booking(session, user, reference)
    reading, errors, form = _reading(posted)
    form["pickup_code"] = ""  # a code is never echoed back
    if reading is None:
        return _render_drive(session, page, reference, status_code=422, errors=errors, form=form, which="out")
    try:
        # No savepoint: a wrong pick-up code's failure count must be kept with the refusal, as in the API.
        handover.check_out(
            session,
            booking.reference,
            reading,
            staff_user_id=user.user_id,
            allowed_store_ids=store_scope(user),
            pickup_code=form_text(posted, "pickup_code", 12) or None,
            secret_key=app_secret(page.request),
            now=utcnow(),
            alert_recipients=accounts.staff_emails(session, booking.store_id),
        )
    except DomainError as exc:
        status = 422 if exc.code == "pickup_code_wrong" else exc.status
        return _render_drive(
            session, page, reference, status_code=status, problem=Problem.of(exc), form=form, which="out"
        )
    return redirect(f"/backoffice/test-drives/{booking.reference}?done=checked_out")


@router.post("/backoffice/test-drives/{reference}/check-in", response_model=None)
def check_in(session: WriteSession, page: PageContext, user: StaffUser, reference: str, posted: PostedForm) -> Response:
    booking = _staff_booking(session, user, reference)
    reading, errors, form = _reading(posted)
    if reading is None:
        return _render_drive(session, page, reference, status_code=422, errors=errors, form=form, which="in")
    provider = page.request.app.state.integrations.payments
    try:
        attempt(
            session,
            lambda: handover.check_in(
                session,
                booking.reference,
                reading,
                staff_user_id=user.user_id,
                allowed_store_ids=store_scope(user),
                payment_provider=provider,
                now=utcnow(),
            ),
        )
    except DomainError as exc:
        return _render_drive(
            session, page, reference, status_code=exc.status, problem=Problem.of(exc), form=form, which="in"
        )
    return redirect(f"/backoffice/test-drives/{booking.reference}?done=checked_in")


@router.post("/backoffice/test-drives/{reference}/no-show", response_model=None)
def no_show(session: WriteSession, page: PageContext, user: StaffUser, reference: str) -> Response:
    booking = _staff_booking(session, user, reference)
    try:
        attempt(
            session,
            lambda: handover.mark_no_show(
                session,
                booking.reference,
                staff_user_id=user.user_id,
                allowed_store_ids=store_scope(user),
                now=utcnow(),
            ),
        )
    except DomainError as exc:
        return _render_drive(session, page, reference, status_code=exc.status, problem=Problem.of(exc))
    return redirect(f"/backoffice/test-drives/{booking.reference}?done=no_show")
