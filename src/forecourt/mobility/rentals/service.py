"""Rentals by the hour and the day: quote, hold → confirm, cancel, and what a renter and the store read.

A rental's car and time are a reservation of the fleet's one reservation table (purpose 'rental'), so a rental can
never overlap a test drive, a courtesy loan, a subscription car or another rental of the same car. The rules a renter
meets are the test drive's: the same verified identity and licence (valid through the rental's last local day, the
self-service minimum age), the same deposit waiver (the store's credit-score threshold or premium membership) — only
the deposit's amount is the rental plan's. The time charge is paid at confirm; the bill at return adds what the car
itself reports (`handover.py`). Nothing here commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from forecourt.audit import service as audit
from forecourt.catalog import service as catalog
from forecourt.catalog.lifecycle import FleetPool
from forecourt.catalog.models import Store
from forecourt.core.crypto import FieldCipher
from forecourt.core.errors import Conflict, FieldError, InvalidInput, NotFound
from forecourt.identity import service as identity
from forecourt.mobility import billing
from forecourt.mobility.fleet import service as fleet
from forecourt.mobility.models import MobilityClass, Rental, RentalPlan
from forecourt.mobility.rentals import repository
from forecourt.payments import service as payments
from forecourt.payments.providers import PaymentProvider
from forecourt.testdrive import policy as policies
from forecourt.testdrive import reservations
from forecourt.testdrive.availability import DriveKind, is_open_at
from forecourt.testdrive.models import BookingPurpose, BookingStatus, DepositKind
from forecourt.testdrive.reservations import Reservation
from forecourt.testdrive.rules import deposit_decision, driver_refusals

RENTAL = BookingPurpose.RENTAL
SHORTEST = timedelta(hours=1)
LONGEST = timedelta(days=30)
BOOKABLE_AHEAD = timedelta(days=90)
TIME_PURPOSE = "rental_time"
DEPOSIT_PURPOSE = "rental_deposit"
BALANCE_PURPOSE = "rental_balance"
RATE_FIELDS = ("hourly", "daily", "per_km_over", "late_per_hour", "energy_per_percent")


@dataclass(frozen=True)
class Renter:
    user_id: int
    email: str | None
    mobile: str | None
    language: str


@dataclass(frozen=True)
class RentalRequest:
    store_code: str
    model_code: str
    start: datetime
    end: datetime


@dataclass(frozen=True)
class RentalView:
    """A rental as pages and answers show it: the reservation (car, times, state, deposit) and the money."""

    rental: Rental
    reservation: Reservation
    mobility_class: MobilityClass
    store: Store

    @property
    def status(self) -> str:
        if self.reservation.status == BookingStatus.COMPLETED.value and self.rental.balance_due > 0:
            return "balance_due" if self.rental.balance_payment_id is None else "settled"
        return "returned" if self.reservation.status == BookingStatus.COMPLETED.value else self.reservation.status


def rates_of(plan: RentalPlan) -> billing.RentalRates:
    return billing.RentalRates(
        hourly=plan.hourly,
        daily=plan.daily,
        km_per_hour=plan.km_per_hour,
        km_per_day=plan.km_per_day,
        per_km_over=plan.per_km_over,
        late_per_hour=plan.late_per_hour,
        late_grace_minutes=plan.late_grace_minutes,
        energy_per_percent=plan.energy_per_percent,
        free_cancel_hours=plan.free_cancel_hours,
        late_cancel_keep_percent=plan.late_cancel_keep_percent,
    )


def rates_json(rates: billing.RentalRates) -> dict[str, Any]:
    return {name: str(value) if isinstance(value, Decimal) else value for name, value in vars(rates).items()}


def rates_from_json(stored: dict[str, Any]) -> billing.RentalRates:
    return billing.RentalRates(**{k: Decimal(v) if k in RATE_FIELDS else int(v) for k, v in stored.items()})


@dataclass(frozen=True)
class RentalQuote:
    mobility_class: MobilityClass
    plan: RentalPlan
    charge: billing.TimeCharge
    cars: int  # the store's rental cars of the model (free or not)


def _check_times(store: Store, start: datetime, end: datetime, now: datetime) -> None:
    problems = []
    if start.tzinfo is None or end.tzinfo is None:
        raise InvalidInput("Give the start and end with a time zone", code="rental_times_invalid")
    if start < now - timedelta(minutes=5):
        problems.append(FieldError("start", "must not be in the past"))
    elif start > now + BOOKABLE_AHEAD:
        problems.append(FieldError("start", "can be at most 90 days ahead"))
    if end - start < SHORTEST:
        problems.append(FieldError("end", "must be at least an hour after the start"))
    elif end - start > LONGEST:
        problems.append(FieldError("end", "must be at most 30 days after the start; for longer, subscribe"))
    hours = policies.opening_hours(store)
    if not problems and not is_open_at(hours, start):
        problems.append(FieldError("start", "the store is closed then; pick the car up while it is open"))
    if not problems and not is_open_at(hours, end):
        problems.append(FieldError("end", "the store is closed then; bring the car back while it is open"))
    if problems:
        raise InvalidInput(
            "Check the rental times: " + "; ".join(f"{p.field} {p.message}" for p in problems),
            code="rental_times_invalid",
            errors=problems,
        )


def quote(session: Session, request: RentalRequest, *, now: datetime) -> RentalQuote:
    store = catalog.get_store(session, request.store_code)
    _check_times(store, request.start, request.end, now)
    mobility_class = fleet.class_of_model(session, request.model_code)
    plan = fleet.rental_plan(session, mobility_class)
    cars = fleet.pool_cars(session, FleetPool.RENTAL, store_id=store.id, model_codes=[request.model_code])
    return RentalQuote(mobility_class, plan, billing.time_charge(rates_of(plan), request.start, request.end), len(cars))


def hold(session: Session, renter: Renter, request: RentalRequest, *, now: datetime) -> RentalView:
    """Hold a free rental car of the model at the store for the store's hold time, or 409 `no_rental_car`."""
    rental_quote = quote(session, request, now=now)
    store = catalog.get_store(session, request.store_code)
    policy = policies.store_policy(session, store)
    cars = fleet.pool_cars(session, FleetPool.RENTAL, store_id=store.id, model_codes=[request.model_code])
    reservation = reservations.reserve(
        session,
        reservations.ReservationRequest(
            purpose=RENTAL,
            store_id=store.id,
            user_id=renter.user_id,
            candidates=cars,
            start=request.start,
            end=request.end,
            buffer=timedelta(minutes=policy.buffer_minutes),
            hold_until=now + timedelta(minutes=policy.hold_minutes),
            reference_prefix="RN",
            contact_email=renter.email or "",
            contact_mobile=renter.mobile or "",
            language=renter.language,
        ),
        now=now,
    )
    if reservation is None:
        raise Conflict(
            f"No {request.model_code} of store {store.code} is free for the whole time; pick another time or model",
            code="no_rental_car",
            extra={"cars": len(cars)},
        )
    rates = rates_of(rental_quote.plan)
    rental = Rental(
        reference=reservation.reference,
        renter_user_id=renter.user_id,
        store_id=store.id,
        class_id=rental_quote.mobility_class.id,
        rates=rates_json(rates),
        time_charge=rental_quote.charge.amount,
        km_included=rental_quote.charge.km_included,
        currency=rental_quote.plan.currency,
        bill=[],
        created_at=now,
        updated_at=now,
    )
    session.add(rental)
    session.flush()
    return RentalView(rental, reservation, rental_quote.mobility_class, store)


