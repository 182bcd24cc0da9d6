"""Ownership use cases: a completed order makes the buyer the owner, staff register a car sold elsewhere, an
ownership is transferred (a private sale) or ended (returned, sold back); history per VIN.

Takes the session first, may flush, never commits; knows nothing of accounts (user ids and store ids in).
Transfers and ends are `changes`.

One current ownership per VIN is the database's: the unique partial index `uq_ownerships_current_vin`. Every
insert of a current ownership runs in a savepoint, so the loser of a race (PostgreSQL waits for the winner's
commit, then refuses) gets 409 `vin_already_owned`, never a 500; on SQLite the write routes begin IMMEDIATE, so
there the loser already sees the winner's row, and the index remains the guarantee.

Why the order hook is a direct call in the order's transaction (finance.orders.service.complete calls
`record_sale`) rather than an outbox event: the ownership must exist if and only if the car was handed over, the
owner's garage must show the car the moment the order page says "completed", and a refusal (the VIN already has a
current owner) must stop the hand-over rather than leave a sold car with nobody owning it. An event would make
the garage lag the relay and turn that refusal into a message nobody answers.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from forecourt.audit import service as audit
from forecourt.catalog import service as catalog
from forecourt.catalog.vin import VinError, validate_vin
from forecourt.core.errors import FieldError, InvalidInput, NotFound
from forecourt.core.references import new_reference
from forecourt.ownership import errors
from forecourt.ownership.models import Ownership, OwnershipContract, OwnershipSource, OwnershipStatus
from forecourt.ownership.records import repository
from forecourt.ownership.records.contracts import ContractTerms, priced, terms_from_quote
from forecourt.telematics import query_service as telematics

CURRENT_INDEX = "uq_ownerships_current_vin"
SQLITE_CURRENT_MESSAGE = "UNIQUE constraint failed: ownerships.vin"  # SQLite names the columns, not the index
REFERENCE_PREFIX = "OW"
DEFAULT_TIME_ZONE = "Asia/Shanghai"


@dataclass(frozen=True)
class CompletedSale:
    """What the finance context hands over when an order completes: ids and the accepted quote's values."""

    order_reference: str
    user_id: int
    vehicle_id: int
    store_id: int
    product: str
    currency: str
    price: Decimal
    quote_reference: str | None
    quote_inputs: Mapping[str, Any]
    quote_figures: Mapping[str, Any]


@dataclass(frozen=True)
class Registration:
    """A car sold outside Forecourt, as staff type it in."""

    vin: str
    owner_user_id: int
    store_id: int
    terms: ContractTerms  # the monthly payment is priced here, never typed
    model_code: str | None = None  # needed when the VIN is not a car of Forecourt's catalog


# --- reading ---------------------------------------------------------------------------------------------------------


def local_day(now: datetime, time_zone: str | None) -> date:
    return now.astimezone(ZoneInfo(time_zone or DEFAULT_TIME_ZONE)).date()


def store_time_zone(session: Session, ownership: Ownership) -> str:
    return catalog.stores_by_id(session)[ownership.store_id].time_zone


def get(session: Session, reference: str, *, for_update: bool = False) -> Ownership:
    ownership = repository.get_by_reference(session, reference.strip().upper()[:12], for_update=for_update)
    if ownership is None:
        raise errors.OwnershipNotFound(reference)
    return ownership


def get_for_owner(session: Session, user_id: int, reference: str) -> Ownership:
    """The owner's current car; anyone else's (or a past one) answers 404, as if it did not exist."""
    ownership = get(session, reference)
    if ownership.user_id != user_id or ownership.status != OwnershipStatus.CURRENT.value:
        raise errors.OwnershipNotFound(reference)
    return ownership


def check_store(ownership: Ownership, allowed_store_ids: Collection[int] | None) -> None:
    if allowed_store_ids is not None and ownership.store_id not in allowed_store_ids:
        raise errors.StoreForbidden(ownership.reference)


def get_for_staff(
    session: Session, reference: str, allowed_store_ids: Collection[int] | None, actor: int, *, for_update: bool = False
) -> Ownership:
    """The ownership for staff of its store (or an admin); the view is audited: it names the owner."""
    ownership = get(session, reference, for_update=for_update)
    check_store(ownership, allowed_store_ids)
    if not for_update:
        audit.record(session, actor, "ownership.viewed", "ownership", ownership.reference, ownership.store_id)
    return ownership


def list_for_owner(session: Session, user_id: int) -> Sequence[Ownership]:
    return repository.current_of_user(session, user_id)


def list_for_stores(
    session: Session, store_ids: Collection[int] | None, *, current_only: bool = True, limit: int = 200
) -> Sequence[Ownership]:
    return repository.of_stores(session, store_ids, current_only=current_only, limit=limit)


