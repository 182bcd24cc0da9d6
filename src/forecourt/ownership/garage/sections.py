"""The garage card's named places for what other parts of ownership show about a car: its service status, its
service history and its open recalls.

Servicing and recalls plug in with one line each in `service_sections.PROVIDERS` — (slot, a function of the
session, the ownership and today's local day that returns a GarageSection or None) — as a context adds a job to
jobs/registry.py; the card (garage.service) asks them. The card
asks every provider of its slots; the garage page renders each section's `template` (a Jinja include under
web/templates/, given `section` and `card`) in its slot, and the API answers its `data` (JSON-able) under the slot's
name. A slot nobody provides yet is simply left out.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from forecourt.ownership.models import Ownership

SERVICE_STATUS = "service_status"
SERVICE_HISTORY = "service_history"
RECALLS = "recalls"
SLOTS = (SERVICE_STATUS, RECALLS, SERVICE_HISTORY)


@dataclass(frozen=True)
class GarageSection:
    slot: str  # one of SLOTS
    template: str  # e.g. "ownership/_service_status.html"
    data: dict[str, Any]  # what the template shows and the API returns


SectionProvider = Callable[[Session, Ownership, date], GarageSection | None]


def sections_of(
    session: Session, ownership: Ownership, today: date, providers: Sequence[tuple[str, SectionProvider]]
) -> dict[str, GarageSection]:
    found: dict[str, GarageSection] = {}
    for slot, provider in providers:
        if slot not in SLOTS:
            raise RuntimeError(f"unknown garage slot {slot!r}; the slots are {', '.join(SLOTS)}")
        section = provider(session, ownership, today)
        if section is not None:
            found[slot] = section
    return found