def view(session: Session, rental: Rental, *, now: datetime) -> RentalView:
    reservation = reservations.get(session, rental.reference, RENTAL, now=now)
    mobility_class = next(c for c in fleet.classes(session) if c.id == rental.class_id)
    return RentalView(rental, reservation, mobility_class, catalog.stores_by_id(session)[rental.store_id])


def get_rental(session: Session, reference: str, *, for_update: bool = False) -> Rental:
    rental = repository.get_rental(session, reference.strip().upper(), for_update=for_update)
    if rental is None:
        raise NotFound(f"No rental {reference}", code="rental_not_found")
    return rental


def get_own_rental(session: Session, user_id: int, reference: str, *, for_update: bool = False) -> Rental:
    rental = get_rental(session, reference, for_update=for_update)
    if rental.renter_user_id != user_id:
        raise NotFound(f"No rental {reference}", code="rental_not_found")  # another's: not even its existence
    return rental


def my_rentals(session: Session, user_id: int, *, now: datetime) -> list[RentalView]:
    return [view(session, rental, now=now) for rental in repository.renter_rentals(session, user_id)]


def store_rentals(session: Session, store_ids: Sequence[int] | None, *, now: datetime) -> list[RentalView]:
    return [view(session, rental, now=now) for rental in repository.store_rentals(session, store_ids)]


def deposit_for(session: Session, rental: Rental) -> tuple[DepositKind, str, Decimal]:
    """The store's waiver rule (credit score or premium membership), the rental plan's deposit otherwise."""
    store = catalog.stores_by_id(session)[rental.store_id]
    plan = fleet.rental_plan(session, next(c for c in fleet.classes(session) if c.id == rental.class_id))
    policy = policies.store_policy(session, store)
    policy = replace(policy, deposit_standard=plan.deposit, deposit_premium=plan.deposit)
    verification = identity.get_verification(session, rental.renter_user_id)
    verified = bool(verification and verification.verified)
    score = verification.credit_score if verified and verification else None
    premium = bool(verified and verification and verification.premium_member)
    decision = deposit_decision(score, premium, Decimal("0"), policy)
    return DepositKind(decision.kind), decision.reason, decision.amount


