"""Service-booking API: job types, free slots, hold → confirm with an Idempotency-Key, cancel, the store's
calendar and bays, completion by the workshop, and a car's service history for its owner.

Who may act: an owner books only their own cars (a VIN they do not own answers 404, as does another owner's job);
staff reach the jobs, bays and calendar of their stores only (403 for another store's); admins reach every store.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, BackgroundTasks, Query, Request
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from forecourt.accounts.principal import Principal
from forecourt.accounts.security import RequiredUser, StaffUser, managed_store_ids
from forecourt.catalog import service as catalog
from forecourt.core.clock import utcnow
from forecourt.core.errors import NotFound
from forecourt.core.http import DbSession, IdempotencyKey, WriteSession, run_idempotent
from forecourt.core.outbox import relay_outbox
from forecourt.core.params import Day
from forecourt.ownership.recalls import service as recalls
from forecourt.ownership.records import car_facts
from forecourt.ownership.service_bookings import completion, courtesy
from forecourt.ownership.service_bookings import service as bookings
from forecourt.ownership.service_bookings.models import ServiceJob
from forecourt.ownership.service_bookings.schemas import (
    AdvisorIn,
    AdvisorOut,
    BayIn,
    BayOut,
    CompleteIn,
    CourtesyCarOut,
    JobTypeOut,
    PartOut,
    ServiceHoldIn,
    ServiceJobOut,
    ServiceSlotsOut,
    SlotOut,
)
from forecourt.web.i18n import request_language

router = APIRouter(prefix="/api/v1", tags=["service bookings"])
_PROBLEM = {"content": {"application/problem+json": {}}}


def _courtesy_out(session: Session, job: ServiceJob) -> CourtesyCarOut | None:
    loan = courtesy.loan_of(session, job, utcnow())
    if loan is None:
        return None
    return CourtesyCarOut(
        reference=loan.reference,
        status=loan.status,
        model_en=loan.model_en,
        model_zh=loan.model_zh,
        vin=loan.masked_vin,
        starts_at=loan.starts_at,
        ends_at=loan.ends_at,
    )


def job_out(session: Session, job: ServiceJob) -> ServiceJobOut:
    store = catalog.stores_by_id(session)[job.store_id]
    bay, advisor = bookings.bay_and_advisor(session, job)
    return ServiceJobOut(
        reference=job.reference,
        status=bookings.status_now(job, utcnow()),
        vin=job.vin,
        store=store.code,
        bay=bay,
        advisor=advisor,
        job_type=job.job_type,
        recall_code=recalls.campaign_code(session, job.recall_campaign_id),
        starts_at=job.starts_at,
        ends_at=job.ends_at,
        drop_off_at=job.drop_off_at,
        pick_up_at=job.pick_up_at,
        hold_expires_at=job.hold_expires_at,
        odometer_km=job.odometer_km,
        work_done=job.work_done,
        parts=[PartOut(**p) for p in job.parts or []],
        cost=job.cost,
        currency=job.currency,
        next_due_km=job.next_due_km,
        next_due_on=job.next_due_on,
        completed_at=job.completed_at,
        courtesy_car=_courtesy_out(session, job),
    )


def _visible_job(session: Session, user: Principal, reference: str) -> ServiceJob:
    job = bookings.get_job(session, reference)
    if job.owner_user_id == user.user_id:
        return job
    if user.has_role("store_staff", "admin"):
        bookings.check_store_access(job, managed_store_ids(user))
        return job
    raise NotFound(f"No service job {reference}", code="service_job_not_found")


@router.get("/service-job-types", response_model=list[JobTypeOut], summary="Kinds of service job and their length")
def job_types(session: DbSession) -> list[JobTypeOut]:
    return [
        JobTypeOut(code=t.code, name_en=t.name_en, name_zh=t.name_zh, minutes=t.minutes)
        for t in bookings.list_job_types(session)
    ]


@router.get(
    "/service-bookings/availability",
    response_model=ServiceSlotsOut,
    summary="Free workshop slots for a kind of job at a store",
    responses={404: {"description": "No such store or job type", **_PROBLEM}},
)
def availability(
    session: DbSession,
    store: Annotated[str, Query(min_length=1, max_length=40)],
    job_type: Annotated[str, Query(min_length=1, max_length=20)] = "periodic_service",
    first_day: Annotated[Day | None, Query(alias="from")] = None,
    last_day: Annotated[Day | None, Query(alias="to")] = None,
) -> ServiceSlotsOut:
    first = first_day or utcnow().date()
    last = last_day or first + timedelta(days=13)
    found = bookings.find_slots(session, store, job_type, first, last, utcnow())
    return ServiceSlotsOut(
        store=found.store.code,
        time_zone=found.store.time_zone,
        job_type=found.job_type.code,
        minutes=found.job_type.minutes,
        bays=found.bays,
        slots=[SlotOut(start=s.start, end=s.end, free_bays=len(s.vehicle_ids)) for s in found.slots],
    )


@router.post(
    "/service-bookings/holds",
    status_code=201,
    response_model=ServiceJobOut,
    summary="Hold a workshop bay for one of my cars",
    responses={404: {"description": "Not your car, or no such store or job type", **_PROBLEM}, 409: _PROBLEM},
)
def create_hold(
    session: WriteSession,
    request: Request,
    user: RequiredUser,
    body: ServiceHoldIn,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    car = car_facts.own_car(session, user.user_id, body.vin)

    def run() -> tuple[int, Any]:
        wanted = bookings.ServiceRequest(
            store_code=body.store,
            job_type=body.job_type,
            start=body.start,
            drop_off=body.drop_off,
            recall_code=body.recall_code,
            notes=body.notes,
            language=request_language(request),
            courtesy_car=body.courtesy_car,
        )
        job = bookings.hold(session, car, wanted, utcnow())
        return 201, job_out(session, job).model_dump(mode="json")

    return run_idempotent(
        session,
        request,
        scope=f"user:{user.user_id}",
        key=idempotency_key,
        payload=body.model_dump(mode="json"),
        run=run,
    )


@router.get("/service-bookings", response_model=list[ServiceJobOut], summary="My service jobs")
def my_jobs(session: DbSession, user: RequiredUser) -> list[ServiceJobOut]:
    return [job_out(session, job) for job in bookings.my_jobs(session, user.user_id)]


@router.get("/service-bookings/{reference}", response_model=ServiceJobOut, summary="One service job")
def get_job(session: DbSession, user: RequiredUser, reference: str) -> ServiceJobOut:
    return job_out(session, _visible_job(session, user, reference))


@router.post(
    "/service-bookings/{reference}/confirm",
    response_model=ServiceJobOut,
    summary="Confirm a held service job",
    responses={404: _PROBLEM, 409: _PROBLEM},
)
def confirm(
    session: WriteSession,
    request: Request,
    user: RequiredUser,
    reference: str,
    background: BackgroundTasks,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    bookings.get_own_job(session, user.user_id, reference)  # 404 before any key is looked at
    background.add_task(relay_outbox, request.app.state.session_factory, request.app.state.outbox_adapters())

    def run() -> tuple[int, Any]:
        job = bookings.confirm(session, user.user_id, reference, utcnow())
        return 200, job_out(session, job).model_dump(mode="json")

    return run_idempotent(session, request, scope=f"user:{user.user_id}", key=idempotency_key, payload={}, run=run)


@router.post("/service-bookings/{reference}/cancel", response_model=ServiceJobOut, summary="Cancel a service job")
def cancel(session: WriteSession, user: RequiredUser, reference: str) -> ServiceJobOut:
    job = _visible_job(session, user, reference)
    return job_out(session, bookings.cancel(session, job, actor=user.user_id, now=utcnow()))


@router.post(
    "/service-bookings/{reference}/complete",
    response_model=ServiceJobOut,
    summary="Complete a job: odometer, work, parts, cost; records the next service due",
)
def complete(session: WriteSession, user: StaffUser, reference: str, body: CompleteIn) -> ServiceJobOut:
    job = bookings.get_job(session, reference)
    work = completion.WorkDone(
        odometer_km=body.odometer_km,
        work_done=body.work_done,
        parts=tuple(completion.Part(p.name, p.quantity, p.unit_price) for p in body.parts),
        cost=body.cost,
    )
    done = completion.complete(
        session,
        reference,
        work,
        car_facts.find_car(session, job.vin),
        staff_user_id=user.user_id,
        allowed_store_ids=managed_store_ids(user),
        now=utcnow(),
    )
    return job_out(session, done)


@router.get("/stores/{code}/service-bookings", response_model=list[ServiceJobOut], summary="A store's service jobs")
def store_jobs(
    session: DbSession,
    user: StaffUser,
    code: str,
    day: Annotated[Day | None, Query(alias="date")] = None,
    days: Annotated[int, Query(ge=1, le=31)] = 1,
) -> list[ServiceJobOut]:
    store = catalog.get_store_for_staff(session, code, allowed_store_ids=managed_store_ids(user))
    first = day or utcnow().astimezone(ZoneInfo(store.time_zone)).date()  # the store's today, not UTC's
    return [job_out(session, job) for job in bookings.store_calendar(session, store, first, days)]


@router.get("/stores/{code}/service-bays", response_model=list[BayOut], summary="A store's service bays")
def bays(session: DbSession, user: StaffUser, code: str) -> list[BayOut]:
    store = catalog.get_store_for_staff(session, code, allowed_store_ids=managed_store_ids(user))
    return [BayOut(code=b.code, name=b.name) for b in bookings.list_bays(session, store)]


@router.post("/stores/{code}/service-bays", status_code=201, response_model=BayOut, summary="Add a service bay")
def add_bay(session: WriteSession, user: StaffUser, code: str, body: BayIn) -> BayOut:
    store = catalog.get_store_for_staff(session, code, allowed_store_ids=managed_store_ids(user))
    bay = bookings.add_bay(session, store, body.code, body.name, actor=user.user_id)
    return BayOut(code=bay.code, name=bay.name)


@router.post(
    "/stores/{code}/service-advisors", status_code=201, response_model=AdvisorOut, summary="Add a service advisor"
)
def add_advisor(session: WriteSession, user: StaffUser, code: str, body: AdvisorIn) -> AdvisorOut:
    store = catalog.get_store_for_staff(session, code, allowed_store_ids=managed_store_ids(user))
    return AdvisorOut(name=bookings.add_advisor(session, store, body.name, actor=user.user_id).name)


@router.get("/cars/{vin}/service-history", response_model=list[ServiceJobOut], summary="My car's service history")
def service_history(session: DbSession, user: RequiredUser, vin: str) -> list[ServiceJobOut]:
    car = car_facts.own_car(session, user.user_id, vin)
    return [job_out(session, job) for job in completion.history(session, car.vin)]
