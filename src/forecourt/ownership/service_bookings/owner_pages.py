"""The owner's service pages: a car's service (/garage/cars/{vin}/service — its next service and reminder stage, open
recalls, the service history and the owner's jobs, and free workshop slots to book), booking a slot (hold) and
one job (/garage/service-jobs/{reference}) with its confirm form.

The owner check is the API's: `records.car_facts.own_car` (the ownership records), so another person's car — or a
VIN no one owns — answers the "not your car" 404 page, as does another owner's job. Booking and confirming carry an idempotency key in a hidden field (`web.idempotent_forms.once`), so a
double submit replays the first outcome instead of holding two bays; each runs in a savepoint.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import groupby
from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from forecourt.backoffice.access import PostedForm, sign_in_url
from forecourt.catalog import service as catalog
from forecourt.catalog.models import Store
from forecourt.core import dates
from forecourt.core.clock import utcnow
from forecourt.core.errors import DomainError
from forecourt.core.http import DbSession, WriteSession
from forecourt.ownership.owned_cars import OwnedCar
from forecourt.ownership.records import car_facts
from forecourt.ownership.service_bookings import completion
from forecourt.ownership.service_bookings import service as bookings
from forecourt.ownership.service_bookings.models import JobKind, JobStatus
from forecourt.ownership.service_bookings.page_support import load_job, local_today, parse_day
from forecourt.ownership.servicing import service as servicing
from forecourt.testdrive.availability import Slot
from forecourt.web.errors import PAGES_TAG
from forecourt.web.idempotent_forms import once
from forecourt.web.page_helpers import Problem, app_secret, form_text, here, redirect, to_local
from forecourt.web.page_helpers import render_personal as render
from forecourt.web.templating import Page, PageContext

router = APIRouter(tags=[PAGES_TAG], include_in_schema=False, default_response_class=HTMLResponse)

SLOT_DAYS = 3  # days of free slots shown at once; the owner moves the date for more
LIVE = (JobStatus.HELD.value, JobStatus.CONFIRMED.value)


@dataclass(frozen=True)
class DaySlots:
    day: date
    slots: list[Slot]


def _slots(session: Session, store_code: str, job_type: str, first: date) -> tuple[list[DaySlots], Problem | None]:
    try:
        found = bookings.find_slots(
            session, store_code, job_type, first, first + timedelta(days=SLOT_DAYS - 1), utcnow()
        )
    except DomainError as exc:
        return [], Problem.of(exc)
    zone = found.store.time_zone
    return [
        DaySlots(day, list(group)) for day, group in groupby(found.slots, key=lambda s: to_local(s.start, zone).date())
    ], None


def _workshop(session: Session, car: OwnedCar, code: str) -> Store | None:
    """The chosen workshop; else the car's own dealer when it takes bookings; else the first that does."""
    shops = bookings.workshops(session)
    chosen = next((s for s in shops if s.code == code), None) or next((s for s in shops if s.id == car.store_id), None)
    return chosen or (shops[0] if shops else None)


def _render_car(
    session: Session, page: Page, car: OwnedCar, *, status_code: int = 200, problem: Problem | None = None
) -> HTMLResponse:
    params = page.request.query_params
    store = _workshop(session, car, params.get("store", ""))
    types = {t.code: t for t in bookings.list_job_types(session)}
    status = servicing.service_status(session, car, car.local_day(utcnow()))
    job_type = params.get("job_type", "")
    if job_type not in types:
        job_type = JobKind.RECALL.value if status.open_recalls else JobKind.PERIODIC_SERVICE.value
    zone = store.time_zone if store else page.request.app.state.settings.time_zone
    first = max(parse_day(params.get("date"), local_today(zone)), local_today(zone))
    days, slot_problem = _slots(session, store.code, job_type, first) if store else ([], None)
    jobs = [load_job(session, j) for j in bookings.my_jobs(session, car.owner_user_id) if j.vin == car.vin]
    return render(
        page,
        "service/car.html",
        status_code=status_code,
        car=car,
        store=store,
        zone=zone,
        home=catalog.stores_by_id(session)[car.store_id],
        workshops=bookings.workshops(session),
        status=status,
        history=[load_job(session, j) for j in completion.history(session, car.vin)],
        upcoming=[j for j in jobs if j.status in LIVE],
        types=types,
        job_type=job_type,
        first=first,
        days=days,
        problem=problem or slot_problem,
        key=str(uuid.uuid4()),
        nav="garage",
    )


