"""Shopper subscription pages: /subscribe (the plan family at a store; class, start day, pick-up or delivery; the
credit check with its reasons, and the licence to verify first), /subscriptions (mine) and
/subscriptions/{reference} (the car now, history, km this period, invoices, and the changes offered). Swap, pause,
resume and notice are in `change_pages`.

Thin like the rental pages: parse the form, check who acts, call one subscriptions use case, render; every sentence
is in the templates, which turn a refusal's stable code into the page's language. Subscribing carries an
idempotency key in a hidden field, so a double submit replays the first outcome instead of subscribing twice.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from forecourt.backoffice.access import PostedForm, sign_in_url
from forecourt.core import dates
from forecourt.core.clock import utcnow
from forecourt.core.errors import DomainError, InvalidInput
from forecourt.core.http import DbSession, WriteSession
from forecourt.identity import service as identity
from forecourt.identity.providers import IdentityClaim
from forecourt.mobility.subscriptions import eligibility, subscriber, terms
from forecourt.mobility.subscriptions import service as subscriptions
from forecourt.testdrive.page_support import Problem, app_secret, form_text, here, redirect, render
from forecourt.testdrive.shopper_pages import DEMO_PAYMENT_METHODS, LICENCE_CLASSES
from forecourt.web.errors import PAGES_TAG
from forecourt.web.idempotent_forms import once
from forecourt.web.templating import Page, PageContext

router = APIRouter(tags=[PAGES_TAG], include_in_schema=False, default_response_class=HTMLResponse)

CHOICE_FIELDS = ("store", "mobility_class", "start", "handover", "payment_method")  # safe to carry in a URL
SUBSCRIBE_FIELDS = (*CHOICE_FIELDS, "delivery_address")
HANDOVERS = ("pickup", "delivery")
LICENCE_FIELDS = ("full_name", "id_number", "licence_expiry", "licence_class")


@dataclass
class SubscribeForm:
    """The subscribe form as typed, what is wrong with it (field → a key the template words), and the refusal."""

    offer: list[subscriber.StoreOffer]
    values: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)
    problem: Problem | None = None

    @property
    def status(self) -> int:
        return self.problem.status if self.problem else (422 if self.errors else 200)

    @property
    def place(self) -> subscriber.StoreOffer | None:
        return next((o for o in self.offer if o.store.code == self.values["store"]), None)


def _window(form: SubscribeForm) -> tuple[date, date] | None:
    place = form.place or (form.offer[0] if form.offer else None)
    return eligibility.start_window(place.store, utcnow()) if place else None


def read_subscribe_form(session: Session, source: Any) -> SubscribeForm:
    """Check every field at once, with the rules `subscriptions.subscribe` applies (the start window, the address)."""
    values = {name: form_text(source, name, 40) for name in CHOICE_FIELDS}
    values["delivery_address"] = form_text(source, "delivery_address", 400)
    form = SubscribeForm(subscriber.subscription_offer(session), values)
    errors, place = form.errors, form.place
    if place is None:
        errors["store"] = "store"
    elif place.plan(values["mobility_class"]) is None:
        errors["mobility_class"] = "mobility_class"
    start = dates.parse_day(values["start"])
    window = _window(form)
    if start is None:
        errors["start"] = "date"
    elif window and not window[0] <= start <= window[1]:
        errors["start"] = "start_window"
    if values["handover"] not in HANDOVERS:
        errors["handover"] = "handover"
    low, high = eligibility.ADDRESS_LENGTH
    if values["handover"] == "delivery" and not low <= len(values["delivery_address"]) <= high:
        errors["delivery_address"] = "delivery_address"
    if values["payment_method"] not in DEMO_PAYMENT_METHODS:
        errors["payment_method"] = "payment_method"
    return form


def _blank_form(session: Session, params: Any) -> SubscribeForm:
    """The form as a link or the store picker left it: the store's first class, tomorrow, pick-up, unless given."""
    form = SubscribeForm(subscriber.subscription_offer(session), {n: form_text(params, n, 40) for n in CHOICE_FIELDS})
    form.values["delivery_address"] = ""
    if form.offer and form.place is None:
        form.values["store"] = form.offer[0].store.code
    place = form.place
    if place and place.plan(form.values["mobility_class"]) is None:
        form.values["mobility_class"] = place.plans[0].mobility_class.code
    window = _window(form)
    if window and dates.parse_day(form.values["start"]) is None:
        form.values["start"] = min(window[0] + timedelta(days=1), window[1]).isoformat()
    if form.values["handover"] not in HANDOVERS:
        form.values["handover"] = "pickup"
    if form.values["payment_method"] not in DEMO_PAYMENT_METHODS:
        form.values["payment_method"] = DEMO_PAYMENT_METHODS[0]
    return form


def _render_subscribe(
    session: Session,
    page: Page,
    form: SubscribeForm,
    *,
    status_code: int | None = None,
    licence_errors: dict[str, str] | None = None,
    licence_form: dict[str, str] | None = None,
) -> HTMLResponse:
    decision, score, verification = None, None, None
    if page.user is not None:
        decision, score = eligibility.credit_check(session, page.user.user_id)
        verification = identity.get_verification(session, page.user.user_id)
    return render(
        page,
        "mobility/subscribe.html",
        status_code=status_code or form.status,
        form=form,
        window=_window(form),
        key=str(uuid.uuid4()),
        family=terms.FAMILY,
        decision=decision,
        score=score,
        verification=verification,
        choice={name: form.values[name] for name in CHOICE_FIELDS},
        methods=DEMO_PAYMENT_METHODS,
        classes=LICENCE_CLASSES,
        errors=licence_errors or {},
        licence=licence_form or {},
        notice=page.request.query_params.get("notice", "")[:20],
        nav="subscribe",
    )


