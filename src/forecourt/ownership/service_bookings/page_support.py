"""What the staff and owner service pages share: the page's view of a service job (with its store, bay and
advisor), rendering, and the store-scope check that turns another store's job into the back office's 403 page.
Helpers only; the routes live in `staff_pages` and `owner_pages`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from forecourt.backoffice.access import NotAllowed
from forecourt.catalog import service as catalog
from forecourt.catalog.models import Store
from forecourt.core import dates
from forecourt.core.clock import utcnow
from forecourt.core.errors import Forbidden
from forecourt.ownership.recalls import service as recalls
from forecourt.ownership.service_bookings import courtesy
from forecourt.ownership.service_bookings import service as bookings
from forecourt.ownership.service_bookings.models import ServiceJob
from forecourt.web.page_helpers import T, to_local


@dataclass(frozen=True)
class Job:
    """A service job as the templates show it: its status as of now, store, bay and advisor."""

    job: ServiceJob
    store: Store
    bay: str
    advisor: str | None
    recall_code: str | None
    status: str
    courtesy: courtesy.CourtesyLoan | None = None  # the courtesy car lent from drop-off to pick-up

    @property
    def zone(self) -> str:
        return self.store.time_zone

    @property
    def parts(self) -> list[PartLine]:
        """The parts as stored (JSON: the unit price as a string, exact to the fen) with Decimal prices."""
        return [PartLine(p["name"], int(p["quantity"]), Decimal(p["unit_price"])) for p in self.job.parts or []]


@dataclass(frozen=True)
class PartLine:
    name: str
    quantity: int
    unit_price: Decimal


def load_job(
    session: Session,
    job: ServiceJob,
    stores: dict[int, Store] | None = None,
    loans: dict[str, courtesy.CourtesyLoan] | None = None,
) -> Job:
    """`loans`: the courtesy loans already read for a list of jobs (`courtesy.loans_of`); else this job's is read."""
    store = (stores or catalog.stores_by_id(session))[job.store_id]
    bay, advisor = bookings.bay_and_advisor(session, job)
    code = recalls.campaign_code(session, job.recall_campaign_id)
    now = utcnow()
    if loans is None:
        loan = courtesy.loan_of(session, job, now)
    else:
        loan = loans.get(job.courtesy_loan_reference or "")
    return Job(job, store, bay, advisor, code, bookings.status_now(job, now), loan)


def scoped(call: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run a store-scoped use case; another store's object gets the back office's 403 page."""
    try:
        return call(*args, **kwargs)
    except Forbidden as exc:
        raise NotAllowed() from exc


def local_today(zone: str) -> date:
    return utcnow().astimezone(ZoneInfo(zone)).date()


def parse_day(text: str | None, default: date) -> date:
    day = dates.parse_day(text)
    return default if day is None else day


def local_day(moment: datetime, zone: str) -> date:
    return to_local(moment, zone).date()
