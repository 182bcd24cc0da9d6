"""Service-booking use cases: bays and advisors, free slots, hold → confirm, cancel, the store's calendar.

Slots are the test-drive engine's pure slot arithmetic (`testdrive.availability`) with bays in place of cars: a job
type's duration on a 30-minute grid inside the store's opening hours (catalog), at least LEAD_TIME ahead and at
most HORIZON. Overlap safety is the test drives' too: the API's writes run in a transaction begun IMMEDIATE on
SQLite, so the overlap check and the insert see the same data; on PostgreSQL the exclusion constraint refuses an
overlapping row even when two requests check at once, and the insert runs in a savepoint so the loser tries the
next free bay or answers 409 with the next free slots. Nothing here commits.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import partial
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from forecourt.audit import service as audit
from forecourt.catalog import service as catalog
from forecourt.catalog.models import Store
from forecourt.core import references
from forecourt.core.errors import Conflict, FieldError, Forbidden, InvalidInput, NotFound
from forecourt.ownership.owned_cars import OwnedCar
from forecourt.ownership.recalls import service as recalls
from forecourt.ownership.service_bookings import courtesy, notifications, repository
from forecourt.ownership.service_bookings.models import (
    OVERLAP_CONSTRAINT,
    JobKind,
    JobStatus,
    ServiceAdvisor,
    ServiceBay,
    ServiceJob,
    ServiceJobType,
)
from forecourt.testdrive.availability import Busy, DriveKind, OpeningHours, Slot, SlotRules, drive_window, free_slots
from forecourt.testdrive.availability import next_free_slots as next_slots

LEAD_TIME = timedelta(hours=2)
HORIZON = timedelta(days=30)
HOLD_MINUTES = 10
PICK_UP_AFTER = timedelta(minutes=30)  # the car is washed and handed back after the work
MAX_EARLY_DROP_OFF = timedelta(hours=12)  # the evening before, at most
MAX_RANGE_DAYS = 31
DEADLOCK_SQLSTATE = "40P01"


def new_reference() -> str:
    return references.new_reference("SV")


# --- set-up: bays, advisors, job types -----------------------------------------------------------------------------


def add_bay(session: Session, store: Store, code: str, name: str, *, actor: int | None) -> ServiceBay:
    if repository.get_bay(session, store.id, code) is not None:
        raise Conflict(f"Store {store.code} already has bay {code}", code="bay_exists")
    bay = ServiceBay(store_id=store.id, code=code, name=name, active=True)
    repository.add(session, bay)
    session.flush()
    audit.record(session, actor, "service.bay_added", "store", store.code, store.id, bay=code)
    return bay


def add_advisor(
    session: Session, store: Store, name: str, *, user_id: int | None = None, actor: int | None
) -> ServiceAdvisor:
    if repository.get_advisor(session, store.id, name) is not None:
        raise Conflict(f"Store {store.code} already has advisor {name}", code="advisor_exists")
    advisor = ServiceAdvisor(store_id=store.id, name=name, user_id=user_id, active=True)
    repository.add(session, advisor)
    session.flush()
    audit.record(session, actor, "service.advisor_added", "store", store.code, store.id, advisor=name)
    return advisor


def list_bays(session: Session, store: Store) -> Sequence[ServiceBay]:
    return repository.list_bays(session, store.id)


def workshops(session: Session) -> list[Store]:
    """The stores that take service bookings (with a bay), in code order: an owner may book at any of them."""
    ids = repository.store_ids_with_bays(session)
    return [store for store in catalog.list_stores(session) if store.id in ids]


def list_job_types(session: Session) -> Sequence[ServiceJobType]:
    return repository.list_job_types(session)


def get_job_type(session: Session, code: str) -> ServiceJobType:
    job_type = repository.get_job_type(session, code)
    if job_type is None:
        raise NotFound(f"No service job type {code}", code="job_type_not_found")
    return job_type


# --- slots ---------------------------------------------------------------------------------------------------------


def opening_hours(store: Store) -> OpeningHours:
    return OpeningHours.from_json(store.time_zone, store.opening_hours or {})


def slot_rules(job_type: ServiceJobType) -> SlotRules:
    # No buffer: a bay is free again the moment the work ends (pick-up happens off the bay, in the car park).
    return SlotRules(
        DriveKind.ACCOMPANIED,
        timedelta(minutes=job_type.minutes),
        buffer=timedelta(0),
        lead_time=LEAD_TIME,
        horizon=HORIZON,
    )


def busy_bays(session: Session, bay_ids: Sequence[int], start: datetime, end: datetime, now: datetime) -> list[Busy]:
    return [
        Busy(row.bay_id, row.starts_at, row.ends_at)
        for row in repository.holding_rows(session, bay_ids, start, end, now)
    ]


@dataclass(frozen=True)
class StoreSlots:
    store: Store
    job_type: ServiceJobType
    bays: int
    slots: tuple[Slot, ...]


def find_slots(
    session: Session, store_code: str, job_type_code: str, first_day: date, last_day: date, now: datetime
) -> StoreSlots:
    if last_day < first_day:
        raise InvalidInput(
            "`to` must not be before `from`", code="invalid_range", errors=[FieldError("to", "before from")]
        )
    if (last_day - first_day).days >= MAX_RANGE_DAYS:
        raise InvalidInput(
            f"Ask for at most {MAX_RANGE_DAYS} days at a time",
            code="range_too_long",
            errors=[FieldError("to", f"at most {MAX_RANGE_DAYS} days after from")],
        )
    store = catalog.get_store(session, store_code)
    job_type = get_job_type(session, job_type_code)
    bay_ids = [bay.id for bay in repository.list_bays(session, store.id)]
    zone = ZoneInfo(store.time_zone)
    start = datetime.combine(first_day, time.min, zone)
    end = datetime.combine(last_day + timedelta(days=2), time.min, zone)
    busy = busy_bays(session, bay_ids, start, end, now)
    slots = free_slots(opening_hours(store), slot_rules(job_type), bay_ids, busy, first_day, last_day, now)
    return StoreSlots(store, job_type, len(bay_ids), tuple(slots))


# --- hold, confirm, cancel -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ServiceRequest:
    store_code: str
    job_type: str
    start: datetime
    drop_off: datetime | None = None  # default: at the start
    recall_code: str | None = None
    notes: str = ""
    language: str = "zh-Hans"
    courtesy_car: bool = False  # lend a car of the store's fleet from drop-off to pick-up (courtesy.py)


def write_without_overlap(session: Session, change: Callable[[], None]) -> bool:
    """Apply `change` and flush it in a savepoint; False when PostgreSQL's exclusion constraint found an overlapping
    job. Two transactions checking the constraint against each other's rows can deadlock; PostgreSQL then aborts
    one, which tries again and gets a definite answer."""
    for attempt in range(4):
        try:
            with session.begin_nested():
                change()
                session.flush()
        except IntegrityError as exc:
            if OVERLAP_CONSTRAINT not in str(exc.orig):
                raise
            return False
        except OperationalError as exc:
            if getattr(exc.orig, "sqlstate", None) != DEADLOCK_SQLSTATE or attempt == 3:
                raise
            continue
        return True
    return False  # unreachable


def _window(store: Store, job_type: ServiceJobType, start: datetime, now: datetime) -> tuple[datetime, datetime]:
    if start.tzinfo is None:
        raise InvalidInput("Give the start with its UTC offset, e.g. 2026-12-01T10:00:00+08:00", code="naive_start")
    window = drive_window(opening_hours(store), slot_rules(job_type), start)
    if window is None:
        raise InvalidInput(
            "The workshop does not start a job of that kind then: pick a slot from the availability list "
            "(every 30 minutes, finished within opening hours)",
            code="slot_not_offered",
        )
    if window[0] < now + LEAD_TIME:
        raise InvalidInput("Book at least 2 hours ahead", code="too_soon")
    if window[0] > now + HORIZON:
        raise InvalidInput("Book at most 30 days ahead", code="too_far_ahead")
    return window


def _drop_off(request: ServiceRequest, start: datetime) -> datetime:
    drop_off = request.drop_off or start
    if drop_off.tzinfo is None or not start - MAX_EARLY_DROP_OFF <= drop_off <= start:
        raise InvalidInput(
            "Drop the car off at the start of the job or up to 12 hours before it",
            code="drop_off_invalid",
            errors=[FieldError("drop_off", "between 12 hours before the start and the start")],
        )
    return drop_off


def _recall_campaign_id(session: Session, car: OwnedCar, request: ServiceRequest) -> int | None:
    if request.job_type != JobKind.RECALL.value:
        return None
    notices = {n.code: n for n in recalls.open_notices(session, car.vin)}
    code = (request.recall_code or "").strip().upper()
    if code not in notices:
        raise InvalidInput(
            "A recall job names an open recall of this car",
            code="recall_not_open",
            errors=[FieldError("recall_code", f"one of: {', '.join(sorted(notices)) or 'none open'}")],
        )
    return notices[code].campaign_id


def hold(session: Session, car: OwnedCar, request: ServiceRequest, now: datetime) -> ServiceJob:
    """Reserve a free bay for the job for HOLD_MINUTES, or raise 409 `slot_taken` with the next free slots."""
    store = catalog.get_store(session, request.store_code)
    job_type = get_job_type(session, request.job_type)
    start, end = _window(store, job_type, request.start, now)
    drop_off = _drop_off(request, start)
    campaign_id = _recall_campaign_id(session, car, request)
    bays = list(repository.list_bays(session, store.id))
    if not bays:
        raise NotFound(f"Store {store.code} has no service bays", code="no_service_bays")
    bay_ids = [bay.id for bay in bays]
    repository.lock_bays(session, bay_ids)
    repository.expire_stale_holds(session, now, bay_ids)
    taken = {b.vehicle_id for b in busy_bays(session, bay_ids, start, end, now)}
    for bay in (b for b in bays if b.id not in taken):
        job = ServiceJob(
            reference=new_reference(),
            vin=car.vin,
            owner_user_id=car.owner_user_id,
            store_id=store.id,
            bay_id=bay.id,
            job_type=job_type.code,
            recall_campaign_id=campaign_id,
            status=JobStatus.HELD.value,
            starts_at=start,
            ends_at=end,
            drop_off_at=drop_off,
            pick_up_at=end + PICK_UP_AFTER,
            hold_expires_at=now + timedelta(minutes=HOLD_MINUTES),
            contact_email=car.contact_email,
            contact_mobile=car.contact_mobile,
            language=request.language,
            notes=request.notes[:500],
            created_at=now,
            updated_at=now,
        )
        if write_without_overlap(session, partial(repository.add, session, job)):
            if request.courtesy_car:
                courtesy.lend(session, job, now)  # 409 `no_courtesy_car`: the request rolls the job back with it
            audit.record(
                session, car.owner_user_id, "service.held", "service_job", job.reference, store.id, vin=car.vin
            )
            return job
    raise _slot_taken(session, store, job_type, bay_ids, start, now)


def _slot_taken(
    session: Session, store: Store, job_type: ServiceJobType, bay_ids: list[int], start: datetime, now: datetime
) -> Conflict:
    busy = busy_bays(session, bay_ids, start - timedelta(days=1), start + timedelta(days=16), now)
    slots = next_slots(opening_hours(store), slot_rules(job_type), bay_ids, busy, after=start, now=now)
    return Conflict(
        "Sorry, that time was just taken. These are the next free times.",
        code="slot_taken",
        extra={"next_free_slots": [{"start": s.start.isoformat(), "end": s.end.isoformat()} for s in slots]},
    )


def get_job(session: Session, reference: str, *, for_update: bool = False) -> ServiceJob:
    job = repository.get_job(session, reference.strip().upper(), for_update=for_update)
    if job is None:
        raise NotFound(f"No service job {reference}", code="service_job_not_found")
    return job


def get_own_job(session: Session, user_id: int, reference: str, *, for_update: bool = False) -> ServiceJob:
    job = get_job(session, reference, for_update=for_update)
    if job.owner_user_id != user_id:
        raise NotFound(f"No service job {reference}", code="service_job_not_found")  # not even its existence
    return job


def check_store_access(job: ServiceJob, allowed_store_ids: frozenset[int] | None) -> None:
    if allowed_store_ids is not None and job.store_id not in allowed_store_ids:
        raise Forbidden(f"Service job {job.reference} belongs to another store", code="store_forbidden")


def status_now(job: ServiceJob, now: datetime) -> str:
    """The status as of now: a lapsed hold reads as expired before the job has marked it (a refused confirm rolls
    its own marking back with the request)."""
    lapsed = job.status == JobStatus.HELD.value and job.hold_expires_at is not None and job.hold_expires_at <= now
    return JobStatus.EXPIRED.value if lapsed else job.status


def _live_hold(job: ServiceJob, now: datetime) -> None:
    if job.status == JobStatus.HELD.value and job.hold_expires_at is not None and job.hold_expires_at <= now:
        job.status = JobStatus.EXPIRED.value
        job.updated_at = now
    if job.status != JobStatus.HELD.value:
        raise Conflict(
            f"Service job {job.reference} is {job.status}, not held; pick a slot again",
            code="hold_not_active",
            extra={"job_status": job.status},
        )


def confirm(session: Session, user_id: int, reference: str, now: datetime) -> ServiceJob:
    job = get_own_job(session, user_id, reference, for_update=True)
    _live_hold(job, now)
    job.status = JobStatus.CONFIRMED.value
    job.hold_expires_at = None
    job.confirmed_at = job.updated_at = now
    job.advisor_id = _least_busy_advisor(session, job)
    courtesy.confirm(session, job, now)
    session.flush()
    audit.record(session, user_id, "service.confirmed", "service_job", job.reference, job.store_id)
    notifications.service_confirmed(session, job, courtesy.loan_of(session, job, now))
    return job


def _least_busy_advisor(session: Session, job: ServiceJob) -> int | None:
    advisors = repository.list_advisors(session, job.store_id)
    if not advisors:
        return None
    day_start = job.starts_at.replace(hour=0, minute=0, second=0, microsecond=0)
    loads = repository.advisor_loads(session, [a.id for a in advisors], day_start, day_start + timedelta(days=1))
    return min(advisors, key=lambda a: (loads.get(a.id, 0), a.name)).id


def cancel(session: Session, job: ServiceJob, *, actor: int, now: datetime) -> ServiceJob:
    if job.status not in (JobStatus.HELD.value, JobStatus.CONFIRMED.value):
        raise Conflict(f"Service job {job.reference} is {job.status}", code="job_not_cancellable")
    job.status = JobStatus.CANCELLED.value
    job.cancelled_at = job.updated_at = now
    courtesy.cancel(session, job, actor=actor, now=now)
    session.flush()
    audit.record(session, actor, "service.cancelled", "service_job", job.reference, job.store_id)
    return job


def expire_holds(session: Session, now: datetime) -> int:
    """Expire lapsed holds and release their courtesy cars (which lapsed at the same moment)."""
    loans = repository.stale_hold_loans(session, now)
    expired = repository.expire_stale_holds(session, now)
    courtesy.expire(session, loans, now)
    return expired


def store_calendar(session: Session, store: Store, first_day: date, days: int) -> Sequence[ServiceJob]:
    zone = ZoneInfo(store.time_zone)
    start = datetime.combine(first_day, time.min, zone)
    return repository.store_jobs(
        session, store.id, start, datetime.combine(first_day + timedelta(days=days), time.min, zone)
    )


def bay_and_advisor(session: Session, job: ServiceJob) -> tuple[str, str | None]:
    bay = session.get(ServiceBay, job.bay_id)
    advisor = session.get(ServiceAdvisor, job.advisor_id) if job.advisor_id else None
    return (bay.code if bay else ""), (advisor.name if advisor else None)


def my_jobs(session: Session, user_id: int) -> Sequence[ServiceJob]:
    return repository.owner_jobs(session, user_id)
