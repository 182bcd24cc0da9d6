"""Order pages. Shopper: `/orders/new?quote=REF` (summary, deposit, refund terms, demo payment methods, reserve),
`/orders/{reference}` (status; the refund a cancel would give, then the cancel button), `/orders` (mine).
Back office: `/backoffice/orders?store=` (a store's orders) and `/backoffice/orders/{reference}` with confirm,
complete and cancel.

Thin like the other page modules: check who acts, call one `finance.orders` function, render; every text is in
the templates (`finance/order_macros.html` turns a refusal's stable code into a sentence in the page's language).
Writes take `WriteSession` first (BEGIN IMMEDIATE on SQLite) and run the use case in a savepoint, so a refused
attempt leaves nothing behind. The reserve form carries an idempotency key: a double submit replays the first
outcome (the same order) instead of reserving twice.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from forecourt.backoffice.access import NotAllowed, PostedForm, StaffUser, sign_in_url, store_scope
from forecourt.catalog import service as catalog
from forecourt.catalog.models import Vehicle
from forecourt.core.clock import utcnow
from forecourt.core.errors import DomainError, Forbidden
from forecourt.core.http import DbSession, WriteSession
from forecourt.finance.models import CreditApplication, Order, OrderStatus, Quote
from forecourt.finance.orders import cancellation, reservation
from forecourt.finance.orders import lookups as order_lookups
from forecourt.finance.orders import service as orders
from forecourt.finance.orders.rules import DEFAULT_TERMS, RefundDecision, cooling_off_ends
from forecourt.web.errors import PAGES_TAG
from forecourt.web.idempotent_forms import once
from forecourt.web.page_helpers import Problem, app_secret, attempt, form_text, here, redirect, render_personal
from forecourt.web.templating import Page, PageContext

router = APIRouter(tags=[PAGES_TAG], include_in_schema=False, default_response_class=HTMLResponse)

DEMO_PAYMENT_METHODS = ("demo-card-ok", "demo-wallet-ok", "demo-card-declined")
NEW_ORDER_PATH = "/orders/new"


@dataclass(frozen=True)
class OrderView:
    """An order with its car, quote and credit application, as the templates show it."""

    order: Order
    vehicle: Vehicle
    quote: Quote | None
    application: CreditApplication | None
    refund: RefundDecision | None  # what a cancel now would give back (None: no longer cancellable)
    confirmable: bool = False  # whether staff may confirm it now (orders.confirm_refusal: the rule confirm applies)

    @property
    def financed(self) -> bool:
        return order_lookups.is_financed(self.order.product)


def _view(session: Session, order: Order, *, by_store: bool = False) -> OrderView:
    return OrderView(
        order,
        catalog.get_vehicle_by_id(session, order.vehicle_id),
        order_lookups.quote_of(session, order),
        order_lookups.application_of(session, order),
        cancellation.cancellation_preview(session, order, utcnow(), by_store=by_store),
        confirmable=by_store and orders.confirm_refusal(session, order) is None,
    )


def _render(page: Page, template: str, *, status_code: int = 200, **context: Any) -> HTMLResponse:
    return render_personal(
        page, template, status_code=status_code, terms=DEFAULT_TERMS, cooling_off_ends=cooling_off_ends, **context
    )


# --- storefront: reserve --------------------------------------------------------------------------------------------


def _render_new(
    session: Session,
    page: Page,
    quote_reference: str,
    *,
    status_code: int = 200,
    problem: Problem | None = None,
    method: str = "",
) -> HTMLResponse:
    assert page.user is not None
    check = None
    if quote_reference:
        try:
            check = reservation.reservable_quote(session, page.user.user_id, quote_reference, utcnow())
        except DomainError as exc:
            if problem is None:
                problem, status_code = Problem.of(exc), exc.status
    elif problem is None:
        problem, status_code = Problem("quote_not_found", 404, "Choose a quote first"), 404
    return _render(
        page,
        "finance/order_new.html",
        status_code=status_code,
        check=check,
        problem=problem,
        quote_reference=quote_reference,
        key=str(uuid.uuid4()),
        methods=DEMO_PAYMENT_METHODS,
        chosen_method=method or DEMO_PAYMENT_METHODS[0],
        financed=order_lookups.is_financed,
    )


@router.get(NEW_ORDER_PATH, response_model=None)
def new_order(session: DbSession, page: PageContext) -> Response:
    if page.user is None:
        return redirect(sign_in_url(here(page.request)))
    return _render_new(session, page, page.request.query_params.get("quote", "").strip()[:12])


@router.post(NEW_ORDER_PATH, response_model=None)
def reserve(session: WriteSession, page: PageContext, posted: PostedForm) -> Response:
    quote_reference = form_text(posted, "quote", 12)
    if page.user is None:
        return redirect(sign_in_url(f"{NEW_ORDER_PATH}?quote={quote_reference}"))
    user = page.user
    method = form_text(posted, "payment_method", 64)
    provider = page.request.app.state.integrations.payments

    def run() -> tuple[str, None]:
        order = reservation.reserve(session, user.user_id, quote_reference, method, utcnow(), payment_provider=provider)
        return order.reference, None

    try:
        reference, _ = once(
            session,
            user.user_id,
            form_text(posted, "idempotency_key", 128),
            NEW_ORDER_PATH,
            {"quote": quote_reference, "payment_method": method},
            run,
            secret=app_secret(page.request),
        )
    except DomainError as exc:
        return _render_new(
            session, page, quote_reference, status_code=exc.status, problem=Problem.of(exc), method=method
        )
    return redirect(f"/orders/{reference}?notice=reserved")


# --- storefront: my orders, one order, cancel ----------------------------------------------------------------------


@router.get("/orders", response_model=None)
def my_orders(session: DbSession, page: PageContext) -> Response:
    if page.user is None:
        return redirect(sign_in_url(here(page.request)))
    views = [_view(session, o) for o in order_lookups.list_my_orders(session, page.user.user_id)]
    return _render(page, "finance/orders.html", views=views, nav="orders")


def _render_order(
    session: Session, page: Page, reference: str, *, status_code: int = 200, problem: Problem | None = None
) -> HTMLResponse:
    assert page.user is not None
    view = _view(session, order_lookups.get_own_order(session, page.user.user_id, reference))
    return _render(
        page,
        "finance/order.html",
        status_code=status_code,
        view=view,
        problem=problem,
        nav="orders",
        notice=page.request.query_params.get("notice", "")[:20],
    )


@router.get("/orders/{reference}", response_model=None)
def order_page(session: DbSession, page: PageContext, reference: str) -> Response:
    if page.user is None:
        return redirect(sign_in_url(here(page.request)))
    return _render_order(session, page, reference)


@router.post("/orders/{reference}/cancel", response_model=None)
def cancel(session: WriteSession, page: PageContext, reference: str, posted: PostedForm) -> Response:
    if page.user is None:
        return redirect(sign_in_url(f"/orders/{reference}"))
    user = page.user
    order = order_lookups.get_own_order(session, user.user_id, reference)  # someone else's reference: 404
    provider = page.request.app.state.integrations.payments
    try:
        attempt(
            session,
            lambda: cancellation.cancel(
                session,
                order.reference,
                user.user_id,
                False,
                form_text(posted, "reason"),
                utcnow(),
                payment_provider=provider,
            ),
        )
    except DomainError as exc:
        return _render_order(session, page, reference, status_code=exc.status, problem=Problem.of(exc))
    return redirect(f"/orders/{order.reference}?notice=cancelled")


# --- back office ------------------------------------------------------------------------------------------------------


def _staff_order(session: Session, user: Any, reference: str) -> Order:
    try:
        return order_lookups.get_store_order(session, reference, store_scope(user))
    except Forbidden as exc:
        raise NotAllowed() from exc


@router.get("/backoffice/orders")
def backoffice_orders(session: DbSession, page: PageContext, user: StaffUser) -> HTMLResponse:
    params = page.request.query_params
    stores = catalog.list_managed_stores(session, store_scope(user))
    chosen_store = params.get("store", "").strip()[:40]
    chosen_status = params.get("status", "").strip()[:20]
    store_ids = None if store_scope(user) is None else [s.id for s in stores]
    if chosen_store:
        store = next((s for s in stores if s.code == chosen_store), None)
        if store is None:  # another store's code, or no such store
            raise NotAllowed()
        store_ids = [store.id]
    statuses = [chosen_status] if chosen_status in {s.value for s in OrderStatus} else []
    views = [_view(session, o, by_store=True) for o in order_lookups.list_store_orders(session, store_ids, statuses)]
    return _render(
        page,
        "finance/order_bo_list.html",
        views=views,
        stores=stores,
        chosen_store=chosen_store,
        chosen_status=chosen_status if statuses else "",
        statuses=list(OrderStatus),
        section="orders",
    )


def _render_staff_order(
    session: Session, page: Page, user: Any, reference: str, *, status_code: int = 200, problem: Problem | None = None
) -> HTMLResponse:
    view = _view(session, _staff_order(session, user, reference), by_store=True)
    return _render(
        page,
        "finance/order_bo.html",
        status_code=status_code,
        view=view,
        problem=problem,
        done=page.request.query_params.get("done", "")[:20],
        section="orders",
    )


@router.get("/backoffice/orders/{reference}")
def backoffice_order(session: DbSession, page: PageContext, user: StaffUser, reference: str) -> HTMLResponse:
    return _render_staff_order(session, page, user, reference)


def _staff_action(
    session: Session, page: Page, user: Any, reference: str, done: str, run: Callable[[Order], object]
) -> Response:
    order = _staff_order(session, user, reference)
    try:
        attempt(session, lambda: run(order))
    except DomainError as exc:
        return _render_staff_order(session, page, user, reference, status_code=exc.status, problem=Problem.of(exc))
    return redirect(f"/backoffice/orders/{order.reference}?done={done}")


@router.post("/backoffice/orders/{reference}/confirm", response_model=None)
def backoffice_confirm(session: WriteSession, page: PageContext, user: StaffUser, reference: str) -> Response:
    return _staff_action(
        session,
        page,
        user,
        reference,
        "confirmed",
        lambda order: orders.confirm(
            session, order.reference, user.user_id, allowed_store_ids=store_scope(user), now=utcnow()
        ),
    )


@router.post("/backoffice/orders/{reference}/complete", response_model=None)
def backoffice_complete(session: WriteSession, page: PageContext, user: StaffUser, reference: str) -> Response:
    return _staff_action(
        session,
        page,
        user,
        reference,
        "completed",
        lambda order: orders.complete(
            session, order.reference, user.user_id, allowed_store_ids=store_scope(user), now=utcnow()
        ),
    )


@router.post("/backoffice/orders/{reference}/cancel", response_model=None)
def backoffice_cancel(
    session: WriteSession, page: PageContext, user: StaffUser, reference: str, posted: PostedForm
) -> Response:
    provider = page.request.app.state.integrations.payments
    return _staff_action(
        session,
        page,
        user,
        reference,
        "cancelled",
        lambda order: cancellation.cancel(
            session,
            order.reference,
            user.user_id,
            True,
            form_text(posted, "reason"),
            utcnow(),
            payment_provider=provider,
        ),
    )
