"""The slot picker behind the booking and reschedule pages: which car or model, which drive, and the free slots
per store and day for the days shown. Page support only; the routes stay in `shopper_pages`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from sqlalchemy.orm import Session

from forecourt.catalog import service as catalog
from forecourt.catalog.models import Store, Vehicle
from forecourt.core import dates
from forecourt.core.clock import utcnow
from forecourt.core.errors import DomainError
from forecourt.testdrive import finder
from forecourt.testdrive.availability import DriveKind, Slot
from forecourt.testdrive.page_support import Problem, local_today, parse_day, to_int, to_local

DEFAULT_DAYS_SHOWN = 14
MAX_DAYS_SHOWN = 31
ACCOMPANIED_MINUTES = (30, 60)
SELF_SERVICE_DAYS = (1, 2, 3)


@dataclass(frozen=True)
class DaySlots:
    day: date
    slots: list[Slot]


@dataclass(frozen=True)
class StoreChoice:
    store: Store
    cars: int
    days: list[DaySlots]


@dataclass(frozen=True)
class Adjusted:
    """A part of the asked search that could not be used, and what is shown instead: the page says so.

    `what`: from_invalid, from_past, to_invalid, to_before_from, range_too_long, days_not_offered,
    minutes_not_offered. The text asked for is not repeated: it may be anything."""

    what: str
    limit: int = 0  # range_too_long: the most days shown at once


@dataclass
class SlotSearch:
    """What the slot picker shows: the car or model, the drive asked for and the free slots per store."""

    vin: str = ""
    model: str = ""
    city: str = ""
    store: str = ""
    kind: str = DriveKind.ACCOMPANIED.value
    minutes: int = 60
    days: int = 1
    first_day: date = date.min
    last_day: date = date.min
    offered: list[str] = field(default_factory=list)
    vehicle: Vehicle | None = None
    model_row: Any = None
    stores: list[StoreChoice] = field(default_factory=list)
    problem: Problem | None = None
    adjusted: list[Adjusted] = field(default_factory=list)

    def query_args(self, **changes: Any) -> str:
        args = {
            "vin": self.vin,
            "model": self.model,
            "city": self.city,
            "store": self.store,
            "kind": self.kind,
            "minutes": self.minutes if self.kind == DriveKind.ACCOMPANIED.value else "",
            "days": self.days if self.kind == DriveKind.SELF_SERVICE.value else "",
            "from": self.first_day.isoformat(),
            "to": self.last_day.isoformat(),
        }
        args.update(changes)
        return urlencode({k: v for k, v in args.items() if v not in ("", None)})


def _given(params: Any, name: str) -> str:
    return str(params.get(name) or "").strip()


def _choose_days(search: SlotSearch, params: Any, today: date) -> None:
    """The days to show: those asked for, or, where the asked ones cannot be used, today's fortnight (noted)."""
    default_length = timedelta(days=DEFAULT_DAYS_SHOWN - 1)
    asked_from, asked_to = _given(params, "from"), _given(params, "to")
    first = parse_day(asked_from, today)
    if asked_from and dates.parse_day(asked_from) is None:
        search.adjusted.append(Adjusted("from_invalid"))
    elif first < today:
        search.adjusted.append(Adjusted("from_past"))
        first = today
    last = parse_day(asked_to, first + default_length)
    if asked_to and dates.parse_day(asked_to) is None:
        search.adjusted.append(Adjusted("to_invalid"))
    elif last < first:
        search.adjusted.append(Adjusted("to_before_from"))
        last = first + default_length
    elif (last - first).days >= MAX_DAYS_SHOWN:
        search.adjusted.append(Adjusted("range_too_long", MAX_DAYS_SHOWN))
        last = first + default_length
    search.first_day, search.last_day = first, last


def _choose_length(search: SlotSearch, params: Any) -> None:
    """The drive's length: the one asked for when the store offers it, else the shortest (noted)."""
    asked_minutes, asked_days = _given(params, "minutes")[:6], _given(params, "days")[:6]
    minutes, days = to_int(asked_minutes), to_int(asked_days)
    search.minutes = minutes if minutes in ACCOMPANIED_MINUTES else 60
    search.days = days if days in SELF_SERVICE_DAYS else 1
    if asked_minutes and minutes not in ACCOMPANIED_MINUTES:
        search.adjusted.append(Adjusted("minutes_not_offered"))
    if asked_days and days not in SELF_SERVICE_DAYS:
        search.adjusted.append(Adjusted("days_not_offered"))


def by_day(slots: Sequence[Slot], zone: str) -> list[DaySlots]:
    """The slots grouped by their local day in the store's time zone, days in order."""
    grouped: dict[date, list[Slot]] = {}
    for slot in slots:
        grouped.setdefault(to_local(slot.start, zone).date(), []).append(slot)
    return [DaySlots(day, grouped[day]) for day in sorted(grouped)]


def slot_search(session: Session, request: Request, params: Any, *, fixed_kind: str | None = None) -> SlotSearch:
    """Free slots for the asked car; without an explicit kind, accompanied first, else what the store offers."""
    search = SlotSearch(
        vin=str(params.get("vin", "")).strip().upper()[:17],
        model=str(params.get("model", "")).strip()[:40],
        city=str(params.get("city", "")).strip()[:40],
        store=str(params.get("store", "")).strip()[:40],
    )
    if search.vin:
        search.vehicle = catalog.get_vehicle(session, search.vin)  # unknown VIN: the translated 404 page
        search.model_row = search.vehicle.model
    elif search.model:
        search.model_row = catalog.get_model(session, search.model)
    zone = search.vehicle.store.time_zone if search.vehicle else None
    _choose_days(search, params, local_today(request, zone))
    if fixed_kind is None:  # a reschedule keeps the booking's length
        _choose_length(search, params)
    asked = fixed_kind or str(params.get("kind", ""))
    if not (search.vin or (search.model and (search.city or search.store))):
        search.problem = Problem("vehicle_not_specified", 422, "Say which car: a vin, or a model and a city")
        return search
    found: dict[str, list[finder.StoreSlots]] = {}
    for kind in DriveKind:
        if fixed_kind and kind.value != fixed_kind:
            continue
        query = finder.SlotQuery(
            kind=kind,
            first_day=search.first_day,
            last_day=search.last_day,
            minutes=search.minutes,
            days=search.days,
            vin=search.vin or None,
            model_code=None if search.vin else search.model,
            store_code=search.store or None,
            city_code=None if search.vin or search.store else search.city or None,
        )
        try:
            found[kind.value] = finder.find_slots(session, query, utcnow())
        except DomainError as exc:
            search.problem = Problem.of(exc)
            return search
    search.offered = [kind for kind, stores in found.items() if stores]
    search.kind = (
        asked
        if asked in search.offered
        else (search.offered[0] if search.offered else (asked or DriveKind.ACCOMPANIED.value))
    )
    search.stores = [
        StoreChoice(r.store, len(r.vins), by_day(r.slots, r.store.time_zone)) for r in found.get(search.kind, [])
    ]
    return search
