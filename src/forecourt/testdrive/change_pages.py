"""Shopper test-drive pages that change a booked drive (/test-drives/{reference}/cancel and /reschedule): the
refund shown before cancelling, and moving the drive to another free slot of the same car's kind.

Thin like `shopper_pages`: the use cases run in a savepoint (`attempt_then`), so a refusal is shown on the page and
leaves nothing half-done; writes take `WriteSession` first (BEGIN IMMEDIATE on SQLite).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from forecourt.backoffice.access import PostedForm, sign_in_url
from forecourt.core import dates
from forecourt.core.clock import utcnow
from forecourt.core.http import DbSession, WriteSession
from forecourt.testdrive import lifecycle
from forecourt.testdrive import service as bookings
from forecourt.testdrive.models import TestDriveBooking
from forecourt.testdrive.page_support import Problem, form_text, here, load_drive, redirect, render
from forecourt.testdrive.shopper_pages import LIVE
from forecourt.testdrive.slot_picker import slot_search
from forecourt.web.errors import PAGES_TAG
from forecourt.web.page_helpers import attempt_then
from forecourt.web.templating import Page, PageContext

router = APIRouter(tags=[PAGES_TAG], include_in_schema=False, default_response_class=HTMLResponse)


def _render_cancel(session: Session, page: Page, reference: str, problem: Problem | None = None) -> HTMLResponse:
    assert page.user is not None
    drive = load_drive(session, bookings.get_own_booking(session, page.user.user_id, reference))
    cancellable = drive.booking.status in LIVE
    refund = lifecycle.cancellation_preview(session, drive.booking, utcnow())  # shown before they confirm the cancel
    return render(
        page,
        "testdrive/cancel.html",
        status_code=problem.status if problem else 200,
        drive=drive,
        refund=refund,
        cancellable=cancellable,
        problem=problem,
        nav="test-drives",
    )


@router.get("/test-drives/{reference}/cancel", response_model=None)
def cancel_form(session: DbSession, page: PageContext, reference: str) -> Response:
    if page.user is None:
        return redirect(sign_in_url(here(page.request)))
    return _render_cancel(session, page, reference)


@router.post("/test-drives/{reference}/cancel", response_model=None)
def cancel(session: WriteSession, page: PageContext, reference: str, posted: PostedForm) -> Response:
    if page.user is None:
        return redirect(sign_in_url(f"/test-drives/{reference}/cancel"))
    user = page.user
    booking = bookings.get_own_booking(session, user.user_id, reference)
    provider = page.request.app.state.integrations.payments
    return attempt_then(
        session,
        lambda: lifecycle.cancel(
            session,
            booking.reference,
            actor_user_id=user.user_id,
            by_store=False,
            reason=form_text(posted, "reason"),
            payment_provider=provider,
            now=utcnow(),
        ),
        done=f"/test-drives?cancelled={booking.reference}",
        again=lambda problem: _render_cancel(session, page, reference, problem),
    )


def _drive_length(booking: TestDriveBooking) -> tuple[int, int]:
    length = booking.ends_at - booking.starts_at
    return int(length.total_seconds() // 60), max(1, round(length / timedelta(days=1)))


def _render_reschedule(
    session: Session, page: Page, reference: str, params: Any, *, status_code: int = 200, problem: Problem | None = None
) -> HTMLResponse:
    assert page.user is not None
    drive = load_drive(session, bookings.get_own_booking(session, page.user.user_id, reference))
    minutes, days = _drive_length(drive.booking)
    asked = {
        "model": drive.vehicle.model.code,
        "store": drive.store.code,
        "minutes": str(minutes),
        "days": str(days),
        "from": params.get("from", ""),
        "to": params.get("to", ""),
    }
    search = slot_search(session, page.request, asked, fixed_kind=drive.booking.kind)
    search.minutes, search.days = minutes, days
    if problem is not None:
        search.problem = problem
    status = status_code if status_code != 200 else (search.problem.status if search.problem else 200)
    return render(
        page,
        "testdrive/reschedule.html",
        status_code=status,
        drive=drive,
        search=search,
        movable=drive.booking.status in LIVE,
        nav="test-drives",
    )


@router.get("/test-drives/{reference}/reschedule", response_model=None)
def reschedule_form(session: DbSession, page: PageContext, reference: str) -> Response:
    if page.user is None:
        return redirect(sign_in_url(here(page.request)))
    return _render_reschedule(session, page, reference, page.request.query_params)


@router.post("/test-drives/{reference}/reschedule", response_model=None)
def reschedule(session: WriteSession, page: PageContext, reference: str, posted: PostedForm) -> Response:
    if page.user is None:
        return redirect(sign_in_url(f"/test-drives/{reference}/reschedule"))
    user = page.user
    start = dates.parse_moment(form_text(posted, "start", 40))
    if start is None:
        problem = Problem("slot_not_offered", 422, "Pick one of the listed times")
        return _render_reschedule(session, page, reference, posted, status_code=422, problem=problem)
    return attempt_then(
        session,
        lambda: lifecycle.reschedule(session, user.user_id, reference, start, now=utcnow()),
        done=lambda moved: f"/test-drives/{moved.reference}?notice=moved",
        again=lambda problem: _render_reschedule(
            session, page, reference, posted, status_code=problem.status, problem=problem
        ),
    )
