"""Lease mileage and lease end for an owner's lease or lease-to-own (直租), from the car's own odometer.

The figures are the pure core's (`mileage`, `lease_end`): this module only gathers their inputs — the contract's
terms (ownership.records), the car's daily odometer from telematics' query service, today's local day at the
owner's store — and, for a financed buy-out, the finance provider's current loan for the model. Nothing is
recomputed here, so the page and the API show exactly the core's numbers.

A financed buy-out is quoted as the best current loan program for the car's model at BUY_OUT_TERM_MONTHS (else
the shortest term offered), no down payment, its fee financed: the figures a quote for that loan would give.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from forecourt.core.errors import NotFound
from forecourt.finance.programs import service as programs
from forecourt.ownership import errors
from forecourt.ownership.leases.contract_terms import lease_end_contract, mileage_terms
from forecourt.ownership.leases.lease_end import (
    BuyOutFinancing,
    LeaseEndOptions,
    lease_end_options,
    options_due,
    payoff,
)
from forecourt.ownership.leases.mileage import LeaseMileage, lease_mileage
from forecourt.ownership.models import Ownership
from forecourt.ownership.odometer import OdometerReading
from forecourt.ownership.records import service as records
from forecourt.ownership.records.contracts import ContractTerms, has_mileage_terms
from forecourt.telematics import query_service as telematics

BUY_OUT_TERM_MONTHS = 36


@dataclass(frozen=True)
class LeaseView:
    ownership: Ownership
    terms: ContractTerms
    today: date
    time_zone: str
    mileage: LeaseMileage
    options_due: bool  # from 120 days before the end
    options: LeaseEndOptions | None  # shown once due
    payoff: Decimal  # residual + purchase-option fee + the payments still due (the swap's figure before appraisal)
    buy_out_program: str | None  # the loan program a financed buy-out is quoted on


def lease_terms(session: Session, ownership: Ownership) -> ContractTerms:
    contract = records.contract_of(session, ownership)
    terms = records.terms_of(contract) if contract is not None else None
    if terms is None or not has_mileage_terms(terms):
        raise errors.NotALease(ownership.reference)
    return terms


def readings(
    session: Session, ownership: Ownership, terms: ContractTerms, today: date, time_zone: str
) -> list[OdometerReading]:
    """The car's daily odometer from the delivery day through today (the core ignores what it must)."""
    if ownership.vehicle_id is None:
        return []
    zone = ZoneInfo(time_zone)
    start = datetime.combine(terms.delivered_on, time(0), zone).astimezone(UTC)
    end = datetime.combine(today + timedelta(days=1), time(0), zone).astimezone(UTC)
    return [
        OdometerReading(row.day, row.km)
        for row in telematics.daily_odometer(session, ownership.vehicle_id, start, end, time_zone)
        if 0 <= row.km <= 2_000_000
    ]


def mileage_of(session: Session, ownership: Ownership, terms: ContractTerms, now: datetime) -> LeaseMileage:
    time_zone = records.store_time_zone(session, ownership)
    today = records.local_day(now, time_zone)
    return lease_mileage(mileage_terms(terms), readings(session, ownership, terms, today, time_zone), today)


def buy_out_financing(session: Session, model_code: str, today: date) -> tuple[BuyOutFinancing | None, str | None]:
    provider = programs.default_provider(session)
    loans = programs.applicable_programs(
        session, provider=provider, model_code=model_code, trim_code=None, on=today, product="loan"
    )
    if not loans:
        return None, None
    wanted = [p for p in loans if p.term_months == BUY_OUT_TERM_MONTHS] or [
        p for p in loans if p.term_months == min(q.term_months for q in loans)
    ]
    program = programs.best_program(wanted)
    if program is None:
        return None, None
    financing = BuyOutFinancing(
        annual_rate=Decimal(program.annual_rate).normalize(), term_months=program.term_months, fees_financed=program.fee
    )
    return financing, program.code


def lease_view(session: Session, ownership: Ownership, now: datetime) -> LeaseView:
    terms = lease_terms(session, ownership)
    time_zone = records.store_time_zone(session, ownership)
    today = records.local_day(now, time_zone)
    mileage = mileage_of(session, ownership, terms, now)
    contract = lease_end_contract(terms, today)
    due = options_due(today, contract.end_day)
    options, program_code = None, None
    if due:
        financing, program_code = _financing(session, ownership, today)
        options = lease_end_options(contract, today, mileage, financing=financing)
    return LeaseView(ownership, terms, today, time_zone, mileage, due, options, payoff(contract), program_code)


def _financing(session: Session, ownership: Ownership, today: date) -> tuple[BuyOutFinancing | None, str | None]:
    try:
        return buy_out_financing(session, ownership.model_code, today)
    except NotFound:  # no finance provider set up: the buy-out is shown without a loan
        return None, None
