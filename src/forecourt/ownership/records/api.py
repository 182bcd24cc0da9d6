"""Ownership records API (store staff and admins): register a car sold outside Forecourt, one ownership, transfer
it (a private sale) or end it (returned, sold back), and a VIN's history.

Writes take `WriteSession` first (BEGIN IMMEDIATE on SQLite); the unique partial index on current ownerships keeps
one per VIN on PostgreSQL whatever the interleaving (409 `vin_already_owned`). Registration and transfer take an
Idempotency-Key: a retried request answers the first outcome instead of a 409 against itself. Staff of another
store get 403; every read names the owner and is audited.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from forecourt.accounts import service as accounts
from forecourt.accounts.security import StaffUser, managed_store_ids
from forecourt.catalog import service as catalog
from forecourt.core.clock import utcnow
from forecourt.core.errors import FieldError, InvalidInput, NotFound
from forecourt.core.http import IdempotencyKey, WriteSession, run_idempotent
from forecourt.ownership import errors
from forecourt.ownership.models import EndReason
from forecourt.ownership.records import changes
from forecourt.ownership.records import service as records
from forecourt.ownership.records.contracts import ContractTerms
from forecourt.ownership.records.schemas import ContractIn, EndIn, OwnershipOut, RegisterIn, TransferIn
from forecourt.ownership.records.shaping import ownership_out

router = APIRouter(prefix="/api/v1", tags=["ownership"])


def owner_id(session: Session, identifier: str, field: str) -> int:
    """The account named by an e-mail or mobile (the HTTP layer resolves it: the use cases take user ids)."""
    user = accounts.find_user(session, identifier)
    if user is None or not user.is_active:
        raise errors.OwnerNotFound(field)
    return user.id


def store_id(session: Session, code: str) -> int:
    try:
        return catalog.get_store(session, code).id
    except NotFound as exc:
        raise InvalidInput(
            f"No store {code}", code="unknown_store", errors=[FieldError("store", "no such store")]
        ) from exc


def terms_in(contract: ContractIn) -> ContractTerms:
    return ContractTerms(
        product=contract.product,
        currency=contract.currency,
        price=contract.price,
        delivered_on=contract.delivered_on,
        delivery_odometer_km=contract.delivery_odometer_km,
        down_payment=contract.down_payment,
        term_months=contract.term_months,
        annual_rate=contract.annual_rate,
        money_factor=contract.money_factor,
        balloon=contract.balloon,
        fee=contract.fee,
        residual_value=contract.residual_value,
        disposition_fee=contract.disposition_fee,
        annual_allowance_km=contract.annual_allowance_km,
        excess_km_rate=contract.excess_km_rate,
    )


@router.post(
    "/ownerships", status_code=201, response_model=OwnershipOut, summary="Register a car sold outside Forecourt"
)
def register(
    session: WriteSession, request: Request, user: StaffUser, body: RegisterIn, idempotency_key: IdempotencyKey = None
) -> JSONResponse:
    """The owner's account (e-mail or mobile), the store that will look after the car, and the contract's terms;
    the monthly payment is priced by finance.calc. A VIN that already has a current owner answers 409
    `vin_already_owned`; a car of Forecourt's stock that is not sold, 409 `vehicle_on_sale`."""

    def run() -> tuple[int, Any]:
        registration = records.Registration(
            vin=body.vin,
            owner_user_id=owner_id(session, body.owner, "owner"),
            store_id=store_id(session, body.store),
            terms=terms_in(body.contract),
            model_code=body.model_code,
        )
        ownership = records.register(
            session, registration, actor=user.user_id, allowed_store_ids=managed_store_ids(user), now=utcnow()
        )
        return 201, ownership_out(session, ownership).model_dump(mode="json")

    return run_idempotent(
        session,
        request,
        scope=f"user:{user.user_id}",
        key=idempotency_key,
        payload=body.model_dump(mode="json"),
        run=run,
    )


@router.get("/ownerships/{reference}", response_model=OwnershipOut, summary="One ownership (staff of its store)")
def get_ownership(session: WriteSession, user: StaffUser, reference: str) -> OwnershipOut:
    ownership = records.get_for_staff(session, reference, managed_store_ids(user), user.user_id)
    return ownership_out(session, ownership)


@router.post(
    "/ownerships/{reference}/transfer",
    status_code=201,
    response_model=OwnershipOut,
    summary="Transfer an ownership to a buyer (a private sale)",
)
def transfer(
    session: WriteSession,
    request: Request,
    user: StaffUser,
    reference: str,
    body: TransferIn,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Answers the buyer's new ownership. A leased car (the lessor owns it), or an ownership already passed on or
    ended, answers 409 `ownership_not_current`."""

    def run() -> tuple[int, Any]:
        records.check_store(records.get(session, reference), managed_store_ids(user))  # before naming the buyer
        successor = changes.transfer(
            session,
            reference,
            owner_id(session, body.new_owner, "new_owner"),
            body.on,
            body.odometer_km,
            actor=user.user_id,
            allowed_store_ids=managed_store_ids(user),
            now=utcnow(),
        )
        return 201, ownership_out(session, successor).model_dump(mode="json")

    return run_idempotent(
        session,
        request,
        scope=f"user:{user.user_id}",
        key=idempotency_key,
        payload=body.model_dump(mode="json"),
        run=run,
    )


@router.post("/ownerships/{reference}/end", response_model=OwnershipOut, summary="End an ownership (car came back)")
def end(session: WriteSession, user: StaffUser, reference: str, body: EndIn) -> OwnershipOut:
    """Returned at a lease's end, or sold back to the dealer. Ending is idempotent by state: a repeat answers 409
    `ownership_not_current` and changes nothing."""
    ownership = changes.end(
        session,
        reference,
        EndReason(body.reason),
        body.on,
        body.odometer_km,
        actor=user.user_id,
        allowed_store_ids=managed_store_ids(user),
        now=utcnow(),
    )
    return ownership_out(session, ownership)


@router.get("/vehicles/{vin}/ownerships", response_model=list[OwnershipOut], summary="A VIN's ownerships, oldest first")
def vin_history(session: WriteSession, user: StaffUser, vin: str) -> list[OwnershipOut]:
    return [ownership_out(session, o) for o in records.history(session, vin, managed_store_ids(user), user.user_id)]