def _check_driver(session: Session, rental: Rental, reservation: Reservation, cipher: FieldCipher) -> None:
    store = catalog.stores_by_id(session)[rental.store_id]
    policy = policies.store_policy(session, store)
    last_day = reservation.ends_at.astimezone(ZoneInfo(store.time_zone)).date()
    driver = identity.driver_record(session, rental.renter_user_id, cipher)
    refusals = driver_refusals(driver, DriveKind.SELF_SERVICE.value, last_day, policy)
    if refusals:
        first = refusals[0]
        raise Conflict(
            f"{first.message} Verify a licence valid until the rental ends, then confirm again.",
            code=first.code,
            extra={
                "reasons": [{"code": r.code, "message": r.message} for r in refusals],
                "rental_ends_on": last_day.isoformat(),
                "next_step": {"action": "verify_licence", "method": "POST", "href": "/api/v1/me/driver-verification"},
            },
        )


def confirm(
    session: Session,
    user_id: int,
    reference: str,
    *,
    payment_method: str | None,
    payment_provider: PaymentProvider,
    secret_key: str,
    cipher: FieldCipher,
    now: datetime,
) -> tuple[RentalView, str]:
    """Pay the time charge (and the deposit unless waived) and confirm; returns the pick-up code, shown once."""
    rental = get_own_rental(session, user_id, reference, for_update=True)
    reservation = reservations.get(session, rental.reference, RENTAL, now=now)
    if reservation.status != BookingStatus.HELD.value:
        raise Conflict(
            f"Rental {rental.reference} is {reservation.status.replace('_', ' ')}, not held; book again",
            code="hold_not_active",
            extra={"reservation_status": reservation.status},
        )
    _check_driver(session, rental, reservation, cipher)
    kind, reason, deposit = deposit_for(session, rental)
    if not payment_method:
        raise InvalidInput(
            f"Choose a payment method for the rental charge of {rental.currency} {rental.time_charge}",
            code="payment_method_required",
            errors=[FieldError("payment_method", "required")],
            extra={"time_charge": str(rental.time_charge), "deposit": str(deposit)},
        )

    def pay(purpose: str, amount: Decimal) -> int:
        return payments.charge(
            session,
            payment_provider,
            user_id=user_id,
            purpose=purpose,
            subject=rental.reference,
            amount=amount,
            currency=rental.currency,
            method_token=payment_method,
            idempotency_key=f"{rental.reference}:{purpose}",
        ).id

    rental.time_payment_id = pay(TIME_PURPOSE, rental.time_charge)
    deposit_payment = pay(DEPOSIT_PURPOSE, deposit) if kind is DepositKind.DEPOSIT and deposit > 0 else None
    score = identity.get_verification(session, user_id)
    confirmed, code = reservations.confirm(
        session,
        rental.reference,
        RENTAL,
        deposit=reservations.DepositTaken(
            kind, reason, deposit, deposit_payment, score.credit_score if score and score.verified else None
        ),
        secret_key=secret_key,
        now=now,
    )
    rental.updated_at = now
    session.flush()
    audit.record(
        session,
        user_id,
        "mobility.rental_confirmed",
        "rental",
        rental.reference,
        rental.store_id,
        time_charge=str(rental.time_charge),
        deposit=kind.value,
        amount=str(deposit),
    )
    store = catalog.stores_by_id(session)[rental.store_id]
    mobility_class = next(c for c in fleet.classes(session) if c.id == rental.class_id)
    return RentalView(rental, confirmed, mobility_class, store), code or ""


def cancellation_preview(session: Session, rental: Rental, *, now: datetime) -> Decimal:
    """What of the time charge the renter's own cancel would refund at `now`."""
    reservation = reservations.get(session, rental.reference, RENTAL, now=now)
    if reservation.status != BookingStatus.CONFIRMED.value:
        return Decimal("0.00")
    rates = rates_from_json(rental.rates)
    return billing.cancellation_refund(
        rates, paid_time_charge=rental.time_charge, start=reservation.starts_at, cancelled_at=now
    )


def cancel(
    session: Session,
    reference: str,
    *,
    actor: int,
    by_store: bool,
    payment_provider: PaymentProvider,
    now: datetime,
) -> RentalView:
    """The renter's own cancel (the caller checked it is theirs) refunds the time charge by the plan's rule; the
    store's refunds all of it. The deposit always comes back in full: the car was never taken."""
    rental = get_rental(session, reference, for_update=True)
    reservation = reservations.get(session, rental.reference, RENTAL, now=now)
    refund = Decimal("0.00")
    if reservation.status == BookingStatus.CONFIRMED.value:
        refund = rental.time_charge if by_store else cancellation_preview(session, rental, now=now)
    reservations.cancel(
        session,
        rental.reference,
        RENTAL,
        reason="cancelled by the store" if by_store else "cancelled by the renter",
        deposit_refund=reservation.deposit_amount,
        payment_provider=payment_provider,
        now=now,
    )
    if refund > 0 and rental.time_payment_id is not None:
        payment = payments.get_payment(session, rental.time_payment_id)
        if payment is not None:
            rental.time_refunded += payments.refund(
                session, payment_provider, payment, refund, f"{rental.reference}:time-cancel"
            )
    rental.updated_at = now
    session.flush()
    audit.record(
        session, actor, "mobility.rental_cancelled", "rental", rental.reference, rental.store_id, refund=str(refund)
    )
    return view(session, rental, now=now)
