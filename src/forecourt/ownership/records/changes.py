"""Ownership changes: a transfer (a private sale) ends the seller's ownership and starts the buyer's; an end (the
car returned at a lease's end, or sold back to the dealer) closes it. Staff of the ownership's store only.

The seller's row stops being current (flushed) before the buyer's is inserted, so the unique partial index on the
current VIN sees one current ownership at every step; a concurrent second transfer waits on the row lock
(`for_update`) and then finds the ownership no longer current (409 `ownership_not_current`).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime

from sqlalchemy.orm import Session

from forecourt.audit import service as audit
from forecourt.core.errors import FieldError, InvalidInput
from forecourt.ownership import errors
from forecourt.ownership.models import EndReason, Ownership, OwnershipSource, OwnershipStatus
from forecourt.ownership.records import repository
from forecourt.ownership.records import service as records
from forecourt.ownership.records.contracts import LEASE


def _end_current(ownership: Ownership, reason: EndReason, on: date, odometer_km: int) -> None:
    if ownership.status != OwnershipStatus.CURRENT.value:
        raise errors.NotCurrent(ownership.reference, ownership.status)
    if on < ownership.started_on:
        raise InvalidInput(
            "The end day is before the ownership started",
            code="invalid_end_day",
            errors=[FieldError("on", f"on or after {ownership.started_on.isoformat()}", on.isoformat())],
        )
    if odometer_km < ownership.start_odometer_km:
        raise InvalidInput(
            "The odometer reads less than when the ownership started",
            code="odometer_backwards",
            errors=[FieldError("odometer_km", f"at least {ownership.start_odometer_km}", odometer_km)],
        )
    ownership.status = (
        OwnershipStatus.TRANSFERRED.value if reason == EndReason.TRANSFERRED else OwnershipStatus.ENDED.value
    )
    ownership.ended_on, ownership.end_reason, ownership.end_odometer_km = on, reason.value, odometer_km


def _check_day(session: Session, ownership: Ownership, on: date, now: datetime) -> None:
    if on > records.local_day(now, records.store_time_zone(session, ownership)):
        raise InvalidInput("The day is in the future", code="day_in_future", errors=[FieldError("on", "in the future")])


def transfer(
    session: Session,
    reference: str,
    new_owner_user_id: int,
    on: date,
    odometer_km: int,
    *,
    actor: int,
    allowed_store_ids: Collection[int] | None,
    now: datetime,
) -> Ownership:
    """A private sale: the seller's ownership ends as transferred and the buyer's starts (no contract: the buyer
    paid the seller). A leased car belongs to the lessor and cannot be sold privately."""
    ownership = records.get_for_staff(session, reference, allowed_store_ids, actor, for_update=True)
    if ownership.user_id == new_owner_user_id:
        raise errors.SameOwner()
    contract = repository.contract_of(session, ownership.id)
    if contract is not None and contract.product == LEASE and ownership.status == OwnershipStatus.CURRENT.value:
        raise errors.NotCurrent(ownership.reference, "leased (the lessor owns the car)")
    _check_day(session, ownership, on, now)
    _end_current(ownership, EndReason.TRANSFERRED, on, odometer_km)
    ownership.updated_at = now
    session.flush()  # the seller's row stops being current (the partial index) before the buyer's is inserted
    successor = records.new_ownership(
        vin=ownership.vin,
        vehicle_id=ownership.vehicle_id,
        model_code=ownership.model_code,
        user_id=new_owner_user_id,
        store_id=ownership.store_id,
        source=OwnershipSource.TRANSFER,
        started_on=on,
        odometer_km=odometer_km,
        actor=actor,
        now=now,
        previous_id=ownership.id,
    )
    records.insert_current(session, successor, None)
    audit.record(
        session,
        actor,
        "ownership.transferred",
        "ownership",
        ownership.reference,
        ownership.store_id,
        vin=ownership.vin,
        to=successor.reference,
        on=on.isoformat(),
    )
    return successor


def end(
    session: Session,
    reference: str,
    reason: EndReason,
    on: date,
    odometer_km: int,
    *,
    actor: int,
    allowed_store_ids: Collection[int] | None,
    now: datetime,
) -> Ownership:
    """The car came back: returned at a lease's end, or sold back to the dealer."""
    if reason == EndReason.TRANSFERRED:
        raise InvalidInput(
            "Use a transfer for a private sale",
            code="invalid_end_reason",
            errors=[FieldError("reason", "returned or sold_back")],
        )
    ownership = records.get_for_staff(session, reference, allowed_store_ids, actor, for_update=True)
    _check_day(session, ownership, on, now)
    _end_current(ownership, reason, on, odometer_km)
    ownership.updated_at = now
    session.flush()
    audit.record(
        session,
        actor,
        "ownership.ended",
        "ownership",
        ownership.reference,
        ownership.store_id,
        vin=ownership.vin,
        reason=reason.value,
        on=on.isoformat(),
    )
    return ownership
