"""What the shopper and staff test-drive pages share: the page's view of a drive, rendering and small form parsers,
besides the helpers every page module shares (`web.page_helpers`: the view of a refusal, redirects, savepoints),
which are reachable from here too. Helpers only; the routes live in `shopper_pages` and `staff_pages`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from fastapi import Request
from sqlalchemy.orm import Session

from forecourt.catalog import service as catalog
from forecourt.catalog.models import Store, Vehicle
from forecourt.core import dates
from forecourt.core.clock import utcnow
from forecourt.testdrive.models import TestDriveBooking
from forecourt.web.page_helpers import (  # noqa: F401 - the test-drive pages use them from here
    Problem,
    T,
    app_secret,
    attempt,
    form_text,
    here,
    hhmm,
    redirect,
    to_local,
)
from forecourt.web.page_helpers import render_personal as render  # noqa: F401 - the pages render with it from here


@dataclass(frozen=True)
class Drive:
    """A booking with its car (and the car's store), as the templates show it."""

    booking: TestDriveBooking
    vehicle: Vehicle

    @property
    def store(self) -> Store:
        return self.vehicle.store

    @property
    def zone(self) -> str:
        return self.vehicle.store.time_zone


def load_drive(session: Session, booking: TestDriveBooking) -> Drive:
    return Drive(booking, catalog.get_vehicle_by_id(session, booking.vehicle_id))


def local_today(request: Request, zone: str | None = None) -> date:
    return utcnow().astimezone(ZoneInfo(zone or request.app.state.settings.time_zone)).date()


def parse_day(text: str | None, default: date) -> date:
    """The day in `text`, or `default` when it is empty, malformed or outside the accepted window (core.dates)."""
    day = dates.parse_day(text)
    return default if day is None else day


def to_int(text: object, default: int | None = None) -> int | None:
    try:
        return int(str(text).strip())
    except (TypeError, ValueError):
        return default
