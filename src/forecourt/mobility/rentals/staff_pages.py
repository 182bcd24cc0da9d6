"""Back-office rental page (/backoffice/rentals): the rentals of the stores a staff member manages, today's pick-ups
and returns first and overdue cars (out past their end) on top, each with its hand-over form: check-out with the
renter's pick-up code and the readings (filled in from the car's own report when it sent one), check-in with the
readings (left empty: the car's own) and any damage charge.

Thin like `testdrive.staff_pages`: check the store scope, call one rentals handover function, render; refusals are
shown on the page beside the rental they concern. A check-out runs without a savepoint, as in the API: a wrong
pick-up code's failure count must be kept with the refusal.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from forecourt.backoffice.access import NotAllowed, PostedForm, StaffUser, store_scope
from forecourt.core.clock import utcnow
from forecourt.core.errors import DomainError
from forecourt.core.http import DbSession, WriteSession
from forecourt.mobility.models import Rental
from forecourt.mobility.rentals import handover
from forecourt.mobility.rentals import service as rentals
from forecourt.mobility.rentals.service import RentalView
from forecourt.telematics import query_service as telemetry
from forecourt.testdrive.handover import Reading
from forecourt.testdrive.page_support import Problem, app_secret, attempt, form_text, redirect, render, to_int
from forecourt.web.errors import PAGES_TAG
from forecourt.web.templating import Page, PageContext

router = APIRouter(tags=[PAGES_TAG], include_in_schema=False, default_response_class=HTMLResponse)
DESK = "/backoffice/rentals"
LIVE = ("held", "confirmed", "in_progress")


@dataclass(frozen=True)
class DeskRental:
    """One rental on the desk's list: what today holds for it, and the car's own reading for the check-out form."""

    shown: RentalView
    today: bool  # picked up or returned today, in the store's local time
    overdue: bool  # out past its end
    car_reading: Any  # telematics CarReading, or None

    @property
    def zone(self) -> str:
        return self.shown.store.time_zone

    @property
    def order(self) -> tuple[int, datetime]:
        live = self.shown.status in LIVE
        rank = 0 if self.overdue else 1 if self.today and live else 2 if live else 3
        return rank, self.shown.reservation.starts_at


def _desk(session: Session, scope: frozenset[int] | None, now: datetime) -> list[DeskRental]:
    listed = []
    for shown in rentals.store_rentals(session, None if scope is None else sorted(scope), now=now):
        zone = ZoneInfo(shown.store.time_zone)
        today = now.astimezone(zone).date()
        held = shown.reservation
        days = {held.starts_at.astimezone(zone).date(), held.ends_at.astimezone(zone).date()}
        reading = telemetry.car_reading(session, held.vehicle_id) if shown.status == "confirmed" else None
        overdue = shown.status == "in_progress" and held.ends_at < now
        listed.append(DeskRental(shown, today in days, overdue, reading))
    return sorted(listed, key=lambda entry: entry.order)


def _render_desk(
    session: Session,
    page: Page,
    user: Any,
    *,
    status_code: int = 200,
    problem: Problem | None = None,
    reference: str = "",
    which: str = "",
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
) -> HTMLResponse:
    params = page.request.query_params
    return render(
        page,
        "mobility/bo_rentals.html",
        status_code=status_code,
        desk=_desk(session, store_scope(user), utcnow()),
        problem=problem,
        reference=reference,
        which=which,
        errors=errors or {},
        form=form or {},
        done=params.get("done", "")[:20],
        done_reference=params.get("rental", "")[:12],
        section="rentals",
    )


@router.get(DESK)
def desk(session: DbSession, page: PageContext, user: StaffUser) -> HTMLResponse:
    return _render_desk(session, page, user)


def _staff_rental(session: Session, user: Any, reference: str) -> Rental:
    rental = rentals.get_rental(session, reference)  # none: 404
    scope = store_scope(user)
    if scope is not None and rental.store_id not in scope:
        raise NotAllowed()
    return rental


def _reading(posted: Any, *, required: bool) -> tuple[Reading | None, dict[str, str], dict[str, str]]:
    """The readings typed (both, or for a check-in neither: the car's own), with each bad field named."""
    form = {name: form_text(posted, name, 2000) for name in ("odometer_km", "energy_percent", "damage_notes")}
    errors: dict[str, str] = {}
    if not required and not form["odometer_km"] and not form["energy_percent"]:
        return None, errors, form
    odometer, energy = to_int(form["odometer_km"]), to_int(form["energy_percent"])
    if odometer is None or not 0 <= odometer <= 2_000_000:
        errors["odometer_km"] = "odometer"
    if energy is None or not 0 <= energy <= 100:
        errors["energy_percent"] = "energy"
    if errors or odometer is None or energy is None:
        return None, errors, form
    return Reading(odometer, energy, form["damage_notes"]), errors, form


def _damage_charge(text: str) -> Decimal | None:
    try:
        amount = Decimal(text or "0")
    except InvalidOperation:
        return None
    if not amount.is_finite() or not 0 <= amount <= handover.MAX_DAMAGE_CHARGE or amount != round(amount, 2):
        return None
    return amount


@router.post(DESK + "/{reference}/check-out", response_model=None)
def check_out(
    session: WriteSession, page: PageContext, user: StaffUser, reference: str, posted: PostedForm
) -> Response:
    rental = _staff_rental(session, user, reference)
    reading, errors, form = _reading(posted, required=True)
    code = form_text(posted, "pickup_code", 12)
    if not code:
        errors["pickup_code"] = "pickup_code"
    shown = {"reference": rental.reference, "which": "out", "form": form}
    if reading is None or errors:
        return _render_desk(session, page, user, status_code=422, errors=errors, **shown)
    try:
        handover.check_out(
            session,
            rental.reference,
            reading,
            staff_user_id=user.user_id,
            allowed_store_ids=store_scope(user),
            pickup_code=code,
            secret_key=app_secret(page.request),
            now=utcnow(),
        )
    except DomainError as exc:
        status = 422 if exc.code == "pickup_code_wrong" else exc.status
        return _render_desk(session, page, user, status_code=status, problem=Problem.of(exc), **shown)
    return redirect(f"{DESK}?done=checked_out&rental={rental.reference}")


@router.post(DESK + "/{reference}/check-in", response_model=None)
def check_in(session: WriteSession, page: PageContext, user: StaffUser, reference: str, posted: PostedForm) -> Response:
    rental = _staff_rental(session, user, reference)
    reading, errors, form = _reading(posted, required=False)
    form["damage_charge"] = form_text(posted, "damage_charge", 20)
    damage = _damage_charge(form["damage_charge"])
    if damage is None:
        errors["damage_charge"] = "damage_charge"
    shown = {"reference": rental.reference, "which": "in", "form": form}
    if errors or damage is None:
        return _render_desk(session, page, user, status_code=422, errors=errors, **shown)
    if reading is None and form["damage_notes"]:  # the car's own readings, with the notes staff wrote
        own = handover.car_reading(session, rental.reference, now=utcnow())
        reading = None if own is None else Reading(own.odometer_km, own.energy_percent, form["damage_notes"])
    provider = page.request.app.state.integrations.payments
    try:
        attempt(
            session,
            lambda: handover.return_car(
                session,
                rental.reference,
                handover.ReturnIn(reading, damage),
                actor=user.user_id,
                allowed_store_ids=store_scope(user),
                renter_user_id=None,
                payment_provider=provider,
                now=utcnow(),
            ),
        )
    except DomainError as exc:
        return _render_desk(session, page, user, status_code=exc.status, problem=Problem.of(exc), **shown)
    return redirect(f"{DESK}?done=checked_in&rental={rental.reference}")
