"""My garage: the owner's cars, each as a GarageCard — the contract and where the owner stands on it (next payment,
payments left, balance, from the exact schedule), the car's connected status (latest odometer, fuel or charge, open
fault codes in plain words, from telematics' query service), the documents (the quote and its disclosures, as the
quote pages serve them) and the sections other parts of ownership provide (`sections`: service, recalls).

Owners see only their own current cars: anyone else's reference answers 404 (records.get_for_owner). The owner's
view of their own car is not audited; staff views of ownerships are (records.get_for_staff).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import Session

from forecourt.catalog import service as catalog
from forecourt.catalog.models import Vehicle, VehicleModel
from forecourt.ownership.garage import service_sections
from forecourt.ownership.garage.sections import GarageSection, sections_of
from forecourt.ownership.models import Ownership
from forecourt.ownership.records import service as records
from forecourt.ownership.records.contracts import (
    ContractStatus,
    ContractTerms,
    Payment,
    contract_status,
    has_mileage_terms,
    payment_schedule,
)
from forecourt.telematics import query_service as telematics
from forecourt.telematics.fault_codes import Description, describe


@dataclass(frozen=True)
class ConnectedStatus:
    reported_at: datetime
    odometer_km: int | None
    level_percent: int | None  # fuel, or charge for an electric car
    electric: bool
    fault_codes: tuple[Description, ...]  # open ones, in plain words


@dataclass(frozen=True)
class Document:
    kind: str  # "quote" (the quote page with its disclosure boxes) or "quote_pdf"
    url: str


@dataclass(frozen=True)
class GarageCard:
    ownership: Ownership
    vehicle: Vehicle | None  # None: a car registered from outside Forecourt's catalog
    model: VehicleModel
    time_zone: str
    today: date
    terms: ContractTerms | None
    status: ContractStatus | None
    schedule: tuple[Payment, ...]
    connected: ConnectedStatus | None  # None: the car never reported
    documents: tuple[Document, ...]
    sections: dict[str, GarageSection]

    @property
    def has_lease(self) -> bool:
        return self.terms is not None and has_mileage_terms(self.terms)


def connected_status(session: Session, vehicle: Vehicle) -> ConnectedStatus | None:
    state, intervals = telematics.latest_state(session, vehicle.id)
    if state is None:
        return None
    reading = telematics.car_reading(session, vehicle.id)
    codes = tuple(describe(code) for code in sorted({i.code for i in intervals}))
    return ConnectedStatus(
        reported_at=state.ts,
        odometer_km=reading.odometer_km if reading else None,
        level_percent=reading.level_percent if reading else None,
        electric=state.charge_pct is not None,
        fault_codes=codes,
    )


def documents_of(terms: ContractTerms | None) -> tuple[Document, ...]:
    if terms is None or not terms.quote_reference:
        return ()
    reference = terms.quote_reference
    return (Document("quote", f"/quotes/{reference}"), Document("quote_pdf", f"/quotes/{reference}.pdf"))


def card(session: Session, ownership: Ownership, now: datetime) -> GarageCard:
    vehicle = catalog.get_vehicle_by_id(session, ownership.vehicle_id) if ownership.vehicle_id else None
    model = vehicle.model if vehicle is not None else catalog.get_model(session, ownership.model_code)
    time_zone = records.store_time_zone(session, ownership)
    today = records.local_day(now, time_zone)
    contract = records.contract_of(session, ownership)
    terms = records.terms_of(contract) if contract is not None else None
    return GarageCard(
        ownership=ownership,
        vehicle=vehicle,
        model=model,
        time_zone=time_zone,
        today=today,
        terms=terms,
        status=contract_status(terms, today) if terms is not None else None,
        schedule=payment_schedule(terms) if terms is not None else (),
        connected=connected_status(session, vehicle) if vehicle is not None else None,
        documents=documents_of(terms),
        sections=sections_of(session, ownership, today, service_sections.PROVIDERS),
    )


def my_cards(session: Session, user_id: int, now: datetime) -> list[GarageCard]:
    return [card(session, o, now) for o in records.list_for_owner(session, user_id)]


def my_card(session: Session, user_id: int, reference: str, now: datetime) -> GarageCard:
    return card(session, records.get_for_owner(session, user_id, reference), now)


def cards_of(session: Session, ownerships: Sequence[Ownership], now: datetime) -> list[GarageCard]:
    return [card(session, o, now) for o in ownerships]