def history(session: Session, vin: str, allowed_store_ids: Collection[int] | None, actor: int) -> list[Ownership]:
    """Every ownership of the VIN, oldest first, that the caller's stores hold (an admin: all); audited."""
    normalized = valid_vin(vin)
    rows = list(repository.history_of_vin(session, normalized))
    visible = [o for o in rows if allowed_store_ids is None or o.store_id in allowed_store_ids]
    if not visible:
        if rows:
            raise errors.StoreForbidden(normalized)
        raise NotFound(f"No ownership of {normalized} is recorded", code="ownership_not_found")
    audit.record(session, actor, "ownership.history_viewed", "vehicle", normalized, visible[-1].store_id)
    return visible


def contract_of(session: Session, ownership: Ownership) -> OwnershipContract | None:
    return repository.contract_of(session, ownership.id)


def terms_of(contract: OwnershipContract) -> ContractTerms:
    return ContractTerms(
        product=contract.product,
        currency=contract.currency,
        price=contract.price,
        delivered_on=contract.delivered_on,
        delivery_odometer_km=contract.delivery_odometer_km,
        down_payment=contract.down_payment,
        term_months=contract.term_months,
        monthly_payment=contract.monthly_payment,
        annual_rate=_exact(contract.annual_rate),
        money_factor=_exact(contract.money_factor),
        balloon=contract.balloon,
        fee=contract.fee,
        residual_value=contract.residual_value,
        disposition_fee=contract.disposition_fee,
        purchase_option_fee=contract.purchase_option_fee,
        annual_allowance_km=contract.annual_allowance_km,
        excess_km_rate=_exact(contract.excess_km_rate),
        quote_reference=contract.quote_reference,
        program=contract.program,
        figures=contract.figures or {},
    )


def _exact(value: Decimal | None) -> Decimal | None:
    """Numeric columns come back padded to their scale (0.039900); the calc modules want the rate as sold."""
    return None if value is None else value.normalize() if value != 0 else Decimal(0)


# --- writing ---------------------------------------------------------------------------------------------------------


def _is_current_violation(exc: IntegrityError) -> bool:
    text = str(exc.orig)
    return CURRENT_INDEX in text or SQLITE_CURRENT_MESSAGE in text


def insert_current(session: Session, ownership: Ownership, terms: ContractTerms | None) -> Ownership:
    """Insert the ownership (and its contract) in a savepoint; the unique partial index refuses a second current
    ownership of the VIN, whatever the interleaving."""
    try:
        with session.begin_nested():
            session.add(ownership)
            session.flush()
    except IntegrityError as exc:
        if not _is_current_violation(exc):
            raise
        raise errors.VinAlreadyOwned(ownership.vin) from exc
    if terms is not None:
        session.add(_contract_row(ownership.id, terms))
        session.flush()
    return ownership


def _contract_row(ownership_id: int, terms: ContractTerms) -> OwnershipContract:
    return OwnershipContract(
        ownership_id=ownership_id,
        product=terms.product,
        currency=terms.currency,
        price=terms.price,
        down_payment=terms.down_payment,
        term_months=terms.term_months,
        monthly_payment=terms.monthly_payment,
        annual_rate=terms.annual_rate,
        money_factor=terms.money_factor,
        balloon=terms.balloon,
        fee=terms.fee,
        residual_value=terms.residual_value,
        disposition_fee=terms.disposition_fee,
        purchase_option_fee=terms.purchase_option_fee,
        annual_allowance_km=terms.annual_allowance_km,
        excess_km_rate=terms.excess_km_rate,
        delivered_on=terms.delivered_on,
        delivery_odometer_km=terms.delivery_odometer_km,
        quote_reference=terms.quote_reference,
        program=dict(terms.program) if terms.program else None,
        figures=dict(terms.figures),
    )


def new_ownership(
    *,
    vin: str,
    vehicle_id: int | None,
    model_code: str,
    user_id: int,
    store_id: int,
    source: OwnershipSource,
    started_on: date,
    odometer_km: int,
    actor: int | None,
    now: datetime,
    order_reference: str | None = None,
    previous_id: int | None = None,
) -> Ownership:
    return Ownership(
        reference=new_reference(REFERENCE_PREFIX),
        vin=vin,
        vehicle_id=vehicle_id,
        model_code=model_code,
        user_id=user_id,
        store_id=store_id,
        status=OwnershipStatus.CURRENT.value,
        source=source.value,
        order_reference=order_reference,
        previous_id=previous_id,
        started_on=started_on,
        start_odometer_km=odometer_km,
        created_at=now,
        created_by=actor,
        updated_at=now,
    )


