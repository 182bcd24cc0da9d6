"""Shopper test-drive pages (/test-drives/...): pick a slot and hold it, verify the driver, confirm, the calendar
invite, my drives (cancel and reschedule: change_pages.py).

Thin like the other page modules: parse the form, check who acts, call one testdrive/identity service function,
render. Every text a person reads is in the templates (`testdrive/_macros.html` turns a DomainError's stable code
into a sentence in the page's language), so this module needs no message catalog of its own.

Writes that book or change a car take `WriteSession` first (BEGIN IMMEDIATE on SQLite). Booking and confirming
carry an idempotency key in a hidden field: a double submit replays the first outcome instead of booking twice.
Each use case runs in a savepoint, so a refused attempt leaves nothing half-done behind.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from forecourt.accounts import service as accounts
from forecourt.backoffice.access import PostedForm, sign_in_url
from forecourt.core import dates
from forecourt.core.client_address import client_ip
from forecourt.core.clock import utcnow
from forecourt.core.errors import DomainError, NotFound
from forecourt.core.http import DbSession, WriteSession
from forecourt.identity import service as identity
from forecourt.identity.licence_form import LICENCE_CLASSES, checkers, submit_licence
from forecourt.telematics.route_map import MapLabels
from forecourt.testdrive import lifecycle, notifications
from forecourt.testdrive import service as bookings
from forecourt.testdrive.availability import DriveKind
from forecourt.testdrive.models import BookingStatus, TestDriveBooking
from forecourt.testdrive.page_support import (
    Drive,
    Problem,
    app_secret,
    form_text,
    here,
    load_drive,
    parse_day,
    redirect,
    render,
    to_int,
)
from forecourt.testdrive.slot_picker import SlotSearch, slot_search
from forecourt.web.errors import PAGES_TAG
from forecourt.web.i18n import N_
from forecourt.web.idempotent_forms import once
from forecourt.web.page_helpers import allow_map_tiles
from forecourt.web.templating import Page, PageContext

router = APIRouter(tags=[PAGES_TAG], include_in_schema=False, default_response_class=HTMLResponse)

DEMO_PAYMENT_METHODS = ("demo-card-ok", "demo-card-declined")
LIVE = (BookingStatus.HELD.value, BookingStatus.CONFIRMED.value)
# Refusals about the driver (testdrive.rules.driver_refusals): the hold page answers each with the licence form
# opened, since verifying another licence for this drive is the way forward for all of them.
DRIVER_REFUSALS = ("licence_not_verified", "licence_expires_before_drive", "under_minimum_age")


# --- storefront: pick a slot -------------------------------------------------------------------------------------


@router.get("/test-drives/book")
def book_form(session: DbSession, page: PageContext) -> HTMLResponse:
    search = slot_search(session, page.request, page.request.query_params)
    status = search.problem.status if search.problem else 200
    return render(
        page, "testdrive/book.html", status_code=status, search=search, key=str(uuid.uuid4()), nav="test-drives"
    )


@router.post("/test-drives/book", response_model=None)
def book(session: WriteSession, page: PageContext, posted: PostedForm) -> Response:
    """Hold a car for the chosen slot (the button's value), then go to the hold page."""
    search = SlotSearch(
        vin=form_text(posted, "vin", 17).upper(),
        model=form_text(posted, "model", 40),
        city=form_text(posted, "city", 40),
        store=form_text(posted, "store", 40),
        kind=form_text(posted, "kind", 20),
        minutes=to_int(posted.get("minutes"), 60) or 60,
        days=to_int(posted.get("days"), 1) or 1,
        first_day=parse_day(form_text(posted, "from", 10), date.min),
        last_day=parse_day(form_text(posted, "to", 10), date.min),
    )
    shown = {"from": form_text(posted, "from", 10), "to": form_text(posted, "to", 10)}
    back = "/test-drives/book?" + search.query_args(**shown)
    if page.user is None:  # sent to sign in, and back to the same choice of times
        return redirect(sign_in_url(back))
    user = page.user
    try:
        kind = DriveKind(search.kind)
        start = dates.parse_moment(form_text(posted, "start", 40))
        if start is None:
            raise ValueError("malformed, naive or outside the window")
    except ValueError:
        return _book_again(session, page, posted, Problem("slot_not_offered", 422, "Pick one of the listed times"))
    drive = bookings.DriveRequest(
        kind=kind,
        start=start,
        minutes=search.minutes,
        days=search.days,
        vin=search.vin or None,
        model_code=None if search.vin else search.model or None,
        store_code=None if search.vin else search.store or None,
    )
    shopper = bookings.Shopper(user.user_id, user.email, user.mobile, page.lang)
    payload = {
        "kind": kind.value,
        "start": start.isoformat(),
        "minutes": search.minutes,
        "days": search.days,
        "vin": search.vin,
        "model": search.model,
        "store": search.store,
    }

    def run() -> tuple[str, TestDriveBooking]:
        booking = bookings.hold(session, shopper, drive, ip=client_ip(page.request), now=utcnow())
        return booking.reference, booking

    try:
        reference, _ = once(
            session,
            user.user_id,
            form_text(posted, "idempotency_key", 128),
            "/test-drives/book",
            payload,
            run,
            secret=app_secret(page.request),
        )
    except DomainError as exc:
        return _book_again(session, page, posted, Problem.of(exc))
    return redirect(f"/test-drives/{reference}")


def _book_again(session: Session, page: Page, posted: Any, problem: Problem) -> HTMLResponse:
    """The slot picker again, with fresh slots and why the choice was refused."""
    search = slot_search(session, page.request, posted)
    search.problem = problem
    return render(
        page, "testdrive/book.html", status_code=problem.status, search=search, key=str(uuid.uuid4()), nav="test-drives"
    )


# --- storefront: my drives, the hold, verification, confirmation ------------------------------------------------


@router.get("/test-drives", response_model=None)
def my_drives(session: DbSession, page: PageContext) -> Response:
    if page.user is None:
        return redirect(sign_in_url(here(page.request)))
    drives = [load_drive(session, b) for b in bookings.list_my_bookings(session, page.user.user_id)]
    return render(
        page,
        "testdrive/mine.html",
        drives=drives,
        now=utcnow(),
        live=LIVE,
        nav="test-drives",
        cancelled=page.request.query_params.get("cancelled", "")[:12],
    )


@dataclass
class HoldView:
    drive: Drive
    verification: Any
    deposit: Any  # DepositDecision, once the driver is verified
    seconds_left: int
    minutes_left: int
    last_day: date  # the drive's last local day: the licence must be valid on it
    driver: lifecycle.DriverCheck | None = None  # a live hold with a verified licence: may it take this drive?
    driven: bookings.DrivenRoute | None = None  # a completed drive: distance and route


def _route_labels(page: Page) -> MapLabels:
    return MapLabels(
        title=page.gettext(N_("The route of your test drive")),
        store=page.gettext(N_("The store")),
        start=page.gettext(N_("Start of the route")),
        latest=page.gettext(N_("End of the route")),
        metres=page.gettext(N_("%(n)s m")),
        kilometres=page.gettext(N_("%(n)s km")),
    )


def _hold_view(session: Session, page: Page, reference: str) -> HoldView:
    assert page.user is not None
    user_id = page.user.user_id
    drive = load_drive(session, bookings.get_own_booking(session, user_id, reference))
    verification = identity.get_verification(session, user_id)
    booking = drive.booking
    deposit = driver = None
    if booking.status == BookingStatus.HELD.value and verification is not None and verification.verified:
        deposit = lifecycle.deposit_for(session, booking)
        driver = lifecycle.driver_check(session, booking, page.request.app.state.field_cipher)
    seconds = 0
    if booking.status == BookingStatus.HELD.value and booking.hold_expires_at:
        seconds = max(0, int((booking.hold_expires_at - utcnow()).total_seconds()))
    tiles = page.request.app.state.settings.map_tile_url or None
    driven = bookings.driven_route(session, booking, _route_labels(page), tile_url=tiles)
    last_day = lifecycle.drive_last_day(session, booking)
    return HoldView(drive, verification, deposit, seconds, math.ceil(seconds / 60), last_day, driver, driven)


def _render_hold(
    session: Session,
    page: Page,
    reference: str,
    *,
    status_code: int = 200,
    problem: Problem | None = None,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
) -> HTMLResponse:
    view = _hold_view(session, page, reference)
    if problem is None and view.driver is not None and view.driver.refusals:
        # Known before the shopper tries to confirm (a licence verified for an earlier drive, or for none): say so
        # now, with the licence form opened, rather than offer a Confirm that can only be refused.
        first = view.driver.refusals[0]
        problem = Problem(first.code, 409, first.message)
    params = page.request.query_params
    response = render(
        page,
        "testdrive/hold.html",
        status_code=status_code,
        view=view,
        problem=problem,
        errors=errors or {},
        form=form or {},
        key=str(uuid.uuid4()),
        classes=LICENCE_CLASSES,
        methods=DEMO_PAYMENT_METHODS,
        driver_refusals=DRIVER_REFUSALS,
        nav="test-drives",
        notice=params.get("notice", "")[:20],
    )
    if view.driven is not None and view.driven.route is not None:
        allow_map_tiles(page.request, response)
    return response


@router.get("/test-drives/{reference}", response_model=None)
def hold_page(session: DbSession, page: PageContext, reference: str) -> Response:
    if page.user is None:
        return redirect(sign_in_url(here(page.request)))
    return _render_hold(session, page, reference)


@router.post("/test-drives/{reference}/verify", response_model=None)
def verify(session: DbSession, page: PageContext, reference: str, posted: PostedForm) -> Response:
    """Check (or replace) the driving licence for this drive. A licence expiring before the drive ends is refused
    beside its field with nothing stored; a check the provider refuses is recorded (the answer commits), then shown."""
    if page.user is None:
        return redirect(sign_in_url(f"/test-drives/{reference}"))
    user = page.user
    bookings.get_own_booking(session, user.user_id, reference)  # someone else's reference: 404
    answer = submit_licence(
        posted,
        lambda claim: lifecycle.verify_driver_for_drive(
            session, user.user_id, reference, claim, today=utcnow().date(), **checkers(page.request)
        ),
    )
    if answer.verified:
        return redirect(f"/test-drives/{reference}?notice=verified")
    return _render_hold(session, page, reference, status_code=422, errors=answer.errors, form=answer.form)


@router.post("/test-drives/{reference}/confirm", response_model=None)
def confirm(session: WriteSession, page: PageContext, reference: str, posted: PostedForm) -> Response:
    """Confirm the hold: deposit or waiver. The pick-up code of a self-service drive is in this answer only."""
    if page.user is None:
        return redirect(sign_in_url(f"/test-drives/{reference}"))
    user = page.user
    method = form_text(posted, "payment_method", 64) or None
    request = page.request

    def run() -> tuple[str, lifecycle.Confirmation]:
        held = bookings.get_own_booking(session, user.user_id, reference)
        outcome = lifecycle.confirm(
            session,
            user.user_id,
            reference,
            payment_method=method,
            payment_provider=request.app.state.integrations.payments,
            secret_key=app_secret(request),
            cipher=request.app.state.field_cipher,
            now=utcnow(),
            salespeople=accounts.staff_user_ids(session, held.store_id),
        )
        return outcome.booking.reference, outcome

    try:
        done, outcome = once(
            session,
            user.user_id,
            form_text(posted, "idempotency_key", 128),
            f"/test-drives/{reference}/confirm",
            {"payment_method": method},
            run,
            secret=app_secret(request),
        )
    except DomainError as exc:
        return _render_hold(session, page, reference, status_code=exc.status, problem=Problem.of(exc))
    if outcome is None:  # a second submit of the same form: the drive is confirmed already
        return redirect(f"/test-drives/{done}?notice=confirmed")
    return render(
        page,
        "testdrive/confirmed.html",
        drive=load_drive(session, outcome.booking),
        pickup_code=outcome.pickup_code,
        nav="test-drives",
    )


@router.get("/test-drives/{reference}/invite.ics", response_model=None)
def invite(session: DbSession, page: PageContext, reference: str) -> Response:
    if page.user is None:
        return redirect(sign_in_url(here(page.request)))
    drive = load_drive(session, bookings.get_own_booking(session, page.user.user_id, reference))
    if drive.booking.status == BookingStatus.HELD.value:
        raise NotFound("A hold has no calendar entry yet; confirm it first", code="booking_not_found")
    body = notifications.calendar_invite(
        drive.booking, drive.vehicle, cancelled=drive.booking.status == BookingStatus.CANCELLED.value
    )
    return Response(
        body,
        media_type="text/calendar; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{drive.booking.reference}.ics"',
            "Cache-Control": "no-store",
        },
    )
