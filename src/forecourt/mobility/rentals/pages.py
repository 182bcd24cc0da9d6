"""Shopper rental pages: /rent (a store, a model, pick-up and return in the store's local time, the quote, hold),
/rentals (mine) and /rentals/{reference} (the rental and its next step: verify a licence and confirm; the pick-up
code once; the bill). Cancel, return and pay are in `change_pages`.

Thin like the test-drive pages (`testdrive.shopper_pages`): parse the form, check who acts, call one rentals service
function, render; every sentence is in the templates, which turn a refusal's stable code, or a field's message from
the service, into the page's language. Holding and confirming carry an idempotency key in a hidden field, so a
double submit replays the first outcome instead of renting twice.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from forecourt.backoffice.access import PostedForm, sign_in_url
from forecourt.core import dates
from forecourt.core.clock import utcnow
from forecourt.core.errors import DomainError, InvalidInput
from forecourt.core.http import DbSession, WriteSession
from forecourt.identity.licence_form import LICENCE_CLASSES, checkers, submit_licence
from forecourt.mobility.fleet import service as fleet
from forecourt.mobility.rentals import renter
from forecourt.mobility.rentals import service as rentals
from forecourt.testdrive.page_support import Problem, app_secret, form_text, here, redirect, render
from forecourt.testdrive.shopper_pages import DEMO_PAYMENT_METHODS, DRIVER_REFUSALS
from forecourt.web.errors import PAGES_TAG
from forecourt.web.idempotent_forms import once
from forecourt.web.templating import Page, PageContext

router = APIRouter(tags=[PAGES_TAG], include_in_schema=False, default_response_class=HTMLResponse)

RENT_FIELDS = ("store", "model", "pickup_date", "pickup_time", "return_date", "return_time")
CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
SERVICE_FIELDS = {"start": "pickup", "end": "return"}  # the service's field → the page's pair of inputs


@dataclass
class RentForm:
    """The rent form as typed, what is wrong with it (field → a key or the service's message), and its quote."""

    offer: list[fleet.RentalStore]
    values: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)
    quote: rentals.RentalQuote | None = None
    request: rentals.RentalRequest | None = None
    problem: Problem | None = None

    @property
    def status(self) -> int:
        return self.problem.status if self.problem else (422 if self.errors else 200)

    @property
    def models(self) -> list[Any]:
        """Every model rented somewhere, once: the form lists them all (the store is checked on submit)."""
        seen: dict[str, Any] = {}
        for place in self.offer:
            for model in place.models:
                seen.setdefault(model.code, model)
        return list(seen.values())


def _moment(day_text: str, clock_text: str, zone: str) -> datetime | None:
    day, clock = dates.parse_day(day_text), CLOCK.match(clock_text)
    if day is None or clock is None:
        return None
    return datetime.combine(day, time(int(clock[1]), int(clock[2])), ZoneInfo(zone))


def read_rent_form(session: Session, source: Any) -> RentForm:
    """Check every field at once; the times against the store's hours by the service (`rentals.quote`)."""
    form = RentForm(fleet.rental_offer(session), {name: form_text(source, name, 40) for name in RENT_FIELDS})
    values, errors = form.values, form.errors
    place = next((p for p in form.offer if p.store.code == values["store"]), None)
    if place is None:
        errors["store"] = "store"
    elif values["model"] not in {m.code for m in place.models}:
        errors["model"] = "model"
    for name, check in (("date", dates.parse_day), ("time", CLOCK.match)):
        for side in ("pickup", "return"):
            if check(values[f"{side}_{name}"]) is None:
                errors[f"{side}_{name}"] = name
    if place is None or any(key.endswith(("_date", "_time")) for key in errors):
        return form
    zone = place.store.time_zone
    start = _moment(values["pickup_date"], values["pickup_time"], zone)
    end = _moment(values["return_date"], values["return_time"], zone)
    assert start is not None and end is not None
    # With a model the store does not rent, the times are still checked (with one it does) so all is said at once.
    model = values["model"] if "model" not in errors else place.models[0].code
    asked = rentals.RentalRequest(place.store.code, model, start, end)
    try:
        found = rentals.quote(session, asked, now=utcnow())
    except InvalidInput as exc:
        if exc.code != "rental_times_invalid" or not exc.errors:
            raise
        for problem in exc.errors:
            errors.setdefault(SERVICE_FIELDS.get(problem.field, problem.field), problem.message)
        return form
    if "model" not in errors:
        form.quote, form.request = found, asked
    return form


def _render_rent(page: Page, form: RentForm, *, status_code: int | None = None) -> HTMLResponse:
    return render(
        page,
        "mobility/rent.html",
        status_code=status_code or form.status,
        form=form,
        key=str(uuid.uuid4()),
        nav="rent",
    )


@router.get("/rent")
def rent_form(session: DbSession, page: PageContext) -> HTMLResponse:
    """The form; with anything typed, every field checked and the quote shown once all are right."""
    params = page.request.query_params
    if any(params.get(name) for name in RENT_FIELDS):
        return _render_rent(page, read_rent_form(session, params))
    form = RentForm(fleet.rental_offer(session), dict.fromkeys(RENT_FIELDS, ""))
    if form.offer:  # the first store and its first model chosen; the times are the shopper's to give
        form.values.update(store=form.offer[0].store.code, model=form.offer[0].models[0].code)
    return _render_rent(page, form)


