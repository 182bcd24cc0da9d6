"""API shapes of the fleet: moving a car between pools, and a store's fleet utilisation report."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict

from forecourt.catalog.lifecycle import FleetPool


class PoolMoveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    pool: FleetPool


class PoolMoveOut(BaseModel):
    vin: str
    before: str
    after: str
    promises_kept: list[str]


class CarUseOut(BaseModel):
    vin: str
    model: str
    pool: str
    hours_out: Decimal
    share: Decimal
    hours_by_use: dict[str, Decimal]
    hours_by_day: dict[str, Decimal]
    revenue: Decimal


class OutNowOut(BaseModel):
    reference: str
    purpose: str
    vin: str
    due: datetime


class FleetReportOut(BaseModel):
    store: str
    start: datetime
    end: datetime
    cars: list[CarUseOut]
    due_today: list[OutNowOut]
    overdue: list[OutNowOut]
