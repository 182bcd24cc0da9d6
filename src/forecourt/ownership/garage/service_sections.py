"""What servicing and recalls show on a garage card, in the card's named slots (garage.sections): the next service
and its reminder stage, the latest services done, and the open recalls — each with where to book.

The car's facts come from the ownership records (records.car_facts), so the card shows what the reminder jobs and
the service page work on. Every figure the API answers is JSON-able (days are dates, which the API answers as ISO dates; money as strings).
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from forecourt.catalog import service as catalog
from forecourt.ownership.garage.sections import (
    RECALLS,
    SERVICE_HISTORY,
    SERVICE_STATUS,
    GarageSection,
    SectionProvider,
)
from forecourt.ownership.models import Ownership
from forecourt.ownership.recalls import service as recalls
from forecourt.ownership.records.car_facts import car_of
from forecourt.ownership.service_bookings import completion
from forecourt.ownership.servicing import service as servicing

HISTORY_SHOWN = 3  # the card shows the latest few; the service page has them all


def _service_url(ownership: Ownership) -> str:
    return f"/garage/cars/{ownership.vin}/service"


def _local_day(session: Session, store_id: int, at: datetime | None) -> date | None:
    if at is None:
        return None
    return at.astimezone(ZoneInfo(catalog.stores_by_id(session)[store_id].time_zone)).date()


def service_status_section(session: Session, ownership: Ownership, today: date) -> GarageSection:
    status = servicing.service_status(session, car_of(session, ownership), today)
    upcoming = status.next_service
    data = {
        "due_on": upcoming.due_on,
        "due_km": upcoming.due.due_km,
        "due_by": upcoming.due_by.value,
        "first_service": upcoming.due.first_service,
        "latest_km": upcoming.as_of.km,
        "km_left": upcoming.km_left,
        "stage": status.stage.name.lower(),
        "book_url": _service_url(ownership),
    }
    return GarageSection(SERVICE_STATUS, "ownership/_service_status.html", data)


def service_history_section(session: Session, ownership: Ownership, today: date) -> GarageSection | None:
    jobs = completion.history(session, ownership.vin)
    if not jobs:
        return None
    shown = [
        {
            "reference": job.reference,
            "job_type": job.job_type,
            "done_on": _local_day(session, job.store_id, job.completed_at),
            "odometer_km": job.odometer_km,
            "work_done": job.work_done,
            "cost": str(job.cost),
            "currency": job.currency,
        }
        for job in jobs[:HISTORY_SHOWN]
    ]
    data = {"jobs": shown, "total": len(jobs), "url": _service_url(ownership) + "#history"}
    return GarageSection(SERVICE_HISTORY, "ownership/_service_history.html", data)


def recalls_section(session: Session, ownership: Ownership, today: date) -> GarageSection | None:
    notices = recalls.open_notices(session, ownership.vin)
    if not notices:
        return None
    shown = [
        {
            "code": n.code,
            "title_en": n.title_en,
            "title_zh": n.title_zh,
            "remedy_en": n.remedy_en,
            "remedy_zh": n.remedy_zh,
            "book_url": f"{_service_url(ownership)}?job_type=recall#book",
        }
        for n in notices
    ]
    return GarageSection(RECALLS, "ownership/_recalls.html", {"recalls": shown})


PROVIDERS: tuple[tuple[str, SectionProvider], ...] = (
    (SERVICE_STATUS, service_status_section),
    (RECALLS, recalls_section),
    (SERVICE_HISTORY, service_history_section),
)