@router.get("/garage/cars/{vin}/service", response_model=None)
def car_service(session: DbSession, page: PageContext, vin: str) -> Response:
    if page.user is None:
        return redirect(sign_in_url(here(page.request)))
    return _render_car(session, page, car_facts.own_car(session, page.user.user_id, vin))


@router.post("/garage/cars/{vin}/service/book", response_model=None)
def book(session: WriteSession, page: PageContext, vin: str, posted: PostedForm) -> Response:
    """Hold a bay for the chosen slot (the button's value), then go to the job's page to confirm it."""
    if page.user is None:
        return redirect(sign_in_url(f"/garage/cars/{vin}/service"))
    user = page.user
    car = car_facts.own_car(session, user.user_id, vin)
    start = dates.parse_moment(form_text(posted, "start", 40))
    if start is None:
        return _render_car(session, page, car, status_code=422, problem=Problem("slot_not_offered", 422, "Pick a time"))
    store = _workshop(session, car, form_text(posted, "store", 40))
    if store is None:
        return _render_car(session, page, car, status_code=404, problem=Problem("no_service_bays", 404, "No workshop"))
    wanted = bookings.ServiceRequest(
        store_code=store.code,
        job_type=form_text(posted, "job_type", 20),
        start=start,
        recall_code=form_text(posted, "recall_code", 40) or None,
        notes=form_text(posted, "notes", 500),
        language=page.lang,
        courtesy_car=bool(form_text(posted, "courtesy_car", 5)),
    )
    payload = {
        "vin": car.vin,
        "store": wanted.store_code,
        "job_type": wanted.job_type,
        "start": start.isoformat(),
        "recall": wanted.recall_code,
        "courtesy_car": wanted.courtesy_car,
    }

    def run() -> tuple[str, Any]:
        job = bookings.hold(session, car, wanted, utcnow())
        return job.reference, job

    try:
        reference, _ = once(
            session,
            user.user_id,
            form_text(posted, "idempotency_key", 128),
            f"/garage/cars/{car.vin}/service/book",
            payload,
            run,
            secret=app_secret(page.request),
        )
    except DomainError as exc:
        return _render_car(session, page, car, status_code=exc.status, problem=Problem.of(exc))
    return redirect(f"/garage/service-jobs/{reference}")


def _render_job(
    session: Session, page: Page, reference: str, *, status_code: int = 200, problem: Problem | None = None
) -> HTMLResponse:
    assert page.user is not None
    view = load_job(session, bookings.get_own_job(session, page.user.user_id, reference))
    seconds = 0
    if view.status == JobStatus.HELD.value and view.job.hold_expires_at:
        seconds = max(0, int((view.job.hold_expires_at - utcnow()).total_seconds()))
    return render(
        page,
        "service/job.html",
        status_code=status_code,
        view=view,
        seconds_left=seconds,
        minutes_left=-(-seconds // 60),
        problem=problem,
        key=str(uuid.uuid4()),
        notice=page.request.query_params.get("notice", "")[:20],
        nav="garage",
    )


@router.get("/garage/service-jobs/{reference}", response_model=None)
def job_page(session: DbSession, page: PageContext, reference: str) -> Response:
    if page.user is None:
        return redirect(sign_in_url(here(page.request)))
    return _render_job(session, page, reference)


@router.post("/garage/service-jobs/{reference}/confirm", response_model=None)
def confirm(session: WriteSession, page: PageContext, reference: str, posted: PostedForm) -> Response:
    if page.user is None:
        return redirect(sign_in_url(f"/garage/service-jobs/{reference}"))
    user = page.user
    bookings.get_own_job(session, user.user_id, reference)  # another owner's job: 404 before any key is looked at

    def run() -> tuple[str, Any]:
        job = bookings.confirm(session, user.user_id, reference, utcnow())
        return job.reference, job

    try:
        done, _ = once(
            session,
            user.user_id,
            form_text(posted, "idempotency_key", 128),
            f"/garage/service-jobs/{reference}/confirm",
            {},
            run,
            secret=app_secret(page.request),
        )
    except DomainError as exc:
        return _render_job(session, page, reference, status_code=exc.status, problem=Problem.of(exc))
    return redirect(f"/garage/service-jobs/{done}?notice=confirmed")