def delivery_odometer_km(session: Session, vehicle_id: int, fallback_km: int) -> int:
    """The car's own odometer if it reported one, else the catalog's mileage: the reading the lease counts from."""
    reading = telematics.car_reading(session, vehicle_id)
    return reading.odometer_km if reading and reading.odometer_km is not None else fallback_km


def record_sale(session: Session, sale: CompletedSale, *, actor: int | None, now: datetime) -> Ownership:
    """The buyer of a completed order owns the car from today, on the accepted quote's contract."""
    vehicle = catalog.get_vehicle_by_id(session, sale.vehicle_id)
    delivered_on = local_day(now, vehicle.store.time_zone)
    odometer = delivery_odometer_km(session, vehicle.id, vehicle.mileage_km)
    terms = terms_from_quote(
        product=sale.product,
        currency=sale.currency,
        price=sale.price,
        inputs=sale.quote_inputs,
        figures=sale.quote_figures,
        delivered_on=delivered_on,
        delivery_odometer_km=odometer,
        quote_reference=sale.quote_reference,
    )
    ownership = new_ownership(
        vin=vehicle.vin,
        vehicle_id=vehicle.id,
        model_code=vehicle.model.code,
        user_id=sale.user_id,
        store_id=sale.store_id,
        source=OwnershipSource.ORDER,
        started_on=delivered_on,
        odometer_km=odometer,
        actor=actor,
        now=now,
        order_reference=sale.order_reference,
    )
    insert_current(session, ownership, terms)
    audit.record(
        session,
        actor,
        "ownership.started",
        "ownership",
        ownership.reference,
        ownership.store_id,
        vin=vehicle.vin,
        source="order",
        order=sale.order_reference,
        product=sale.product,
    )
    return ownership


def valid_vin(vin: str) -> str:
    try:
        return validate_vin(vin)
    except VinError as exc:
        raise InvalidInput(
            f"{vin!r} is not a valid VIN: {exc}", code="invalid_vin", errors=[FieldError("vin", str(exc))]
        ) from exc


def register(
    session: Session,
    registration: Registration,
    *,
    actor: int,
    allowed_store_ids: Collection[int] | None,
    now: datetime,
) -> Ownership:
    """Staff register a car sold outside Forecourt to one of their stores; the contract is priced by finance.calc."""
    if allowed_store_ids is not None and registration.store_id not in allowed_store_ids:
        raise errors.StoreForbidden("for this store")
    store = catalog.stores_by_id(session).get(registration.store_id)
    if store is None:
        raise InvalidInput("No such store", code="unknown_store", errors=[FieldError("store", "no such store")])
    vin = valid_vin(registration.vin)
    vehicle_id, model_code = _car_of(session, vin, registration.model_code)
    terms = registration.terms
    today = local_day(now, store.time_zone)
    if terms.delivered_on > today:
        raise errors.InvalidContract(
            "the delivery day is in the future", "delivered_on", terms.delivered_on.isoformat()
        )
    try:
        terms = priced(replace(terms, quote_reference=None, program=None))
    except ValueError as exc:
        raise errors.InvalidContract(str(exc)) from exc
    terms = replace(terms, figures={**terms.figures, "monthly_payment": f"{terms.monthly_payment:.2f}"})
    ownership = new_ownership(
        vin=vin,
        vehicle_id=vehicle_id,
        model_code=model_code,
        user_id=registration.owner_user_id,
        store_id=store.id,
        source=OwnershipSource.REGISTERED,
        started_on=terms.delivered_on,
        odometer_km=terms.delivery_odometer_km,
        actor=actor,
        now=now,
    )
    insert_current(session, ownership, terms)
    audit.record(
        session,
        actor,
        "ownership.started",
        "ownership",
        ownership.reference,
        ownership.store_id,
        vin=vin,
        source="registered",
        product=terms.product,
    )
    return ownership


def _car_of(session: Session, vin: str, model_code: str | None) -> tuple[int | None, str]:
    """(vehicle id, model code): a car of the catalog must be sold already; another needs a known model."""
    try:
        vehicle = catalog.get_vehicle(session, vin)
    except NotFound:
        vehicle = None
    if vehicle is not None:
        if vehicle.status != "sold":
            raise errors.VehicleOnSale(vin, vehicle.status)
        return vehicle.id, vehicle.model.code
    if not model_code:
        raise InvalidInput(
            "This VIN is not a car of Forecourt's catalog: name its model",
            code="model_required",
            errors=[FieldError("model_code", "required for a car not in the catalog")],
        )
    try:
        return None, catalog.get_model(session, model_code).code
    except NotFound as exc:
        raise InvalidInput(
            f"No model {model_code}", code="unknown_model", errors=[FieldError("model_code", "no such model")]
        ) from exc
