"""Shopper subscription pages that change a subscription: swap to another class (the fee, from a chosen day), pause,
resume, and give notice.

Thin like `pages`: each form carries an idempotency key, so a double submit replays the first outcome rather than
meeting its own change as a refusal; a refusal is shown on the subscription's page, in the page's language, with the
next step, and leaves nothing half-done (the use case runs in the savepoint `once` opens). Writes take
`WriteSession` first (BEGIN IMMEDIATE on SQLite).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from forecourt.backoffice.access import PostedForm, sign_in_url
from forecourt.core import dates
from forecourt.core.clock import utcnow
from forecourt.core.errors import DomainError
from forecourt.core.http import WriteSession
from forecourt.mobility.models import Subscription
from forecourt.mobility.subscriptions import service as subscriptions
from forecourt.mobility.subscriptions.pages import render_subscription
from forecourt.testdrive.page_support import Problem, app_secret, form_text, redirect
from forecourt.web.errors import PAGES_TAG
from forecourt.web.idempotent_forms import once
from forecourt.web.templating import Page, PageContext

router = APIRouter(tags=[PAGES_TAG], include_in_schema=False, default_response_class=HTMLResponse)


def _problem(exc: DomainError) -> Problem:
    """The refusal for the page; the day the next swap is possible as a date, which the template writes out."""
    problem = Problem.of(exc)
    if isinstance(problem.extra.get("next_swap_on"), str):
        problem.extra["next_swap_on"] = date.fromisoformat(problem.extra["next_swap_on"])
    return problem


def _change(
    session: Session,
    page: Page,
    reference: str,
    posted: PostedForm,
    action: str,
    run: Callable[[int, date | None], Subscription],
) -> Response:
    """Read the form's day (`{action}_on`), run the change once per idempotency key, and go back to the page with a
    notice; a refusal is shown there with the day as typed."""
    if page.user is None:
        return redirect(sign_in_url(f"/subscriptions/{reference}"))
    user = page.user
    subscription = subscriptions.get_own(session, user.user_id, reference)  # someone else's reference: 404
    typed = {f"{action}_{name}": form_text(posted, name, 40) for name in ("on", "mobility_class")}
    day = dates.parse_day(typed[f"{action}_on"]) if typed[f"{action}_on"] else None
    if typed[f"{action}_on"] and day is None:
        errors = {f"{action}_on": "date"}
        return render_subscription(session, page, reference, status_code=422, typed=typed, errors=errors)
    payload = {"action": action, **typed}
    path = f"/subscriptions/{subscription.reference}/{action}"
    try:
        once(
            session,
            user.user_id,
            form_text(posted, "idempotency_key", 128),
            path,
            payload,
            lambda: (subscription.reference, run(user.user_id, day)),
            secret=app_secret(page.request),
        )
    except DomainError as exc:
        problem = _problem(exc)
        return render_subscription(session, page, reference, status_code=exc.status, problem=problem, typed=typed)
    return redirect(f"/subscriptions/{subscription.reference}?notice={action}")


@router.post("/subscriptions/{reference}/swap", response_model=None)
def swap(session: WriteSession, page: PageContext, reference: str, posted: PostedForm) -> Response:
    """Another class from the chosen day, for the swap fee (one swap a calendar month)."""
    target = form_text(posted, "mobility_class", 40)
    return _change(
        session,
        page,
        reference,
        posted,
        "swap",
        lambda user_id, day: subscriptions.swap(session, user_id, reference, target, on_day=day, now=utcnow()),
    )


@router.post("/subscriptions/{reference}/pause", response_model=None)
def pause(session: WriteSession, page: PageContext, reference: str, posted: PostedForm) -> Response:
    """Give the car back from the chosen day; paused days cost the pause fee."""
    return _change(
        session,
        page,
        reference,
        posted,
        "pause",
        lambda user_id, day: subscriptions.pause(session, user_id, reference, on_day=day, now=utcnow()),
    )


@router.post("/subscriptions/{reference}/resume", response_model=None)
def resume(session: WriteSession, page: PageContext, reference: str, posted: PostedForm) -> Response:
    """A car of the same class again from the chosen day."""
    return _change(
        session,
        page,
        reference,
        posted,
        "resume",
        lambda user_id, day: subscriptions.resume(session, user_id, reference, on_day=day, now=utcnow()),
    )


@router.post("/subscriptions/{reference}/cancel", response_model=None)
def cancel(session: WriteSession, page: PageContext, reference: str, posted: PostedForm) -> Response:
    """Give notice: the subscription ends at the end of the period the notice reaches (shown before the button)."""
    return _change(
        session,
        page,
        reference,
        posted,
        "cancel",
        lambda user_id, day: subscriptions.cancel(session, user_id, reference, now=utcnow()),
    )
