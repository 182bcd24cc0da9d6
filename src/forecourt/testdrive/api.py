"""Test-drive API: availability, hold → confirm with Idempotency-Key, changes, staff handover, figures."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Query, Request
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from forecourt.accounts import service as accounts
from forecourt.accounts.principal import Principal
from forecourt.accounts.security import CurrentUser, RequiredUser, StaffUser, managed_store_ids
from forecourt.catalog import service as catalog
from forecourt.core.client_address import client_ip
from forecourt.core.clock import utcnow
from forecourt.core.errors import Forbidden, NotFound
from forecourt.core.http import DbSession, IdempotencyKey, WriteSession, app_secret, domain_problem, run_idempotent
from forecourt.core.outbox import relay_outbox
from forecourt.core.params import Day
from forecourt.integrations import Integrations
from forecourt.testdrive import figures, finder, handover, lifecycle
from forecourt.testdrive import policy as policies
from forecourt.testdrive import service as bookings
from forecourt.testdrive.availability import DriveKind
from forecourt.testdrive.models import TestDriveBooking
from forecourt.testdrive.schemas import (
    AvailabilityOut,
    BookingOut,
    CancelIn,
    CheckOutIn,
    ConfirmIn,
    DepositOut,
    FiguresRowOut,
    HoldIn,
    ReadingIn,
    RescheduleIn,
    SlotOut,
    StoreSlotsOut,
)
from forecourt.web.i18n import request_language

router = APIRouter(prefix="/api/v1", tags=["test drives"])


def integrations(request: Request) -> Integrations:
    return request.app.state.integrations


def relay_soon(background: BackgroundTasks, request: Request) -> None:
    """Send the messages this request queued right after the response, rather than at the next job pass."""
    background.add_task(relay_outbox, request.app.state.session_factory, request.app.state.outbox_adapters())


def booking_out(session: Session, booking: TestDriveBooking, pickup_code: str | None = None) -> BookingOut:
    vehicle = catalog.get_vehicle_by_id(session, booking.vehicle_id)
    return BookingOut(
        reference=booking.reference,
        status=booking.status,
        kind=booking.kind,
        vin=vehicle.vin,
        model=vehicle.model.code,
        model_name_en=vehicle.model.name_en,
        model_name_zh=vehicle.model.name_zh,
        store=vehicle.store.code,
        store_name_en=vehicle.store.name_en,
        store_name_zh=vehicle.store.name_zh,
        starts_at=booking.starts_at,
        ends_at=booking.ends_at,
        hold_expires_at=booking.hold_expires_at,
        deposit=DepositOut(
            kind=booking.deposit_kind,
            amount=booking.deposit_amount,
            currency=vehicle.currency,  # type: ignore[arg-type]
            reason=booking.deposit_reason,
        ),
        refunded_amount=booking.refunded_amount,
        late_fee=booking.late_fee,
        checked_out_at=booking.checked_out_at,
        checked_in_at=booking.checked_in_at,
        odometer_out_km=booking.odometer_out_km,
        odometer_in_km=booking.odometer_in_km,
        salesperson_user_id=booking.salesperson_user_id,
        pickup_code=pickup_code,
    )


def _without_code(body: Any) -> Any:
    return {**body, "pickup_code": None} if isinstance(body, dict) else body


@router.get(
    "/test-drives/availability",
    response_model=AvailabilityOut,
    summary="Free test-drive slots",
    responses={404: {"description": "No such vehicle, model or store"}},
)
def availability(
    session: DbSession,
    kind: DriveKind = DriveKind.ACCOMPANIED,
    model: Annotated[str | None, Query(max_length=40)] = None,
    vin: Annotated[str | None, Query(min_length=17, max_length=17)] = None,
    store: Annotated[str | None, Query(max_length=40)] = None,
    city: Annotated[str | None, Query(max_length=40)] = None,
    first_day: Annotated[Day | None, Query(alias="from")] = None,
    last_day: Annotated[Day | None, Query(alias="to")] = None,
    minutes: Annotated[int, Query(ge=15, le=240)] = 60,
    days: Annotated[int, Query(ge=1, le=3)] = 1,
) -> AvailabilityOut:
    today = utcnow().date()
    first = first_day or today
    last = last_day or first + timedelta(days=13)
    query = finder.SlotQuery(
        kind=kind,
        first_day=first,
        last_day=last,
        minutes=minutes,
        days=days,
        vin=vin,
        model_code=model,
        store_code=store,
        city_code=city,
    )
    found = finder.find_slots(session, query, utcnow())
    return AvailabilityOut(
        kind=kind.value,
        first_day=first,
        last_day=last,
        stores=[
            StoreSlotsOut(
                store=r.store.code,
                store_name_en=r.store.name_en,
                store_name_zh=r.store.name_zh,
                time_zone=r.store.time_zone,
                vins=list(r.vins),
                slots=[SlotOut(start=s.start, end=s.end, free_vehicles=len(s.vehicle_ids)) for s in r.slots],
            )
            for r in found
        ],
    )


@router.post(
    "/test-drives/holds",
    status_code=201,
    response_model=BookingOut,
    summary="Hold a car for a slot",
    responses={404: {"description": "No such vehicle, model or store"}},
)
def create_hold(
    session: WriteSession, request: Request, user: RequiredUser, body: HoldIn, idempotency_key: IdempotencyKey = None
) -> JSONResponse:
    def run() -> tuple[int, Any]:
        shopper = bookings.Shopper(user.user_id, user.email, user.mobile, request_language(request))
        drive = bookings.DriveRequest(
            kind=body.kind,
            start=body.start,
            minutes=body.minutes,
            days=body.days,
            vin=body.vin,
            model_code=body.model,
            store_code=body.store,
        )
        booking = bookings.hold(session, shopper, drive, ip=client_ip(request), now=utcnow())
        return 201, booking_out(session, booking).model_dump(mode="json")

    return run_idempotent(
        session,
        request,
        scope=f"user:{user.user_id}",
        key=idempotency_key,
        payload=body.model_dump(mode="json"),
        run=run,
    )


@router.get("/test-drives/bookings", response_model=list[BookingOut], summary="My test drives")
def my_bookings(session: DbSession, user: RequiredUser) -> list[BookingOut]:
    return [booking_out(session, b) for b in bookings.list_my_bookings(session, user.user_id)]


def _visible_booking(session: Session, user: Principal, reference: str) -> TestDriveBooking:
    booking = bookings.get_booking(session, reference)
    if booking.shopper_user_id == user.user_id:
        return booking
    if user.has_role("store_staff", "admin"):
        bookings.check_store_access(booking, managed_store_ids(user))
        return booking
    raise NotFound(f"No test drive {reference}", code="booking_not_found")


@router.get("/test-drives/bookings/{reference}", response_model=BookingOut, summary="One test drive")
def get_booking(session: DbSession, user: RequiredUser, reference: str) -> BookingOut:
    return booking_out(session, _visible_booking(session, user, reference))


@router.get("/test-drives/bookings/{reference}/deposit", response_model=DepositOut, summary="Deposit or waiver")
def deposit(session: DbSession, user: RequiredUser, reference: str) -> DepositOut:
    booking = bookings.get_own_booking(session, user.user_id, reference)
    decision = lifecycle.deposit_for(session, booking)
    return DepositOut(kind=decision.kind, amount=decision.amount, currency="CNY", reason=decision.reason)


@router.post("/test-drives/bookings/{reference}/confirm", response_model=BookingOut, summary="Confirm a hold")
def confirm(
    session: WriteSession,
    request: Request,
    user: RequiredUser,
    reference: str,
    body: ConfirmIn,
    background: BackgroundTasks,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    relay_soon(background, request)
    booking = bookings.get_own_booking(session, user.user_id, reference)  # 404 before any key is looked at

    def run() -> tuple[int, Any]:
        outcome = lifecycle.confirm(
            session,
            user.user_id,
            reference,
            payment_method=body.payment_method,
            payment_provider=integrations(request).payments,
            secret_key=app_secret(request),
            cipher=request.app.state.field_cipher,
            now=utcnow(),
            salespeople=accounts.staff_user_ids(session, booking.store_id),
        )
        return 200, booking_out(session, outcome.booking, outcome.pickup_code).model_dump(mode="json")

    return run_idempotent(
        session,
        request,
        scope=f"user:{user.user_id}",
        key=idempotency_key,
        payload=body.model_dump(mode="json"),
        run=run,
        redact=_without_code,
    )


@router.post("/test-drives/bookings/{reference}/cancel", response_model=BookingOut, summary="Cancel a test drive")
def cancel(
    session: WriteSession,
    request: Request,
    user: RequiredUser,
    reference: str,
    body: CancelIn,
    background: BackgroundTasks,
) -> BookingOut:
    relay_soon(background, request)
    booking = _visible_booking(session, user, reference)
    by_store = booking.shopper_user_id != user.user_id
    booking = lifecycle.cancel(
        session,
        booking.reference,
        actor_user_id=user.user_id,
        by_store=by_store,
        reason=body.reason,
        payment_provider=integrations(request).payments,
        now=utcnow(),
    )
    return booking_out(session, booking)


@router.post("/test-drives/bookings/{reference}/reschedule", response_model=BookingOut, summary="Move a test drive")
def reschedule(
    session: WriteSession,
    request: Request,
    user: RequiredUser,
    reference: str,
    body: RescheduleIn,
    background: BackgroundTasks,
) -> BookingOut:
    relay_soon(background, request)
    return booking_out(session, lifecycle.reschedule(session, user.user_id, reference, body.start, now=utcnow()))


@router.post(
    "/test-drives/bookings/{reference}/pickup-code",
    response_model=BookingOut,
    summary="Send a new pick-up code (the old one stops working)",
)
def reissue_code(
    session: WriteSession, request: Request, user: RequiredUser, reference: str, background: BackgroundTasks
) -> BookingOut:
    relay_soon(background, request)
    code = handover.reissue_pickup_code(session, user.user_id, reference, secret_key=app_secret(request), now=utcnow())
    return booking_out(session, bookings.get_booking(session, reference), code)


def _reading(body: ReadingIn) -> handover.Reading:
    return handover.Reading(body.odometer_km, body.energy_percent, body.damage_notes, tuple(body.photo_urls))


@router.post("/test-drives/bookings/{reference}/check-out", response_model=BookingOut, summary="Hand the car over")
def check_out(session: WriteSession, request: Request, user: StaffUser, reference: str, body: CheckOutIn) -> Any:
    try:
        booking = handover.check_out(
            session,
            reference,
            _reading(body),
            staff_user_id=user.user_id,
            allowed_store_ids=managed_store_ids(user),
            pickup_code=body.pickup_code,
            secret_key=app_secret(request),
            now=utcnow(),
            alert_recipients=accounts.staff_emails(session, bookings.get_booking(session, reference).store_id),
        )
    except Forbidden as exc:
        if exc.code != "pickup_code_wrong":
            raise
        return domain_problem(exc)  # returned, not raised: the failure count must be committed
    return booking_out(session, booking)


@router.post("/test-drives/bookings/{reference}/check-in", response_model=BookingOut, summary="Take the car back")
def check_in(session: WriteSession, request: Request, user: StaffUser, reference: str, body: ReadingIn) -> BookingOut:
    booking = handover.check_in(
        session,
        reference,
        _reading(body),
        staff_user_id=user.user_id,
        allowed_store_ids=managed_store_ids(user),
        payment_provider=integrations(request).payments,
        now=utcnow(),
    )
    return booking_out(session, booking)


@router.post("/test-drives/bookings/{reference}/no-show", response_model=BookingOut, summary="Record a no-show")
def no_show(session: WriteSession, user: StaffUser, reference: str) -> BookingOut:
    booking = handover.mark_no_show(
        session, reference, staff_user_id=user.user_id, allowed_store_ids=managed_store_ids(user), now=utcnow()
    )
    return booking_out(session, booking)


@router.get("/stores/{code}/test-drives", response_model=list[BookingOut], summary="A store's test drives")
def store_bookings(
    session: DbSession,
    user: StaffUser,
    code: str,
    day: Annotated[Day | None, Query(alias="date")] = None,
    days: Annotated[int, Query(ge=1, le=31)] = 1,
) -> list[BookingOut]:
    store = catalog.get_store_for_staff(session, code, allowed_store_ids=managed_store_ids(user))
    rows = bookings.store_calendar(session, store, day or utcnow().date(), days)
    return [booking_out(session, b) for b in rows]


@router.get("/test-drives/figures", response_model=list[FiguresRowOut], summary="Show and no-show rates")
def drive_figures(
    session: DbSession,
    user: StaffUser,
    first_day: Annotated[Day, Query(alias="from")],
    last_day: Annotated[Day, Query(alias="to")],
) -> list[FiguresRowOut]:
    return [
        FiguresRowOut(**row) for row in figures.figures_table(session, first_day, last_day, managed_store_ids(user))
    ]


__all__ = ["CurrentUser", "router"]


@router.get("/stores/{code}/test-drive-settings", summary="A store's test-drive rules")
def get_settings(session: DbSession, user: StaffUser, code: str) -> dict[str, Any]:
    store = catalog.get_store_for_staff(session, code, allowed_store_ids=managed_store_ids(user))
    return policies.store_policy(session, store).to_mapping()


@router.patch("/stores/{code}/test-drive-settings", summary="Change a store's test-drive rules")
def update_settings(session: WriteSession, user: StaffUser, code: str, body: dict[str, Any]) -> dict[str, Any]:
    """Send only the fields to change, e.g. {"buffer_minutes": 45, "waiver_score_threshold": 720}."""
    store = catalog.get_store_for_staff(session, code, allowed_store_ids=managed_store_ids(user))
    return policies.update_store_policy(session, store, body, actor=user.user_id).to_mapping()
