"""Rental API: quote, hold → confirm with Idempotency-Key, cancel, return, pay; staff hand-over. (Fleet moves and
utilisation: `mobility.fleet.api`.)"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from forecourt.accounts.principal import Principal
from forecourt.accounts.security import RequiredUser, StaffUser, managed_store_ids
from forecourt.core.clock import utcnow
from forecourt.core.errors import Forbidden
from forecourt.core.http import DbSession, IdempotencyKey, WriteSession, app_secret, domain_problem, run_idempotent
from forecourt.core.params import Moment
from forecourt.mobility.rentals import handover
from forecourt.mobility.rentals import service as rentals
from forecourt.mobility.rentals.schemas import (
    BillLineOut,
    CheckOutIn,
    QuoteOut,
    ReadingIn,
    RentalConfirmIn,
    RentalIn,
    RentalOut,
    RentalPayIn,
    RentalReturnIn,
)
from forecourt.mobility.rentals.service import RentalView
from forecourt.testdrive.handover import Reading
from forecourt.web.i18n import request_language

router = APIRouter(prefix="/api/v1", tags=["rentals"])
CodeQuery = Query(min_length=1, max_length=40, pattern=r"^[a-z0-9_-]+$")


def _payments(request: Request) -> Any:
    return request.app.state.integrations.payments


def rental_out(shown: RentalView, pickup_code: str | None = None) -> RentalOut:
    rental, reservation = shown.rental, shown.reservation
    return RentalOut(
        reference=rental.reference,
        status=shown.status,
        store=shown.store.code,
        mobility_class=shown.mobility_class.code,
        model=reservation.model_code,
        model_name_en=reservation.model_en,
        model_name_zh=reservation.model_zh,
        vin=reservation.vin,
        starts_at=reservation.starts_at,
        ends_at=reservation.ends_at,
        hold_expires_at=reservation.hold_expires_at,
        currency=rental.currency,
        time_charge=rental.time_charge,
        time_refunded=rental.time_refunded,
        km_included=rental.km_included,
        deposit_kind=reservation.deposit_kind,
        deposit_reason=reservation.deposit_reason,
        deposit=reservation.deposit_amount,
        deposit_refunded=reservation.refunded_amount,
        odometer_out_km=reservation.odometer_out_km,
        odometer_in_km=reservation.odometer_in_km,
        bill=[BillLineOut(**line) for line in rental.bill],
        extras=rental.extras,
        balance_due=rental.balance_due,
        pickup_code=pickup_code,
    )


def _reading(body: ReadingIn) -> Reading:
    return Reading(body.odometer_km, body.energy_percent, body.damage_notes, tuple(body.photo_urls))


NOT_FOUND = {404: {"description": "No such store, or the model is in no class offered for rental"}}
PAYMENT_DECLINED = {402: {"description": "The payment provider declined the charge"}}


@router.get(
    "/rentals/quote", response_model=QuoteOut, summary="The price of renting a model at a store", responses=NOT_FOUND
)
def quote(
    session: DbSession,
    start: Annotated[Moment, Query()],
    end: Annotated[Moment, Query()],
    store: Annotated[str, CodeQuery],
    model: Annotated[str, CodeQuery],
) -> QuoteOut:
    found = rentals.quote(session, rentals.RentalRequest(store, model, start, end), now=utcnow())
    return QuoteOut(
        mobility_class=found.mobility_class.code,
        class_name_en=found.mobility_class.name_en,
        class_name_zh=found.mobility_class.name_zh,
        days=found.charge.days,
        hours=found.charge.hours,
        time_charge=found.charge.amount,
        km_included=found.charge.km_included,
        per_km_over=found.plan.per_km_over,
        deposit=found.plan.deposit,
        currency=found.plan.currency,
        cars=found.cars,
    )


@router.post("/rentals", status_code=201, response_model=RentalOut, summary="Hold a rental car", responses=NOT_FOUND)
def create_hold(
    session: WriteSession, request: Request, user: RequiredUser, body: RentalIn, idempotency_key: IdempotencyKey = None
) -> JSONResponse:
    def run() -> tuple[int, Any]:
        renter = rentals.Renter(user.user_id, user.email, user.mobile, request_language(request))
        held = rentals.hold(
            session, renter, rentals.RentalRequest(body.store, body.model, body.start, body.end), now=utcnow()
        )
        return 201, rental_out(held).model_dump(mode="json")

    return run_idempotent(
        session,
        request,
        scope=f"user:{user.user_id}",
        key=idempotency_key,
        payload=body.model_dump(mode="json"),
        run=run,
    )


@router.get("/rentals", response_model=list[RentalOut], summary="My rentals")
def my_rentals(session: DbSession, user: RequiredUser) -> list[RentalOut]:
    return [rental_out(shown) for shown in rentals.my_rentals(session, user.user_id, now=utcnow())]


def _visible(session: Session, user: Principal, reference: str) -> RentalView:
    rental = rentals.get_rental(session, reference)
    if rental.renter_user_id != user.user_id:
        allowed = managed_store_ids(user)
        if not user.has_role("store_staff", "admin") or (allowed is not None and rental.store_id not in allowed):
            rental = rentals.get_own_rental(session, user.user_id, reference)  # 404
    return rentals.view(session, rental, now=utcnow())


@router.get("/rentals/{reference}", response_model=RentalOut, summary="One rental")
def get_rental(session: DbSession, user: RequiredUser, reference: str) -> RentalOut:
    return rental_out(_visible(session, user, reference))


@router.post(
    "/rentals/{reference}/confirm",
    response_model=RentalOut,
    summary="Pay and confirm a held rental",
    responses=PAYMENT_DECLINED,
)
def confirm(
    session: WriteSession,
    request: Request,
    user: RequiredUser,
    reference: str,
    body: RentalConfirmIn,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    rentals.get_own_rental(session, user.user_id, reference)  # 404 before any key is looked at

    def run() -> tuple[int, Any]:
        shown, code = rentals.confirm(
            session,
            user.user_id,
            reference,
            payment_method=body.payment_method,
            payment_provider=_payments(request),
            secret_key=app_secret(request),
            cipher=request.app.state.field_cipher,
            now=utcnow(),
        )
        return 200, rental_out(shown, code).model_dump(mode="json")

    return run_idempotent(
        session,
        request,
        scope=f"user:{user.user_id}",
        key=idempotency_key,
        payload=body.model_dump(mode="json"),
        run=run,
        redact=lambda body: {**body, "pickup_code": None} if isinstance(body, dict) else body,
    )


@router.post("/rentals/{reference}/cancel", response_model=RentalOut, summary="Cancel a rental")
def cancel(session: WriteSession, request: Request, user: RequiredUser, reference: str) -> RentalOut:
    rental = rentals.get_rental(session, reference)
    by_store = rental.renter_user_id != user.user_id
    if by_store:
        _visible(session, user, reference)  # 404 unless staff of its store
    shown = rentals.cancel(
        session, reference, actor=user.user_id, by_store=by_store, payment_provider=_payments(request), now=utcnow()
    )
    return rental_out(shown)


@router.post("/rentals/{reference}/return", response_model=RentalOut, summary="Return the car (its own readings)")
def self_return(session: WriteSession, request: Request, user: RequiredUser, reference: str) -> RentalOut:
    shown = handover.return_car(
        session,
        reference,
        handover.ReturnIn(reading=None),
        actor=user.user_id,
        allowed_store_ids=None,
        renter_user_id=user.user_id,
        payment_provider=_payments(request),
        now=utcnow(),
    )
    return rental_out(shown)


@router.post(
    "/rentals/{reference}/pay",
    response_model=RentalOut,
    summary="Pay the balance of the bill",
    responses=PAYMENT_DECLINED,
)
def pay(
    session: WriteSession,
    request: Request,
    user: RequiredUser,
    reference: str,
    body: RentalPayIn,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    rentals.get_own_rental(session, user.user_id, reference)

    def run() -> tuple[int, Any]:
        shown = handover.pay_balance(
            session,
            user.user_id,
            reference,
            payment_method=body.payment_method,
            payment_provider=_payments(request),
            now=utcnow(),
        )
        return 200, rental_out(shown).model_dump(mode="json")

    return run_idempotent(
        session,
        request,
        scope=f"user:{user.user_id}",
        key=idempotency_key,
        payload=body.model_dump(mode="json"),
        run=run,
    )


@router.get("/staff/rentals", response_model=list[RentalOut], summary="The rentals of my stores")
def store_rentals(session: DbSession, user: StaffUser) -> list[RentalOut]:
    allowed = managed_store_ids(user)
    return [
        rental_out(s)
        for s in rentals.store_rentals(session, None if allowed is None else sorted(allowed), now=utcnow())
    ]


@router.post("/staff/rentals/{reference}/check-out", response_model=RentalOut, summary="Hand a rental car over")
def check_out(session: WriteSession, request: Request, user: StaffUser, reference: str, body: CheckOutIn) -> Any:
    try:
        shown = handover.check_out(
            session,
            reference,
            _reading(body),
            staff_user_id=user.user_id,
            allowed_store_ids=managed_store_ids(user),
            pickup_code=body.pickup_code,
            secret_key=app_secret(request),
            now=utcnow(),
        )
    except Forbidden as exc:
        if exc.code != "pickup_code_wrong":
            raise
        return domain_problem(exc)  # returned, not raised: the failure count must be committed
    return rental_out(shown)


@router.post("/staff/rentals/{reference}/check-in", response_model=RentalOut, summary="Take a rental car back")
def check_in(
    session: WriteSession, request: Request, user: StaffUser, reference: str, body: RentalReturnIn
) -> RentalOut:
    shown = handover.return_car(
        session,
        reference,
        handover.ReturnIn(None if body.reading is None else _reading(body.reading), body.damage_charge),
        actor=user.user_id,
        allowed_store_ids=managed_store_ids(user),
        renter_user_id=None,
        payment_provider=_payments(request),
        now=utcnow(),
    )
    return rental_out(shown)
