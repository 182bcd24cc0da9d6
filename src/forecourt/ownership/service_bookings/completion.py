"""Completing a service job and the car's service history.

Completion writes down what the workshop did — the odometer, the work, the parts and the cost (Decimal, rounded
half up to the fen here, where it is stored) — records the service with servicing (a periodic service resets the
schedule; a repair, tyres or recall work does not) and keeps the next service due (km and calendar day by the plan)
on the job, so the owner's history shows it. A recall job closes the car's recall notice. Nothing here commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from forecourt.audit import service as audit
from forecourt.catalog import service as catalog
from forecourt.core.errors import Conflict, FieldError, InvalidInput
from forecourt.ownership.odometer import MAX_ODOMETER_KM
from forecourt.ownership.owned_cars import OwnedCar
from forecourt.ownership.recalls import service as recalls
from forecourt.ownership.service_bookings import courtesy, repository
from forecourt.ownership.service_bookings.models import JobKind, JobStatus, ServiceJob
from forecourt.ownership.service_bookings.service import check_store_access, get_job
from forecourt.ownership.servicing import service as servicing

CENT = Decimal("0.01")
MAX_COST = Decimal("1000000.00")


@dataclass(frozen=True)
class Part:
    name: str
    quantity: int
    unit_price: Decimal


@dataclass(frozen=True)
class WorkDone:
    odometer_km: int
    work_done: str
    parts: tuple[Part, ...]
    cost: Decimal  # the total charged, parts and labour


def _check(work: WorkDone) -> Decimal:
    problems = []
    if not 0 <= work.odometer_km <= MAX_ODOMETER_KM:
        problems.append(FieldError("odometer_km", f"0 to {MAX_ODOMETER_KM:,} km"))
    if not work.work_done.strip():
        problems.append(FieldError("work_done", "say what was done"))
    cost = work.cost.quantize(CENT, ROUND_HALF_UP) if work.cost.is_finite() else Decimal(-1)
    if not Decimal(0) <= cost <= MAX_COST:
        problems.append(FieldError("cost", "an amount from 0 to 1,000,000.00"))
    if any(p.quantity < 1 or not p.unit_price.is_finite() or p.unit_price < 0 for p in work.parts):
        problems.append(FieldError("parts", "each part needs a quantity of 1 or more and a price of 0 or more"))
    if problems:
        raise InvalidInput(
            "The job was not completed: " + "; ".join(p.message for p in problems), code="invalid_work", errors=problems
        )
    return cost


def complete(
    session: Session,
    reference: str,
    work: WorkDone,
    car: OwnedCar | None,
    *,
    staff_user_id: int,
    allowed_store_ids: frozenset[int] | None,
    now: datetime,
) -> ServiceJob:
    """Complete a confirmed job. `car` is the owned car (for its service plan); None when ownership no longer
    knows it (sold back): the service is still recorded, with no next service to predict."""
    job = get_job(session, reference, for_update=True)
    check_store_access(job, allowed_store_ids)
    if job.status != JobStatus.CONFIRMED.value:
        raise Conflict(f"Service job {job.reference} is {job.status}, not confirmed", code="job_not_confirmed")
    cost = _check(work)
    store = catalog.stores_by_id(session)[job.store_id]
    done_on = now.astimezone(ZoneInfo(store.time_zone)).date()
    job.odometer_km = work.odometer_km
    job.work_done = work.work_done.strip()
    job.parts = [
        {"name": p.name, "quantity": p.quantity, "unit_price": str(p.unit_price.quantize(CENT, ROUND_HALF_UP))}
        for p in work.parts
    ]
    job.cost = cost
    job.status = JobStatus.COMPLETED.value
    job.completed_at = job.updated_at = now
    job.completed_by = staff_user_id
    periodic = job.job_type == JobKind.PERIODIC_SERVICE.value
    if car is not None:
        due = servicing.record_service(session, car, job.reference, done_on, work.odometer_km, periodic=periodic)
        job.next_due_km, job.next_due_on = due.due_km, due.due_day
    if job.job_type == JobKind.RECALL.value and job.recall_campaign_id is not None:
        recalls.mark_fixed(session, job.recall_campaign_id, job.vin, job.reference, now)
    courtesy.end(session, job, actor=staff_user_id, now=now)  # the owner collects their car, returns the loan
    session.flush()
    audit.record(session, staff_user_id, "service.completed", "service_job", job.reference, job.store_id, vin=job.vin)
    return job


def history(session: Session, vin: str) -> Sequence[ServiceJob]:
    """The car's completed jobs, newest first: what the garage shows (after its own check that the caller owns the
    car; earlier owners' services are part of the car's history)."""
    return repository.completed_jobs_of(session, vin.strip().upper())
