"""Shopper test-drive pages (/test-drives/...): pick a slot and hold it, verify the driver, confirm, the calendar
invite, my drives, cancel and reschedule.

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
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from forecourt.backoffice.access import PostedForm, sign_in_url
from forecourt.catalog import service as catalog
from forecourt.catalog.models import Store, Vehicle
from forecourt.core import idempotency
from forecourt.core.clock import utcnow
from forecourt.core.errors import DomainError, InvalidInput, NotFound
from forecourt.core.http import DbSession, WriteSession
from forecourt.identity import service as identity
from forecourt.identity.providers import IdentityClaim
from forecourt.testdrive import finder, lifecycle, notifications
from forecourt.testdrive import service as bookings
from forecourt.testdrive.availability import DriveKind, Slot
from forecourt.testdrive.models import BookingStatus, TestDriveBooking
from forecourt.testdrive.page_support import (T, Drive, Problem, app_secret, attempt, form_text, here, load_drive,
                                              local_today, parse_day, redirect, render, to_int, to_local)  # fmt: skip
from forecourt.web.errors import PAGES_TAG
from forecourt.web.templating import Page, PageContext

router = APIRouter(tags=[PAGES_TAG], include_in_schema=False, default_response_class=HTMLResponse)

DEFAULT_DAYS_SHOWN = 14
MAX_DAYS_SHOWN = 31
ACCOMPANIED_MINUTES = (30, 60)
SELF_SERVICE_DAYS = (1, 2, 3)
LICENCE_CLASSES = ("A1", "A2", "A3", "B1", "B2", "C1", "C2")
DEMO_PAYMENT_METHODS = ("demo-card-ok", "demo-card-declined")
LIVE = (BookingStatus.HELD.value, BookingStatus.CONFIRMED.value)


def _once(session: Session, user_id: int, key: str, path: str, payload: dict[str, Any],
          run: Callable[[], tuple[str, T]]) -> tuple[str, T | None]:  # fmt: skip
    """Run `run` once per idempotency key (a hidden field of the form). A second submit of the same form gets
    the first outcome's booking reference and None (the first answer's one-time secrets are not kept)."""
    key = idempotency.check_key(key)
    with session.begin_nested():
        claimed = idempotency.begin(session, f"user:{user_id}", key, idempotency.fingerprint("POST", path, payload))
        if isinstance(claimed, idempotency.Replay):
            return str((claimed.body or {}).get("reference", "")), None
        reference, result = run()
        idempotency.finish(session, claimed, 303, {"reference": reference})
    return reference, result


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else ""

# --- storefront: pick a slot -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DaySlots:
    day: date
    slots: list[Slot]


@dataclass(frozen=True)
class StoreChoice:
    store: Store
    cars: int
    days: list[DaySlots]


@dataclass
class SlotSearch:
    """What the slot picker shows: the car or model, the drive asked for and the free slots per store."""

    vin: str = ""
    model: str = ""
    city: str = ""
    store: str = ""
    kind: str = DriveKind.ACCOMPANIED.value
    minutes: int = 60
    days: int = 1
    first_day: date = date.min
    last_day: date = date.min
    offered: list[str] = field(default_factory=list)
    vehicle: Vehicle | None = None
    model_row: Any = None
    stores: list[StoreChoice] = field(default_factory=list)
    problem: Problem | None = None

    def query_args(self, **changes: Any) -> str:
        args = {"vin": self.vin, "model": self.model, "city": self.city, "store": self.store, "kind": self.kind,
                "minutes": self.minutes if self.kind == DriveKind.ACCOMPANIED.value else "",
                "days": self.days if self.kind == DriveKind.SELF_SERVICE.value else "",
                "from": self.first_day.isoformat(), "to": self.last_day.isoformat()}  # fmt: skip
        args.update(changes)
        return urlencode({k: v for k, v in args.items() if v not in ("", None)})


def _by_day(slots: Sequence[Slot], zone: str) -> list[DaySlots]:
    grouped: dict[date, list[Slot]] = {}
    for slot in slots:
        grouped.setdefault(to_local(slot.start, zone).date(), []).append(slot)
    return [DaySlots(day, grouped[day]) for day in sorted(grouped)]


def _slot_search(session: Session, request: Request, params: Any, *, fixed_kind: str | None = None) -> SlotSearch:
    """Free slots for the asked car; without an explicit kind, accompanied first, else what the store offers."""
    search = SlotSearch(vin=str(params.get("vin", "")).strip().upper()[:17], model=str(params.get("model", "")).strip()[:40],
                        city=str(params.get("city", "")).strip()[:40], store=str(params.get("store", "")).strip()[:40])  # fmt: skip
    if search.vin:
        search.vehicle = catalog.get_vehicle(session, search.vin)  # unknown VIN: the translated 404 page
        search.model_row = search.vehicle.model
    elif search.model:
        search.model_row = catalog.get_model(session, search.model)
    zone = search.vehicle.store.time_zone if search.vehicle else None
    today = local_today(request, zone)
    search.first_day = max(parse_day(params.get("from"), today), today)
    search.last_day = parse_day(params.get("to"), search.first_day + timedelta(days=DEFAULT_DAYS_SHOWN - 1))
    if search.last_day < search.first_day or (search.last_day - search.first_day).days >= MAX_DAYS_SHOWN:
        search.last_day = search.first_day + timedelta(days=DEFAULT_DAYS_SHOWN - 1)
    minutes = to_int(params.get("minutes"), 60)
    search.minutes = minutes if minutes in ACCOMPANIED_MINUTES else 60
    days = to_int(params.get("days"), 1)
    search.days = days if days in SELF_SERVICE_DAYS else 1
    asked = fixed_kind or str(params.get("kind", ""))
    if not (search.vin or (search.model and (search.city or search.store))):
        search.problem = Problem("vehicle_not_specified", 422, "Say which car: a vin, or a model and a city")
        return search
    found: dict[str, list[finder.StoreSlots]] = {}
    for kind in DriveKind:
        if fixed_kind and kind.value != fixed_kind:
            continue
        query = finder.SlotQuery(kind=kind, first_day=search.first_day, last_day=search.last_day,
                                 minutes=search.minutes, days=search.days, vin=search.vin or None,
                                 model_code=None if search.vin else search.model, store_code=search.store or None,
                                 city_code=None if search.vin or search.store else search.city or None)  # fmt: skip
        try:
            found[kind.value] = finder.find_slots(session, query, utcnow())
        except DomainError as exc:
            search.problem = Problem.of(exc)
            return search
    search.offered = [kind for kind, stores in found.items() if stores]
    search.kind = asked if asked in search.offered else (search.offered[0] if search.offered else (asked or DriveKind.ACCOMPANIED.value))
    search.stores = [StoreChoice(r.store, len(r.vehicles), _by_day(r.slots, r.store.time_zone))
                     for r in found.get(search.kind, [])]  # fmt: skip
    return search


@router.get("/test-drives/book")
def book_form(session: DbSession, page: PageContext) -> HTMLResponse:
    search = _slot_search(session, page.request, page.request.query_params)
    status = search.problem.status if search.problem else 200
    return render(page, "testdrive/book.html", status_code=status, search=search, key=str(uuid.uuid4()),
                  nav="test-drives")  # fmt: skip


@router.post("/test-drives/book", response_model=None)
def book(session: WriteSession, page: PageContext, posted: PostedForm) -> Response:
    """Hold a car for the chosen slot (the button's value), then go to the hold page."""
    search = SlotSearch(vin=form_text(posted, "vin", 17).upper(), model=form_text(posted, "model", 40),
                        city=form_text(posted, "city", 40), store=form_text(posted, "store", 40),
                        kind=form_text(posted, "kind", 20),
                        minutes=to_int(posted.get("minutes"), 60) or 60, days=to_int(posted.get("days"), 1) or 1,
                        first_day=parse_day(form_text(posted, "from", 10), date.min),
                        last_day=parse_day(form_text(posted, "to", 10), date.min))  # fmt: skip
    shown = {"from": form_text(posted, "from", 10), "to": form_text(posted, "to", 10)}
    back = "/test-drives/book?" + search.query_args(**shown)
    if page.user is None:  # sent to sign in, and back to the same choice of times
        return redirect(sign_in_url(back))
    user = page.user
    try:
        kind = DriveKind(search.kind)
        start = datetime.fromisoformat(form_text(posted, "start", 40))
        if start.tzinfo is None:
            raise ValueError("naive")
    except ValueError:
        return _book_again(session, page, posted, Problem("slot_not_offered", 422, "Pick one of the listed times"))
    drive = bookings.DriveRequest(kind=kind, start=start, minutes=search.minutes, days=search.days,
                                  vin=search.vin or None, model_code=None if search.vin else search.model or None,
                                  store_code=None if search.vin else search.store or None)  # fmt: skip
    shopper = bookings.Shopper(user.user_id, user.email, user.mobile, page.lang)
    payload = {"kind": kind.value, "start": start.isoformat(), "minutes": search.minutes, "days": search.days,
               "vin": search.vin, "model": search.model, "store": search.store}  # fmt: skip

    def run() -> tuple[str, TestDriveBooking]:
        booking = bookings.hold(session, shopper, drive, ip=_client_ip(page.request), now=utcnow())
        return booking.reference, booking

    try:
        reference, _ = _once(session, user.user_id, form_text(posted, "idempotency_key", 128), "/test-drives/book",
                             payload, run)  # fmt: skip
    except DomainError as exc:
        return _book_again(session, page, posted, Problem.of(exc))
    return redirect(f"/test-drives/{reference}")


def _book_again(session: Session, page: Page, posted: Any, problem: Problem) -> HTMLResponse:
    """The slot picker again, with fresh slots and why the choice was refused."""
    search = _slot_search(session, page.request, posted)
    search.problem = problem
    return render(page, "testdrive/book.html", status_code=problem.status, search=search, key=str(uuid.uuid4()),
                  nav="test-drives")  # fmt: skip


# --- storefront: my drives, the hold, verification, confirmation ------------------------------------------------


@router.get("/test-drives", response_model=None)
def my_drives(session: DbSession, page: PageContext) -> Response:
    if page.user is None:
        return redirect(sign_in_url(here(page.request)))
    drives = [load_drive(session, b) for b in bookings.list_my_bookings(session, page.user.user_id)]
    return render(page, "testdrive/mine.html", drives=drives, now=utcnow(), live=LIVE, nav="test-drives",
                  cancelled=page.request.query_params.get("cancelled", "")[:12])  # fmt: skip


@dataclass
class HoldView:
    drive: Drive
    verification: Any
    deposit: Any  # DepositDecision, once the driver is verified
    seconds_left: int
    minutes_left: int


def _hold_view(session: Session, user_id: int, reference: str) -> HoldView:
    drive = load_drive(session, bookings.get_own_booking(session, user_id, reference))
    verification = identity.get_verification(session, user_id)
    booking = drive.booking
    deposit = None
    if booking.status == BookingStatus.HELD.value and verification is not None and verification.verified:
        deposit = lifecycle.deposit_for(session, booking)
    seconds = 0
    if booking.status == BookingStatus.HELD.value and booking.hold_expires_at:
        seconds = max(0, int((booking.hold_expires_at - utcnow()).total_seconds()))
    return HoldView(drive, verification, deposit, seconds, math.ceil(seconds / 60))


def _render_hold(session: Session, page: Page, reference: str, *, status_code: int = 200, problem: Problem | None = None,
                 errors: dict[str, str] | None = None, form: dict[str, str] | None = None) -> HTMLResponse:  # fmt: skip
    assert page.user is not None
    view = _hold_view(session, page.user.user_id, reference)
    params = page.request.query_params
    return render(page, "testdrive/hold.html", status_code=status_code, view=view, problem=problem,
                  errors=errors or {}, form=form or {}, key=str(uuid.uuid4()), classes=LICENCE_CLASSES,
                  methods=DEMO_PAYMENT_METHODS, nav="test-drives", notice=params.get("notice", "")[:20])  # fmt: skip


@router.get("/test-drives/{reference}", response_model=None)
def hold_page(session: DbSession, page: PageContext, reference: str) -> Response:
    if page.user is None:
        return redirect(sign_in_url(here(page.request)))
    return _render_hold(session, page, reference)


@router.post("/test-drives/{reference}/verify", response_model=None)
def verify(session: DbSession, page: PageContext, reference: str, posted: PostedForm) -> Response:
    """Check the driving licence; a refused check is recorded too (the answer commits), then shown."""
    if page.user is None:
        return redirect(sign_in_url(f"/test-drives/{reference}"))
    user = page.user
    bookings.get_own_booking(session, user.user_id, reference)  # someone else's reference: 404
    form = {name: form_text(posted, name, 40) for name in ("full_name", "id_number", "licence_expiry", "licence_class")}
    errors: dict[str, str] = {}
    if not 2 <= len(form["full_name"]) <= 40:
        errors["full_name"] = "name"
    if not 15 <= len(form["id_number"]) <= 22:
        errors["id_number"] = "id_number"
    try:
        expiry = date.fromisoformat(form["licence_expiry"])
    except ValueError:
        errors["licence_expiry"] = "expiry"
    if form["licence_class"] not in LICENCE_CLASSES:
        errors["licence_class"] = "class"
    if not errors:
        integrations = page.request.app.state.integrations
        claim = IdentityClaim(form["full_name"], form["id_number"], expiry, form["licence_class"])
        try:
            checked = identity.verify_driver(session, user.user_id, claim, identity=integrations.identity,
                                             credit=integrations.credit, secret_key=app_secret(page.request),
                                             today=utcnow().date())  # fmt: skip
        except InvalidInput as exc:
            errors["id_number"] = "id_number" if exc.code == "id_number_invalid" else "refused"
        else:
            if checked.verified:
                return redirect(f"/test-drives/{reference}?notice=verified")
    form["id_number"] = ""  # never echoed back
    return _render_hold(session, page, reference, status_code=422, errors=errors, form=form)


@router.post("/test-drives/{reference}/confirm", response_model=None)
def confirm(session: WriteSession, page: PageContext, reference: str, posted: PostedForm) -> Response:
    """Confirm the hold: deposit or waiver. The pick-up code of a self-service drive is in this answer only."""
    if page.user is None:
        return redirect(sign_in_url(f"/test-drives/{reference}"))
    user = page.user
    method = form_text(posted, "payment_method", 64) or None
    request = page.request

    def run() -> tuple[str, lifecycle.Confirmation]:
        outcome = lifecycle.confirm(session, user.user_id, reference, payment_method=method,
                                    payment_provider=request.app.state.integrations.payments,
                                    secret_key=app_secret(request), now=utcnow())  # fmt: skip
        return outcome.booking.reference, outcome

    try:
        done, outcome = _once(session, user.user_id, form_text(posted, "idempotency_key", 128),
                              f"/test-drives/{reference}/confirm", {"payment_method": method}, run)  # fmt: skip
    except DomainError as exc:
        return _render_hold(session, page, reference, status_code=exc.status, problem=Problem.of(exc))
    if outcome is None:  # a second submit of the same form: the drive is confirmed already
        return redirect(f"/test-drives/{done}?notice=confirmed")
    return render(page, "testdrive/confirmed.html", drive=load_drive(session, outcome.booking),
                  pickup_code=outcome.pickup_code, nav="test-drives")  # fmt: skip


@router.get("/test-drives/{reference}/invite.ics", response_model=None)
def invite(session: DbSession, page: PageContext, reference: str) -> Response:
    if page.user is None:
        return redirect(sign_in_url(here(page.request)))
    drive = load_drive(session, bookings.get_own_booking(session, page.user.user_id, reference))
    if drive.booking.status == BookingStatus.HELD.value:
        raise NotFound("A hold has no calendar entry yet; confirm it first", code="booking_not_found")
    body = notifications.calendar_invite(drive.booking, drive.vehicle,
                                         cancelled=drive.booking.status == BookingStatus.CANCELLED.value)  # fmt: skip
    return Response(body, media_type="text/calendar; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="{drive.booking.reference}.ics"', "Cache-Control": "no-store"})


# --- storefront: cancel and reschedule ----------------------------------------------------------------------------


def _render_cancel(session: Session, page: Page, reference: str, *, status_code: int = 200,
                   problem: Problem | None = None) -> HTMLResponse:  # fmt: skip
    assert page.user is not None
    drive = load_drive(session, bookings.get_own_booking(session, page.user.user_id, reference))
    cancellable = drive.booking.status in LIVE
    refund = lifecycle.cancellation_preview(session, drive.booking, utcnow())  # shown before they confirm the cancel
    return render(page, "testdrive/cancel.html", status_code=status_code, drive=drive, refund=refund,
                  cancellable=cancellable, problem=problem, nav="test-drives")  # fmt: skip


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
    try:
        attempt(session, lambda: lifecycle.cancel(session, booking.reference, actor_user_id=user.user_id,
                                                  by_store=False, reason=form_text(posted, "reason"),
                                                  payment_provider=provider, now=utcnow()))  # fmt: skip
    except DomainError as exc:
        return _render_cancel(session, page, reference, status_code=exc.status, problem=Problem.of(exc))
    return redirect(f"/test-drives?cancelled={booking.reference}")


def _drive_length(booking: TestDriveBooking) -> tuple[int, int]:
    length = booking.ends_at - booking.starts_at
    return int(length.total_seconds() // 60), max(1, round(length / timedelta(days=1)))


def _render_reschedule(session: Session, page: Page, reference: str, params: Any, *, status_code: int = 200,
                       problem: Problem | None = None) -> HTMLResponse:  # fmt: skip
    assert page.user is not None
    drive = load_drive(session, bookings.get_own_booking(session, page.user.user_id, reference))
    minutes, days = _drive_length(drive.booking)
    asked = {"model": drive.vehicle.model.code, "store": drive.store.code, "minutes": str(minutes), "days": str(days),
             "from": params.get("from", ""), "to": params.get("to", "")}  # fmt: skip
    search = _slot_search(session, page.request, asked, fixed_kind=drive.booking.kind)
    search.minutes, search.days = minutes, days
    if problem is not None:
        search.problem = problem
    status = status_code if status_code != 200 else (search.problem.status if search.problem else 200)
    return render(page, "testdrive/reschedule.html", status_code=status, drive=drive, search=search,
                  movable=drive.booking.status in LIVE, nav="test-drives")  # fmt: skip


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
    try:
        start = datetime.fromisoformat(form_text(posted, "start", 40))
        if start.tzinfo is None:
            raise ValueError("naive")
    except ValueError:
        problem = Problem("slot_not_offered", 422, "Pick one of the listed times")
        return _render_reschedule(session, page, reference, posted, status_code=422, problem=problem)
    try:
        moved = attempt(session, lambda: lifecycle.reschedule(session, user.user_id, reference, start, now=utcnow()))
    except DomainError as exc:
        return _render_reschedule(session, page, reference, posted, status_code=exc.status, problem=Problem.of(exc))
    return redirect(f"/test-drives/{moved.reference}?notice=moved")