@router.post("/rent", response_model=None)
def rent(session: WriteSession, page: PageContext, posted: PostedForm) -> Response:
    """Hold a car of the model for the times, then go to the rental's page."""
    if page.user is None:  # sent to sign in, and back to the same choice
        return redirect(sign_in_url("/rent?" + urlencode({n: form_text(posted, n, 40) for n in RENT_FIELDS})))
    user = page.user
    form = read_rent_form(session, posted)
    asked = form.request
    if asked is None:
        return _render_rent(page, form)
    renter_of = rentals.Renter(user.user_id, user.email, user.mobile, page.lang)

    def run() -> tuple[str, rentals.RentalView]:
        held = rentals.hold(session, renter_of, asked, now=utcnow())
        return held.rental.reference, held

    try:
        reference, _ = once(
            session,
            user.user_id,
            form_text(posted, "idempotency_key", 128),
            "/rent",
            {**form.values},
            run,
            secret=app_secret(page.request),
        )
    except DomainError as exc:
        form.problem = Problem.of(exc)
        return _render_rent(page, form)
    return redirect(f"/rentals/{reference}")


@router.get("/rentals", response_model=None)
def my_rentals(session: DbSession, page: PageContext) -> Response:
    if page.user is None:
        return redirect(sign_in_url(here(page.request)))
    return render(
        page,
        "mobility/mine.html",
        rentals=rentals.my_rentals(session, page.user.user_id, now=utcnow()),
        cancelled=page.request.query_params.get("cancelled", "")[:12],
        nav="rentals",
    )


def render_rental(
    session: Session,
    page: Page,
    reference: str,
    *,
    status_code: int = 200,
    problem: Problem | None = None,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
    pickup_code: str | None = None,
) -> HTMLResponse:
    assert page.user is not None
    now = utcnow()
    view = renter.renter_view(session, page.user.user_id, reference, now=now)
    seconds = 0
    held = view.shown.reservation
    if view.shown.status == "held" and held.hold_expires_at:
        seconds = max(0, int((held.hold_expires_at - now).total_seconds()))
    return render(
        page,
        "mobility/rental.html",
        status_code=status_code,
        view=view,
        shown=view.shown,
        seconds_left=seconds,
        minutes_left=-(-seconds // 60),
        problem=problem,
        errors=errors or {},
        form=form or {},
        key=str(uuid.uuid4()),
        classes=LICENCE_CLASSES,
        methods=DEMO_PAYMENT_METHODS,
        driver_refusals=DRIVER_REFUSALS,
        pickup_code=pickup_code,
        notice=page.request.query_params.get("notice", "")[:20],
        nav="rentals",
    )


@router.get("/rentals/{reference}", response_model=None)
def rental_page(session: DbSession, page: PageContext, reference: str) -> Response:
    if page.user is None:
        return redirect(sign_in_url(here(page.request)))
    return render_rental(session, page, reference)


@router.post("/rentals/{reference}/verify", response_model=None)
def verify(session: DbSession, page: PageContext, reference: str, posted: PostedForm) -> Response:
    """Check (or replace) the driving licence for this rental; a check the provider refuses is recorded too."""
    if page.user is None:
        return redirect(sign_in_url(f"/rentals/{reference}"))
    user = page.user
    rentals.get_own_rental(session, user.user_id, reference)  # someone else's reference: 404
    answer = submit_licence(
        posted,
        lambda claim: renter.verify_driver_for_rental(
            session, user.user_id, reference, claim, now=utcnow(), **checkers(page.request)
        ),
    )
    if answer.verified:
        return redirect(f"/rentals/{reference}?notice=verified")
    return render_rental(session, page, reference, status_code=422, errors=answer.errors, form=answer.form)


@router.post("/rentals/{reference}/confirm", response_model=None)
def confirm(session: WriteSession, page: PageContext, reference: str, posted: PostedForm) -> Response:
    """Pay the time charge (and the deposit unless waived); the pick-up code is in this answer only."""
    if page.user is None:
        return redirect(sign_in_url(f"/rentals/{reference}"))
    user = page.user
    method = form_text(posted, "payment_method", 64) or None
    request = page.request

    def run() -> tuple[str, tuple[rentals.RentalView, str]]:
        outcome = rentals.confirm(
            session,
            user.user_id,
            reference,
            payment_method=method,
            payment_provider=request.app.state.integrations.payments,
            secret_key=app_secret(request),
            cipher=request.app.state.field_cipher,
            now=utcnow(),
        )
        return outcome[0].rental.reference, outcome

    rentals.get_own_rental(session, user.user_id, reference)  # 404 before any key is looked at
    try:
        done, outcome = once(
            session,
            user.user_id,
            form_text(posted, "idempotency_key", 128),
            f"/rentals/{reference}/confirm",
            {"payment_method": method},
            run,
            secret=app_secret(request),
        )
    except DomainError as exc:
        return render_rental(session, page, reference, status_code=exc.status, problem=Problem.of(exc))
    if outcome is None:  # a second submit of the same form: confirmed already, and the code is not kept
        return redirect(f"/rentals/{done}?notice=confirmed")
    return render_rental(session, page, done, pickup_code=outcome[1])
