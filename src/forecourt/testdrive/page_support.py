"""What the shopper and staff test-drive pages share: the page's view of a refusal and of a drive, rendering,
redirects, savepoints and small form parsers. Helpers only; the routes live in `shopper_pages` and `staff_pages`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.orm import Session

from forecourt.catalog import service as catalog
from forecourt.catalog.models import Store, Vehicle
from forecourt.core.clock import utcnow
from forecourt.core.errors import DomainError
from forecourt.testdrive.models import TestDriveBooking
from forecourt.web.templating import Page

T = TypeVar("T")


@dataclass(frozen=True)
class Problem:
    """A refused use case, for the page: the stable code (translated by the template) and its details."""

    code: str
    status: int
    message: str  # the service's English sentence: shown on English pages for codes the template does not know
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, exc: DomainError) -> Problem:
        return cls(exc.code, exc.status, exc.message, dict(exc.extra))


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


def to_local(moment: datetime, zone: str) -> datetime:
    return moment.astimezone(ZoneInfo(zone))


def hhmm(moment: datetime, zone: str) -> str:
    return to_local(moment, zone).strftime("%H:%M")


def render(page: Page, template: str, *, status_code: int = 200, **context: Any) -> HTMLResponse:
    user = page.user
    response = page.render(template, status_code=status_code, user=user, csrf_token=(user.csrf_token if user else "") or "",
                           hhmm=hhmm, local=to_local, **context)  # fmt: skip
    response.headers["Cache-Control"] = "no-store"  # personal pages, and a pick-up code shown once
    return response


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def here(request: Request) -> str:
    return request.url.path + (f"?{request.url.query}" if request.url.query else "")


def load_drive(session: Session, booking: TestDriveBooking) -> Drive:
    return Drive(booking, catalog.get_vehicle_by_id(session, booking.vehicle_id))


def attempt(session: Session, run: Callable[[], T]) -> T:
    """Run a use case in a savepoint: when it raises, its partial writes go and the page shows the refusal."""
    with session.begin_nested():
        return run()


def app_secret(request: Request) -> str:
    return request.app.state.settings.secret_key.get_secret_value()


def local_today(request: Request, zone: str | None = None) -> date:
    return utcnow().astimezone(ZoneInfo(zone or request.app.state.settings.time_zone)).date()


def parse_day(text: str | None, default: date) -> date:
    try:
        return date.fromisoformat((text or "").strip()) if text and text.strip() else default
    except ValueError:
        return default


def to_int(text: object, default: int | None = None) -> int | None:
    try:
        return int(str(text).strip())
    except (TypeError, ValueError):
        return default


def form_text(posted: Any, name: str, limit: int = 200) -> str:
    value = posted.get(name, "")
    return value.strip()[:limit] if isinstance(value, str) else ""
