"""Shopper rental pages that change a rental after it is confirmed: cancel (the refund shown first), return the car
at a self-service store (the car's own readings), and pay the balance of the bill.

Thin like `pages`: each use case runs in a savepoint (`attempt`), so a refusal is shown on the page and leaves
nothing half-done; writes take `WriteSession` first (BEGIN IMMEDIATE on SQLite).
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from forecourt.backoffice.access import PostedForm, sign_in_url
from forecourt.core.clock import utcnow
from forecourt.core.errors import DomainError
from forecourt.core.http import DbSession, WriteSession
from forecourt.mobility.rentals import handover, renter
from forecourt.mobility.rentals import service as rentals
from forecourt.mobility.rentals.pages import render_rental
from forecourt.testdrive.page_support import Problem, attempt, form_text, here, redirect, render
from forecourt.web.errors import PAGES_TAG
from forecourt.web.page_helpers import attempt_then
from forecourt.web.templating import Page, PageContext

router = APIRouter(tags=[PAGES_TAG], include_in_schema=False, default_response_class=HTMLResponse)
CANCELLABLE = ("held", "confirmed")


def _render_cancel(session: Session, page: Page, reference: str, problem: Problem | None = None) -> HTMLResponse:
    assert page.user is not None
    view = renter.renter_view(session, page.user.user_id, reference, now=utcnow())
    return render(
        page,
        "mobility/cancel.html",
        status_code=problem.status if problem else 200,
        view=view,
        shown=view.shown,
        cancellable=view.shown.status in CANCELLABLE,
        problem=problem,
        nav="rentals",
    )


@router.get("/rentals/{reference}/cancel", response_model=None)
def cancel_form(session: DbSession, page: PageContext, reference: str) -> Response:
    if page.user is None:
        return redirect(sign_in_url(here(page.request)))
    return _render_cancel(session, page, reference)


@router.post("/rentals/{reference}/cancel", response_model=None)
def cancel(session: WriteSession, page: PageContext, reference: str, posted: PostedForm) -> Response:
    """The renter's own cancel: the time charge back by the plan's rule, the deposit in full."""
    if page.user is None:
        return redirect(sign_in_url(f"/rentals/{reference}/cancel"))
    user = page.user
    rental = rentals.get_own_rental(session, user.user_id, reference)
    provider = page.request.app.state.integrations.payments
    return attempt_then(
        session,
        lambda: rentals.cancel(
            session, rental.reference, actor=user.user_id, by_store=False, payment_provider=provider, now=utcnow()
        ),
        done=f"/rentals?cancelled={rental.reference}",
        again=lambda problem: _render_cancel(session, page, reference, problem),
    )


def _on_the_rental(session: Session, page: Page, reference: str, run: Callable[[], object], notice: str) -> Response:
    """Change the renter's rental in a savepoint, then back to its page with `notice`; a refusal is shown there, but
    another's (or no) rental stays the 404 it was."""
    try:
        attempt(session, run)
    except DomainError as exc:
        if exc.status == 404:
            raise
        return render_rental(session, page, reference, status_code=exc.status, problem=Problem.of(exc))
    return redirect(f"/rentals/{reference.strip().upper()}?notice={notice}")


@router.post("/rentals/{reference}/return", response_model=None)
def return_car(session: WriteSession, page: PageContext, reference: str, posted: PostedForm) -> Response:
    """The renter returns the car at a self-service store; the bill is made from the car's own readings."""
    if page.user is None:
        return redirect(sign_in_url(f"/rentals/{reference}"))
    user = page.user
    provider = page.request.app.state.integrations.payments
    return _on_the_rental(
        session,
        page,
        reference,
        lambda: handover.return_car(
            session,
            reference,
            handover.ReturnIn(reading=None),
            actor=user.user_id,
            allowed_store_ids=None,
            renter_user_id=user.user_id,
            payment_provider=provider,
            now=utcnow(),
        ),
        "returned",
    )


@router.post("/rentals/{reference}/pay", response_model=None)
def pay(session: WriteSession, page: PageContext, reference: str, posted: PostedForm) -> Response:
    """Pay what the deposit did not cover; paying a settled rental again changes nothing."""
    if page.user is None:
        return redirect(sign_in_url(f"/rentals/{reference}"))
    user = page.user
    method = form_text(posted, "payment_method", 64)
    if not method:
        problem = Problem("payment_method_required", 422, "Choose a payment method")
        return render_rental(session, page, reference, status_code=422, problem=problem)
    provider = page.request.app.state.integrations.payments
    return _on_the_rental(
        session,
        page,
        reference,
        lambda: handover.pay_balance(
            session, user.user_id, reference, payment_method=method, payment_provider=provider, now=utcnow()
        ),
        "paid",
    )
