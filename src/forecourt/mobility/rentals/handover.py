"""A rental's car handed over and taken back, and the bill.

Pick-up is the test drive's hand-over (the pick-up code inside the store's pick-up window, one car out at a time).
At return the bill (`mobility.billing.rental_bill`) is made from the readings — the car's own odometer and fuel or
charge when it reported them after pick-up (telematics), else what staff read off the dashboard — plus late hours
and any damage charge staff enter. The deposit pays the extras first: what it does not need goes back, what it does
not cover is the balance the renter pays. Nothing here commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy.orm import Session

from forecourt.audit import service as audit
from forecourt.catalog import service as catalog
from forecourt.core.errors import Conflict, FieldError, Forbidden, InvalidInput
from forecourt.mobility import billing
from forecourt.mobility.rentals import service as rentals
from forecourt.mobility.rentals.service import RENTAL, RentalView
from forecourt.payments import service as payments
from forecourt.payments.providers import PaymentProvider
from forecourt.telematics import query_service as telemetry
from forecourt.testdrive import handover, reservations
from forecourt.testdrive import policy as policies
from forecourt.testdrive.handover import Reading

MAX_DAMAGE_CHARGE = Decimal("200000.00")


def check_out(
    session: Session,
    reference: str,
    reading: Reading,
    *,
    staff_user_id: int,
    allowed_store_ids: frozenset[int] | None,
    pickup_code: str | None,
    secret_key: str,
    now: datetime,
) -> RentalView:
    rental = rentals.get_rental(session, reference)
    handover.check_out(
        session,
        rental.reference,
        reading,
        staff_user_id=staff_user_id,
        allowed_store_ids=allowed_store_ids,
        pickup_code=pickup_code,
        secret_key=secret_key,
        now=now,
        purpose=RENTAL,
    )
    return rentals.view(session, rental, now=now)


def car_reading(session: Session, reference: str, *, now: datetime) -> Reading | None:
    """The car's own odometer and level since it was picked up, as a return reading (None: it has not reported)."""
    reservation = reservations.get(session, reference, RENTAL, now=now)
    reported = telemetry.car_reading(session, reservation.vehicle_id, since=reservation.checked_out_at)
    if reported is None or reported.odometer_km is None or reported.level_percent is None:
        return None
    return Reading(reported.odometer_km, reported.level_percent)


@dataclass(frozen=True)
class ReturnIn:
    reading: Reading | None  # None: the car's own reading (the renter's return at a self-service store)
    damage_charge: Decimal = Decimal("0.00")


def return_car(
    session: Session,
    reference: str,
    given: ReturnIn,
    *,
    actor: int,
    allowed_store_ids: frozenset[int] | None,
    renter_user_id: int | None,
    payment_provider: PaymentProvider,
    now: datetime,
) -> RentalView:
    """Take the car back and bill it. Staff give the readings (or take the car's own); the renter's own return
    (`renter_user_id`) needs the car to have reported since pick-up and cannot enter a damage charge."""
    rental = rentals.get_rental(session, reference, for_update=True)
    if renter_user_id is not None and rental.renter_user_id != renter_user_id:
        rental = rentals.get_own_rental(session, renter_user_id, reference)  # 404, as for any other's rental
    if allowed_store_ids is not None and rental.store_id not in allowed_store_ids:
        raise Forbidden(f"Rental {rental.reference} belongs to another store", code="store_forbidden")
    if not Decimal("0") <= given.damage_charge <= MAX_DAMAGE_CHARGE:
        raise InvalidInput(
            "The damage charge must be between 0 and 200,000",
            code="invalid_damage_charge",
            errors=[FieldError("damage_charge", "between 0 and 200000")],
        )
    reading = given.reading or car_reading(session, rental.reference, now=now)
    if reading is None:
        raise Conflict(
            "The car has not reported its odometer and level since pick-up; return it at the desk, where staff "
            "read them off the dashboard",
            code="no_car_reading",
        )
    reservation = reservations.get(session, rental.reference, RENTAL, now=now)
    if reservation.status != "in_progress":
        raise Conflict(
            f"Rental {rental.reference} is {reservation.status.replace('_', ' ')}; only a car that is out "
            "can be returned",
            code="not_checkinable",
            extra={"reservation_status": reservation.status},
        )
    handover.validate_reading(reading, minimum_km=reservation.odometer_out_km)
    bill = billing.rental_bill(
        rentals.rates_from_json(rental.rates),
        start=reservation.starts_at,
        due=reservation.ends_at,
        returned_at=now,
        odometer_out_km=reservation.odometer_out_km or 0,
        odometer_in_km=reading.odometer_km,
        energy_out_percent=reservation.energy_out_percent or 0,
        energy_in_percent=reading.energy_percent,
        damage_charge=given.damage_charge,
    )
    covered = min(bill.extras, reservation.deposit_amount)
    store = catalog.stores_by_id(session)[rental.store_id]
    policy = policies.store_policy(session, store)
    reservations.finish(
        session,
        rental.reference,
        RENTAL,
        reading,
        actor=actor,
        buffer=timedelta(minutes=policy.buffer_minutes),
        deposit_refund=reservation.deposit_amount - covered,
        payment_provider=payment_provider,
        now=now,
    )
    rental.bill = [
        {"code": line.code.value, "quantity": line.quantity, "unit": line.unit.value, "amount": str(line.amount)}
        for line in bill.lines
    ]
    rental.extras, rental.balance_due = bill.extras, bill.extras - covered
    rental.returned_at = rental.updated_at = now
    session.flush()
    audit.record(
        session,
        actor,
        "mobility.rental_returned",
        "rental",
        rental.reference,
        rental.store_id,
        extras=str(bill.extras),
        balance_due=str(rental.balance_due),
        odometer_km=reading.odometer_km,
    )
    return rentals.view(session, rental, now=now)


def pay_balance(
    session: Session,
    user_id: int,
    reference: str,
    *,
    payment_method: str,
    payment_provider: PaymentProvider,
    now: datetime,
) -> RentalView:
    """Pay what the deposit did not cover. Paying a settled rental again changes nothing."""
    rental = rentals.get_own_rental(session, user_id, reference, for_update=True)
    if rental.balance_due <= 0 or rental.balance_payment_id is not None:
        if rental.returned_at is None:
            raise Conflict(f"Rental {rental.reference} has no bill yet", code="no_balance_due")
        return rentals.view(session, rental, now=now)
    rental.balance_payment_id = payments.charge(
        session,
        payment_provider,
        user_id=user_id,
        purpose=rentals.BALANCE_PURPOSE,
        subject=rental.reference,
        amount=rental.balance_due,
        currency=rental.currency,
        method_token=payment_method,
        idempotency_key=f"{rental.reference}:{rentals.BALANCE_PURPOSE}",
    ).id
    rental.updated_at = now
    session.flush()
    audit.record(
        session,
        user_id,
        "mobility.rental_balance_paid",
        "rental",
        rental.reference,
        rental.store_id,
        amount=str(rental.balance_due),
    )
    return rentals.view(session, rental, now=now)
