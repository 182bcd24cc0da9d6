"""Back-office service pages: the stores' workshop index (/backoffice/service), a store's day and week calendar by
bay (/backoffice/stores/{code}/service), and one job (/backoffice/service-jobs/{reference}) with the completion
form (odometer, work done, parts, cost — which records the next service due) and cancel.

Thin like the test-drive staff pages: check the staff member's store scope (another store's answers the back
office's 403 page, an unknown reference 404), call one service-booking use case, render; every text is in the
templates. Writes take `WriteSession` (BEGIN IMMEDIATE on SQLite) and run in a savepoint, so a refusal leaves
nothing half-done.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from forecourt.backoffice.access import PostedForm, StaffUser, store_scope
from forecourt.catalog import service as catalog
from forecourt.core.clock import utcnow
from forecourt.core.errors import DomainError
from forecourt.core.http import DbSession, WriteSession
from forecourt.ownership.records import car_facts
from forecourt.ownership.service_bookings import completion, courtesy
from forecourt.ownership.service_bookings import service as bookings
from forecourt.ownership.service_bookings.models import JobStatus, ServiceBay
from forecourt.ownership.service_bookings.page_support import (
    Job,
    load_job,
    local_day,
    local_today,
    parse_day,
    scoped,
)
from forecourt.web import calendar_grid
from forecourt.web.errors import PAGES_TAG
from forecourt.web.page_helpers import Problem, attempt, form_text, redirect
from forecourt.web.page_helpers import render_personal as render
from forecourt.web.templating import Page, PageContext

router = APIRouter(tags=[PAGES_TAG], include_in_schema=False, default_response_class=HTMLResponse)

PART_ROWS = 3  # part lines on the completion form; a job with more lists them in the work done
HIDDEN = (JobStatus.CANCELLED.value, JobStatus.EXPIRED.value)
LIVE = (JobStatus.HELD.value, JobStatus.CONFIRMED.value)


@router.get("/backoffice/service")
def index(session: DbSession, page: PageContext, user: StaffUser) -> HTMLResponse:
    stores = catalog.list_managed_stores(session, store_scope(user))
    return render(page, "service/bo_index.html", stores=stores, section="service")


@dataclass(frozen=True)
class BayRow:
    bay: ServiceBay
    cells: list[Any]  # day view: calendar_grid.Cells; week view: a list of Jobs per day


def _span(job: Job) -> tuple[datetime, datetime]:
    return job.job.starts_at, job.job.ends_at


def _drawn(jobs: Sequence[Job]) -> list[Job]:
    """The jobs a bay's row draws: every live one, and the completed ones that overlap none (a job completed
    early frees its bay, so a later booking may overlap its slot; the completed one is then listed below)."""
    live = [j for j in jobs if j.status in LIVE]
    return live + [
        j
        for j in jobs
        if j.status not in LIVE
        and not any(o.job.starts_at < j.job.ends_at and j.job.starts_at < o.job.ends_at for o in live)
    ]


@router.get("/backoffice/stores/{code}/service")
def calendar(session: DbSession, page: PageContext, user: StaffUser, code: str) -> HTMLResponse:
    store = scoped(catalog.get_store_for_staff, session, code, allowed_store_ids=store_scope(user))
    zone = ZoneInfo(store.time_zone)
    params = page.request.query_params
    today = local_today(store.time_zone)
    shown_days = calendar_grid.window(parse_day(params.get("date"), today), params.get("view"))
    day, view, days = shown_days.day, shown_days.view, shown_days.days
    stores = {store.id: store}
    listed = bookings.store_calendar(session, store, days[0], len(days))
    loans = courtesy.loans_of(session, listed, utcnow())
    jobs = [load_job(session, j, stores, loans) for j in listed]
    shown = [j for j in jobs if j.status not in HIDDEN]
    bays = list(bookings.list_bays(session, store))
    hours: list[int] = []
    rows = []
    if view == "day":
        first_hour, last_hour = calendar_grid.grid_hours(
            store.opening_hours, day, map(_span, shown), zone, closed=(8, 18)
        )
        hours = list(range(first_hour, last_hour))
        start, steps = calendar_grid.grid_start(day, first_hour, zone), (last_hour - first_hour) * 2
        for bay in bays:
            mine = _drawn([j for j in shown if j.job.bay_id == bay.id])
            rows.append(BayRow(bay, calendar_grid.day_cells(mine, _span, start, steps)))
    else:
        for bay in bays:
            mine = [j for j in shown if j.job.bay_id == bay.id]
            rows.append(BayRow(bay, [[j for j in mine if local_day(j.job.starts_at, j.zone) == d] for d in days]))
    drawn = {c.item.job.id for row in rows if view == "day" for c in row.cells if c.item}
    return render(
        page,
        "service/bo_calendar.html",
        store=store,
        view=view,
        day=day,
        days=days,
        hours=hours,
        rows=rows,
        jobs=jobs,
        others=[j for j in jobs if view == "day" and j.job.id not in drawn],
        previous=shown_days.previous.isoformat(),
        next=shown_days.next.isoformat(),
        today=today.isoformat(),
        section="service",
    )


def _staff_job(session: Session, user: Any, reference: str) -> Job:
    job = bookings.get_job(session, reference)
    scoped(bookings.check_store_access, job, store_scope(user))
    return load_job(session, job)


def _render_job(
    session: Session,
    page: Page,
    reference: str,
    *,
    status_code: int = 200,
    problem: Problem | None = None,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
) -> HTMLResponse:
    assert page.user is not None
    job = _staff_job(session, page.user, reference)
    return render(
        page,
        "service/bo_job.html",
        status_code=status_code,
        view=job,
        problem=problem,
        errors=errors or {},
        form=form or {},
        part_rows=range(1, PART_ROWS + 1),
        done=page.request.query_params.get("done", "")[:20],
        section="service",
    )


@router.get("/backoffice/service-jobs/{reference}")
def job_page(session: DbSession, page: PageContext, user: StaffUser, reference: str) -> HTMLResponse:
    return _render_job(session, page, reference)


def _money(text: str) -> Decimal | None:
    try:
        value = Decimal(text.replace(",", "").replace("¥", "").strip())
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def _work(posted: Any) -> tuple[completion.WorkDone | None, dict[str, str], dict[str, str]]:
    """The completion form read into WorkDone, or the fields to correct (by key; the template words them)."""
    names = ["odometer_km", "work_done", "cost"]
    names += [f"part_{f}_{n}" for n in range(1, PART_ROWS + 1) for f in ("name", "quantity", "price")]
    form = {name: form_text(posted, name, 2000 if name == "work_done" else 120) for name in names}
    errors: dict[str, str] = {}
    odometer = int(form["odometer_km"]) if form["odometer_km"].isascii() and form["odometer_km"].isdigit() else None
    if odometer is None:
        errors["odometer_km"] = "odometer"
    if not form["work_done"]:
        errors["work_done"] = "work_done"
    cost = _money(form["cost"])
    if cost is None or cost < 0:
        errors["cost"] = "cost"
    parts = []
    for n in range(1, PART_ROWS + 1):
        name, quantity, price = (form[f"part_{f}_{n}"] for f in ("name", "quantity", "price"))
        if not (name or quantity or price):
            continue
        amount = _money(price)
        if not name or not (quantity.isascii() and quantity.isdigit() and int(quantity) >= 1) or amount is None:
            errors["parts"] = "parts"
            continue
        parts.append(completion.Part(name, int(quantity), amount))
    if errors:
        return None, errors, form
    assert odometer is not None and cost is not None
    return completion.WorkDone(odometer, form["work_done"], tuple(parts), cost), errors, form


@router.post("/backoffice/service-jobs/{reference}/complete", response_model=None)
def complete(session: WriteSession, page: PageContext, user: StaffUser, reference: str, posted: PostedForm) -> Response:
    view = _staff_job(session, user, reference)
    work, errors, form = _work(posted)
    if work is None:
        return _render_job(session, page, reference, status_code=422, errors=errors, form=form)
    try:
        attempt(
            session,
            lambda: completion.complete(
                session,
                view.job.reference,
                work,
                car_facts.find_car(session, view.job.vin),
                staff_user_id=user.user_id,
                allowed_store_ids=store_scope(user),
                now=utcnow(),
            ),
        )
    except DomainError as exc:
        fields = {e.field: e.field for e in exc.errors if e.field in ("odometer_km", "work_done", "cost", "parts")}
        return _render_job(
            session, page, reference, status_code=exc.status, problem=Problem.of(exc), errors=fields, form=form
        )
    return redirect(f"/backoffice/service-jobs/{view.job.reference}?done=completed")


@router.post("/backoffice/service-jobs/{reference}/cancel", response_model=None)
def cancel(session: WriteSession, page: PageContext, user: StaffUser, reference: str) -> Response:
    view = _staff_job(session, user, reference)
    try:
        attempt(session, lambda: bookings.cancel(session, view.job, actor=user.user_id, now=utcnow()))
    except DomainError as exc:
        return _render_job(session, page, reference, status_code=exc.status, problem=Problem.of(exc))
    return redirect(f"/backoffice/service-jobs/{view.job.reference}?done=cancelled")