@router.get("/subscribe")
def subscribe_form(session: DbSession, page: PageContext) -> HTMLResponse:
    """The plan family at the chosen store (the first by default) and the form to subscribe."""
    return _render_subscribe(session, page, _blank_form(session, page.request.query_params))


@router.post("/subscribe", response_model=None)
def subscribe(session: WriteSession, page: PageContext, posted: PostedForm) -> Response:
    """Subscribe with the credit check; then the subscription's page. Signed out: sign in, back to the choice."""
    if page.user is None:  # the address stays out of the URL: it is personal, and typed again in a moment
        return redirect(sign_in_url("/subscribe?" + urlencode({n: form_text(posted, n, 40) for n in CHOICE_FIELDS})))
    user = page.user
    form = read_subscribe_form(session, posted)
    if form.errors:
        return _render_subscribe(session, page, form)
    values = form.values
    handover = eligibility.Handover(values["delivery_address"] if values["handover"] == "delivery" else None)

    def run() -> tuple[str, str]:
        made = subscriptions.subscribe(
            session,
            subscriptions.Subscriber(user.user_id, user.email, user.mobile, page.lang),
            store_code=values["store"],
            class_code=values["mobility_class"],
            start_day=date.fromisoformat(values["start"]),
            payment_method=values["payment_method"],
            now=utcnow(),
            handover=handover,
            cipher=page.request.app.state.field_cipher,
        )
        return made.reference, made.reference

    try:
        reference, _ = once(
            session,
            user.user_id,
            form_text(posted, "idempotency_key", 128),
            "/subscribe",
            dict(values),
            run,
            secret=app_secret(page.request),
        )
    except DomainError as exc:
        form.problem = Problem.of(exc)
        return _render_subscribe(session, page, form)
    return redirect(f"/subscriptions/{reference}?notice=subscribed")


@router.post("/subscribe/verify", response_model=None)
def verify(session: DbSession, page: PageContext, posted: PostedForm) -> Response:
    """Verify (or replace) the driving licence the credit check reads; a check the provider refuses is recorded too.
    Back to the same choice of plan."""
    choice = {n: form_text(posted, n, 40) for n in CHOICE_FIELDS}
    if page.user is None:
        return redirect(sign_in_url("/subscribe?" + urlencode(choice)))
    licence = {name: form_text(posted, name, 40) for name in LICENCE_FIELDS}
    errors: dict[str, str] = {}
    if not 2 <= len(licence["full_name"]) <= 40:
        errors["full_name"] = "name"
    if not 15 <= len(licence["id_number"]) <= 22:
        errors["id_number"] = "id_number"
    expiry = dates.parse_day(licence["licence_expiry"])
    if expiry is None:
        errors["licence_expiry"] = "expiry"
    if licence["licence_class"] not in LICENCE_CLASSES:
        errors["licence_class"] = "class"
    if not errors:
        integrations = page.request.app.state.integrations
        claim = IdentityClaim(licence["full_name"], licence["id_number"], expiry, licence["licence_class"])
        try:
            checked = identity.verify_driver(
                session,
                page.user.user_id,
                claim,
                identity=integrations.identity,
                credit=integrations.credit,
                secret_key=app_secret(page.request),
                cipher=page.request.app.state.field_cipher,
                today=utcnow().date(),
            )
        except InvalidInput as exc:
            errors["id_number"] = "id_number" if exc.code == "id_number_invalid" else "refused"
        else:
            if checked.verified:
                return redirect("/subscribe?" + urlencode({**choice, "notice": "verified"}))
    licence["id_number"] = ""  # never echoed back
    form = _blank_form(session, choice)
    return _render_subscribe(session, page, form, status_code=422, licence_errors=errors, licence_form=licence)


@router.get("/subscriptions", response_model=None)
def my_subscriptions(session: DbSession, page: PageContext) -> Response:
    if page.user is None:
        return redirect(sign_in_url(here(page.request)))
    return render(
        page,
        "mobility/subscriptions.html",
        views=subscriber.my_subscriptions(
            session, page.user.user_id, cipher=page.request.app.state.field_cipher, now=utcnow()
        ),
        nav="subscriptions",
    )


def render_subscription(
    session: Session,
    page: Page,
    reference: str,
    *,
    status_code: int = 200,
    problem: Problem | None = None,
    typed: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
) -> HTMLResponse:
    assert page.user is not None
    view = subscriber.subscriber_view(
        session, page.user.user_id, reference, cipher=page.request.app.state.field_cipher, now=utcnow()
    )
    return render(
        page,
        "mobility/subscription.html",
        status_code=status_code,
        view=view,
        sub=view.subscription,
        family=terms.FAMILY,
        problem=problem,
        typed=typed or {},
        errors=errors or {},
        key=str(uuid.uuid4()),
        notice=page.request.query_params.get("notice", "")[:20],
        nav="subscriptions",
    )


@router.get("/subscriptions/{reference}", response_model=None)
def subscription_page(session: DbSession, page: PageContext, reference: str) -> Response:
    if page.user is None:
        return redirect(sign_in_url(here(page.request)))
    return render_subscription(session, page, reference)
